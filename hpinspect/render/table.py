"""Terminal renderer: a header panel, a tree overview and side-by-side attribute tables (rich).

Layout per report:

* a header panel with the file facts, the saved-with/installed library versions and the safety
  verdict; an ``unsafe`` verdict moves the findings to the top of the panel, in red;
* a tree of the nested estimators when the model has any (pipeline steps, search results ...);
* for every node with attributes: a title line and the three category tables, side by side from
  :data:`SIDE_BY_SIDE_MIN_WIDTH` columns on, stacked below it.

Every attribute row is one line: cells are elided rather than wrapped, so the three tables never
come apart. Values always come from :attr:`~hpinspect.report.Attribute.summary`; rich markup is
never parsed from file content (everything reaches rich as :class:`~rich.text.Text`).

The helpers :func:`human_size`, :func:`format_default`, :func:`format_stats` and
:func:`classes_text` are shared with the Markdown renderer.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Column, Table
from rich.text import Text
from rich.tree import Tree

from hpinspect.render import RenderOptions
from hpinspect.report import (
    CATEGORIES,
    Attribute,
    Category,
    FileInfo,
    Finding,
    Node,
    Report,
    Safety,
    Versions,
)
from hpinspect.report import (
    Group as AttributeGroup,
)

__all__ = [
    "SIDE_BY_SIDE_MIN_WIDTH",
    "TableRenderer",
    "classes_text",
    "format_default",
    "format_stats",
    "human_size",
]

SIDE_BY_SIDE_MIN_WIDTH = 120
"""From this width on the three category tables sit side by side; below it they are stacked."""

SHORT_SHA = 12
"""Hex digits of the sha256 shown in the header."""

SELECTED_DURING_FIT = "selected during fit"
"""The role of hyperparameter values that ``fit`` chose (``alpha_``, ``best_params_``)."""

TITLES: Mapping[Category, str] = {
    "hyperparameter": "Hyperparameters",
    "learned": "Learned parameters",
    "auxiliary": "Auxiliary",
}

VERDICT_STYLES: Mapping[str, str] = {"safe": "green", "review": "yellow", "unsafe": "red"}
SEVERITY_STYLES: Mapping[str, str] = {
    "dangerous": "bold red",
    "unknown call": "red",
    "unknown class": "yellow",
    "known": "dim",
}
SKEW_STYLES: Mapping[str, str] = {
    "none": "green",
    "patch": "yellow",
    "minor": "yellow",
    "major": "bold red",
    "unknown": "dim",
}


@dataclass(frozen=True)
class _Widths:
    """Maximum column widths; cells beyond them end in an ellipsis."""

    name: int
    value: int
    default: int
    summary: int
    role: int
    reason: int


_COMPACT = _Widths(name=28, value=32, default=18, summary=48, role=20, reason=40)
_SHOW_ALL = _Widths(name=48, value=96, default=48, summary=120, role=28, reason=96)


class TableRenderer:
    """Renders reports as rich tables for a terminal (colours only when asked for)."""

    def render(self, reports: Sequence[Report], options: RenderOptions) -> str:
        """Every report in turn, separated by a rule; the text rich would print."""
        file = io.StringIO()
        console = Console(
            file=file,
            width=options.width,
            force_terminal=options.color,
            color_system="standard" if options.color else None,
            no_color=not options.color,
            highlight=False,
            soft_wrap=False,
        )
        for index, report in enumerate(reports):
            if index:
                console.print()
                console.rule(style="dim")
                console.print()
            for renderable in report_renderables(report, options):
                console.print(renderable)
        text = file.getvalue()
        if not options.color:
            # Tables and panels pad their lines with spaces; without colours they carry nothing.
            text = "\n".join(line.rstrip() for line in text.split("\n"))
        return text


def report_renderables(report: Report, options: RenderOptions) -> Iterator[RenderableType]:
    """The renderables of one report, in display order (header, tree, one block per node)."""
    yield header_panel(report)
    if report.model.children:
        yield Text()
        yield model_tree(report.model)
    for node in report.nodes():
        if _node_is_shown(node, options):
            yield Text()
            yield from node_renderables(node, options)


# --------------------------------------------------------------------------------------- header


def header_panel(report: Report) -> Panel:
    """File facts, versions and safety; the safety section comes first when the file is unsafe."""
    safety = report.safety
    facts = _facts_grid(report.file, report.versions, safety)
    parts: list[RenderableType] = []
    problems = _problem_findings(safety)
    if safety.verdict == "unsafe":
        parts += [_safety_banner(safety), _findings_table(problems), Text(), facts]
    else:
        parts.append(facts)
        if problems:
            parts += [Text(), _safety_banner(safety), _findings_table(problems)]
    return Panel(
        Group(*parts),
        title=Text(report.file.path, style="bold"),
        title_align="left",
        border_style=VERDICT_STYLES.get(safety.verdict, ""),
        box=box.ROUNDED,
    )


def _facts_grid(file: FileInfo, versions: Versions, safety: Safety) -> Table:
    grid = Table.grid(Column(style="bold", no_wrap=True), Column(overflow="fold"), padding=(0, 2))
    grid.add_row("file", Text(file.path))
    grid.add_row("size", Text(human_size(file.size_bytes)))
    grid.add_row("format", Text(file.format))
    grid.add_row("compression", Text(file.compression or "none"))
    grid.add_row("protocol", Text(str(file.pickle_protocol)))
    grid.add_row("sha256", Text(file.sha256[:SHORT_SHA]))
    version_lines = _version_lines(versions)
    if not version_lines:
        grid.add_row("versions", Text("no version marker in the file", style="dim"))
    for index, line in enumerate(version_lines):
        grid.add_row("versions" if index == 0 else "", line)
    verdict = Text(safety.verdict, style=f"bold {VERDICT_STYLES.get(safety.verdict, '')}")
    counted = _problem_findings(safety)
    if counted:
        verdict.append(f"  ({_plural(len(counted), 'finding')})", style="")
    grid.add_row("safety", verdict)
    return grid


def _version_lines(versions: Versions) -> list[Text]:
    """One line per library: saved-with version, installed version and the skew between them."""
    libraries = list(versions.saved_with)
    libraries += [name for name in versions.installed if name not in versions.saved_with]
    lines: list[Text] = []
    for library in libraries:
        skew = versions.skew.get(library, "unknown")
        saved = versions.saved_with.get(library)
        installed = versions.installed.get(library)
        line = Text(f"{library} ", style="bold")
        line.append(f"saved with {saved}" if saved else "saved with ?")
        line.append(", ")
        line.append(f"installed {installed}" if installed else "not installed")
        if skew == "none":
            line.append("  (same)", style="dim")
        elif skew == "unknown":
            line.append("  (skew unknown)", style="dim")
        else:
            line.append(f"  ({skew} skew)", style=SKEW_STYLES.get(skew, ""))
        lines.append(line)
    return lines


def _problem_findings(safety: Safety) -> tuple[Finding, ...]:
    """Findings worth showing: everything that is not known data or a known estimator class."""
    return tuple(f for f in safety.findings if f.severity != "known")


def _safety_banner(safety: Safety) -> Text:
    if safety.verdict == "unsafe":
        return Text(
            "UNSAFE: a real pickle/joblib load of this file would run code hpinspect cannot "
            "vouch for",
            style="bold red",
        )
    return Text(
        "REVIEW: the file references classes hpinspect does not know", style="bold yellow"
    )


def _findings_table(findings: Sequence[Finding]) -> Table:
    table = Table(
        Column("global", overflow="fold", ratio=3),
        Column("severity", no_wrap=True),
        Column("path", overflow="fold", ratio=2),
        Column("detail", overflow="fold", ratio=4),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
    )
    for finding in findings:
        style = SEVERITY_STYLES.get(finding.severity, "")
        table.add_row(
            Text(finding.global_name, style=style),
            Text(finding.severity + (" (called)" if finding.called else ""), style=style),
            Text(finding.path or "(root)"),
            Text(finding.detail),
        )
    return table


# ----------------------------------------------------------------------------------------- tree


def model_tree(root: Node) -> Tree:
    """Root class, then every nested estimator with its label/path, and the member groups."""
    tree = Tree(_tree_label(root, is_root=True), guide_style="dim")
    _add_branches(tree, root)
    return tree


def _add_branches(branch: Tree, node: Node) -> None:
    for child in node.children:
        _add_branches(branch.add(_tree_label(child, is_root=False)), child)
    for group in node.groups:
        branch.add(Text(f"{group.attribute}: {classes_text(group)}", style="dim"))


def _tree_label(node: Node, *, is_root: bool) -> Text:
    label = Text()
    if node.label and not is_root:
        label.append(node.label, style="bold")
        label.append("  ")
    label.append(node.short_class, style="cyan")
    where = "(root)" if is_root and not node.path else node.path
    if where and where != node.label:
        label.append(f"  {where}", style="dim")
    return label


# ---------------------------------------------------------------------------------------- nodes


def _node_is_shown(node: Node, options: RenderOptions) -> bool:
    """Nodes without any attribute (or, with ``only``, without one of that category) are left
    out; the tree overview still shows them."""
    if options.only is None:
        return bool(node.attributes or node.groups)
    if node.by_category(options.only):
        return True
    return options.only == "learned" and bool(node.groups)


def node_renderables(node: Node, options: RenderOptions) -> Iterator[RenderableType]:
    """Title line, the category tables (side by side or stacked) and the member groups."""
    yield node_title(node)
    categories: tuple[Category, ...] = CATEGORIES if options.only is None else (options.only,)
    tables = [category_table(node, category, options) for category in categories]
    if len(tables) > 1 and options.width >= SIDE_BY_SIDE_MIN_WIDTH:
        grid = Table.grid(*(Column(vertical="top") for _ in tables), padding=(0, 1))
        grid.add_row(*tables)
        yield grid
    else:
        for index, table in enumerate(tables):
            if index:
                yield Text()
            yield table
    if node.groups and options.only in (None, "learned"):
        yield groups_table(node.groups, options)


def node_title(node: Node) -> Text:
    """``path (label)  ClassName`` plus flags for unfitted nodes and unknown classes."""
    title = Text()
    title.append(node.path or "(root)", style="bold")
    if node.label and node.label != node.path:
        title.append(f" ({node.label})", style="bold")
    title.append("  ")
    title.append(node.short_class, style="bold cyan")
    module = node.class_name.rpartition(".")[0]
    if module:
        title.append(f"  {module}", style="dim")
    if not node.known:
        title.append("  unknown class", style="yellow")
    if not node.fitted:
        title.append("  not fitted", style="yellow")
    return title


def category_table(node: Node, category: Category, options: RenderOptions) -> Table:
    """One category's attributes of ``node`` as a table (a dim "none" row when it is empty)."""
    widths = _SHOW_ALL if options.show_all else _COMPACT
    columns = [_column("name", widths.name, style="bold")]
    if category == "hyperparameter":
        columns += [_column("value", widths.value), _column("default", widths.default)]
    elif category == "learned":
        columns.append(_column("summary", widths.summary))
    else:
        columns += [_column("value", widths.value), _column("role", widths.role, style="dim")]
    if options.explain:
        columns.append(_column("reason", widths.reason, style="dim"))
    title = TITLES[category]
    table = Table(
        *columns,
        title=Text(title, style="bold"),
        title_justify="left",
        min_width=len(title) + 1,
        box=box.ROUNDED,
        header_style="bold dim",
    )
    attributes = node.by_category(category)
    for attribute in attributes:
        table.add_row(*_cells(attribute, category, options))
    if not attributes:
        table.add_row(Text("none", style="dim italic"), *("" for _ in columns[1:]))
    return table


