"""A FRAME longer than the file: pickle.load refuses it, joblib.load reads on and runs it.

The C unpickler reads a whole frame before it runs it ("pickle data was truncated"); the pure
Python ``_Unframer`` joblib.load uses reads what is there and goes on. Found by
``scripts/fidelity_long.py``; the file is built here, a canary proves the payload runs under
a real ``joblib.load`` (in a subprocess) and that nothing ran under hpinspect.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import run_cli
from hostile_corpus import frame_past_eof  # tests/ is on sys.path


def _load(loader: str, path: Path) -> str:
    code = (f"import sys, {loader}\ntry:\n    {loader}.load(open(sys.argv[1], 'rb'))\n"
            "    print('loaded')\nexcept Exception as exc:\n    print(type(exc).__name__)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    return proc.stdout.strip()


def test_frame_past_the_end_runs_under_joblib_and_is_unsafe(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = tmp_path / "model.pkl"
    path.write_bytes(frame_past_eof(canary))

    proc = run_cli("--format", "json", str(path))
    assert not canary.exists()
    assert proc.returncode == 3, proc.stderr
    findings = {f["global"]: f for f in json.loads(proc.stdout)["safety"]["findings"]}
    assert findings["os.system"]["severity"] == "dangerous"
    assert "reached only by joblib.load" in findings["os.system"]["detail"]

    assert _load("pickle", path) == "UnpicklingError"
    assert not canary.exists()
    _load("joblib", path)
    assert canary.exists()
