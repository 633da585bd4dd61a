"""Text files are no model files: scripts, requirements, RECORD and CSV files whose first
letters happen to be pickle opcodes (``import`` reads as INST, ``class`` as GLOBAL, ``r`` as
LONG_BINPUT, ``x`` as a zlib header) are "not a pickle or joblib file" (scan: other files),
as long as every reading stops before anything could run; a text payload stays unsafe."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import sklearn

import hpinspect
from hpinspect.errors import UnsupportedFormatError
from hpinspect.load import read_model
from hpinspect.scan import Kind

WRITTEN = {
    "train.py": "import numpy as np\nfrom sklearn.svm import SVC\n\nmodel = SVC()\n",
    "model_def.py": "class Net:\n    def __init__(self):\n        self.w = 1\n",
    "one.py": "import os\n",
    "config.py": "c = 1\nif c:\n    print(c)\n",
    "requirements.txt": "requests==2.32.3\nscikit-learn>=1.5\n",
    "requirements-dev.txt": "xgboost==2.1.0\nrich\n",
    "RECORD": "requests-2.32.3.dist-info/METADATA,sha256=abc,4535\r\nrequests/__init__.py,,\r\n",
    "metrics.csv": "class,precision,recall\ncat,0.9,0.8\n",
    "labels.txt": "cat dog\nbird\n",
}


def _sklearn_text_files(count: int) -> list[Path]:
    """Text files of the installed scikit-learn (sources, data, docs), a seeded sample."""
    root = Path(sklearn.__file__).parent
    found = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in
                   {".py", ".pyx", ".pxd", ".txt", ".csv", ".rst", ".tp", ".pyi"})
    return random.Random(0).sample(found, min(count, len(found)))


_LOADS = """
import pickle, sys
for path in sys.argv[1:]:
    try:
        pickle.load(open(path, "rb"))
    except Exception:
        continue
    print(path)
"""


def _pickle_accepts(paths: list[Path]) -> set[str]:
    """The files a real ``pickle.load`` reads without error (in a child process: a real load
    of an unknown file never runs in the test process)."""
    done = subprocess.run([sys.executable, "-c", _LOADS, *map(str, paths)], check=True,
                          capture_output=True, text=True, timeout=300, cwd=paths[0].parent)
    return {Path(line).name for line in done.stdout.splitlines()}


def test_written_text_files_are_not_pickles_and_pickle_agrees(tmp_path: Path) -> None:
    for name, text in WRITTEN.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert not _pickle_accepts([tmp_path / name for name in WRITTEN])
    for name in WRITTEN:
        with pytest.raises(UnsupportedFormatError, match="not a pickle or joblib file"):
            read_model(tmp_path / name)


def test_scikit_learns_own_text_files_are_other_files_in_a_scan(tmp_path: Path) -> None:
    files = _sklearn_text_files(400)
    for index, source in enumerate(files):
        (tmp_path / f"{index:04d}_{source.name}").write_bytes(source.read_bytes())
    result = hpinspect.scan([tmp_path], jobs=1)
    kinds = {Path(e.path).name: e for e in result.entries}
    accepted = _pickle_accepts(sorted(tmp_path.iterdir()))
    assert len(accepted) <= 2  # text that really unpickles (a leading "B" or "S'...'.")
    wrong = {n: (e.kind, e.detail) for n, e in kinds.items()
             if n not in accepted and e.kind is not Kind.OTHER}
    assert not wrong
    assert not result.unsafe


def test_a_text_payload_ahead_of_script_lines_stays_unsafe(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = tmp_path / "setup.py"
    path.write_bytes(f"cos\nsystem\n(S'touch {canary}'\ntR".encode() +
                     b"import os\nclass A:\n    pass\n")
    subprocess.run([sys.executable, "-c", "import pickle,sys\ntry: pickle.load(open(sys.argv[1],"
                    "'rb'))\nexcept Exception: pass", str(path)], check=True, timeout=60)
    assert canary.exists()  # a real load runs the payload, then fails on the script
    os.unlink(canary)
    report = hpinspect.inspect_file(path)
    assert report.safety.verdict == "unsafe"
    assert any(f.global_name in ("os.system", "posix.system") for f in report.safety.findings)
    assert not canary.exists()