def _column(header: str, max_width: int, style: str = "") -> Column:
    return Column(header, style=style, no_wrap=True, overflow="ellipsis", max_width=max_width)


def _cells(attribute: Attribute, category: Category, options: RenderOptions) -> list[Text]:
    name = Text(attribute.name)
    if category == "hyperparameter":
        value = Text(attribute.summary, style="bold" if attribute.changed else "")
        if attribute.role == SELECTED_DURING_FIT:
            name.append(" (fit)", style="italic cyan")
            value.stylize("italic cyan")
        default = Text()
        if attribute.changed and attribute.has_default:
            default = Text(format_default(attribute.default), style="bold yellow")
        cells = [name, value, default]
    elif category == "learned":
        cells = [name, Text(attribute.summary)]
    else:
        cells = [name, Text(attribute.summary), Text(attribute.role)]
    if options.explain:
        cells.append(Text(attribute.reason))
    return cells


def groups_table(groups: Sequence[AttributeGroup], options: RenderOptions) -> Table:
    """Aggregates of large member lists: attribute, count, member classes and statistics."""
    widths = _SHOW_ALL if options.show_all else _COMPACT
    table = Table(
        _column("attribute", widths.name, style="bold"),
        Column("count", justify="right", no_wrap=True),
        _column("classes", widths.summary),
        Column("stats", overflow="fold", ratio=1),
        title=Text("Members", style="bold"),
        title_justify="left",
        box=box.ROUNDED,
        header_style="bold dim",
    )
    for group in groups:
        table.add_row(
            Text(group.attribute),
            Text(str(group.count)),
            Text(classes_text(group)),
            Text(format_stats(group.stats)),
        )
    return table


