"""Whether ``joblib.load`` and ``pickle.load`` build the same objects from one file.

A joblib file is read both ways (:mod:`hpinspect.load.pickle_file`). When both readings of the
first pickle finish and their converted graphs differ, the file shows different content to
different loaders -- a decoy technique (frames, array bytes that are opcodes, ...), reported as
a finding of its own with the verdict at least ``review``. A benign joblib file with arrays is
never read to its end by plain ``pickle.load`` (the array bytes are no opcodes), so it is not
compared.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hpinspect.load.objects import GlobalRef, ObjectArray, Stub
from hpinspect.report import Finding, Severity

MAX_PAIRS = 2_000_000
"""Pairs of objects compared at most; a larger graph is not judged (no claim either way)."""

LOADERS_FINDING = "(loaders)"
"""The global name of the finding (not a global of the file)."""

Pairs = list[tuple[Any, Any]] | None
"""The pairs still to compare, or ``None`` when the two objects differ."""


def _stub_pairs(a: Stub, b: Stub) -> Pairs:
    if a.how != b.how or a.ops != b.ops or a.builds != b.builds:
        return None
    return [(a.factory, b.factory), (a.args, b.args), (a.kwargs, b.kwargs),
            (a.state, b.state), (a.list_items, b.list_items), (a.dict_items, b.dict_items)]


def _sequence_pairs(a: Any, b: Any) -> Pairs:
    return list(zip(a, b, strict=True)) if len(a) == len(b) else None


def _dict_pairs(a: dict[Any, Any], b: dict[Any, Any]) -> Pairs:
    if len(a) != len(b):
        return None
    pairs = _sequence_pairs(list(a.items()), list(b.items()))
    return [*(pairs or []), (vars(a) if hasattr(a, "__dict__") else {},
                             vars(b) if hasattr(b, "__dict__") else {})]


def _set_pairs(a: Any, b: Any) -> Pairs:
    plain = all(isinstance(x, (str, int, float, bytes, bool, type(None))) for x in a)
    if len(a) != len(b) or (plain and a != b):
        return None
    return []


def _array_pairs(a: Any, b: Any) -> Pairs:
    import numpy as np

    if a.shape != b.shape or a.dtype != b.dtype:
        return None
    nan = a.dtype.kind in "fc"
    return [] if np.array_equal(a, b, equal_nan=nan) else None


def _object_pairs(a: ObjectArray, b: ObjectArray) -> Pairs:
    return list(zip(a.items, b.items, strict=True)) if a.shape == b.shape else None


def _float_pairs(a: float, b: float) -> Pairs:
    return [] if a == b or (math.isnan(a) and math.isnan(b)) else None


def _ref_pairs(a: GlobalRef, b: GlobalRef) -> Pairs:
    return [] if a.dotted == b.dotted else None


def _pairs_for(kind: type) -> Callable[[Any, Any], Pairs]:
    import numpy as np

    for base, compare in ((Stub, _stub_pairs), (GlobalRef, _ref_pairs), (dict, _dict_pairs),
                          (list, _sequence_pairs), (tuple, _sequence_pairs),
                          (set, _set_pairs), (frozenset, _set_pairs),
                          (np.ndarray, _array_pairs), (ObjectArray, _object_pairs),
                          (float, _float_pairs)):
        if issubclass(kind, base):
            return compare
    return lambda a, b: [] if a == b else None


def _legacy_array(joblib_value: Any, plain_value: Any) -> bool:
    """A joblib <= 0.9 wrapper that joblib.load replaced by its sidecar's array and plain
    pickle.load left as the wrapper: the one difference such a file always has."""
    from hpinspect.load.policy import LEGACY_JOBLIB_WRAPPERS

    return isinstance(plain_value, Stub) and plain_value.dotted in LEGACY_JOBLIB_WRAPPERS \
        and not (isinstance(joblib_value, Stub) and joblib_value.dotted == plain_value.dotted)


def same_objects(a: Any, b: Any) -> bool:
    """Whether two converted graphs are the same objects (types, values, calls, order)."""
    stack: list[tuple[Any, Any]] = [(a, b)]
    seen: set[tuple[int, int]] = set()
    while stack:
        x, y = stack.pop()
        key = (id(x), id(y))
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > MAX_PAIRS:
            return True
        if _legacy_array(x, y):
            continue
        if type(x) is not type(y):
            return False
        try:
            pairs = _pairs_for(type(x))(x, y)
        except (TypeError, ValueError):
            return False
        if pairs is None:
            return False
        stack.extend(pairs)
    return True


def loaders_finding(joblib_root: Any, plain_root: Any) -> Finding | None:
    """The finding when the two readings of a joblib file build different objects."""
    if same_objects(joblib_root, plain_root):
        return None
    return Finding(LOADERS_FINDING, Severity.UNKNOWN_CLASS,
                   "this file shows different content to different loaders: joblib.load and "
                   "plain pickle.load both read it to the end and build different objects "
                   "(the report shows joblib.load's)", "(root object)", False)
