"""One self-contained HTML page per run: ``inspect``, ``diff`` and ``scan`` reports.

The page needs nothing but itself: inline CSS and a small inline script (folding and the filter
box; everything is readable with scripts off), and a Content-Security-Policy that forbids every
network fetch (see :mod:`hpinspect.render.html_assets`). Layout of an inspect page: a safety
banner, an overview tree (class, changed hyperparameters, key learned facts), an estimator
diagram of nested boxes in the manner of scikit-learn's own HTML repr (each box a
``<details>`` that opens into hyperparameters / learned / auxiliary), then file facts and
versions.

Every string that comes from the file goes through :func:`esc`: the one neutralising module
(:mod:`hpinspect.render.neutral`: control, bidi, zero-width and surrogate code points become
visible escapes) and then ``html.escape(quote=True)``. File text never reaches a script, a
style, a URL or an unquoted attribute; the only attributes it reaches are double-quoted
``data-*`` and ``title`` values.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hpinspect.diff import DiffResult, DiffRow
from hpinspect.render import RenderOptions
from hpinspect.render.diff_render import largest_change_text
from hpinspect.render.html_assets import CSP, SCRIPT, STYLE
from hpinspect.render.neutral import terminal
from hpinspect.render.overview import column_routing
from hpinspect.render.table import classes_text
from hpinspect.render.text import format_stats, human_size
from hpinspect.report import (
    CATEGORIES,
    Attribute,
    Category,
    Finding,
    Group,
    Node,
    Report,
    RowCategory,
)

__all__ = ["DiffHtmlRenderer", "HtmlRenderer", "esc", "render_diff_html", "render_report_html",
           "render_scan_html"]

SPARK_MIN = 3
"""Fewest values drawn as a bar chart (fewer say everything in text)."""
CATEGORY_TITLES: Mapping[Category, str] = {
    Category.HYPERPARAMETER: "Hyperparameters", Category.LEARNED: "Learned",
    Category.AUXILIARY: "Auxiliary"}
VERDICT_TEXT = {
    "unsafe": ("UNSAFE", "a real pickle/joblib load of this file would run code hpinspect "
               "cannot vouch for. Do not load it."),
    "review": ("REVIEW", "the file references classes hpinspect does not know; a real load "
               "would instantiate them."),
    "safe": ("SAFE", "every global the file references is known data or a known estimator "
             "class; nothing in it would run on load."),
}


# ------------------------------------------------------------------------------------ escaping


def esc(value: object) -> str:
    """Any file-derived value as safe HTML text, also inside a double- or single-quoted
    attribute: first :func:`hpinspect.render.neutral.terminal` (control, bidi, zero-width and
    surrogate code points as visible escapes; very long text capped with its true length), then
    ``html.escape(quote=True)``."""
    return html.escape(terminal(value), quote=True)


# ------------------------------------------------------------------------------- page skeleton


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _toolbar(scope: str) -> str:
    """The filter box; hidden until the script runs (it does nothing without it)."""
    options = "".join(f"<option value=\"{c}\">{CATEGORY_TITLES[c]}</option>" for c in CATEGORIES)
    return (
        f"<div class=\"toolbar\" role=\"search\" data-scope=\"{scope}\" data-needs-js hidden>"
        f"<label>Filter attributes <input type=\"search\" class=\"filter\" "
        f"placeholder=\"name, e.g. coef_\" autocomplete=\"off\"></label>"
        f"<label>Category <select class=\"category\"><option value=\"\">all</option>{options}"
        "</select></label><button type=\"button\" data-open=\"1\">Expand all</button>"
        "<button type=\"button\" data-open=\"0\">Collapse all</button>"
        "<output aria-live=\"polite\"></output></div>"
    )


def _table(headers: Sequence[str], rows: Iterable[str], caption: str = "",
           cls: str = "") -> str:
    head = "".join(f"<th scope=\"col\">{h}</th>" for h in headers)
    cap = f"<caption>{caption}</caption>" if caption else ""
    klass = f" class=\"{cls}\"" if cls else ""
    body = "".join(rows)
    return f"<table{klass}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ------------------------------------------------------------------------------------- banner


def _finding_row(finding: Finding) -> str:
    called = "yes" if finding.called else "no"
    return (f"<tr><td>{esc(finding.severity)}</td><td><code>{esc(finding.global_name)}</code></td>"
            f"<td>{called}</td><td><code>{esc(finding.path or '(root)')}</code></td>"
            f"<td>{esc(finding.detail)}</td></tr>")


def banner(report: Report) -> str:
    """The safety verdict, first on the page; every finding when not safe."""
    safety = report.safety
    word, text = VERDICT_TEXT[safety.verdict]
    shown = safety.findings if safety.verdict != "safe" else ()
    role = " role=\"alert\"" if safety.verdict == "unsafe" else ""
    table = ""
    if shown:
        table = _table(("severity", "global", "called on load", "where", "detail"),
                       (_finding_row(f) for f in shown),
                       caption=f"{len(shown)} referenced globals, most severe first")
    count = "" if table else f"<p>{len(safety.findings)} global(s) referenced.</p>"
    return (f"<section class=\"banner {safety.verdict}\"{role} aria-label=\"Safety\">"
            f"<p><span class=\"verdict\">Safety: {word}</span> — {text}</p>{count}{table}"
            "</section>")


# --------------------------------------------------------------------------------- key facts


def _value_list(attr: Attribute | None) -> list[Any] | None:
    if attr is None or not isinstance(attr.value, list):
        return None
    return attr.value


def _shape(attr: Attribute | None) -> list[int] | None:
    if attr is None or not attr.stats or "shape" not in attr.stats:
        return None
    shape = attr.stats["shape"]
    return list(shape) if isinstance(shape, list) else None


def count(n: int, noun: str) -> str:
    """``1 feature``, ``2 features``, ``3 classes``."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun}es" if noun.endswith(("s", "x")) else f"{n} {noun}s"


