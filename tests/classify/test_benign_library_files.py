"""Ordinary files written by real libraries are not alarms (issue 11, item 5).

Each file is written here by the real library (LightGBM, pandas, CPython's ``random``, numpy,
scikit-learn) and inspected: verdict ``safe``, no finding above ``known``, and where hpinspect
summarises a value, the summary says what the library itself says (shape, dtype, columns).
The allowlist's argument rules are checked the other way round: the same names called with
arguments that are not inert are still findings.
"""

from __future__ import annotations

import json
import pickle
import random
import re
from pathlib import Path
from typing import Any

import joblib
import lightgbm
import numpy as np
import pandas as pd
import pytest
from helpers import run_cli  # tests/ is on sys.path
from sklearn.datasets import make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from hpinspect import inspect_file
from hpinspect.classify.kb import knowledge_base
from hpinspect.load.allowlist import ALLOWED, SKLEARN_MODULE_RENAMES, ArgRule
from hpinspect.load.policy import severity_of
from hpinspect.report import Report


def problems(report: Report) -> list[tuple[str, str]]:
    return [(f.global_name, f.severity) for f in report.safety.findings if f.severity != "known"]


def assert_benign(path: Path) -> Report:
    report = inspect_file(path)
    assert problems(report) == [], problems(report)
    assert report.safety.verdict == "safe"
    return report


def values(report: Report) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in report.nodes():
        out.update({a.name: a.summary for a in node.attributes})
    return out


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(n_samples=120, n_features=5, random_state=0)


# ----------------------------------------------------------------------------------- LightGBM
@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_lightgbm_classifier_and_booster(tmp_path: Path, xy: Any, dump: str) -> None:
    model = lightgbm.LGBMClassifier(n_estimators=4, num_leaves=4, verbose=-1).fit(*xy)
    for name, obj in (("clf", model), ("booster", model.booster_)):
        path = tmp_path / f"{name}.{dump}"
        if dump == "pickle":
            path.write_bytes(pickle.dumps(obj))
        else:
            joblib.dump(obj, path)
        assert b"defaultdict" in path.read_bytes() or name == "clf"
        report = assert_benign(path)
        names = {f.global_name for f in report.safety.findings}
        assert "collections.defaultdict" in names
    result = run_cli("check", str(tmp_path / f"clf.{dump}"))
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------------------------- pandas
def pandas_bundle() -> dict[str, Any]:
    return {
        "range": pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "f": [0.5, 1.5, 2.5]}),
        "str_index": pd.DataFrame({"v": [1.0, 2.0]}, index=pd.Index(["r1", "r2"])),
        "int_index": pd.DataFrame({"v": [1, 2]}, index=pd.Index([10, 20])),
        "dt_index": pd.DataFrame({"v": [1, 2]}, index=pd.DatetimeIndex(["2020-01-01",
                                                                          "2020-01-02"])),
        "multi": pd.DataFrame({"v": [1, 2]}, index=pd.MultiIndex.from_tuples([(1, "a"),
                                                                               (2, "b")])),
        "cat_index": pd.DataFrame({"v": [1, 2, 3]}, index=pd.CategoricalIndex(["a", "b", "a"])),
        "categorical_col": pd.DataFrame({"c": pd.Categorical(["u", "v", "u"]),
                                         "t": pd.to_datetime(["2021-05-01"] * 3)}),
        "series": pd.Series([1.0, 2.0, 3.0, 4.0], name="s"),
        "categorical": pd.Categorical(["a", "b", "a"]),
        "timestamp": pd.Timestamp("2020-01-01 12:30"),
        "range_index": pd.RangeIndex(7),
    }


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pandas_bundle(tmp_path: Path, protocol: int) -> None:
    bundle = pandas_bundle()
    path = tmp_path / "bundle.pkl"
    path.write_bytes(pickle.dumps(bundle, protocol=protocol))
    shown = values(assert_benign(path))
    for key, frame in bundle.items():
        if isinstance(frame, pd.DataFrame):
            rows, cols = frame.shape
            assert shown[key].startswith(f"DataFrame {rows}×{cols}, columns "
                                         f"{', '.join(map(str, frame.columns))}"), shown[key]
    assert shown["series"] == f"Series {len(bundle['series'])} rows, dtype float64"
    assert shown["range_index"] == "RangeIndex (7 entries)"
    assert shown["timestamp"].startswith("Timestamp 2020-01-01T12:30")
    assert "int64" in shown["int_index"] and "float64" in shown["str_index"]


