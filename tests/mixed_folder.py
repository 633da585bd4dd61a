"""A mixed folder like a real model registry, built by the tests of ``hpinspect scan``.

Model files of several formats (joblib, pickle, skops, MLflow folders, XGBoost UBJ/JSON and
pickled, LightGBM text, CatBoost .cbm, torch state dict, safetensors), a hostile pickle that
runs ``os.system`` on a plain load (touching a canary), text and image files, an empty file,
a truncated pickle, a corrupt zip, a dangling symlink and a symlink out of the folder.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Mixed:
    """The folder and what each of its paths is expected to be."""

    root: Path
    canary: Path
    models: dict[str, str]
    """Relative path -> expected verdict."""
    others: tuple[str, ...]
    """Relative paths of files that are not models."""
    broken: tuple[str, ...]
    skipped: tuple[str, ...]


def png_bytes() -> bytes:
    """A valid 1x1 PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def build_mixed(base: Path, xy: tuple[Any, Any], hostile: tuple[Path, Path]) -> Mixed:
    """Write the mixed folder under ``base`` (the hostile file comes from the fixture)."""
    import joblib
    import mlflow.sklearn
    import skops.io as sio
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    root = base / "registry"
    (root / "team-a" / "nested").mkdir(parents=True)
    (root / "docs").mkdir()
    X, y = xy
    logreg = LogisticRegression(C=0.5, max_iter=200).fit(X, y)
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=2.0)).fit(X, y)
    joblib.dump(logreg, root / "logreg.joblib")
    joblib.dump(forest, root / "team-a" / "forest.z", compress=3)
    with open(root / "team-a" / "nested" / "pipe.pkl", "wb") as handle:
        pickle.dump(pipe, handle, protocol=5)
    sio.dump(pipe, root / "team-a" / "pipe.skops")
    mlflow.sklearn.save_model(logreg, str(root / "mlflow-pickle"), serialization_format="pickle")
    mlflow.sklearn.save_model(forest, str(root / "mlflow-skops"),
                              skops_trusted_types=["sklearn.tree._tree.Tree"])
    hostile_path, canary = hostile
    (root / "incoming").mkdir()
    (root / "incoming" / "model.bin").write_bytes(hostile_path.read_bytes())
    (root / "README.md").write_text("# Models\n\nSee team-a/.\n", encoding="utf-8")
    (root / "docs" / "metrics.csv").write_text("model,auc\nlogreg,0.91\n", encoding="utf-8")
    (root / "docs" / "plot.png").write_bytes(png_bytes())
    (root / "docs" / "config.json").write_text('{"threshold": 0.5}\n', encoding="utf-8")
    (root / "docs" / "empty").write_bytes(b"")
    whole = (root / "logreg.joblib").read_bytes()
    (root / "team-a" / "truncated.joblib").write_bytes(whole[: len(whole) // 2])
    skops_bytes = (root / "team-a" / "pipe.skops").read_bytes()
    (root / "team-a" / "corrupt.skops").write_bytes(skops_bytes[: len(skops_bytes) // 3])
    _boosters_and_torch(root / "boosters", xy)
    os.symlink(root / "does-not-exist", root / "dangling")
    outside = base / "outside.joblib"
    joblib.dump(logreg, outside)
    os.symlink(outside, root / "team-a" / "escape.joblib")
    os.symlink(root / "logreg.joblib", root / "docs" / "alias.joblib")
    return expected(root, canary)


def _boosters_and_torch(folder: Path, xy: tuple[Any, Any]) -> None:
    """Boosters native and pickled, an MLflow xgboost folder, torch and safetensors files."""
    import catboost
    import lightgbm
    import mlflow.xgboost
    import torch
    import xgboost
    from safetensors.torch import save_file

    X, y = xy
    folder.mkdir()
    booster = xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, y), num_boost_round=2)
    booster.save_model(str(folder / "xgb.ubj"))
    booster.save_model(str(folder / "xgb.json"))
    classifier = xgboost.XGBClassifier(n_estimators=2, max_depth=2).fit(X, y)
    with open(folder / "xgb-sklearn.pkl", "wb") as handle:
        pickle.dump(classifier, handle)
    lgbm = lightgbm.LGBMClassifier(n_estimators=2, num_leaves=4, verbose=-1).fit(X, y)
    lgbm.booster_.save_model(str(folder / "lgbm.txt"))
    cat = catboost.CatBoostClassifier(iterations=2, depth=2, verbose=False,
                                      allow_writing_files=False).fit(X, y)
    cat.save_model(str(folder / "cat.cbm"))
    mlflow.xgboost.save_model(booster, str(folder / "mlflow-xgb"), model_format="ubj")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    torch.save(net.state_dict(), folder / "net.pt")
    save_file(net.state_dict(), str(folder / "net.safetensors"))


BOOSTERS_AND_TORCH = {
    "boosters/xgb.ubj": "safe", "boosters/xgb.json": "safe", "boosters/xgb-sklearn.pkl": "safe",
    "boosters/lgbm.txt": "safe", "boosters/cat.cbm": "safe", "boosters/mlflow-xgb": "safe",
    "boosters/net.pt": "safe", "boosters/net.safetensors": "safe",
}
"""Verdicts of the files :func:`_boosters_and_torch` writes. A pickled XGBClassifier is
``safe``: its classes are reviewed in ``load/allowlist.py`` (Booster.__setstate__ hands the
model bytes to XGBoost's own parser)."""


def expected(root: Path, canary: Path) -> Mixed:
    """What each path of the folder :func:`build_mixed` writes is expected to be."""
    return Mixed(
        root=root, canary=canary,
        models={"logreg.joblib": "safe", "team-a/forest.z": "safe",
                "team-a/nested/pipe.pkl": "safe", "team-a/pipe.skops": "safe",
                "mlflow-pickle": "safe", "mlflow-skops": "review",
                "incoming/model.bin": "unsafe", "docs/alias.joblib": "safe",
                **BOOSTERS_AND_TORCH},
        others=("README.md", "docs/metrics.csv", "docs/plot.png", "docs/config.json",
                "docs/empty"),
        broken=("team-a/truncated.joblib", "team-a/corrupt.skops", "dangling"),
        skipped=("team-a/escape.joblib",),
    )


_CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from sklearn.datasets import make_classification
from mixed_folder import build_mixed
xy = make_classification(n_samples=60, n_features=5, n_informative=3, random_state=0)
build_mixed(Path(sys.argv[2]), xy, (Path(sys.argv[3]), Path(sys.argv[4])))
"""


def build_mixed_in_subprocess(base: Path, hostile: tuple[Path, Path]) -> Mixed:
    """:func:`build_mixed` in a child process.

    mlflow's save_model imports half the ecosystem (torch included) to infer requirements;
    done in the test process, every later subprocess would start with that RSS on Linux
    (a child's ru_maxrss starts at its parent's RSS) and the memory-bound tests would fail.
    """
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="1")
    subprocess.run([sys.executable, "-c", _CHILD, str(Path(__file__).parent), str(base),
                    str(hostile[0]), str(hostile[1])], check=True, capture_output=True,
                   env=env, timeout=600)
    return expected(base / "registry", hostile[1])
