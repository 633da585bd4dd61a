"""The scan's own worker processes: memory bounded per file, and a worker's death survived.

* A skops file whose ``schema.json`` (72 MB of ``{},``, deflated to a few hundred KB) takes
  about 1.5 GB to parse is read under a small ``Limits.max_worker_bytes``: it is reported as
  that file's ``limit: memory`` error, exit 2, and the other files of the scan are read. A
  subprocess proves the parse really needs more memory than the worker was given.
* A worker killed with SIGKILL while it reads a slow file breaks the process pool: the scan
  re-creates the pool, re-reads the lost files, and every file still gets its report.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

import hpinspect
from hpinspect.load.limits import Limits
from hpinspect.render.json import report_doc
from hpinspect.scan import MEMORY_LIMIT, ScanResult

DICTS = 24_000_000
WORKER_BYTES = 64 << 20


def _memory_bomb(path: Path) -> None:
    """A skops zip whose schema.json is a JSON list of DICTS empty objects."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open("schema.json", "w", force_zip64=True) as member:
        member.write(b"[")
        block = b"{}," * 1_000_000
        for _ in range(DICTS // 1_000_000):
            member.write(block)
        member.write(b"{}]")


@pytest.fixture
def folder(tmp_path: Path, logreg: Any) -> Path:
    import joblib

    root = tmp_path / "models"
    root.mkdir()
    joblib.dump(logreg, root / "a.joblib")
    with open(root / "b.pkl", "wb") as handle:
        pickle.dump(logreg, handle)
    joblib.dump(logreg, root / "c.joblib", compress=3)
    return root


def _kinds(result: ScanResult) -> dict[str, tuple[str, str]]:
    return {Path(e.path).name: (e.kind.value, e.detail) for e in result.entries}


def test_the_memory_bomb_really_needs_more_than_the_limit(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.skops"
    _memory_bomb(bomb)
    assert bomb.stat().st_size < 4 << 20
    code = ("import json, resource, sys, zipfile\n"
            "json.loads(zipfile.ZipFile(sys.argv[1]).read('schema.json'))\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n")
    peak = int(subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True,
                              text=True, check=True, timeout=300).stdout)
    from hpinspect.load.pickle_file import READER_STACK

    # what a worker may hold: its own data (well under 300 MB) + the reader stack + the bytes
    assert peak > 300_000_000 + READER_STACK + WORKER_BYTES


def test_a_file_over_the_worker_memory_is_its_own_error(folder: Path) -> None:
    _memory_bomb(folder / "bomb.skops")
    result = hpinspect.scan([folder], jobs=2, limits=Limits(max_worker_bytes=WORKER_BYTES))
    kinds = _kinds(result)
    assert kinds["bomb.skops"][0] == "broken"
    assert kinds["bomb.skops"][1].startswith(MEMORY_LIMIT)
    assert {name: kind for name, (kind, _) in kinds.items() if name != "bomb.skops"} == \
        {"a.joblib": "model", "b.pkl": "model", "c.joblib": "model"}
    serial = hpinspect.scan([folder / "a.joblib"], jobs=1)
    by_name = {Path(r.file.path).name: r for r in result.reports}
    assert report_doc(by_name["a.joblib"]) == report_doc(serial.reports[0])


def test_the_cli_exits_2_naming_the_file_and_goes_on(folder: Path) -> None:
    _memory_bomb(folder / "bomb.skops")
    done = run_cli("scan", "--jobs", "2", "--max-worker-bytes", str(WORKER_BYTES),
                   "--format", "jsonl", str(folder))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "bomb.skops" in done.stderr and MEMORY_LIMIT in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stdout.splitlines()) == 3


def _slow_pickle(path: Path) -> None:
    """A plain pickle of a list of 400,000 floats: seconds to read, harmless."""
    body = bytearray(b"\x80\x02]q\x00")
    for start in range(0, 400_000, 1000):
        body += b"(" + b"".join(b"G" + struct.pack(">d", float(i))
                                for i in range(start, start + 1000)) + b"e"
    path.write_bytes(bytes(body) + b".")


def _kill_a_worker(killed: list[int], stop: threading.Event) -> None:
    while not stop.is_set():
        children = multiprocessing.active_children()
        if children:
            time.sleep(1.0)  # the workers are reading now (the slow file takes longer)
            victim = multiprocessing.active_children()[0]
            assert victim.pid is not None
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)
            return
        time.sleep(0.01)


def test_a_dead_worker_does_not_stop_the_scan(folder: Path) -> None:
    _slow_pickle(folder / "slow.pkl")
    expected = hpinspect.scan([folder], jobs=1)
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_a_worker, args=(killed, stop))
    killer.start()
    try:
        result = hpinspect.scan([folder], jobs=2)
    finally:
        stop.set()
        killer.join()
    assert killed
    assert [(e.path, e.kind) for e in result.entries] == \
        [(e.path, e.kind) for e in expected.entries]
    assert [report_doc(r) for r in result.reports] == \
        [report_doc(r) for r in expected.reports]
