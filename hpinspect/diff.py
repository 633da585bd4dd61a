"""Compare two :class:`~hpinspect.report.Report` objects: ``hpinspect diff A B``.

Nodes are matched by :attr:`Node.path`, attributes by name. Hyperparameters and auxiliary
attributes compare their JSON-safe values (NaN equals NaN, floats exactly); learned attributes
compare array layout first, then the classifier's verdict on the loaded values (through
:attr:`Attribute.handle`, an opaque handle whose ``compare`` the classifier implements), reporting
the largest absolute and relative difference. diff itself imports neither numpy nor the loader.
Nothing here prints; renderers live in :mod:`hpinspect.render.diff_render`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hpinspect.render.text import shape_text
from hpinspect.report import (
    CATEGORIES,
    Attribute,
    Category,
    Comparison,
    DiffStatus,
    Node,
    Report,
    RowCategory,
)

__all__ = ["DiffResult", "DiffRow", "DiffStatus", "RowCategory", "diff_reports"]


# Bounds on the recursive comparison of loaded values: a hostile or huge object graph must cost
# no more than a bounded walk (the loader already capped its size).
_MAX_DEPTH = 24


@dataclass(frozen=True)
class DiffRow:
    """One compared item: an attribute, a node, a library version or the safety verdict."""

    path: str
    """Node path (``""`` for the root, ``steps[1]`` …); ``""`` for version and safety rows."""
    name: str
    """Attribute name; ``""`` for node rows; the library for version rows; ``verdict`` or
    ``findings`` for safety rows."""
    category: RowCategory
    """Attribute category, or structure / version / safety."""
    a: str
    """Short text of the item in the first file (``""`` when absent)."""
    b: str
    """Short text of the item in the second file (``""`` when absent)."""
    status: DiffStatus
    """changed, added (only in B), removed (only in A) or equal."""
    detail: str = ""
    """What differs, e.g. ``shape (3,) → (4,)`` or ``values differ: max abs diff 0.5 …``."""
    param: str = ""
    """The get_params-style path ``check --expect`` takes (``clf__C``), for attributes of
    nested estimators."""
    a_value: Any = None
    """The JSON-safe value in the first file (``None`` when only a summary makes sense)."""
    b_value: Any = None
    """The JSON-safe value in the second file."""
    max_abs_diff: float | None = None
    """Largest absolute difference between the numbers of a changed learned value."""
    max_rel_diff: float | None = None
    """Largest relative difference (``|a - b| / max(|a|, |b|)``) of a changed learned value."""

    @property
    def location(self) -> str:
        """The label shown: ``clf__C`` (as check takes it), else ``path.name``, ``(root)``."""
        if self.param:
            return self.param
        if self.path and self.name:
            return f"{self.path}.{self.name}"
        return self.path or self.name or "(root)"


@dataclass(frozen=True)
class DiffResult:
    """Every row of a comparison between two reports."""

    a_path: str
    """Path of the first file, as given."""
    b_path: str
    """Path of the second file, as given."""
    rows: tuple[DiffRow, ...]
    """Differences (and equal rows when asked for), in model order."""
    ignored: tuple[Category, ...] = ()
    """Categories left out of the comparison."""
    reports: tuple[Report, Report] | None = field(default=None, compare=False, repr=False)
    """The two reports compared (for renderers that draw A and B themselves: HTML)."""

    @property
    def has_differences(self) -> bool:
        """True when any row is not ``equal``."""
        return any(row.status != DiffStatus.EQUAL for row in self.rows)

    @property
    def differences(self) -> tuple[DiffRow, ...]:
        """The rows that are not ``equal``."""
        return tuple(row for row in self.rows if row.status != DiffStatus.EQUAL)

    @property
    def largest_change(self) -> DiffRow | None:
        """The changed learned value whose numbers moved most (largest absolute difference),
        when at least two learned values changed numerically (one needs no pointing out)."""
        numeric = [row for row in self.rows
                   if row.status == DiffStatus.CHANGED and row.max_abs_diff is not None]
        if len(numeric) < 2:
            return None
        return max(numeric, key=lambda row: row.max_abs_diff or 0.0)


# --------------------------------------------------------------------------- JSON-safe values


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def json_equal(a: Any, b: Any, depth: int = 0) -> bool:
    """Exact equality of JSON-safe values; NaN equals NaN; ``1 == 1.0``; ``True != 1``."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if _is_number(a) and _is_number(b):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return bool(a == b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(
            json_equal(x, y, depth + 1) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k], depth + 1) for k in a)
    return type(a) is type(b) and bool(a == b)


