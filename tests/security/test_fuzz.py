"""Property-based mutation of real model files: a report or a documented error, nothing else.

Bit flips, truncations, splices and overwritten length fields applied to files written by real
``joblib.dump``/``pickle.dump``; every outcome must be a Report (rendered as JSON and as a table)
or an :class:`~hpinspect.errors.HpinspectError`.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import joblib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from hpinspect import inspect_file
from hpinspect.errors import HpinspectError
from hpinspect.load import Limits
from hpinspect.render import RenderOptions
from hpinspect.render.json import JsonRenderer
from hpinspect.render.table import TableRenderer

LIMITS = Limits(max_bytes=64 << 20, max_opcodes=200_000)


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory, xy: tuple[Any, Any],
              logreg: Any) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzz")
    pipe = Pipeline([("s", StandardScaler()),
                     ("f", RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0))])
    pipe.fit(*xy)
    out: dict[str, bytes] = {}
    for name, model, kwargs in (("plain", logreg, {}), ("zlib", pipe, {"compress": 3}),
                                ("pipe", pipe, {})):
        path = folder / f"{name}.joblib"
        joblib.dump(model, path, **kwargs)
        out[name] = path.read_bytes()
    out["p2"] = pickle.dumps(logreg, protocol=2)
    out["p5"] = pickle.dumps(pipe, protocol=5)
    return out


def _outcome(data: bytes, path: Path) -> None:
    path.write_bytes(data)
    try:
        report = inspect_file(path, limits=LIMITS)
    except HpinspectError as exc:
        assert str(path) in str(exc)
        return
    JsonRenderer().render([report], RenderOptions())
    TableRenderer().render([report], RenderOptions(color=False, width=100))


NAMES = st.sampled_from(["plain", "zlib", "pipe", "p2", "p5"])
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(name=NAMES, where=st.floats(0, 1), bit=st.integers(0, 7))
def test_bit_flips(originals: dict[str, bytes], tmp_path: Path, name: str, where: float,
                   bit: int) -> None:
    data = bytearray(originals[name])
    pos = min(int(where * len(data)), len(data) - 1)
    data[pos] ^= 1 << bit
    _outcome(bytes(data), tmp_path / "flip.joblib")


@SETTINGS
@given(name=NAMES, keep=st.floats(0, 1))
def test_truncations(originals: dict[str, bytes], tmp_path: Path, name: str,
                     keep: float) -> None:
    data = originals[name]
    _outcome(data[: int(keep * len(data))], tmp_path / "cut.joblib")


@SETTINGS
@given(name=NAMES, other=NAMES, a=st.floats(0, 1), b=st.floats(0, 1))
def test_splices(originals: dict[str, bytes], tmp_path: Path, name: str, other: str,
                 a: float, b: float) -> None:
    first, second = originals[name], originals[other]
    _outcome(first[: int(a * len(first))] + second[int(b * len(second)):],
             tmp_path / "splice.joblib")


@SETTINGS
@given(name=NAMES, where=st.floats(0, 1), value=st.binary(min_size=1, max_size=8))
def test_overwritten_lengths(originals: dict[str, bytes], tmp_path: Path, name: str,
                             where: float, value: bytes) -> None:
    data = bytearray(originals[name])
    pos = min(int(where * len(data)), len(data) - len(value))
    data[pos: pos + len(value)] = value
    _outcome(bytes(data), tmp_path / "lengths.joblib")