# -------------------------------------------------------------------------------- shared helpers


def human_size(size_bytes: int) -> str:
    """``512 B``, ``2.1 KiB``, ``3.4 MiB`` ... (binary units)."""
    if size_bytes < 1024:
        return f"{size_bytes} B"
    size = float(size_bytes)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            break
    return f"{size:.1f} {unit}"


def _number(value: float) -> str:
    """Short number text in the style of attribute summaries (``1`` for 1.0, 4 significant
    digits)."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def format_default(value: Any) -> str:
    """A JSON-safe default as the classifier writes summaries (strings quoted, ``None``)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_default(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{format_default(key)}: {format_default(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    return str(value)


def _stat_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, Mapping):
        if {"min", "max"} <= value.keys():
            text = f"{_stat_value(value['min'])}–{_stat_value(value['max'])}"
            if "mean" in value:
                text += f" (mean {_stat_value(value['mean'])})"
            return text
        return "{" + ", ".join(f"{k}: {_stat_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_stat_value(item) for item in value) + "]"
    return str(value)


def format_stats(stats: Mapping[str, Any]) -> str:
    """Group statistics on one line: ``max_depth 3–9 (mean 5.2); node_count ...``."""
    return "; ".join(f"{key} {_stat_value(value)}" for key, value in stats.items())


def classes_text(group: AttributeGroup) -> str:
    """``100 × DecisionTreeClassifier``, or the split when the members differ."""
    short: dict[str, int] = {}
    for name, count in group.classes.items():
        key = name.rsplit(".", 1)[-1]
        short[key] = short.get(key, 0) + count
    if len(short) == 1:
        ((name, count),) = short.items()
        if count == group.count:
            return f"{count} × {name}"
    parts = ", ".join(f"{count} × {name}" for name, count in short.items())
    return f"{group.count} members: {parts}" if parts else f"{group.count} members"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
