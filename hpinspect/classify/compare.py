"""Compare two loaded values (the object graphs the classifier saw): ``diff``'s learned rows.

This is the layer that knows loaded values (numpy arrays, :class:`~hpinspect.load.objects.Stub`,
:class:`~hpinspect.load.objects.ArrayStub`), so the walk lives here. The classifier attaches a
:class:`LoadedValue` (made by :func:`handle_for`) to each attribute as its opaque
:attr:`~hpinspect.report.Attribute.handle`; ``diff`` receives only the
:class:`~hpinspect.report.Comparison`: equal, undetermined (statistics only) or the detail of
what differs. Bounded: a
hostile or huge graph costs no more than 100,000 visits, 24 levels deep.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpinspect.classify.values import tree_facts, values_equal
from hpinspect.classify.versions import MARKERS
from hpinspect.load.objects import ArrayStub, GlobalRef, ObjectArray, Stub
from hpinspect.render.text import format_float
from hpinspect.report import Comparison, ValueHandle

__all__ = ["LoadedValue", "compare_loaded", "handle_for"]

_MAX_DEPTH = 24
_MAX_ITEMS = 100_000
DIFF_DIGITS = 6
"""Significant digits of the largest differences in a detail."""


@dataclass(frozen=True, eq=False)
class LoadedValue:
    """The :class:`~hpinspect.report.ValueHandle` of one loaded value."""

    value: Any = field(repr=False)

    def compare(self, other: ValueHandle) -> Comparison:
        """Walk both values together; a foreign handle is simply "different"."""
        if not isinstance(other, LoadedValue):
            return Comparison(False, False, "values differ")
        return compare_loaded(self.value, other.value)


def handle_for(value: Any) -> LoadedValue | None:
    """The handle the classifier attaches to an attribute (None for a loaded ``None``)."""
    return None if value is None else LoadedValue(value)


def compare_loaded(a: Any, b: Any) -> Comparison:
    """Walk two loaded values together (arrays elementwise, stubs field by field)."""
    cmp = _Compare()
    try:
        cmp.walk(a, b)
    except RecursionError:  # e.g. comparing 990-deep tuple keys recurses in C
        cmp.undetermined = True
    if cmp.equal:
        return Comparison(True, cmp.undetermined, "")
    numeric = cmp.numeric_diff
    return Comparison(False, cmp.undetermined, _tree_change(a, b) or cmp.detail(),
                      max_abs_diff=cmp.max_abs if numeric else None,
                      max_rel_diff=cmp.max_rel if numeric else None)


def _tree_stats(value: Any) -> dict[str, int] | None:
    """Trees, nodes, leaves and deepest level of a tree or a list (or object array) of
    fitted tree estimators, else None."""
    members = list(value.items) if isinstance(value, ObjectArray) \
        else value if isinstance(value, list) else [value]
    facts = []
    for member in members[:10_000]:
        tree = member.attrs.get("tree_", member) if isinstance(member, Stub) else None
        found = tree_facts(tree) if isinstance(tree, Stub) else None
        if found is None:
            return None
        facts.append(found)
    if not facts:
        return None
    return {"trees": len(facts), "nodes": sum(f["node_count"] for f in facts),
            "leaves": sum(f["leaves"] or 0 for f in facts),
            "max depth": max(f["max_depth"] or 0 for f in facts)}


def _tree_change(a: Any, b: Any) -> str | None:
    """``nodes 612 → 640, leaves 316 → 330; split values differ`` for trees and forests."""
    sa, sb = _tree_stats(a), _tree_stats(b)
    if sa is None or sb is None:
        return None
    changed = [f"{key} {sa[key]} → {sb[key]}" for key in sa if sa[key] != sb[key]]
    same = [f"{key} {sa[key]}" for key in sa if sa[key] == sb[key]]
    text = ", ".join(changed) if changed else "same shape (" + ", ".join(same) + ")"
    return f"{text}; splits or leaf values differ"


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class _Compare:
    """Accumulates how two loaded values differ while walking them together."""

    def __init__(self) -> None:
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.numeric_diff = False
        self.nan_mismatch = False
        self.other_diff = False
        self.undetermined = False
        self.items = 0

    @property
    def equal(self) -> bool:
        return not (self.numeric_diff or self.nan_mismatch or self.other_diff)

    def detail(self) -> str:
        parts: list[str] = []
        if self.numeric_diff:
            parts.append(
                f"values differ: max abs diff {_magnitude(self.max_abs)}, "
                f"max rel diff {_magnitude(self.max_rel)}"
            )
        if self.nan_mismatch:
            parts.append("NaN positions differ")
        if self.other_diff:
            parts.append("values differ" if not parts else "other values differ")
        return "; ".join(parts)

    def walk(self, a: Any, b: Any, depth: int = 0) -> None:
        self.items += 1
        if depth > _MAX_DEPTH or self.items > _MAX_ITEMS:
            self.undetermined = True
            return
        if isinstance(a, np.generic):
            a = a.item()
        if isinstance(b, np.generic):
            b = b.item()
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            self._arrays(a, b)
        elif isinstance(a, ObjectArray) or isinstance(b, ObjectArray):
            self._object_arrays(a, b)
        elif isinstance(a, ArrayStub) or isinstance(b, ArrayStub):
            self._stubs(a, b)
        elif _is_number(a) and _is_number(b):
            if isinstance(a, int) and isinstance(b, int) and max(
                    a.bit_length(), b.bit_length()) > 1000:  # beyond float: compare exactly
                self.other_diff = self.other_diff or a != b
            else:
                self._scalars(float(a), float(b))
        elif not self._containers(a, b, depth):
            self._plain(a, b)

    def _containers(self, a: Any, b: Any, depth: int) -> bool:
        """Walk stubs, lists/tuples and dicts together; False when neither is one."""
        if isinstance(a, Stub) and isinstance(b, Stub):
            if a.dotted != b.dotted:
                self.other_diff = True
                return True
            self.walk(a.args, b.args, depth + 1)
            self.walk(a.kwargs, b.kwargs, depth + 1)
            self.walk(_fitted_state(a.dotted, a.state), _fitted_state(b.dotted, b.state),
                      depth + 1)
            self.walk(a.list_items, b.list_items, depth + 1)
            self.walk(a.dict_items, b.dict_items, depth + 1)
        elif isinstance(a, GlobalRef) and isinstance(b, GlobalRef):
            self.other_diff = self.other_diff or a.dotted != b.dotted
        elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            if type(a) is not type(b) or len(a) != len(b):
                self.other_diff = True
                return True
            for x, y in zip(a, b, strict=True):
                self.walk(x, y, depth + 1)
        elif isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                self.other_diff = True
                return True
            for key in a:
                self.walk(a[key], b[key], depth + 1)
        else:
            return False
        return True

    def _plain(self, a: Any, b: Any) -> None:
        try:
            same = type(a) is type(b) and bool(a == b)
        except Exception:
            same = False
        if not same:
            self.other_diff = True

    def _scalars(self, a: float, b: float) -> None:
        a_nan, b_nan = math.isnan(a), math.isnan(b)
        if a_nan or b_nan:
            if a_nan != b_nan:
                self.nan_mismatch = True
            return
        if a == b:
            return
        self._record(abs(a - b), max(abs(a), abs(b)))

    def _record(self, abs_diff: float, scale: float) -> None:
        self.numeric_diff = True
        self.max_abs = max(self.max_abs, abs_diff)
        rel = abs_diff / scale if scale > 0 else (math.inf if abs_diff else 0.0)
        self.max_rel = max(self.max_rel, rel)

    def _stubs(self, a: Any, b: Any) -> None:
        # Only statistics were kept for at least one side: equal statistics cannot prove
        # equal values, so the verdict is "equal as far as we can tell".
        a_stats = a.stats if isinstance(a, ArrayStub) else None
        b_stats = b.stats if isinstance(b, ArrayStub) else None
        if a_stats is None or b_stats is None:
            if not (isinstance(a, np.ndarray) or isinstance(b, np.ndarray)):
                self.other_diff = True
                return
            self.undetermined = True
            return
        if a.shape != b.shape or str(a.dtype) != str(b.dtype) or not values_equal(
            _as_mapping(a_stats), _as_mapping(b_stats)
        ):
            self.other_diff = True
        else:
            self.undetermined = True

    def _arrays(self, a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> None:
        if a.shape != b.shape or a.dtype != b.dtype:
            self.other_diff = True
            return
        if a.dtype.names:
            for name in a.dtype.names:
                self._arrays(a[name], b[name])
            return
        kind = a.dtype.kind
        if kind == "b":
            self.other_diff = self.other_diff or not np.array_equal(a, b)
        elif kind in "iuf":
            self._real_arrays(a, b)
        elif kind == "c":
            with np.errstate(invalid="ignore"):
                if not np.array_equal(a, b, equal_nan=True):
                    diff = np.abs(a - b)
                    self._record(float(np.nanmax(diff)), float(np.nanmax(np.abs(a))) or 1.0)
        else:
            self._raw_arrays(a, b)

    def _object_arrays(self, a: Any, b: Any) -> None:
        if not (isinstance(a, ObjectArray) and isinstance(b, ObjectArray)) or \
                a.shape != b.shape:
            self.other_diff = True
            return
        for x, y in zip(a.items, b.items, strict=True):
            self.walk(x, y, 1)

    def _real_arrays(self, a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> None:
        af = a.astype(np.float64, copy=False)
        bf = b.astype(np.float64, copy=False)
        a_nan, b_nan = np.isnan(af), np.isnan(bf)
        if not np.array_equal(a_nan, b_nan):
            self.nan_mismatch = True
        both = ~(a_nan | b_nan)
        if not both.any():
            return
        av, bv = af[both], bf[both]
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(av - bv)
        if not diff.any():
            return
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            scale = np.maximum(np.abs(av), np.abs(bv))
            rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), 0.0)
        self.numeric_diff = True
        self.max_abs = max(self.max_abs, float(np.nanmax(diff)))
        self.max_rel = max(self.max_rel, float(np.nanmax(rel)))

    def _raw_arrays(self, a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> None:
        try:
            same = bool(np.array_equal(a, b))
        except (TypeError, ValueError):  # exotic dtypes: fall back to the raw bytes
            same = a.tobytes() == b.tobytes()
        if not same:
            self.other_diff = True


def _magnitude(x: float) -> str:
    return format_float(x, DIFF_DIGITS, mark_float=False)


def _fitted_state(dotted: str, state: Any) -> Any:
    """For a nested estimator, only what the classifier calls learned is a learned value.

    The decision is the classifier's own (:func:`hpinspect.classify.sklearn.classify_name`, no
    user overrides), not a second reading of the naming convention. Configuration, diagnostics
    and provenance are compared in the nested node's own rows (or, for members shown as a
    group, through the parent's hyperparameters); walking them here would report a changed
    seed, ``n_iter_`` or ``_sklearn_version`` as "learned values differ".
    """
    if not (isinstance(state, dict) and any(key in state for key in MARKERS)):
        return state
    from hpinspect.classify.sklearn import learned_names  # the classifier imports this module

    return {key: state[key] for key in learned_names(dotted, state)}


def _as_mapping(stats: Any) -> Mapping[str, Any]:
    if isinstance(stats, Mapping):
        return stats
    fields = getattr(stats, "__dataclass_fields__", None)
    if fields is not None:
        return {name: getattr(stats, name) for name in fields}
    return {"repr": repr(stats)}