def _classes_fact(node: Node) -> str | None:
    attr = node.attribute("classes_")
    values = _value_list(attr)
    if values is not None and values and not isinstance(values[0], list):
        return f"{count(len(values), 'class')}: " + ", ".join(str(v) for v in values[:12])
    shape = _shape(attr)
    return count(shape[0], "class") if shape else None


def _features_fact(node: Node) -> str | None:
    names = _value_list(node.attribute("feature_names_in_"))
    if names:
        return f"{count(len(names), 'feature')}: " + ", ".join(str(v) for v in names[:12])
    n = node.attribute("n_features_in_")
    return count(n.value, "feature") if n and isinstance(n.value, int) else None


def _shape_fact(name: str, noun: str, axis: int = 0) -> Callable[[Node], str | None]:
    def fact(node: Node) -> str | None:
        shape = _shape(node.attribute(name))
        return count(shape[axis], noun) if shape and len(shape) > axis else None
    return fact


def _scalar_fact(name: str, label: str) -> Callable[[Node], str | None]:
    def fact(node: Node) -> str | None:
        attr = node.attribute(name)
        return f"{label} {attr.summary}" if attr is not None and attr.value is not None else None
    return fact


def _convergence_fact(node: Node) -> str | None:
    n_iter, max_iter = node.attribute("n_iter_"), node.attribute("max_iter")
    if n_iter is None or max_iter is None or not isinstance(max_iter.value, int):
        return None
    values = n_iter.value if isinstance(n_iter.value, list) else [n_iter.value]
    reached = any(isinstance(v, int) and v >= max_iter.value > 0 for v in values)
    return "NOT CONVERGED (n_iter_ reached max_iter)" if reached else None


def _group_fact(node: Node) -> str | None:
    parts = []
    for group in node.groups:
        depth = group.stats.get("depth")
        text = classes_text(group)
        if isinstance(depth, Mapping) and "max" in depth:
            low = depth.get("min", depth["max"])
            span = str(low) if low == depth["max"] else f"{low}–{depth['max']}"
            text += f", depth {span}"
        parts.append(text)
    return "; ".join(parts) or None


FACTS: tuple[Callable[[Node], str | None], ...] = (
    _classes_fact, _features_fact, _shape_fact("support_vectors_", "support vector"),
    _shape_fact("cluster_centers_", "cluster"), _shape_fact("components_", "component"),
    _group_fact, _scalar_fact("best_score_", "best score"),
    _scalar_fact("best_params_", "best params"), _scalar_fact("oob_score_", "OOB score"),
    _convergence_fact,
)
"""Key learned facts for the overview, in display order (each returns None when absent)."""


