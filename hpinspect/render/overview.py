"""The overview: a few lines per estimator, then one line each for safety, versions and file.

Renderer-neutral: :func:`overview_lines` turns a :class:`~hpinspect.report.Report` into a tuple
of frozen :class:`OverviewLine` values made of :class:`Segment` values, each with a
:class:`Tone` saying what it is (a class name, a changed setting, a warning ...). The terminal,
Markdown and HTML renderers draw the same lines in their own way. Segments with ``from_file``
set carry text taken from the file (labels, class names, values): renderers must treat them as
untrusted text.

An estimator line reads like scikit-learn's ``repr`` with ``print_changed_only``:
``clf: SVC(C=2.0, gamma='scale' → 0.2917)``, then the column routing of a ColumnTransformer
step (``← age, income``) and the key learned facts (classes with their labels, features with
their names, support vectors, trees and depth, clusters, components, parameter count,
best score, convergence).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from hpinspect.classify.versions import skew_text
from hpinspect.render.text import human_size
from hpinspect.report import Attribute, Category, Group, Node, NodeKind, Report, Versions

__all__ = [
    "LineKind",
    "OverviewLine",
    "Segment",
    "Tone",
    "item_list",
    "overview_lines",
    "readable_value",
    "split_members",
]

MAX_LISTED = 8
"""Labels, names or categories listed before the rest are counted (``… 12 in all``)."""
MAX_INLINE_PARAMS = 8
"""Changed settings shown inline before the rest are counted."""
RESOLVED_ROLES = ("selected during fit", "resolved during fit")
SMALL_FLOATS = 6
"""Float arrays up to this many values are shown as their values, longer ones by statistics."""


class Tone(StrEnum):
    """What a segment is, for styling."""

    PLAIN = "plain"
    GUIDE = "guide"
    LABEL = "label"
    CLASS = "class"
    PARAM = "param"
    FITTED = "fitted"
    FACT = "fact"
    GOOD = "good"
    WARN = "warn"
    BAD = "bad"
    DIM = "dim"
    KEY = "key"


class LineKind(StrEnum):
    """What an overview line describes."""

    ESTIMATOR = "estimator"
    TEMPLATE = "template"
    GROUP = "group"
    SAFETY = "safety"
    VERSIONS = "versions"
    FILE = "file"


@dataclass(frozen=True)
class Segment:
    """A run of text with one tone."""

    text: str
    tone: Tone = Tone.PLAIN
    from_file: bool = False


@dataclass(frozen=True)
class OverviewLine:
    """One line of the overview; ``guide`` is the tree drawing before the segments."""

    kind: LineKind
    depth: int
    guide: str
    segments: tuple[Segment, ...]
    path: str = ""

    @property
    def text(self) -> str:
        """The plain text of the line."""
        return self.guide + "".join(segment.text for segment in self.segments)


# ----------------------------------------------------------------------------- value display


def _scalar_text(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        text = f"{value:.4g}"
        return text if any(c in text for c in ".en") else text + ".0"
    return str(value)


def _plain_items(attr: Attribute) -> list[Any] | None:
    """The elements of a small 1-D array or list of scalars, else None."""
    value = attr.value
    if isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
        return value
    items = attr.items
    if items is not None and all(isinstance(v, (str, int, float, bool)) for v in items):
        return items
    return None


def _count_text(items: Sequence[Any], count: int | None) -> str:
    """:func:`item_list` with the true count when the report kept only the first items."""
    if count is not None and count > len(items) and len(items) > MAX_LISTED:
        return ", ".join(_scalar_text(item) for item in items[:MAX_LISTED]) + f", … ({count})"
    return item_list(items)


def _nested_items(attr: Attribute) -> list[list[Any]] | None:
    """One list per array of a list of arrays (``categories_``), else None."""
    items = attr.items
    if items and all(isinstance(v, list) for v in items):
        return items
    return None


def item_list(items: Sequence[Any], limit: int = MAX_LISTED) -> str:
    """``a, b, c`` or ``a, b, … (12)`` for long lists."""
    shown = [_scalar_text(item) for item in items[:limit]]
    if len(items) > limit:
        return ", ".join(shown) + f", … ({len(items)})"
    return ", ".join(shown)


def readable_value(attr: Attribute) -> str:
    """The value as a person reads it: one-element arrays as their value, labels as labels.

    Falls back to the classifier's summary (shape, dtype and statistics) for numeric arrays.
    """
    if attr.kind == "array":
        items = _plain_items(attr)
        if items is not None and len(items) == 1:
            return _scalar_text(items[0])
        if items is not None and (not items or not isinstance(items[0], float)
                                  or len(items) <= SMALL_FLOATS):
            return f"[{_count_text(items, attr.item_count)}]"
    nested = _nested_items(attr) if attr.kind == "list" else None
    if nested:
        parts = [f"[{item_list(v, 6)}]" for v in nested[:MAX_LISTED]]
        return "[" + ", ".join(parts) + ("]" if len(nested) <= MAX_LISTED else ", …]")
    return attr.summary


# ------------------------------------------------------------------------------ the overview


def overview_lines(report: Report, show_all: bool = False) -> tuple[OverviewLine, ...]:
    """The whole overview of one report: estimator tree, then safety, versions and file."""
    lines = list(_tree_lines(report.model, 0, "", "", show_all, {}))
    lines.append(_safety_line(report))
    lines.append(_versions_line(report.versions))
    lines.append(_file_line(report))
    return tuple(lines)


def _is_template(node: Node, parent_fitted: bool) -> bool:
    return parent_fitted and node.known and not node.fitted and node.kind is not NodeKind.BUNDLE


def _tree_lines(node: Node, depth: int, guide: str, child_guide: str, show_all: bool,
                routing: Mapping[str, str], parent_fitted: bool = False
                ) -> Iterator[OverviewLine]:
    template = _is_template(node, parent_fitted)
    kind = LineKind.TEMPLATE if template else LineKind.ESTIMATOR
    yield OverviewLine(kind, depth, guide, tuple(_estimator_segments(node, routing, template)),
                       node.path)
    if template and not show_all:
        return  # a template's own nested templates say nothing more
    children, members = split_members(node, show_all)
    sub_routing = column_routing(node)
    total = len(children) + len(members) + len(node.groups)
    children = _merge_twin_templates(children, node.fitted, show_all)
    total = len(children) + len(members) + len(node.groups)
    for index, child in enumerate(children):
        last = index == total - 1
        yield from _tree_lines(child, depth + 1, child_guide + ("└─ " if last else "├─ "),
                               child_guide + ("   " if last else "│  "), show_all,
                               sub_routing, node.fitted)
    summaries = [_member_segments(name, kids) for name, kids in members]
    summaries += [tuple(group_segments(group)) for group in node.groups]
    for index, segments in enumerate(summaries):
        last = len(children) + index == total - 1
        yield OverviewLine(LineKind.GROUP, depth + 1, child_guide + ("└─ " if last else "├─ "),
                           segments, node.path)


def _merge_twin_templates(children: list[Node], fitted: bool, show_all: bool) -> list[Node]:
    """A forest's ``estimator`` and its validated copy ``estimator_`` are one line:
    ``estimator, estimator_: template DecisionTreeClassifier()``."""
    if show_all:
        return children
    out: list[Node] = []
    for child in children:
        previous = out[-1] if out else None
        if previous is not None and _is_template(child, fitted) and \
                _is_template(previous, fitted) and child.label == previous.label + "_" and \
                child.class_name == previous.class_name and \
                [a for a in child.attributes if a.changed] == \
                [a for a in previous.attributes if a.changed]:
            out[-1] = replace(previous, label=f"{previous.label}, {child.label}")
            continue
        out.append(child)
    return out


def split_members(node: Node, show_all: bool = False
                  ) -> tuple[list[Node], list[tuple[str, list[Node]]]]:
    """Children shown one by one, and runs of two or more unnamed members of one class under
    one attribute (``calibrated_classifiers_[0]``, ``[1]`` ...) summarised as one line."""
    runs: dict[tuple[str, str], list[Node]] = {}
    for child in node.children:
        last = child.path.rsplit(".", 1)[-1]
        attribute, bracket, _ = last.partition("[")
        if bracket and child.label == last:
            runs.setdefault((attribute, child.class_name), []).append(child)
    grouped = {id(kid) for kids in runs.values() if len(kids) >= 2 for kid in kids}
    if show_all or not grouped:
        return list(node.children), []
    kept = [child for child in node.children if id(child) not in grouped]
    return kept, [(attribute, kids) for (attribute, _), kids in runs.items() if len(kids) >= 2]


def _member_segments(attribute: str, kids: Sequence[Node]) -> tuple[Segment, ...]:
    fitted = sum(1 for kid in kids if kid.fitted)
    inner = sorted({c.short_class for kid in kids for c in kid.children})
    text = f"{len(kids)} × {kids[0].short_class}"
    detail = f", {fitted} fitted" + (f", each holding {', '.join(inner)}" if inner else "")
    return (Segment(f"{attribute}: ", Tone.LABEL), Segment(text, Tone.CLASS, from_file=True),
            Segment(detail, Tone.FACT, from_file=True), Segment("  (--all expands)", Tone.DIM))


def _estimator_segments(node: Node, routing: Mapping[str, str], template: bool
                        ) -> Iterator[Segment]:
    if node.kind is NodeKind.BUNDLE:
        yield Segment(f"bundle ({node.short_class}) of {len(node.children)} estimator(s)",
                      Tone.CLASS)
        others = [a.name for a in node.attributes]
        if others:
            yield Segment(f"  + {item_list(others)}", Tone.DIM, from_file=True)
        return
    if node.label:
        yield Segment(node.label, Tone.LABEL, from_file=True)
        yield Segment(": ")
    if template:
        yield Segment("template ", Tone.DIM)
    yield Segment(node.short_class, Tone.CLASS, from_file=True)
    yield from _param_segments(node)
    columns = routing.get(node.label)
    if columns:
        yield Segment(" ← ")
        yield Segment(columns, Tone.FACT, from_file=True)
    if template:
        yield Segment("  unfitted", Tone.DIM)
        return
    if not node.known:
        yield Segment("  unknown class", Tone.WARN)
    if not node.fitted and node.kind is not NodeKind.VALUE:  # a bare array is not a model
        yield Segment("  not fitted", Tone.WARN)
    facts = list(_fact_segments(node, routed=bool(columns)))
    if facts:
        yield Segment("  ")
        yield from facts


def _param_segments(node: Node) -> Iterator[Segment]:
    """``(C=2.0, gamma='scale' → 0.2917)``: changed settings and what fit resolved."""
    resolved = {_base_name(a.name): a for a in node.attributes
                if a.role in RESOLVED_ROLES and a.name != "best_params_"}
    parts: list[tuple[str, str, Tone]] = []
    for attr in node.by_category(Category.HYPERPARAMETER):
        if attr.role == "structure" or attr.role in RESOLVED_ROLES:
            continue
        fit = resolved.pop(attr.name, None)
        if fit is not None and fit.summary != attr.summary:
            parts.append((attr.name, f"{attr.summary} → {readable_value(fit)}", Tone.FITTED))
        elif attr.changed or (not attr.has_default and not node.known):
            parts.append((attr.name, attr.summary, Tone.PARAM))
    for name, fit in resolved.items():
        parts.append((name, f"→ {readable_value(fit)}", Tone.FITTED))
    if not parts and node.known:
        yield Segment("()")
        return
    yield Segment("(")
    for index, (name, text, tone) in enumerate(parts[:MAX_INLINE_PARAMS]):
        if index:
            yield Segment(", ")
        yield Segment(f"{name}=", Tone.PARAM)
        yield Segment(text, tone, from_file=True)
    if len(parts) > MAX_INLINE_PARAMS:
        yield Segment(f", … {len(parts) - MAX_INLINE_PARAMS} more", Tone.DIM)
    yield Segment(")")


def _base_name(name: str) -> str:
    """``_gamma`` -> ``gamma``, ``solver_`` -> ``solver``, ``_n_init`` -> ``n_init``."""
    return name.strip("_")


def column_routing(node: Node) -> dict[str, str]:
    """ColumnTransformer step name -> the columns it reads (from ``transformers_``)."""
    attr = node.attribute("transformers_") or node.attribute("transformers")
    if attr is None or not attr.routing:
        return {}
    routing: dict[str, str] = {}
    for step in attr.routing:
        columns = _columns_text(step.get("columns"), step.get("column_count"))
        if columns:
            routing[str(step.get("name", ""))] = columns
    return routing


def _columns_text(columns: Any, count: Any) -> str:
    if isinstance(columns, list):
        if not columns:
            return ""
        if isinstance(count, int) and count > len(columns) and len(columns) > 12:
            return item_list(columns[:12]) + f", … ({count})"
        return item_list(columns, 12)
    return str(columns) if columns is not None else ""


# ------------------------------------------------------------------------------ learned facts


def _fact_segments(node: Node, routed: bool) -> Iterator[Segment]:
    """Key learned facts, separated by `` · `` (features are left out when the column routing
    already names them)."""
    first = True
    for segment_run in _facts(node, routed):
        if not first:
            yield Segment(" · ", Tone.DIM)
        first = False
        yield from segment_run


def _facts(node: Node, routed: bool) -> Iterator[tuple[Segment, ...]]:
    features = _no_fact if routed else _features_fact
    for fact in (_classes_fact, features, _categories_fact, _support_fact,
                 _shape_fact("cluster_centers_", "clusters"), _shape_fact("components_",
                                                                          "components"),
                 _parameters_fact, _score_fact, _convergence_fact):
        found = fact(node)
        if found:
            yield found


def _no_fact(node: Node) -> tuple[Segment, ...]:
    return ()


def _classes_fact(node: Node) -> tuple[Segment, ...]:
    attr = node.attribute("classes_")
    if attr is None:
        return ()
    items = _plain_items(attr)
    if items is None:
        count = (attr.stats or {}).get("shape", ["?"])[0]
        return (Segment(f"{count} classes", Tone.FACT),)
    count = attr.item_count or len(items)
    return (Segment(f"{count} classes: ", Tone.FACT),
            Segment(_count_text(items, count), Tone.FACT, from_file=True))


def _features_fact(node: Node) -> tuple[Segment, ...]:
    names = node.attribute("feature_names_in_")
    count = node.attribute("n_features_in_")
    if names is not None and (items := _plain_items(names)) is not None:
        total = names.item_count or len(items)
        return (Segment(f"{total} features: ", Tone.FACT),
                Segment(_count_text(items, total), Tone.FACT, from_file=True))
    if count is not None and isinstance(count.value, int):
        return (Segment(f"{count.value} features", Tone.FACT),)
    return ()


def _categories_fact(node: Node) -> tuple[Segment, ...]:
    attr = node.attribute("categories_")
    nested = _nested_items(attr) if attr is not None else None
    if not nested:
        return ()
    names_attr = node.attribute("feature_names_in_")
    names = _plain_items(names_attr) if names_attr is not None else None
    parts = []
    for index, values in enumerate(nested[:MAX_LISTED]):
        name = str(names[index]) if names and index < len(names) else str(index)
        parts.append(f"{name}: {item_list(values, 6)}")
    return (Segment("categories ", Tone.FACT), Segment("; ".join(parts), Tone.FACT,
                                                       from_file=True))


def _support_fact(node: Node) -> tuple[Segment, ...]:
    attr = node.attribute("support_vectors_")
    shape = (attr.stats or {}).get("shape") if attr is not None else None
    if not shape:
        return ()
    return (Segment(f"{shape[0]} support vectors", Tone.FACT),)


def _shape_fact(name: str, noun: str) -> Any:
    def fact(node: Node) -> tuple[Segment, ...]:
        attr = node.attribute(name)
        shape = (attr.stats or {}).get("shape") if attr is not None else None
        if not shape:
            return ()
        return (Segment(f"{shape[0]} {noun}", Tone.FACT),)
    return fact


def _parameters_fact(node: Node) -> tuple[Segment, ...]:
    """Number of fitted weights and biases (coef_, coefs_, intercepts_ ...)."""
    total = 0
    for attr in node.by_category(Category.LEARNED):
        if attr.role not in ("weights", "bias"):
            continue
        total += _size(attr)
    if total < 2 or node.attribute("support_vectors_") is not None:
        return ()
    return (Segment(f"{total:,} parameters", Tone.FACT),)


def _size(attr: Attribute) -> int:
    shape = (attr.stats or {}).get("shape")
    if shape is not None:
        return math.prod(int(d) for d in shape)
    return attr.size or 0


def _score_fact(node: Node) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for name in ("best_score_", "oob_score_"):
        attr = node.attribute(name)
        if attr is not None and attr.kind == "scalar":
            if out:
                out.append(Segment(" · ", Tone.DIM))
            out.append(Segment(f"{name} {attr.summary}", Tone.GOOD))
    best = node.attribute("best_params_")
    if best is not None:
        out += [Segment(" · best_params_ ", Tone.GOOD) if out else
                Segment("best_params_ ", Tone.GOOD),
                Segment(best.summary, Tone.GOOD, from_file=True)]
    return tuple(out)


def _convergence_fact(node: Node) -> tuple[Segment, ...]:
    """``n_iter_`` equal to ``max_iter``: fit stopped before converging."""
    n_iter, max_iter = node.attribute("n_iter_"), node.attribute("max_iter")
    if n_iter is None or max_iter is None or not isinstance(max_iter.value, int) \
            or max_iter.value <= 0:
        return ()
    items = [n_iter.value] if isinstance(n_iter.value, int) else _plain_items(n_iter)
    if not items or not all(isinstance(v, int) for v in items):
        return ()
    if max(items) >= max_iter.value:
        return (Segment(f"not converged (n_iter_ {max(items)} = max_iter)", Tone.WARN),)
    return (Segment(f"converged in {max(items)} iterations", Tone.DIM),)


def group_segments(group: Group) -> Iterator[Segment]:
    """``estimators_: 20 × DecisionTreeClassifier, depth 6, 21–37 leaves``."""
    from hpinspect.render.table import classes_text

    yield Segment(f"{group.attribute}: ", Tone.LABEL)
    yield Segment(classes_text(group), Tone.CLASS, from_file=True)
    depth = group.stats.get("depth")
    leaves = group.stats.get("leaves")
    for label, stat in (("depth", depth), ("leaves", leaves)):
        if isinstance(stat, Mapping):
            low, high = stat.get("min"), stat.get("max")
            span = f"{low}" if low == high else f"{low}–{high}"
            yield Segment(f", {label} {span}", Tone.FACT)


# --------------------------------------------------------------------- safety, versions, file


def _safety_line(report: Report) -> OverviewLine:
    safety = report.safety
    tone = {"safe": Tone.GOOD, "review": Tone.WARN}.get(safety.verdict, Tone.BAD)
    counts: dict[str, int] = {}
    for finding in safety.findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    if safety.verdict == "safe":
        detail = f"{len(safety.findings)} referenced globals, all known" if safety.findings \
            else "no global referenced"
    else:
        detail = ", ".join(f"{n} {sev}" for sev, n in counts.items() if sev != "known")
    return OverviewLine(LineKind.SAFETY, 0, "", (
        Segment("safety    ", Tone.KEY), Segment(safety.verdict, tone),
        Segment(f" — {detail}", Tone.DIM if safety.verdict == "safe" else tone)))


def _versions_line(versions: Versions) -> OverviewLine:
    segments: list[Segment] = [Segment("versions  ", Tone.KEY)]
    if not versions.saved_with:
        segments.append(Segment("no version marker in the file", Tone.DIM))
    for index, (lib, saved) in enumerate(versions.saved_with.items()):
        skew = versions.skew.get(lib, "unknown")
        if index:
            segments.append(Segment("; ", Tone.DIM))
        segments.append(Segment(f"{lib} ", Tone.PLAIN, from_file=True))
        tone = Tone.GOOD if skew == "none" else Tone.DIM if skew == "unknown" else Tone.WARN
        segments.append(Segment(skew_text(lib, saved, versions.installed.get(lib), skew),
                                tone, from_file=True))
    return OverviewLine(LineKind.VERSIONS, 0, "", tuple(segments))


def _file_line(report: Report) -> OverviewLine:
    file = report.file
    parts = [str(file.format), human_size(file.size_bytes)]
    if file.compression:
        parts.append(f"{file.compression} compressed")
    if file.pickle_protocol:
        parts.append(f"pickle protocol {file.pickle_protocol}")
    parts.append(f"sha256 {file.sha256[:12]}")
    return OverviewLine(LineKind.FILE, 0, "", (
        Segment("file      ", Tone.KEY), Segment(file.path, Tone.PLAIN, from_file=True),
        Segment("  " + " · ".join(parts), Tone.DIM)))
