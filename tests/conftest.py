"""Shared fixtures: small real models fitted once per session and dumped by tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


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
