"""A corrupted native booster file is refused the way its library refuses it (issue 11).

Real XGBoost ``.json``/``.ubj``, LightGBM ``.txt`` and CatBoost ``.cbm`` files are written here
by the libraries, then truncated at several offsets or overwritten with garbage in the middle.
Where the library's own loader refuses the damaged file, hpinspect must too: exit 2 and one
stderr line naming the file and the problem, no report. An intact file still reads with exit 0.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import catboost
import lightgbm
import numpy as np
import pytest
import xgboost
from helpers import run_cli  # tests/ is on sys.path
from sklearn.datasets import make_classification

FRACTIONS = (0.05, 0.3, 0.55, 0.8, 0.97)
LIBRARY_TIMEOUT = 20.0
Writer = Callable[[Path], None]


def _data() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(n_samples=150, n_features=5, random_state=0)


def _xgboost(path: Path) -> None:
    x, y = _data()
    booster = xgboost.train({"max_depth": 2, "nthread": 1}, xgboost.DMatrix(x, y),
                            num_boost_round=4)
    booster.save_model(str(path))


def _lightgbm(path: Path) -> None:
    x, y = _data()
    lightgbm.train({"num_leaves": 4, "verbose": -1, "num_threads": 1},
                   lightgbm.Dataset(x, y), num_boost_round=4).save_model(str(path))


def _catboost(path: Path) -> None:
    x, y = _data()
    model = catboost.CatBoostClassifier(iterations=4, depth=2, verbose=False, thread_count=1,
                                        allow_writing_files=False)
    model.fit(x, y)
    model.save_model(str(path))


WRITERS: dict[str, Writer] = {"model.json": _xgboost, "model.ubj": _xgboost,
                              "model.txt": _lightgbm, "model.cbm": _catboost}

# The library's own loader, in a child (a damaged file may crash a native library).
_LOADERS = {
    "json": "import xgboost, sys\nxgboost.Booster(model_file=sys.argv[1])",
    "ubj": "import xgboost, sys\nxgboost.Booster(model_file=sys.argv[1])",
    "txt": "import lightgbm, sys\nlightgbm.Booster(model_file=sys.argv[1])",
    "cbm": "import catboost, sys\ncatboost.CatBoost().load_model(sys.argv[1])",
}


def library_loads(path: Path) -> bool:
    """Whether the library's loader accepts ``path`` (a crash or a hang is a refusal: LightGBM
    hangs on some garbled files and crashes on some cut ones)."""
    code = _LOADERS[path.suffix[1:]]
    try:
        proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                              timeout=LIBRARY_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


@pytest.fixture(scope="module", params=sorted(WRITERS))
def original(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name: str = request.param
    path = tmp_path_factory.mktemp("boosters") / name
    WRITERS[name](path)
    return path


def _damaged(original: Path, tmp_path: Path) -> list[Path]:
    data = original.read_bytes()
    out = []
    for fraction in FRACTIONS:
        cut = tmp_path / f"cut{int(fraction * 100)}{original.suffix}"
        cut.write_bytes(data[: int(len(data) * fraction)])
        out.append(cut)
    middle = len(data) // 2
    garbled = tmp_path / f"garbled{original.suffix}"
    garbled.write_bytes(data[:middle] + b"\xff\x00garbage\xfe" * 8 + data[middle + 88:])
    out.append(garbled)
    return out


def test_intact_file_reads(original: Path) -> None:
    assert library_loads(original)
    result = run_cli("--format", "json", str(original))
    assert result.returncode == 0, result.stderr


def test_damaged_files_are_refused_like_the_library_refuses_them(original: Path,
                                                                 tmp_path: Path) -> None:
    """Every truncation is refused (a cut file is not what it claims, even where a lenient
    loader accepts it: LightGBM reads a parameters section cut at a line end, and crashes on
    one cut mid-line); garbage in the middle is refused wherever the library refuses it."""
    for path in _damaged(original, tmp_path):
        result = run_cli("--format", "json", str(path))
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 2), (path.name, result.returncode, result.stderr)
        must_refuse = path.name.startswith("cut") or not library_loads(path)
        if result.returncode == 0:
            assert not must_refuse, (path.name, result.stdout[:400])
            continue
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0], (path.name, result.stderr)
        assert "not a readable" in lines[0], lines[0]
        assert result.stdout == ""
