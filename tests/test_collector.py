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
from typing import Any

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


# The command line's own process: automatic collection off but for scan, one collection of the
# youngest generation between files, and the same report as with the collector on.

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
_PROGRAM = """
import atexit, gc, json, sys
passes = []
gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(
    [info["generation"], gc.isenabled()]))
atexit.register(lambda: sys.stderr.write(json.dumps({"enabled": gc.isenabled(),
                                                     "passes": passes}) + "\\n"))
from hpinspect.__main__ import run
sys.argv = ["hpinspect", *sys.argv[1:]]
run()
"""


def _program(*args: str) -> tuple[dict[str, Any], str]:
    """The collector's state at exit, and the passes made once it was off (the automatic
    ones before, while Python imports hpinspect, are dropped), with the program's output."""
    out = subprocess.run([sys.executable, "-c", _PROGRAM, *args], capture_output=True,
                         text=True, timeout=120)
    state = json.loads(out.stderr.strip().splitlines()[-1])
    passes = state["passes"]
    off = next((i for i, (_, enabled) in enumerate(passes) if not enabled), len(passes))
    assert all(enabled for _, enabled in passes[:off])
    assert not any(enabled for _, enabled in passes[off:])  # none automatic once off
    state["passes"] = [generation for generation, _ in passes[off:]]
    return state, out.stdout


def test_the_program_reads_a_file_without_automatic_collections() -> None:
    state, stdout = _program("--format", "json", str(SAMPLES / "forest.joblib"))
    assert state == {"enabled": False, "passes": []}
    from_library = subprocess.run(  # another program: the collector left as it is
        [sys.executable, "-c", "import runpy, sys; sys.argv[0] = 'hpinspect'; "
         "runpy.run_module('hpinspect', run_name='__main__')", "--format", "json",
         str(SAMPLES / "forest.joblib")], capture_output=True, text=True, timeout=120)
    assert from_library.stdout == stdout and '"estimators_"' in stdout


def test_the_program_collects_the_youngest_generation_between_files() -> None:
    files = [str(SAMPLES / name) for name in ("logreg.joblib", "kmeans.joblib", "gridsearch.pkl")]
    state, _ = _program("--format", "json", *files)
    assert state == {"enabled": False, "passes": [0] * (len(files) - 1)}
    state, _ = _program("diff", "--format", "json", files[0], files[1])
    assert state == {"enabled": False, "passes": [0]}


def test_scan_keeps_the_collector(tmp_path: Path) -> None:
    for name in ("logreg.joblib", "kmeans.joblib"):
        (tmp_path / name).write_bytes((SAMPLES / name).read_bytes())
    state, _ = _program("scan", "--format", "json", str(tmp_path))
    assert state["enabled"] is True
