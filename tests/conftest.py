"""Shared fixtures: small real models fitted once per session, and the committed golden models."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from helpers import GOLDEN_MODELS

if TYPE_CHECKING:
    from hpinspect.report import Report


@pytest.fixture(scope="session")
def xy() -> tuple[Any, Any]:
    """A small deterministic classification data set."""
    from sklearn.datasets import make_classification

    return make_classification(n_samples=60, n_features=5, n_informative=3, random_state=0)


@pytest.fixture(scope="session")
def logreg(xy: tuple[Any, Any]) -> Any:
    """A fitted LogisticRegression(C=0.5)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=0.5, max_iter=200).fit(*xy)


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    """A real fitted model whose pickle runs ``os.system`` (touching the canary) on load."""
    from hostile_corpus import build_proto0_os_system

    canary = tmp_path / "canary"
    directory = tmp_path / "corpus"
    directory.mkdir()
    return build_proto0_os_system(directory, canary), canary


class _Payload:
    """Pickles as a call to ``os.system`` (never unpickled here: hpinspect reads statically)."""

    def __reduce__(self) -> tuple[Callable[[str], int], tuple[str]]:
        return (os.system, ("echo pwned",))


def fit_and_dump(directory: Path) -> dict[str, Path]:
    """Copy the committed golden models and build the hostile one; returns name -> file."""
    import pickle
    import shutil

    import joblib
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    paths: dict[str, Path] = {}
    for name in ("logreg", "pipeline", "forest", "search"):
        paths[name] = directory / f"{name}.joblib"
        shutil.copyfile(GOLDEN_MODELS / f"{name}.joblib", paths[name])
    features, target = make_classification(n_samples=60, n_features=4, random_state=0)
    unsafe = LogisticRegression().fit(features, target)
    unsafe.notes_ = _Payload()
    paths["unsafe"] = directory / "unsafe.pkl"
    paths["unsafe"].write_bytes(pickle.dumps(unsafe, protocol=4))
    assert joblib.load(paths["logreg"]).C == 0.5  # the committed file is the model it claims
    return paths


@pytest.fixture(scope="session")
def real_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The committed golden models plus a hostile file, copied into a temporary folder."""
    return fit_and_dump(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def real_reports(real_files: dict[str, Path]) -> dict[str, Report]:
    """:func:`real_files` inspected once per session."""
    from hpinspect import inspect_file

    return {name: inspect_file(path) for name, path in real_files.items()}
