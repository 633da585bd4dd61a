"""The fast paths of ``load/arrays.py`` give exactly what the general path gives.

A structured chunk's fields are copied into the float64 scratch in runs of same-typed fields
side by side in the record (``_Plan``); packed, byte-swapped, padded or non-contiguous records
take the field-by-field copy. Native contiguous float64 is reduced where it lies, with no copy
into the scratch. Each path must give every statistic bit for bit as the field (or array)
summarised on its own through the general copy, and agree with numpy.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_array_stats import _assert_matches
from test_array_stats import _fill as _fill_native

from hpinspect.load.arrays import BLOCK_ELEMENTS, ArrayStats, _plan_of, compute_stats

TYPES = ["<i8", "<f8", "<f4", "u1", "?", "<i2", "<f2", "<u8", ">f8", ">i4", "<u4"]
ODD = ["plain", "nan", "inf", "zeros", "extreme"]


def _key(stats: ArrayStats) -> tuple[Any, ...]:
    """Every statistic but the layout (a field's shape is ``()``), NaN made comparable."""
    floats = tuple("nan" if isinstance(v, float) and math.isnan(v) else v
                   for v in (stats.min, stats.max, stats.mean, stats.std))
    return (stats.dtype, stats.count, stats.nans, stats.zeros, stats.negatives, *floats)


def _fill(rng: np.random.Generator, dtype: np.dtype[Any], size: int, odd: str) -> Any:
    """test_array_stats' values, in any byte order."""
    return _fill_native(rng, dtype.newbyteorder("="), size, odd).astype(dtype)


def _general(values: np.ndarray[Any, Any]) -> ArrayStats:
    """The statistics through the general path: a big-endian float64 copy (never direct)."""
    stats = compute_stats(np.ascontiguousarray(values).astype(">f8"))
    return ArrayStats(stats.shape, str(values.dtype), values.nbytes, stats.count, stats.nans,
                      stats.zeros, stats.negatives if values.dtype.kind in "if" else 0,
                      stats.min, stats.max, stats.mean, stats.std)


def _record(types: list[str], layout: str) -> np.dtype[Any]:
    names = [f"f{i}" for i in range(len(types))]
    if layout == "aligned":
        return np.dtype(list(zip(names, types, strict=True)), align=True)
    if layout == "packed":
        return np.dtype(list(zip(names, types, strict=True)))
    offsets, at = [], 3  # padded: gaps, an odd start and an odd record size
    for kind in types:
        offsets.append(at)
        at += np.dtype(kind).itemsize + 5
    return np.dtype({"names": names, "formats": types, "offsets": offsets, "itemsize": at + 1})


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(TYPES), min_size=1, max_size=8),
       st.sampled_from(["aligned", "packed", "padded"]), st.integers(0, BLOCK_ELEMENTS // 8),
       st.integers(0, 2**32 - 1), st.sampled_from(ODD), st.booleans())
def test_record_fields_equal_each_field_alone(types: list[str], layout: str, size: int,
                                              seed: int, odd: str, strided: bool) -> None:
    rng = np.random.default_rng(seed)
    dtype = _record(types, layout)
    array = np.zeros(2 * size if strided else size, dtype=dtype)
    for name in dtype.names or ():
        array[name] = _fill(rng, dtype.fields[name][0], array.size, odd)  # type: ignore[index]
    chunk = array[::2] if strided else array  # non-contiguous: the field-by-field copy
    stats = compute_stats(chunk)
    assert list(stats.fields) == list(dtype.names or ())
    for name, field in stats.fields.items():
        _assert_matches(field, chunk[name])
        alone = compute_stats(np.ascontiguousarray(chunk[name]))
        assert _key(field) == _key(alone)
        if dtype.fields[name][0].kind == "f":  # type: ignore[index]
            assert _key(field) == _key(_general(chunk[name]))