def key_facts(node: Node) -> list[str]:
    """The learned facts worth a line: classes, features, sizes, scores, convergence."""
    return [text for fact in FACTS if (text := fact(node))]


def changed_params(node: Node) -> list[str]:
    """``C=2.0`` for changed hyperparameters; ``gamma='scale' → 0.2059`` where fit resolved a
    setting into a private twin (``_gamma``); ``alpha_=0.01 (fit)`` for other fit selections."""
    hyper = node.by_category(Category.HYPERPARAMETER)
    shown = {a.name: f"{a.name}={a.summary}" for a in hyper if a.changed}
    for attr in hyper:
        if attr.role != "selected during fit":
            continue
        public = node.attribute(attr.name.lstrip("_"))
        if attr.name.startswith("_") and public is not None:
            if public.summary != attr.summary:
                shown[public.name] = f"{public.name}={public.summary} → {attr.summary}"
        else:
            shown[attr.name] = f"{attr.name}={attr.summary} (fit)"
    return [shown[a.name] for a in node.attributes if a.name in shown]


# ------------------------------------------------------------------------------------ overview


def _signature(node: Node) -> str:
    params = changed_params(node)
    inner = f"<span class=\"params\">({esc(', '.join(params))})</span>" if params else ""
    label = f"<span class=\"lbl\">{esc(node.label)}</span>: " if node.label else ""
    cls = f"<span class=\"cls\" title=\"{esc(node.class_name)}\">{esc(node.short_class)}</span>"
    return f"{label}{cls}{inner}"


def _overview_item(node: Node, parent: Node | None) -> str:
    facts = key_facts(node)
    tags = _state_tags(node, parent)
    columns = _branch_columns(parent).get(node.label, "") if parent is not None else ""
    routing = f" <span class=\"lbl\">←</span> {columns}" if columns else ""
    text = f" <span class=\"facts\">— {esc('; '.join(facts))}</span>" if facts else ""
    kids = "".join(_overview_item(child, node) for child in node.children)
    sub = f"<ul>{kids}</ul>" if kids else ""
    return f"<li>{_signature(node)}{routing}{tags}{text}{sub}</li>"


def _state_tags(node: Node, parent: Node | None) -> str:
    if not node.known:
        return "<span class=\"tag bad\">unknown class</span>"
    if _is_template(node, parent):
        return "<span class=\"tag\">template, not fitted</span>"
    return "" if node.fitted else "<span class=\"tag\">not fitted</span>"


def _is_template(node: Node, parent: Node | None) -> bool:
    """An unfitted object held by a fitted estimator outside its steps (``estimator``,
    ``scorer_``): folded away in the diagram, since predictions never go through it."""
    if parent is None or not parent.fitted or node.fitted:
        return False
    return _member_attr(parent, node) not in ("steps", "transformer_list")


def overview(report: Report, prefix: str) -> str:
    """The estimator tree with changed settings and learned facts, then safety/versions/file."""
    word = VERDICT_TEXT[report.safety.verdict][0]
    versions = ", ".join(f"{esc(lib)} {esc(v)}" for lib, v in report.versions.saved_with.items())
    file = report.file
    return (
        f"<section class=\"overview\" aria-labelledby=\"{prefix}-ov\">"
        f"<h2 id=\"{prefix}-ov\">Overview</h2>"
        f"<ul>{_overview_item(report.model, None)}</ul>"
        f"<p class=\"facts-line\"><strong>Safety</strong>: {word} "
        f"({len(report.safety.findings)} globals)</p>"
        f"<p class=\"facts-line\"><strong>Saved with</strong>: {versions or 'no version markers'}"
        f"</p><p class=\"facts-line\"><strong>File</strong>: {esc(file.format)}, "
        f"{esc(human_size(file.size_bytes))}, sha256 <code>{esc(file.sha256[:12])}</code></p>"
        "</section>"
    )


# ------------------------------------------------------------------------------ mini charts


def _numbers(value: Any) -> list[float]:
    """Flattened finite numbers of a small nested list (``coef_`` is 2-D)."""
    out: list[float] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, (int, float)) and not isinstance(item, bool) and math.isfinite(item):
            out.append(float(item))
    return out