def test_pandas_reconstructor_with_a_foreign_class_is_a_finding(tmp_path: Path) -> None:
    """``_new_Index(cls, d)`` runs ``cls.__new__``: cls must be a listed pandas class."""
    data = (b"\x80\x02cpandas.core.indexes.base\n_new_Index\ncrandom\nRandom\n}\x86R.")
    path = tmp_path / "foreign.pkl"
    path.write_bytes(data)
    report = inspect_file(path)
    assert ("pandas.core.indexes.base._new_Index", "unknown call") in problems(report)
    assert report.safety.verdict == "unsafe"


# ------------------------------------------------------------------------------------- random
@pytest.mark.parametrize("protocol", range(6))
def test_random_state(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / "r.pkl"
    path.write_bytes(pickle.dumps({"rng": random.Random(7), "state": random.Random(7).getstate()},
                                  protocol=protocol))
    assert_benign(path)


def test_python2_random_pickle(tmp_path: Path) -> None:
    """Python 2.7's protocol-0 layout: copy_reg._reconstructor(random.Random, object, None)."""
    state = random.Random(3).getstate()
    ints = "".join(f"I{v}\n" for v in state[1])
    data = (f"ccopy_reg\n_reconstructor\n(crandom\nRandom\nc__builtin__\nobject\nNtR"
            f"(I2\n({ints}tNtb.").encode("ascii")
    path = tmp_path / "py2.pkl"
    path.write_bytes(data)
    assert_benign(path)


# ----------------------------------------------------------------------------------- builtins
def reduce_call(module: str, name: str, args: bytes) -> bytes:
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + args + b"R."


@pytest.mark.parametrize("name", [n.split(".", 1)[1] for n, e in ALLOWED.items()
                                  if e.args is ArgRule.PLAIN and n.startswith("builtins.")])
def test_plain_builtins_with_plain_arguments(tmp_path: Path, name: str) -> None:
    args = {"ord": b"X\x01\x00\x00\x00a\x85", "chr": b"Ka\x85", "divmod": b"K\x07K\x02\x86",
            "round": b"G@\t!\xfbTD-\x18\x85", "format": b"K\x05X\x02\x00\x00\x0003\x86",
            "abs": b"J\xfb\xff\xff\xff\x85", "bin": b"K\x05\x85", "hex": b"K\x05\x85",
            "oct": b"K\x05\x85", "id": b"K\x05\x85", "hash": b"K\x05\x85"}.get(
        name, b"(K\x01K\x02K\x03l\x85")  # ([1, 2, 3],)
    path = tmp_path / "b.pkl"
    path.write_bytes(reduce_call("builtins", name, args))
    assert_benign(path)


def test_builtin_with_a_callable_argument_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "len.pkl"
    path.write_bytes(reduce_call("builtins", "len", b"cposix\nsystem\n\x85"))
    report = inspect_file(path)
    assert ("builtins.len", "unknown call") in problems(report)
    assert ("posix.system", "dangerous") in problems(report)


def test_defaultdict_factory_rules(tmp_path: Path) -> None:
    good = tmp_path / "good.pkl"
    good.write_bytes(pickle.dumps(__import__("collections").defaultdict(list, {"a": [1]})))
    assert_benign(good)
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(reduce_call("collections", "defaultdict",
                                b"cbuiltins\nlen\n(K\x01K\x02l\x85R\x85"))  # factory = a call
    assert ("collections.defaultdict", "unknown call") in problems(inspect_file(bad))


# ----------------------------------------------------------------------- old scikit-learn paths
def renamed_old(data: bytes) -> bytes:
    """A protocol-2 pickle whose module paths are the ones scikit-learn 0.20 wrote."""
    for old, new in SKLEARN_MODULE_RENAMES.items():
        data = data.replace(f"c{new}\n".encode(), f"c{old}\n".encode())
    return data


def test_sklearn_020_tfidf_sgd_pipeline(tmp_path: Path) -> None:
    docs = ["spam eggs", "ham spam", "eggs ham ham", "spam spam"] * 5
    labels = [0, 1, 1, 0] * 5
    pipe = Pipeline([("tfidf", TfidfVectorizer()), ("sgd", SGDClassifier(max_iter=20,
                                                                         tol=None))])
    pipe.fit(docs, labels)
    data = renamed_old(pickle.dumps(pipe, protocol=2))
    assert b"csklearn.linear_model.sgd_fast\nHinge\n" in data
    path = tmp_path / "old.pkl"
    path.write_bytes(data)
    report = assert_benign(path)
    assert "sklearn.linear_model.sgd_fast.Hinge" in {f.global_name for f in
                                                      report.safety.findings}


def test_sklearn_old_tree_paths(tmp_path: Path, xy: Any) -> None:
    for algorithm in ("kd_tree", "ball_tree"):
        model = KNeighborsClassifier(algorithm=algorithm).fit(*xy)
        data = renamed_old(pickle.dumps(model, protocol=2))
        assert f"sklearn.neighbors.{algorithm}".encode() in data
        path = tmp_path / f"{algorithm}.pkl"
        path.write_bytes(data)
        assert_benign(path)


def _renamed_types() -> list[tuple[str, str]]:
    backwards: dict[str, list[str]] = {}
    for old, new in SKLEARN_MODULE_RENAMES.items():
        backwards.setdefault(new, []).append(old)
    kb = knowledge_base()
    return [(f"{old}.{dotted.rsplit('.', 1)[1]}", dotted)
            for dotted in sorted(kb.known_classes)
            for old in backwards.get(dotted.rsplit(".", 1)[0], [])]


@pytest.mark.parametrize(("old", "new"), _renamed_types())
def test_every_kb_class_under_its_old_module(old: str, new: str) -> None:
    for uses in ({"referenced"}, {"instantiated"}, {"called"}):
        now = severity_of(new, set(uses))  # type: ignore[arg-type]
        before = severity_of(old, set(uses))  # type: ignore[arg-type]
        assert before[0] == now[0], (old, uses, before, now)


# -------------------------------------------------------------------------------------- numpy
@pytest.mark.parametrize("kind", ["rec", "char", "matrix", "masked"])
def test_numpy_subclasses(tmp_path: Path, kind: str) -> None:
    array = {
        "rec": np.rec.array([(1, 2.0), (3, 4.0)], dtype=[("a", "i4"), ("b", "f8")]),
        "char": np.char.array(["ab", "cde", "f"]),
        "matrix": np.matrix([[1, 2, 3], [4, 5, 6]]),
        "masked": np.ma.masked_array([1.0, 2.0, 3.0, 4.0], mask=[0, 1, 0, 1]),
    }[kind]
    path = tmp_path / f"{kind}.pkl"
    path.write_bytes(pickle.dumps({"x": array}))
    summary = values(assert_benign(path))["x"]
    shape = "×".join(map(str, array.shape))
    assert summary.endswith(f"({shape})") or f"({shape}) " in summary, summary
    if kind != "rec":
        assert array.dtype.str in summary, summary
    if kind == "masked":
        assert summary.endswith(f"masked={int(array.mask.sum())}")


def test_json_of_a_pandas_bundle_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "bundle.pkl"
    path.write_bytes(pickle.dumps(pandas_bundle()))
    result = run_cli("--format", "json", str(path))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["safety"]["verdict"] == "safe"
    assert re.search(r"DataFrame 3×3", result.stdout)