# --------------------------------------------------------------------------- attribute rows


def _compare_value(a: Attribute, b: Attribute) -> Comparison:
    """How hyperparameters and auxiliary attributes compare: by value, else by summary."""
    if a.value is None and b.value is None:
        if a.kind != b.kind:
            return Comparison(False, detail=f"kind {a.kind} → {b.kind}")
        return Comparison(a.summary == b.summary)
    return Comparison(json_equal(a.value, b.value))


def _compare_learned(a: Attribute, b: Attribute) -> Comparison:
    """How learned attributes compare: layout, then loaded values, then statistics."""
    if a.stats is not None and b.stats is not None:
        changes: list[str] = []
        if not json_equal(a.stats.get("shape"), b.stats.get("shape")):
            changes.append(
                f"shape {shape_text(a.stats.get('shape'))} → {shape_text(b.stats.get('shape'))}"
            )
        if a.stats.get("dtype") != b.stats.get("dtype"):
            changes.append(f"dtype {a.stats.get('dtype')} → {b.stats.get('dtype')}")
        if changes:
            return Comparison(False, detail=", ".join(changes))
    elif (a.stats is None) != (b.stats is None):
        return Comparison(False, detail=f"kind {a.kind} → {b.kind}" if a.kind != b.kind
                          else "values differ")

    if a.handle is not None and b.handle is not None:
        loaded = a.handle.compare(b.handle)
        if not loaded.equal or not loaded.undetermined:
            return loaded
        # Part of the value was kept as statistics only: fall through to what the report has.

    if a.stats is not None and b.stats is not None:
        if json_equal(a.stats, b.stats):
            return Comparison(True)
        differing = sorted(k for k in a.stats.keys() | b.stats.keys()
                           if not json_equal(a.stats.get(k), b.stats.get(k)))
        return Comparison(False, detail=f"statistics differ ({', '.join(differing)})")
    return _compare_value(a, b)


def _attribute_row(node_path: str, a: Attribute, b: Attribute, prefix: str = "") -> DiffRow:
    category = RowCategory(b.category)
    if Category.LEARNED in (a.category, b.category):
        outcome = _compare_learned(a, b)
        category = RowCategory.LEARNED
    else:
        outcome = _compare_value(a, b)
    detail = outcome.detail
    if a.category != b.category:
        move = f"category {a.category} → {b.category}"
        detail = f"{move}; {detail}" if detail else move
    status = DiffStatus.EQUAL if outcome.equal else DiffStatus.CHANGED
    return DiffRow(node_path, a.name, category, a.summary, b.summary, status, detail,
                   _param(prefix, a.name), a_value=a.value, b_value=b.value,
                   max_abs_diff=outcome.max_abs_diff, max_rel_diff=outcome.max_rel_diff)


def _param(prefix: str, name: str) -> str:
    return f"{prefix}{name}" if prefix else ""


