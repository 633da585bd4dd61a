"""Streaming array statistics (``load/arrays.py``) against numpy's own answers.

Counts, zeros, negatives, NaNs, min and max must be exact; mean and std equal numpy's to
rounding. A structured array's fields, summarised together in one scratch, must give exactly
what each field gives summarised on its own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpinspect.load.arrays import BLOCK_ELEMENTS, ArrayStats, StatsAccumulator, compute_stats

FIELD_TYPES = ["<i8", "<f8", "<f4", "u1", "?", "<i2", "<f2", "<u8"]


def _fill(rng: np.random.Generator, dtype: np.dtype[Any], size: int, odd: str) -> Any:
    if dtype.kind == "b":
        return rng.random(size) < 0.4
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low = max(int(info.min), -1000) if odd != "extreme" else int(info.min)
        high = min(int(info.max), 1000) if odd != "extreme" else int(info.max)
        return rng.integers(low, high, size, dtype=dtype, endpoint=True)
    values = rng.normal(3.0, 2.0, size).astype(dtype)
    if size and odd == "nan":
        values[rng.integers(0, size, max(1, size // 50))] = np.nan
    if size > 1 and odd == "inf":
        values[0], values[-1] = np.inf, -np.inf
    if size and odd == "zeros":
        values[: size // 3] = 0
    return values


def _reference(values: np.ndarray[Any, Any]) -> dict[str, Any]:
    as_float = values.astype(np.float64)
    finite = as_float[~np.isnan(as_float)]
    out: dict[str, Any] = {"count": values.size, "nans": int(np.isnan(as_float).sum()),
                           "zeros": int((finite == 0).sum()),
                           "negatives": int((finite < 0).sum()) if values.dtype.kind in "if"
                           else 0}
    if finite.size:
        out.update(min=float(finite.min()), max=float(finite.max()))
        with np.errstate(all="ignore"):
            out.update(mean=float(finite.mean()), std=float(finite.std()))
    return out


def _assert_matches(stats: ArrayStats, values: np.ndarray[Any, Any]) -> None:
    want = _reference(values)
    assert (stats.count, stats.nans, stats.zeros, stats.negatives) == \
        (want["count"], want["nans"], want["zeros"], want["negatives"])
    if "min" not in want:
        assert stats.min is None
        return
    assert (stats.min, stats.max) == (want["min"], want["max"])
    for name in ("mean", "std"):
        got, expected = getattr(stats, name), want[name]
        if math.isnan(expected) or math.isinf(expected):
            assert math.isnan(got) or got == expected
        else:
            scale = max(abs(want["min"]), abs(want["max"]), 1.0)
            assert abs(got - expected) <= 1e-9 * scale, (name, got, expected)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(FIELD_TYPES), min_size=1, max_size=8),
       st.integers(0, 3 * BLOCK_ELEMENTS // 8), st.integers(0, 2**32 - 1),
       st.sampled_from(["plain", "nan", "inf", "zeros", "extreme"]))
def test_structured_fields_equal_numpy_and_each_field_alone(types: list[str], size: int,
                                                            seed: int, odd: str) -> None:
    rng = np.random.default_rng(seed)
    dtype = np.dtype([(f"f{i}", t) for i, t in enumerate(types)])
    array = np.zeros(size, dtype=dtype)
    for name in dtype.names or ():
        array[name] = _fill(rng, dtype.fields[name][0], size, odd)  # type: ignore[index]
    stats = compute_stats(array)
    assert stats.count == size and stats.min is None
    assert list(stats.fields) == list(dtype.names or ())
    for name, field in stats.fields.items():
        _assert_matches(field, array[name])
        alone = compute_stats(np.ascontiguousarray(array[name]))
        assert (field.nans, field.zeros, field.negatives, field.min, field.max) == \
            (alone.nans, alone.zeros, alone.negatives, alone.min, alone.max)
        if len(types) * size <= BLOCK_ELEMENTS:  # one block either way: the same sums
            assert (field.mean, field.std) == (alone.mean, alone.std) or \
                (math.isnan(field.mean or 0.0) and math.isnan(alone.mean or 0.0))


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(FIELD_TYPES), st.integers(0, 3 * BLOCK_ELEMENTS),
       st.integers(0, 2**32 - 1), st.sampled_from(["plain", "nan", "inf", "zeros", "extreme"]),
       st.lists(st.integers(1, BLOCK_ELEMENTS * 2), min_size=1, max_size=5))
def test_streamed_chunks_equal_numpy(kind: str, size: int, seed: int, odd: str,
                                     chunks: list[int]) -> None:
    values = _fill(np.random.default_rng(seed), np.dtype(kind), size, odd)
    acc = StatsAccumulator((size,), values.dtype)
    start, step = 0, 0
    while start < size:
        end = start + chunks[step % len(chunks)]
        acc.update(values[start:end])
        start, step = end, step + 1
    _assert_matches(acc.result(), values)


def test_a_tree_node_array_from_scikit_learn(xy: tuple[Any, Any]) -> None:
    from sklearn.tree import DecisionTreeClassifier

    nodes = DecisionTreeClassifier(random_state=0).fit(*xy).tree_.__getstate__()["nodes"]
    stats = compute_stats(nodes)
    assert stats.fields["left_child"].negatives == int((nodes["left_child"] == -1).sum())
    for name in stats.fields:
        _assert_matches(stats.fields[name], nodes[name])
