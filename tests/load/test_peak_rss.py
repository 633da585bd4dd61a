"""The memory guard's peak reading: cheap when it can be, exact enough always.

``BudgetRaw`` checks the memory a load built at every 1 MiB refill (issue 16: the three
system calls of each ``/proc/self/status`` read let another thread take the GIL, and the
reading thread waited to get it back). :func:`peak_reader` picks ``ru_maxrss`` (no GIL
handover) when it is this process's own peak, and ``VmHWM`` (one ``pread`` of a file kept
open, reopened in a forked child) when the process carries a larger parent's peak over the
exec -- which a child of pytest does, as ``subprocess`` spawns it sharing the parent's memory
map until the exec. So each reading is tested in the process tree that gets it: under a small
parent (as from a shell) and right under this test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import REPO

SCRIPT = r"""
import json, os
from hpinspect.load.unpickler import _peak_rss, _ru_maxrss, peak_reader
MIB = 1 << 20
def touch(size):
    block = bytearray(size)
    block[::4096] = b"x" * len(block[::4096])
    return block
peak = peak_reader()
first = peak()
held = touch(64 * MIB)
grown = peak()
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
print(json.dumps({"ru": peak is _ru_maxrss, "first": first, "grown": grown, "child": child,
                  "parent": _peak_rss(), "held": len(held)}))
"""

SMALL_PARENT = """\
import subprocess, sys
sys.exit(subprocess.run([sys.executable, *sys.argv[1:]]).returncode)
"""
"""A parent of a few MiB: what its child carries over the exec is below the child's own peak."""


def _run(args: list[str], small_parent: bool) -> subprocess.CompletedProcess[str]:
    prefix = [sys.executable, "-c", SMALL_PARENT] if small_parent else [sys.executable]
    return subprocess.run([*prefix, *args], capture_output=True, text=True, cwd=REPO,
                          check=False, timeout=300)


def test_each_reading_follows_growth_in_its_own_process_tree() -> None:
    mib = 1 << 20
    for small_parent in (True, False):
        done = _run(["-c", SCRIPT], small_parent)
        got = json.loads(done.stdout)
        assert got["ru"] is small_parent  # pytest's own peak rides into its direct child
        assert got["grown"] >= got["first"] + 60 * mib  # the reading follows growth
        assert got["child"] >= got["grown"] + 90 * mib  # a forked child reads its own peak
        assert got["parent"] < got["child"]


def test_memory_bomb_stopped_under_a_small_parent(tmp_path: Path) -> None:
    """Three million empty sets (216 bytes each from one byte of pickle): refused with the
    cheap reading as with the exact one."""
    bomb = tmp_path / "sets.pkl"
    bomb.write_bytes(b"\x80\x04](" + b"\x8f" * 3_000_000 + b"e.")
    for small_parent in (True, False):
        proc = _run(["-m", "hpinspect", str(bomb)], small_parent)
        assert proc.returncode == 2, proc.stderr
        assert "memory limit for what a load builds" in proc.stderr
        assert proc.stderr.count("\n") == 1
