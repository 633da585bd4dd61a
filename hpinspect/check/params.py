"""Parameters as ``check`` addresses them (get_params-style paths) and how values match.

Expected values compare with a small tolerance (:func:`values_match`); this is the rule's
notion of equality, not diff's (which is exact and lives with the classifier).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hpinspect.check.rules import ABS_TOL, REL_TOL
from hpinspect.report import Category, Report

PLAIN_KINDS = frozenset({"scalar", "string", "none", "list", "dict"})
"""Value kinds of non-hyperparameters that ``--expect`` can address too."""


@dataclass(frozen=True)
class Param:
    """One hyperparameter reachable by a get_params-style path."""

    path: str
    """``C``, ``clf__n_estimators``, ``best_estimator_.C``."""
    value: Any
    """JSON-safe value (None when only a summary exists)."""
    summary: str
    """Short text of the value."""
    kind: str
    """Attribute kind (scalar, string, none, list … or ``estimator`` for a step)."""
    classes: tuple[str, ...] = ()
    """For ``estimator`` entries: the dotted and the short class name."""



def param_map(report: Report) -> dict[str, Param]:
    """Every hyperparameter of every node by get_params-style path (first occurrence wins).

    A node reached through a ``name__`` prefix is also listed under ``name`` with its class,
    so ``--expect clf=RandomForestClassifier`` works like ``get_params()['clf']``.
    """
    params: dict[str, Param] = {}
    for node in report.nodes():
        for attr in node.by_category(Category.HYPERPARAMETER):
            params.setdefault(node.param_prefix + attr.name,
                              Param(node.param_prefix + attr.name, attr.value, attr.summary,
                                    attr.kind))
    for node in report.nodes():
        # Other attributes with a plain value (n_features_in_, a bundle's threshold) too.
        for attr in node.attributes:
            if attr.category != "hyperparameter" and attr.kind in PLAIN_KINDS:
                params.setdefault(node.param_prefix + attr.name,
                                  Param(node.param_prefix + attr.name, attr.value,
                                        attr.summary, attr.kind))
    for node in report.nodes():
        if node.param_prefix.endswith("__"):
            path = node.param_prefix[:-2]
            params.setdefault(path, Param(path, node.class_name, node.short_class, "estimator",
                                          (node.class_name, node.short_class)))
    return params


def is_number(x: Any) -> bool:
    """An int or float, not a bool."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def values_match(expected: Any, actual: Any, depth: int = 0) -> bool:
    """Expected against actual: floats with a small tolerance, ``1 == 1.0``, NaN == NaN."""
    if depth > 32:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if is_number(expected) and is_number(actual):
        e, a = float(expected), float(actual)
        if math.isnan(e) or math.isnan(a):
            return math.isnan(e) and math.isnan(a)
        if isinstance(expected, int) and isinstance(actual, int):
            return expected == actual
        return math.isclose(e, a, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(
            values_match(e, a, depth + 1) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return (set(map(str, expected)) == set(map(str, actual))
                and all(values_match(v, _get(actual, k), depth + 1) for k, v in expected.items()))
    return type(expected) is type(actual) and bool(expected == actual)


def _get(mapping: Mapping[Any, Any], key: Any) -> Any:
    if key in mapping:
        return mapping[key]
    for k, v in mapping.items():
        if str(k) == str(key):
            return v
    return None


def param_matches(expected: Any, param: Param) -> bool:
    if param.kind == "estimator":
        return isinstance(expected, str) and expected in param.classes
    if param.value is None and param.kind not in ("none", "scalar"):
        # Only a summary exists (a callable, an object …): compare text with text.
        return isinstance(expected, str) and expected == param.summary
    if isinstance(expected, str) and not isinstance(param.value, str):
        return expected == param.summary
    return values_match(expected, param.value)


def value_text(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    try:
        return json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return repr(value)


def actual_text(param: Param) -> str:
    if param.kind == "estimator":
        return param.summary
    if param.value is None and param.kind not in ("none", "scalar"):
        return param.summary
    return value_text(param.value)