def test_a_tree_node_record_is_copied_in_runs() -> None:
    from sklearn.tree._tree import NODE_DTYPE

    plan = _plan_of(NODE_DTYPE)
    assert sorted(plan.names) == sorted(NODE_DTYPE.names or ())
    assert not plan.loose and len(plan.runs) < len(plan.names)
    assert plan.signed == sum(NODE_DTYPE.fields[n][0].kind in "if"  # type: ignore[index]
                              for n in plan.names)
    covered = [row for first, count, _, _ in plan.runs for row in range(first, first + count)]
    assert covered == list(range(len(plan.names)))
    for first, count, sub, column in plan.runs:
        for row in range(first, first + count):
            field, offset = NODE_DTYPE.fields[plan.names[row]][:2]  # type: ignore[index]
            assert (field, offset) == (sub, (column + row - first) * sub.itemsize)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 3 * BLOCK_ELEMENTS), st.integers(0, 2**32 - 1), st.sampled_from(ODD),
       st.sampled_from(["C", "F", "strided"]))
def test_float64_in_place_equals_the_copied_path(size: int, seed: int, odd: str,
                                                 layout: str) -> None:
    values = _fill(np.random.default_rng(seed), np.dtype("<f8"), size, odd)
    if layout == "F" and size >= 6:
        values = np.asfortranarray(values[: size - size % 3].reshape(-1, 3))
    elif layout == "strided":
        values = values[::3]
    stats = compute_stats(values)
    _assert_matches(stats, values.ravel(order="K"))
    assert _key(stats) == _key(_general(values.ravel(order="K")))


def test_edge_values_on_every_path() -> None:
    cases = [
        np.array([], dtype="<f8"), np.array([-0.0, 0.0, -0.0]), np.array([np.nan] * 5),
        np.array([np.inf, -np.inf, 1.0]), np.array([np.inf, 2.0, np.inf]),
        np.array([0, 2**64 - 1, 2**63], dtype="<u8"), np.array([-(2**63), 2**63 - 1]),
        np.array([True, False, True]), np.array([65504, -65504, np.nan], dtype="<f2"),
        np.asfortranarray(np.arange(12.0).reshape(3, 4) - 5),
    ]
    for values in cases:
        record = np.zeros(values.size, dtype=[("a", values.dtype), ("b", "<f8")])
        record["a"] = values.ravel(order="K")
        alone, inside = compute_stats(values), compute_stats(record).fields["a"]
        _assert_matches(alone, values.ravel(order="K"))
        assert _key(inside) == _key(alone)


def test_threads_share_no_scratch() -> None:
    rng = np.random.default_rng(7)
    dtype = np.dtype([("a", "<i8"), ("b", "<f8"), ("c", "u1")], align=True)
    arrays = []
    for size in (100, 3000, 7000):
        array = np.zeros(size, dtype)
        for name in ("a", "b", "c"):
            array[name] = _fill(rng, dtype.fields[name][0], size, "plain")  # type: ignore[index]
        arrays.append(array)
    want = [[_key(f) for f in compute_stats(a).fields.values()] for a in arrays]
    got: list[list[Any]] = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(30):
                for array, expected in zip(arrays, want, strict=True):
                    keys = [_key(f) for f in compute_stats(array).fields.values()]
                    assert keys == expected
            got.append(want)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and len(got) == 3


def test_the_plan_caches_stay_bounded() -> None:
    from hpinspect.load import arrays

    for width in range(arrays.MAX_CACHED_DTYPES + 50):
        dtype = np.dtype([("a", "<f8"), ("b", f"S{width + 1}"), ("c", "<i4")])
        stats = compute_stats(np.zeros(3, dtype))
        assert list(stats.fields) == ["a", "c"] and stats.fields["c"].zeros == 3
    assert len(arrays._PLANS) <= arrays.MAX_CACHED_DTYPES
    assert len(arrays._NUMERIC_FIELDS) <= arrays.MAX_CACHED_DTYPES
