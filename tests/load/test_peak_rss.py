"""The memory guard's ``VmHWM`` reading: one kept-open file, fresh on every read, per process.

``_peak_rss`` reads ``/proc/self/status`` with one ``pread`` of a descriptor opened once
(issue 16: three system calls per 1 MiB refill each let another thread take the GIL). The
reading must still follow the process's peak as it grows, and a forked child (a ``scan``
worker) must read its own peak, not its parent's file. Measured in a fresh interpreter, whose
peak is small (the test process's own may be large).
"""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import REPO

SCRIPT = r"""
import json, os
from hpinspect.load.unpickler import _peak_rss
MIB = 1 << 20
def touch(size):
    block = bytearray(size)
    block[::4096] = b"x" * len(block[::4096])
    return block
first = _peak_rss()
held = touch(64 * MIB)
grown = _peak_rss()
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read)
    own = touch(160 * MIB)
    os.write(write, str(_peak_rss()).encode())
    os._exit(0)
os.close(write)
with os.fdopen(read) as pipe:
    child = int(pipe.read())
os.waitpid(pid, 0)
print(json.dumps({"first": first, "grown": grown, "child": child, "parent": _peak_rss(),
                  "held": len(held)}))
"""


def test_peak_follows_growth_and_each_process_reads_its_own() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          cwd=REPO, check=True, timeout=120)
    got = json.loads(done.stdout)
    mib = 1 << 20
    assert got["grown"] >= got["first"] + 60 * mib  # the kept file is read afresh
    assert got["child"] >= got["grown"] + 90 * mib  # the child's own peak, not its parent's
    assert got["parent"] < got["child"]  # and the parent's did not move with it