def bar_chart(values: Sequence[float], title: str) -> str:
    """A tiny inline SVG bar chart around zero (one bar per value)."""
    width, height, gap = max(40, 7 * len(values)), 26, 1
    top, bottom = max(max(values), 0.0), min(min(values), 0.0)
    span = (top - bottom) or 1.0
    zero = height * top / span
    bars = []
    for i, v in enumerate(values):
        h = height * abs(v) / span
        y = zero - h if v >= 0 else zero
        bars.append(f"<rect x=\"{i * width / len(values):.1f}\" y=\"{y:.1f}\" "
                    f"width=\"{max(width / len(values) - gap, 1):.1f}\" "
                    f"height=\"{max(h, .5):.1f}\"/>")
    axis = f"<line x1=\"0\" x2=\"{width}\" y1=\"{zero:.1f}\" y2=\"{zero:.1f}\" stroke=\"#57606a\"/>"
    return (f"<svg class=\"spark\" role=\"img\" width=\"{width}\" height=\"{height}\" "
            f"viewBox=\"0 0 {width} {height}\" fill=\"#0b5cad\"><title>{esc(title)}</title>"
            f"{''.join(bars)}{axis}</svg>")


def _finite(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def range_chart(stats: Mapping[str, Any], title: str) -> str:
    """min–max line with a mean ± std box, for arrays whose values the report does not keep."""
    lo, hi, mean = _finite(stats.get("min")), _finite(stats.get("max")), _finite(stats.get("mean"))
    std = _finite(stats.get("std")) or 0.0
    if lo is None or hi is None or mean is None:
        return ""
    width, span = 90.0, (hi - lo) or 1.0

    def x(v: float) -> float:
        return 2 + (width - 4) * (min(max(v, lo), hi) - lo) / span

    left, right = x(mean - std), x(mean + std)
    return (f"<svg class=\"spark\" role=\"img\" width=\"{width:.0f}\" height=\"14\" "
            f"viewBox=\"0 0 {width:.0f} 14\"><title>{esc(title)}</title>"
            f"<line x1=\"2\" x2=\"{width - 2}\" y1=\"7\" y2=\"7\" stroke=\"#57606a\"/>"
            f"<rect x=\"{left:.1f}\" y=\"3\" width=\"{max(right - left, 1):.1f}\" height=\"8\" "
            f"fill=\"#9cc3ee\" stroke=\"#0b5cad\"/><circle cx=\"{x(mean):.1f}\" cy=\"7\" r=\"2\" "
            "fill=\"#0b5cad\"/></svg>")


def chart(attr: Attribute) -> str:
    """The chart an attribute gets, if its value or statistics say enough."""
    numbers = _numbers(attr.value) if attr.kind == "array" else []
    if len(numbers) >= SPARK_MIN:
        return bar_chart(numbers, f"{attr.name}: {len(numbers)} values, "
                                  f"{min(numbers):.4g} to {max(numbers):.4g}")
    stats = attr.stats or {}
    if attr.value is None and "mean" in stats:
        return range_chart(stats, f"{attr.name}: min {stats['min']:.4g}, max {stats['max']:.4g},"
                                  f" mean {stats['mean']:.4g} ± std {stats.get('std') or 0:.4g}")
    return ""


# ------------------------------------------------------------------------------- attr tables


def _default_cell(attr: Attribute) -> str:
    if attr.changed:
        return f"{esc(attr.default_summary)} <span class=\"tag chg\">changed</span>"
    if attr.has_default:
        return "=&nbsp;default"
    return "?"


def _learned_value(attr: Attribute) -> str:
    """The summary, then what the statistics add (std, zeros, NaNs) and the chart."""
    stats = attr.stats or {}
    parts = [f"std {_short(stats['std'])}"] if stats.get("std") is not None else []
    parts += [f"{key} {stats[key]}" for key in ("zeros", "nans") if stats.get(key)]
    extra = " · ".join(parts)
    more = f"<div class=\"legend\">{esc(extra)}</div>" if extra else ""
    return f"{esc(attr.summary)}{more}{chart(attr)}"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _breakable(name: str) -> str:
    """An escaped identifier that may wrap after its underscores, never inside a word."""
    return esc(name).replace("_", "_<wbr>")


def _row(attr: Attribute, mark: str, alert: str) -> str:
    classes = " ".join(c for c in ("changed" if attr.changed else "", mark and "diff-row",
                                   alert and "alert-row") if c)
    cls = f" class=\"{classes}\"" if classes else ""
    tag = f" <span class=\"tag chg\">{esc(mark)}</span>" if mark else ""
    if alert:
        tag += f" <span class=\"tag bad\">UNSAFE: {esc(alert)}</span>"
    value = _learned_value(attr) if attr.category == "learned" else esc(attr.summary)
    default = (f"<td class=\"mono\">{_default_cell(attr)}</td>"
               if attr.category == "hyperparameter" else "")
    return (f"<tr{cls} data-name=\"{esc(attr.name)}\" data-cat=\"{attr.category}\">"
            f"<th scope=\"row\"><code>{_breakable(attr.name)}</code>{tag}</th>"
            f"<td class=\"mono\">{value}</td>{default}<td>{esc(attr.role)}"
            f"<div class=\"legend\">{esc(attr.reason)}</div></td></tr>")


_HEADERS: Mapping[Category, tuple[str, ...]] = {
    Category.HYPERPARAMETER: ("name", "value", "default", "role and reason"),
    Category.LEARNED: ("name", "value", "role and reason"),
    Category.AUXILIARY: ("name", "value", "role and reason"),
}


def attribute_tables(node: Node, marks: Mapping[str, str],
                     alerts: Mapping[str, str] | None = None) -> str:
    """The three category tables of one estimator (empty ones say so in one line)."""
    blocks = []
    for category in CATEGORIES:
        attrs = node.by_category(category)
        title = CATEGORY_TITLES[category]
        if attrs:
            rows = (_row(a, marks.get(a.name, ""), (alerts or {}).get(a.name, ""))
                    for a in attrs)
            body = _table(_HEADERS[category], rows)
        else:
            body = "<p class=\"legend\">none</p>"
        blocks.append(f"<section class=\"cat\" data-cat=\"{category}\"><h3>{title} "
                      f"({len(attrs)})</h3>{body}</section>")
    legend = ("<p class=\"legend\">default: “= default” when the value is the class default, "
              "the default when changed (marked “changed”), “?” when unknown.</p>")
    return f"<div class=\"cols3\">{''.join(blocks)}</div>{legend}"


def group_table(groups: Sequence[Group]) -> str:
    """Member groups (a forest's trees): classes and aggregate statistics."""
    rows = (f"<tr><th scope=\"row\"><code>{esc(g.attribute)}</code></th><td>{esc(classes_text(g))}"
            f"</td><td>{esc(format_stats(g.stats))}</td></tr>" for g in groups)
    return _table(("attribute", "members", "statistics"), rows, caption="Member groups")


# ------------------------------------------------------------------------------------ diagram


@dataclass
class _Ctx:
    """Per-page state of the diagram: unique ids and the diff marks to show."""

    prefix: str
    marks: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Node path -> attribute name (``""`` for the node itself) -> mark text."""
    alerts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Node path -> attribute name -> the dangerous global found there."""
    count: int = 0

    def next_id(self) -> str:
        self.count += 1
        return f"{self.prefix}-n{self.count}"


def _member_attr(parent: Node, child: Node) -> str:
    rest = child.path[len(parent.path):] if child.path.startswith(parent.path) else child.path
    return rest.lstrip(".").split("[", 1)[0] or rest


def _box(node: Node, parent: Node | None, ctx: _Ctx, columns: str = "") -> str:
    marks = ctx.marks.get(node.path, {})
    template = _is_template(node, parent)
    kind = "meta" if node.children or node.groups else "leaf"
    classes = " ".join(c for c in ("node", kind, "template" if template else "",
                                   "diff-mark" if marks else "") if c)
    facts = key_facts(node)
    fact_line = f"<div class=\"facts\">{esc('; '.join(facts))}</div>" if facts else ""
    where = f"<div class=\"path\">at <code>{esc(node.path or '(root)')}</code> · " \
            f"<code>{esc(node.class_name)}</code></div>"
    groups = group_table(node.groups) if node.groups else ""
    alerts = ctx.alerts.get(node.path, {})
    diff_tag = _diff_tag(marks) + (
        f" <span class=\"tag bad\">UNSAFE content in {len(alerts)} attribute(s)</span>"
        if alerts else "")
    col_line = f"<div class=\"branch-head\">columns: {columns}</div>" if columns else ""
    summary = (f"<summary>{_signature(node)}{_state_tags(node, parent)}{diff_tag}"
               f"{col_line}</summary>")
    details = (f"<details class=\"est\" id=\"{ctx.next_id()}\" "
               f"data-cls=\"{esc(node.short_class)}\">{summary}"
               f"<div class=\"body\">{where}{fact_line}"
               f"{attribute_tables(node, marks, alerts)}{groups}</div></details>")
    return f"<div class=\"{classes}\">{details}{_children(node, ctx)}</div>"


def _diff_tag(marks: Mapping[str, str]) -> str:
    """``added``/``removed`` for a node that is in one file only, else ``N changed``."""
    if "" in marks:
        return f" <span class=\"tag chg\">{esc(marks[''])}</span>"
    return f" <span class=\"tag chg\">{len(marks)} changed</span>" if marks else ""


def _branch_columns(node: Node) -> Mapping[str, str]:
    """ColumnTransformer routing (the report's ``routing`` key, as the overview reads it):
    branch label -> escaped column list."""
    return {label: esc(columns) for label, columns in column_routing(node).items()}


def _children(node: Node, ctx: _Ctx) -> str:
    """Children laid out as scikit-learn does: steps in series, members side by side."""
    if not node.children and not node.groups:
        return ""
    runs: dict[str, list[Node]] = {}
    for child in node.children:
        runs.setdefault(_member_attr(node, child), []).append(child)
    columns = _branch_columns(node)
    main: list[str] = []
    templates: list[str] = []
    # the final estimator comes after the members it stacks, as in scikit-learn's diagram
    for attr, members in sorted(runs.items(), key=lambda run: run[0] == "final_estimator_"):
        block = _run(node, attr, members, ctx, columns)
        (templates if all(_is_template(m, node) for m in members) else main).append(block)
    main.extend(f"<div class=\"serial\">{_group_box(g)}</div>" for g in node.groups)
    out = "".join(main)
    if templates:
        out += (f"<details class=\"templates\"><summary>{len(templates)} unfitted template(s) and "
                f"helper objects</summary>{''.join(templates)}</details>")
    return out


def _run(node: Node, attr: str, members: list[Node], ctx: _Ctx,
         columns: Mapping[str, str]) -> str:
    if attr == "steps" or len(members) == 1:
        steps = "".join(f"<div class=\"step\">{_box(m, node, ctx)}</div>" for m in members)
        return f"<div class=\"serial\">{steps}</div>"
    branches = "".join(
        f"<div class=\"branch\">{_box(m, node, ctx, columns.get(m.label, ''))}</div>"
        for m in members)
    return (f"<div class=\"parallel-run\"><div class=\"legend\"><code>{esc(attr)}</code>: "
            f"{len(members)} in parallel</div><div class=\"parallel\">{branches}</div></div>")


def _group_box(group: Group) -> str:
    return (f"<div class=\"node leaf\"><details class=\"est\" data-cls=\"{esc(group.attribute)}\">"
            f"<summary><span class=\"lbl\">{esc(group.attribute)}</span>: "
            f"<span class=\"cls\">{esc(classes_text(group))}</span></summary><div class=\"body\">"
            f"{group_table((group,))}</div></details></div>")


def diagram(report: Report, ctx: _Ctx) -> str:
    """Nested boxes of the estimator tree (closed: the diagram reads like scikit-learn's)."""
    boxes = _box(report.model, None, ctx)
    return (f"<section class=\"diagram-sec\" aria-labelledby=\"{ctx.prefix}-dg\">"
            f"<h2 id=\"{ctx.prefix}-dg\">Estimator diagram</h2>"
            "<p class=\"legend\">Each box is one estimator: click (or Enter) to open its "
            "hyperparameters, learned parameters and auxiliary attributes. Dashed boxes hold "
            "nested estimators; ↓ is a pipeline step; side-by-side boxes run in parallel.</p>"
            f"<div class=\"diagram\">{boxes}</div></section>")


# ---------------------------------------------------------------------------------- file facts


def file_facts(report: Report, prefix: str) -> str:
    """File format facts, then saved-with against installed versions."""
    f = report.file
    facts = (("path", f.path), ("size", f"{human_size(f.size_bytes)} ({f.size_bytes} bytes)"),
             ("format", f.format), ("compression", f.compression or "none"),
             ("pickle protocol", f.pickle_protocol), ("sha256", f.sha256))
    rows = (f"<tr><th scope=\"row\">{k}</th><td class=\"mono\">{esc(v)}</td></tr>"
            for k, v in facts)
    v = report.versions
    libs = sorted(set(v.saved_with) | set(v.installed))
    vrows = (f"<tr><th scope=\"row\">{esc(lib)}</th><td>{esc(v.saved_with.get(lib, '—'))}</td>"
             f"<td>{esc(v.installed.get(lib, 'not installed'))}</td>"
             f"<td>{esc(v.skew.get(lib, 'unknown'))}</td></tr>" for lib in libs)
    versions = (_table(("library", "saved with", "installed", "skew"), vrows, caption="Versions")
                if libs else "<p>No library version markers in the file.</p>")
    return (f"<section aria-labelledby=\"{prefix}-ff\"><h2 id=\"{prefix}-ff\">File and versions"
            f"</h2>{_table(('fact', 'value'), rows, caption='File')}{versions}</section>")


# ---------------------------------------------------------------------------------- documents


_TUPLE_ITEM = re.compile(r"\]\[1\]")


def finding_alerts(report: Report) -> dict[str, dict[str, str]]:
    """Where dangerous or unknown calls sit: node path -> attribute -> global, matched from
    the finding's object path (``steps[1][1].x_`` is attribute ``x_`` of node ``steps[1]``)."""
    nodes = {node.path: node for node in report.nodes()}
    alerts: dict[str, dict[str, str]] = {}
    for finding in report.safety.findings:
        if finding.severity not in ("dangerous", "unknown call"):
            continue
        base, _, name = finding.path.rpartition(".")
        node = nodes.get(_TUPLE_ITEM.sub("]", base))
        if node is not None and node.attribute(name) is not None:
            alerts.setdefault(node.path, {}).setdefault(name, finding.global_name)
    return alerts


def report_section(report: Report, prefix: str, marks: Mapping[str, Mapping[str, str]]
                   | None = None, heading: str = "h1") -> str:
    """One report: banner, overview, filter, diagram, file facts (ids prefixed)."""
    ctx = _Ctx(prefix, marks or {}, finding_alerts(report))
    title = f"<{heading} class=\"title\">{esc(report.file.path)}</{heading}>"
    parts = (f"{banner(report)}{overview(report, prefix)}{_toolbar(prefix)}"
             f"{diagram(report, ctx)}{file_facts(report, prefix)}")
    if heading != "h1":  # nested in a scan or diff page: every heading one level down
        parts = _demote(_demote(parts, "h3", "h4"), "h2", "h3")
    return f"<article class=\"report\" id=\"{prefix}\">{title}{parts}</article>"


def _demote(text: str, old: str, new: str) -> str:
    """Rename heading tags (file text is escaped, so ``<h2`` can only be ours)."""
    return text.replace(f"<{old}", f"<{new}").replace(f"</{old}>", f"</{new}>")


def render_report_html(report: Report) -> str:
    """The page of one inspected file."""
    return _page(f"hpinspect: {report.file.path}", report_section(report, "r1"))


def _scan_row(index: int, report: Report) -> str:
    word = VERDICT_TEXT[report.safety.verdict][0]
    return (f"<tr class=\"v-{report.safety.verdict}\"><td><a href=\"#r{index}\">"
            f"{esc(report.file.path)}</a></td><td>{word}</td><td>{esc(report.model.short_class)}"
            f"</td><td>{esc(report.file.format)}</td><td>{esc(human_size(report.file.size_bytes))}"
            "</td><td></td></tr>")


def render_scan_html(reports: Sequence[Report],
                     problems: Sequence[tuple[str, str]] = ()) -> str:
    """A page for many files: one row per file linking to its section, then the sections.

    ``problems`` are files that gave no report, as ``(path, note)`` (not a model, broken,
    over a limit); they get a row with the note and no section.
    """
    rows = [_scan_row(i, r) for i, r in enumerate(reports, 1)]
    rows += [f"<tr class=\"v-problem\"><td>{esc(path)}</td><td>NOT INSPECTED</td><td></td><td></td>"
             f"<td></td><td>{esc(note)}</td></tr>" for path, note in problems]
    counts = {v: sum(r.safety.verdict == v for r in reports) for v in VERDICT_TEXT}
    summary = (f"<p>{len(reports)} inspected: {counts['unsafe']} unsafe, {counts['review']} "
               f"review, {counts['safe']} safe; {len(problems)} not inspected.</p>")
    index = _table(("file", "verdict", "model", "format", "size", "note"), rows,
                   caption="One row per file (a link opens its section)")
    sections = "".join(report_section(r, f"r{i}", heading="h2") for i, r in enumerate(reports, 1))
    body = f"<h1>hpinspect scan</h1>{summary}{index}{sections}"
    return _page("hpinspect scan", body)


# ----------------------------------------------------------------------------------- diff page


_STATUS = {"changed": "~ changed", "added": "+ added (B only)", "removed": "− removed (A only)",
           "equal": "= equal"}


def _diff_row(row: DiffRow) -> str:
    return (f"<tr class=\"st-{row.status}\" data-name=\"{esc(row.location)}\" "
            f"data-cat=\"{esc(row.category)}\"><td>{_STATUS[row.status]}</td>"
            f"<th scope=\"row\"><code>{esc(row.location)}</code></th><td>{esc(row.category)}</td>"
            f"<td class=\"mono\">{esc(row.a)}</td><td class=\"mono\">{esc(row.b)}</td>"
            f"<td>{esc(row.detail)}</td></tr>")


_MARKED_ROWS = frozenset({RowCategory.HYPERPARAMETER, RowCategory.LEARNED,
                          RowCategory.AUXILIARY, RowCategory.STRUCTURE})


def diff_marks(result: DiffResult) -> dict[str, dict[str, str]]:
    """Node path -> attribute name -> status, for highlighting the diagrams."""
    marks: dict[str, dict[str, str]] = {}
    for row in result.differences:
        if row.category in _MARKED_ROWS:
            marks.setdefault(row.path, {})[row.name] = row.status
    return marks


def _no_differences(result: DiffResult) -> str:
    """The sentence every diff output ends with when nothing differs."""
    if result.has_differences:
        return ""
    ignored = f" (ignoring {', '.join(result.ignored)})" if result.ignored else ""
    return (f"<p><strong>No differences between {esc(result.a_path)} and "
            f"{esc(result.b_path)}{ignored}.</strong></p>")


def _largest(result: DiffResult) -> str:
    """The diff's ``Largest change: …`` sentence as a paragraph, or ``""``."""
    text = largest_change_text(result)
    return f"<p>{esc(text)}</p>" if text else ""


def render_diff_html(result: DiffResult, a: Report | None = None,
                     b: Report | None = None) -> str:
    """The comparison table, then A and B side by side (banner, overview, diagram) with the
    changed boxes and rows marked; without the reports, the table alone."""
    marks = diff_marks(result)
    ignored = f" Ignoring: {esc(', '.join(result.ignored))}." if result.ignored else ""
    verdict = "differ" if result.has_differences else "do not differ"
    rows = (_diff_row(r) for r in result.rows)
    table = _table(("status", "attribute", "category", "A", "B", "detail"), rows,
                   caption=f"{len(result.differences)} difference(s)") if result.rows else ""
    body = (f"<h1>hpinspect diff</h1><p>A: <code>{esc(result.a_path)}</code> · B: "
            f"<code>{esc(result.b_path)}</code> — the files {verdict}.{ignored}</p>"
            f"<section id=\"d\" aria-label=\"Differences\"><h2>Differences</h2>{_toolbar('d')}"
            f"{table}{_largest(result)}{_no_differences(result)}</section>")
    if a is not None and b is not None:
        body += (f"<div class=\"diffgrid\">{report_section(a, 'ra', marks, heading='h2')}"
                 f"{report_section(b, 'rb', marks, heading='h2')}</div>")
    return _page(f"hpinspect diff: {result.a_path} → {result.b_path}", body)


class HtmlRenderer:
    """``--format html``: one page; several files give the scan-style page with an index."""

    def render(self, reports: Sequence[Report], options: RenderOptions) -> str:
        """Render ``reports`` as one self-contained HTML document."""
        del options  # the page always holds everything; folding replaces --only/--all
        if len(reports) == 1:
            return render_report_html(reports[0])
        return render_scan_html(reports)


class DiffHtmlRenderer:
    """``diff --format html``: the comparison, then A and B side by side."""

    def render(self, result: DiffResult, options: RenderOptions) -> str:
        """Render ``result`` (its two reports, when it carries them, drawn side by side)."""
        del options  # the page holds every row; folding replaces the terminal's layout
        a, b = result.reports or (None, None)
        return render_diff_html(result, a, b)
