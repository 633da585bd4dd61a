"""The counted garbage-collector pause (``hpinspect/collector.py``): nested and overlapping
pauses across threads turn the collector back on once, and only if it was on before; the
command line's own process reads without automatic collections."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from hpinspect import collector


def test_overlapping_pauses_restore_the_collector_once() -> None:
    assert gc.isenabled()
    started, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector.paused():
            started.set()
            release.wait(30)

    thread = threading.Thread(target=other)
    with collector.paused():
        assert not gc.isenabled()
        thread.start()
        started.wait(30)
    assert not gc.isenabled()  # the other thread's pause is still under way
    release.set()
    thread.join(30)
    assert gc.isenabled()


def test_a_collector_off_before_stays_off() -> None:
    gc.disable()
    try:
        with collector.paused(), collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_child_forked_during_a_pause_pauses_on_its_own() -> None:
    with collector.paused():
        pid = os.fork()
        if pid == 0:  # the child, as a scan worker forked while its parent receives results
            collector.after_fork()
            ok = gc.isenabled()
            with collector.paused():
                ok = ok and not gc.isenabled()
            os._exit(0 if ok and gc.isenabled() else 1)
        _, status = os.waitpid(pid, 0)
        assert not gc.isenabled()
    assert os.waitstatus_to_exitcode(status) == 0
    assert gc.isenabled()


# The command line's own process: automatic collection off but for scan, one full collection
# between files, and the same report as with the collector on.

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
_PROGRAM = """
import atexit, gc, json, sys
full = []
gc.callbacks.append(lambda phase, info: phase == "stop" and info["generation"] == 2 and
                    full.append(1))
atexit.register(lambda: sys.stderr.write(json.dumps({"enabled": gc.isenabled(),
                                                     "full": len(full)}) + "\\n"))
from hpinspect.__main__ import run
sys.argv = ["hpinspect", *sys.argv[1:]]
run()
"""


def _program(*args: str) -> tuple[dict[str, int], str]:
    out = subprocess.run([sys.executable, "-c", _PROGRAM, *args], capture_output=True,
                         text=True, timeout=120)
    return json.loads(out.stderr.strip().splitlines()[-1]), out.stdout


def test_the_program_reads_a_file_without_automatic_collections() -> None:
    state, stdout = _program("--format", "json", str(SAMPLES / "forest.joblib"))
    assert state == {"enabled": False, "full": 0}
    from_library = subprocess.run(  # another program: the collector left as it is
        [sys.executable, "-c", "import runpy, sys; sys.argv[0] = 'hpinspect'; "
         "runpy.run_module('hpinspect', run_name='__main__')", "--format", "json",
         str(SAMPLES / "forest.joblib")], capture_output=True, text=True, timeout=120)
    assert from_library.stdout == stdout and '"estimators_"' in stdout


def test_the_program_collects_once_between_files() -> None:
    files = [str(SAMPLES / name) for name in ("logreg.joblib", "kmeans.joblib", "gridsearch.pkl")]
    state, _ = _program("--format", "json", *files)
    assert state == {"enabled": False, "full": len(files) - 1}
    state, _ = _program("diff", "--format", "json", files[0], files[1])
    assert state == {"enabled": False, "full": 1}


def test_scan_keeps_the_collector(tmp_path: Path) -> None:
    for name in ("logreg.joblib", "kmeans.joblib"):
        (tmp_path / name).write_bytes((SAMPLES / name).read_bytes())
    state, _ = _program("scan", "--format", "json", str(tmp_path))
    assert state["enabled"] is True
