"""The booster decoders on mutated real model bytes and on random bytes: a DecodeError (or a
decoded value), never another exception; the classifier turns a broken model into a note."""

from __future__ import annotations

import contextlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpinspect import inspect_file
from hpinspect.classify import catboost as cb_family
from hpinspect.classify import lightgbm as lgb_family
from hpinspect.classify import xgboost as xgb_family
from hpinspect.decode import DecodeError, catboost_cbm, lightgbm_text, ubjson
from hpinspect.errors import CorruptFileError
from hpinspect.load.sniff import booster_format

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
cb = pytest.importorskip("catboost")


def _models(tmp: Path) -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 3))
    y = (x[:, 0] > 0).astype(int)
    xgb_model = xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(x, y)
    lgb_model = lgb.LGBMClassifier(n_estimators=2, num_leaves=4, verbose=-1).fit(x, y)
    cb_model = cb.CatBoostClassifier(iterations=2, depth=2, verbose=0,
                                     train_dir=str(tmp / "cb")).fit(x, y)
    cb_model.save_model(str(tmp / "m.cbm"))
    return {
        "ubj": bytes(xgb_model.get_booster().__getstate__()["handle"]),
        "lgb": lgb_model.booster_.model_to_string().encode(),
        "cbm": (tmp / "m.cbm").read_bytes(),
    }


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _models(tmp_path_factory.mktemp("fuzz"))


DECODERS = {"ubj": ubjson.loads_model, "lgb": lightgbm_text.parse, "cbm": catboost_cbm.parse}
FAMILIES: dict[str, Any] = {"ubj": xgb_family.decode, "lgb": lgb_family.decode,
                            "cbm": cb_family.decode}


def test_real_bytes_decode(real: dict[str, bytes]) -> None:
    assert xgb_family.decode(real["ubj"]).trees.count == 2  # type: ignore[union-attr]
    assert lgb_family.decode(real["lgb"].decode()).trees.count == 2  # type: ignore[union-attr]
    assert cb_family.decode(real["cbm"]).trees.count == 2  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", sorted(DECODERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1,
                      max_size=8), cut=st.floats(0, 1))
def test_mutated_real_bytes(real: dict[str, bytes], kind: str,
                            edits: list[tuple[float, int]], cut: float) -> None:
    data = bytearray(real[kind])
    for where, byte in edits:
        data[int(where * (len(data) - 1))] = byte
    if cut < 0.3:
        data = data[: int(len(data) * cut / 0.3)]
    with contextlib.suppress(DecodeError):
        DECODERS[kind](bytes(data))
    facts = FAMILIES[kind](bytes(data) if kind != "lgb" else bytes(data).decode(
        "utf-8", errors="replace"))
    # Either the damage is said plainly, or what survived still decodes (a renamed key just
    # drops what it held).
    assert facts.notes or facts.trees is not None or facts.settings or facts.auxiliary


@pytest.mark.parametrize("kind", sorted(DECODERS))
@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=512))
def test_random_bytes(kind: str, data: bytes) -> None:
    prefix = {"ubj": b"{", "lgb": b"tree\nversion=v4\n", "cbm": b"CBM1"}[kind]
    for candidate in (data, prefix + data):
        with contextlib.suppress(DecodeError):
            DECODERS[kind](candidate)


def test_declared_sizes_are_checked_before_allocation() -> None:
    huge = b"[$d#L" + (2**40).to_bytes(8, "big")
    with pytest.raises(DecodeError, match="exceeds"):
        ubjson.loads_ubjson(huge)
    with pytest.raises(DecodeError, match="declares"):
        catboost_cbm.parse(b"CBM1" + (2**31).to_bytes(4, "little") + b"\0" * 8)


def test_broken_native_file_is_refused(tmp_path: Path, real: dict[str, bytes]) -> None:
    """A cut native file is not what it claims: refused (exit 2), not shown with a note
    (tests/load/test_booster_corrupt.py cuts and garbles files of every booster)."""
    path = tmp_path / "broken.cbm"
    path.write_bytes(real["cbm"][:200])
    with pytest.raises(CorruptFileError, match="not a readable catboost-cbm model"):
        inspect_file(path)


def test_booster_format_is_sniffed_by_content(real: dict[str, bytes]) -> None:
    assert booster_format(real["cbm"][:4096]) == "catboost-cbm"
    assert booster_format(real["lgb"][:4096]) == "lightgbm-text"
    assert booster_format(pickle.dumps({"a": 1})) is None
