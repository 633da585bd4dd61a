"""The conversion's shortcuts give what the full walk gives, and what a real load builds.

A plain numpy array is one node of the conversion's walk (its state tuple, shape and shape
argument are walked past); the walk is redone in full when a file reaches one of those tuples
another way. The GlobalRefs ``locate`` looks for are only those a conversion placed in its
graph. Stand-in classes record BUILD/APPEND on the class itself as before. Each file is built
here: real fitted models and arrays (numpy's own pickles), and crafted opcodes where a writer
never shares what a crafted file may.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import run_cli
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

from hpinspect.errors import LimitExceededError
from hpinspect.load.convert import convert
from hpinspect.load.limits import Limits
from hpinspect.load.objects import ArrayStub, GlobalRef, ObjectArray, Stub
from hpinspect.load.unpickler import Session, budget_stream, read_pickle


def _converted(data: bytes, *, shortcut: bool = True, depth: int = 1_000) -> Any:
    session = Session(Limits(max_depth=depth), "test.pkl", 1 << 30)
    raw = read_pickle(budget_stream(io.BytesIO(data), session), session)
    return convert(raw, session, shortcut=shortcut)


def _shape_of(value: Any, seen: dict[int, int]) -> Any:
    """A comparable picture of a converted graph: types, values, array bytes, and which
    objects are one object (shared references and cycles by first-visit number)."""
    if id(value) in seen:
        return ("same-as", seen[id(value)])
    seen[id(value)] = len(seen)
    if isinstance(value, np.ndarray):
        return ("array", str(value.dtype), value.shape, bool(value.flags.f_contiguous),
                value.tobytes())
    if isinstance(value, Stub):
        return ("stub", value.dotted, _shape_of(value.args, seen), _shape_of(value.state, seen),
                _shape_of(value.list_items, seen), _shape_of(value.dict_items, seen))
    if isinstance(value, GlobalRef):
        return ("global", value.dotted)
    if isinstance(value, ObjectArray):
        return ("objects", value.shape, _shape_of(value.items, seen))
    if isinstance(value, ArrayStub):
        return ("stub-array", value.shape, str(value.dtype), value.stats.nbytes)
    if isinstance(value, dict):
        return ("dict", type(value).__name__,
                [(_shape_of(k, seen), _shape_of(v, seen)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_shape_of(v, seen) for v in value])
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, sorted(repr(_shape_of(v, {})) for v in value))
    return ("value", type(value).__name__, repr(value))


def _same_both_ways(data: bytes) -> Any:
    fast, full = _converted(data), _converted(data, shortcut=False)
    assert _shape_of(fast, {}) == _shape_of(full, {})
    return fast


def _odd_arrays() -> dict[str, Any]:
    shared = np.arange(12.0).reshape(3, 4)
    cycle: list[Any] = [np.arange(3)]
    cycle.append(cycle)
    return {
        "shared": shared, "again": shared, "in_tuple": (shared, np.arange(2), "x"),
        "frozen": frozenset({(1, 2), 3}), "cycle": cycle,
        "structured": np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8", (2,)), ("c", "S3")]),
        "f16": np.arange(6, dtype=np.float16), "u64": np.array([2**64 - 1, 0], dtype=np.uint64),
        "bool": np.array([True, False]), "empty": np.empty((0, 3)),
        "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        "big_endian": np.arange(4, dtype=">i4"), "dates": np.array(["2020-01-01"], dtype="M8[D]"),
        "objects": np.array([1, "a", None], dtype=object), "scalar": np.float64(2.5),
    }


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_arrays_convert_as_numpy_built_them(protocol: int) -> None:
    original = _odd_arrays()
    got = _same_both_ways(pickle.dumps(original, protocol=protocol))
    for key in ("shared", "structured", "f16", "u64", "bool", "empty", "fortran", "big_endian",
                "dates"):
        want = original[key]
        assert got[key].dtype == want.dtype and got[key].shape == want.shape
        assert got[key].tobytes(order="A") == want.tobytes(order="A")
        assert got[key].flags.f_contiguous == want.flags.f_contiguous
    assert got["again"] is got["shared"] and got["in_tuple"][0] is got["shared"]
    assert got["cycle"][1] is got["cycle"] and list(got["cycle"][0]) == [0, 1, 2]
    assert got["objects"].items == (1, "a", None) and got["scalar"] == np.float64(2.5)


def test_fitted_ensembles_convert_the_same_both_ways() -> None:
    x, y = make_classification(n_samples=120, n_features=5, random_state=0)
    forest = RandomForestClassifier(n_estimators=30, max_depth=3, random_state=0).fit(x, y)
    boost = GradientBoostingClassifier(n_estimators=20, max_depth=2, random_state=0).fit(x, y)
    for model in (forest, boost):
        got = _same_both_ways(pickle.dumps(model, protocol=4))
        trees = got.state["estimators_"]
        first = trees[0] if isinstance(trees, list) else trees.items[0]
        nodes = first.state["tree_"].state["nodes"]
        real = (model.estimators_[0] if isinstance(model, RandomForestClassifier)
                else model.estimators_[0, 0]).tree_.__getstate__()["nodes"]
        assert nodes.dtype == real.dtype and nodes.tobytes() == real.tobytes()


def _ops(*parts: bytes) -> bytes:
    return b"".join(parts)


def _int_array_with_state_memo(values: list[int]) -> bytes:
    """``_reconstruct(ndarray, (0,), b'b')`` + BUILD ``(1, (n,), dtype('i8'), False, data)``,
    the state tuple stored in memo slot 1."""
    data = struct.pack(f"<{len(values)}q", *values)
    return _ops(
        b"cnumpy.core.multiarray\n_reconstruct\n", b"cnumpy\nndarray\n", b"K\x00\x85C\x01b\x87R",
        b"(K\x01K", bytes([len(values)]), b"\x85",
        b"cnumpy\ndtype\nX\x02\x00\x00\x00i8\x89\x88\x87R",
        b"(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb",
        b"\x89C", bytes([len(data)]), data, b"tq\x01b")


def _real_repr(path: Path, shown: str = "x") -> str:
    """repr() of ``shown`` for what a real ``pickle.load`` builds (``x``; numpy names only;
    in a child)."""
    code = ("import pickle, sys\nx = pickle.load(open(sys.argv[1], 'rb'))\n"
            f"print(repr({shown}))")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=True, timeout=60).stdout.strip()


def test_a_state_tuple_reached_twice_is_walked_in_full(tmp_path: Path) -> None:
    data = _ops(b"\x80\x02](", _int_array_with_state_memo([5, 6, 7]), b"h\x01e.")
    path = tmp_path / "shared-state.pkl"
    path.write_bytes(data)
    got = _same_both_ways(data)
    assert isinstance(got[0], np.ndarray) and isinstance(got[1], tuple)
    shown = "(x[0].tolist(), x[1][0], x[1][1], str(x[1][2]), x[1][3], x[1][4])"
    assert repr(eval(shown, {"x": got})) == _real_repr(path, shown)


@pytest.mark.parametrize("levels", [5, 6, 7, 8, 9])
def test_the_nesting_limit_counts_what_the_full_walk_counts(levels: int) -> None:
    value: Any = np.arange(3)
    for _ in range(levels):
        value = [value]
    data = pickle.dumps({"a": np.arange(2), "deep": value} if levels % 2 else value, protocol=4)
    outcomes = []
    for shortcut in (True, False):
        try:
            _converted(data, shortcut=shortcut, depth=10)
            outcomes.append("read")
        except LimitExceededError as exc:
            outcomes.append(exc.message)
    assert outcomes[0] == outcomes[1]
    # the deepest node: the dtype's state (first seen here) or the deep array's shape
    assert outcomes[0] == ("read" if levels <= 7 else
                           "objects nest deeper than 10 levels (raise it with --max-depth)")


def _finding(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found = [f for f in doc["safety"]["findings"] if f["global"] == name]
    assert len(found) == 1, doc["safety"]["findings"]
    return found[0]


def test_a_consumed_constructor_is_placed_where_the_file_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "dtype-class.pkl"
    path.write_bytes(pickle.dumps({"a": np.arange(3), "kind": np.dtype}, protocol=4))
    doc = json.loads(run_cli("--format", "json", str(path)).stdout)
    assert _finding(doc, "numpy.dtype")["path"] == "['kind']"
    assert _finding(doc, "numpy.ndarray")["path"] == "(consumed while loading)"


def test_a_global_named_twice_is_placed_by_its_first_reference(tmp_path: Path) -> None:
    path = tmp_path / "twice.pkl"  # protocol 0: two GLOBAL opcodes, two find_class calls
    path.write_bytes(b"(dp0\nVa\ncnumpy\nfloat64\nsVb\ncnumpy\nfloat64\ns.")
    assert _real_repr(path) == "{'a': <class 'numpy.float64'>, 'b': <class 'numpy.float64'>}"
    doc = json.loads(run_cli("--format", "json", str(path)).stdout)
    assert _finding(doc, "numpy.float64")["path"] == "['a']"


@pytest.mark.parametrize(("ops", "method"), [(b"}b", "__setstate__"), (b"K\x00a", "extend")])
def test_build_and_append_on_a_class_are_recorded(tmp_path: Path, ops: bytes,
                                                  method: str) -> None:
    path = tmp_path / "on-class.pkl"
    path.write_bytes(b"\x80\x02csklearn.linear_model._logistic\nLogisticRegression\n" + ops
                     + b".")
    doc = json.loads(run_cli("--format", "json", str(path)).stdout)
    finding = _finding(doc, "sklearn.linear_model._logistic.LogisticRegression")
    assert finding["severity"] == "unknown call"
    assert f"a real load calls {method} on the" in finding["detail"]