def _node_rows(a: Node, b: Node, ignore: frozenset[Category]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    if a.class_name != b.class_name:
        rows.append(DiffRow(a.path, "", RowCategory.STRUCTURE, a.short_class, b.short_class,
                            DiffStatus.CHANGED, f"class {a.class_name} → {b.class_name}"))
    elif a.fitted != b.fitted:
        rows.append(DiffRow(a.path, "", RowCategory.STRUCTURE, _fitted(a), _fitted(b),
                            DiffStatus.CHANGED, "fitted state changed"))
    else:
        rows.append(DiffRow(a.path, "", RowCategory.STRUCTURE, a.short_class, b.short_class,
                            DiffStatus.EQUAL))
    b_attrs = {attr.name: attr for attr in b.attributes}
    a_names = {attr.name for attr in a.attributes}
    for attr in a.attributes:
        other = b_attrs.get(attr.name)
        if other is None:
            if attr.category not in ignore:
                rows.append(DiffRow(a.path, attr.name, RowCategory(attr.category), attr.summary, "",
                                    DiffStatus.REMOVED, param=_param(a.param_prefix, attr.name)))
        elif attr.category not in ignore or other.category not in ignore:
            rows.append(_attribute_row(a.path, attr, other, a.param_prefix))
    for attr in b.attributes:
        if attr.name not in a_names and attr.category not in ignore:
            rows.append(DiffRow(b.path, attr.name, RowCategory(attr.category), "", attr.summary,
                                DiffStatus.ADDED,
                                param=_param(b.param_prefix, attr.name)))
    return rows


def _fitted(node: Node) -> str:
    return f"{node.short_class} ({'fitted' if node.fitted else 'not fitted'})"


# --------------------------------------------------------------------------- report rows


def _version_rows(a: Report, b: Report) -> list[DiffRow]:
    rows: list[DiffRow] = []
    a_saved, b_saved = a.versions.saved_with, b.versions.saved_with
    for lib in sorted(a_saved.keys() | b_saved.keys()):
        va, vb = a_saved.get(lib, ""), b_saved.get(lib, "")
        if not va:
            status = DiffStatus.ADDED
        elif not vb:
            status = DiffStatus.REMOVED
        else:
            status = DiffStatus.EQUAL if va == vb else DiffStatus.CHANGED
        detail = "" if status == DiffStatus.EQUAL else "saved with"
        rows.append(DiffRow("", lib, RowCategory.VERSION, va, vb, status, detail))
    return rows


def _finding_names(report: Report) -> set[str]:
    return {f"{f.global_name} ({f.severity})" for f in report.safety.findings
            if f.severity != "known"}


def _safety_rows(a: Report, b: Report) -> list[DiffRow]:
    va, vb = a.safety.verdict, b.safety.verdict
    verdict = DiffStatus.EQUAL if va == vb else DiffStatus.CHANGED
    rows = [DiffRow("", "verdict", RowCategory.SAFETY, va, vb, verdict)]
    fa, fb = _finding_names(a), _finding_names(b)
    if fa != fb:
        parts: list[str] = []
        if fb - fa:
            parts.append("only in B: " + ", ".join(sorted(fb - fa)))
        if fa - fb:
            parts.append("only in A: " + ", ".join(sorted(fa - fb)))
        rows.append(DiffRow("", "findings", RowCategory.SAFETY, _join(fa), _join(fb),
                            DiffStatus.CHANGED, "; ".join(parts)))
    else:
        rows.append(DiffRow("", "findings", RowCategory.SAFETY, _join(fa), _join(fb),
                            DiffStatus.EQUAL))
    return rows


def _join(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _index(nodes: Iterable[Node]) -> dict[str, Node]:
    index: dict[str, Node] = {}
    for node in nodes:
        index.setdefault(node.path, node)
    return index


def _ordered_paths(a: Sequence[Node], b: Sequence[Node]) -> list[str]:
    """Paths of both trees, in A's order with B-only paths after their nearest A neighbour."""
    order: list[str] = []
    seen: set[str] = set()
    for node in a:
        if node.path not in seen:
            seen.add(node.path)
            order.append(node.path)
    position = -1
    for node in b:
        if node.path in seen:
            position = order.index(node.path)
            continue
        seen.add(node.path)
        position += 1
        order.insert(position, node.path)
    return order


def diff_reports(a: Report, b: Report, ignore: frozenset[Category] = frozenset(),
                 include_equal: bool = False) -> DiffResult:
    """Compare two reports node by node and attribute by attribute.

    ``ignore`` leaves out attribute categories (``{"learned", "auxiliary"}`` asks "did the
    configuration change?"); ignoring ``auxiliary`` also leaves out saved-with versions, which
    are provenance. Structure (nodes added, removed or of another class) and safety are always
    compared. ``include_equal`` keeps the rows that did not change.
    """
    a_nodes, b_nodes = list(a.nodes()), list(b.nodes())
    a_index, b_index = _index(a_nodes), _index(b_nodes)
    rows: list[DiffRow] = []
    for path in _ordered_paths(a_nodes, b_nodes):
        na, nb = a_index.get(path), b_index.get(path)
        if na is not None and nb is not None:
            rows.extend(_node_rows(na, nb, ignore))
        elif na is not None:
            rows.append(DiffRow(path, "", RowCategory.STRUCTURE, na.short_class, "",
                                DiffStatus.REMOVED, f"node {na.class_name} only in A"))
        elif nb is not None:
            rows.append(DiffRow(path, "", RowCategory.STRUCTURE, "", nb.short_class,
                                DiffStatus.ADDED, f"node {nb.class_name} only in B"))
    if Category.AUXILIARY not in ignore:
        rows.extend(_version_rows(a, b))
    rows.extend(_safety_rows(a, b))
    if not include_equal:
        rows = [row for row in rows if row.status != DiffStatus.EQUAL]
    ignored = tuple(c for c in CATEGORIES if c in ignore)
    return DiffResult(a.file.path, b.file.path, tuple(rows), ignored, reports=(a, b))
