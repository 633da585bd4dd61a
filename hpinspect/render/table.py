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

Number, size and statistics text comes from :mod:`hpinspect.render.text`;
:func:`classes_text` is shared with the Markdown renderer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Column, Table
from rich.text import Text
from rich.tree import Tree

from hpinspect.render import RenderOptions
from hpinspect.render.console import string_console
from hpinspect.render.neutral import neutral_report
from hpinspect.render.text import format_default, format_stats, human_size, plural
from hpinspect.report import (
    CATEGORIES,
    Attribute,
    Category,
    FileInfo,
    Finding,
    Node,
    NodeKind,
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
    Category.HYPERPARAMETER: "Hyperparameters",
    Category.LEARNED: "Learned parameters",
    Category.AUXILIARY: "Auxiliary",
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
class _ColumnKind:
    """How one kind of attribute-table column is sized."""

    header: str
    style: str
    cap: int
    """Maximum width; longer cells end in an ellipsis."""
    cap_all: int
    """Maximum width with ``--all``."""
    floor: int
    """Width below which the column is squeezed only when nothing else is left to squeeze."""
    weight: float
    """Share of the width when columns must give way (summaries keep the most)."""


_NAME = _ColumnKind("name", "bold", cap=28, cap_all=48, floor=16, weight=1.0)
_VALUE = _ColumnKind("value", "", cap=32, cap_all=96, floor=8, weight=1.0)
_DEFAULT = _ColumnKind("default", "", cap=18, cap_all=48, floor=7, weight=0.6)
_SUMMARY = _ColumnKind("summary", "", cap=48, cap_all=120, floor=12, weight=2.0)
_ROLE = _ColumnKind("role", "dim", cap=20, cap_all=28, floor=8, weight=0.6)
_REASON = _ColumnKind("reason", "dim", cap=80, cap_all=120, floor=8, weight=1.5)

_COLUMNS: Mapping[Category, tuple[_ColumnKind, ...]] = {
    Category.HYPERPARAMETER: (_NAME, _VALUE, _DEFAULT),
    Category.LEARNED: (_NAME, _SUMMARY),
    Category.AUXILIARY: (_NAME, _VALUE, _ROLE),
}


class TableRenderer:
    """Renders reports as rich tables for a terminal (colours only when asked for)."""

    def render(self, reports: Sequence[Report], options: RenderOptions) -> str:
        """Every report in turn, separated by a rule; the text rich would print."""
        console = string_console(options.width, options.color)
        for index, report in enumerate(reports):
            if index:
                console.print()
                console.rule(style="dim")
                console.print()
            for renderable in report_renderables(report, options):
                console.print(renderable)
        text = console.text()
        if not options.color:
            # Tables and panels pad their lines with spaces; without colours they carry nothing.
            text = "\n".join(line.rstrip() for line in text.split("\n"))
        return text


def report_renderables(report: Report, options: RenderOptions) -> Iterator[RenderableType]:
    """The renderables of one report, in display order (header, tree, one block per node)."""
    report = neutral_report(report)  # every file-derived string, escaped in one place
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
        verdict.append(f"  ({plural(len(counted), 'finding')})", style="")
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
        line = Text()
        line.append(library, style="bold")
        line.append(f" saved with {saved}" if saved else " saved with ?")
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
    specs = [_category_spec(node, category, options) for category in categories]
    # With --explain every table carries a long reason column: stacked, each gets the width.
    if len(specs) > 1 and not options.explain and _side_by_side_fits(specs, options.width):
        tables = _fit_tables(specs, options.width, gap=1)
        grid = Table.grid(
            *(Column(vertical="top", width=_table_width(table)) for table in tables),
            padding=(0, 1),
        )
        grid.add_row(*tables)
        yield grid
    else:
        for index, spec in enumerate(specs):
            if index:
                yield Text()
            yield from _fit_tables([spec], options.width, gap=0)
    if node.groups and options.only in (None, "learned"):
        yield Text()
        yield groups_table(node.groups, options)


def node_title(node: Node) -> Text:
    """``path (label)  ClassName`` plus flags for unfitted nodes and unknown classes."""
    title = Text()
    title.append(node.path or "(root)", style="bold")
    if node.label and node.label != node.path:
        title.append(f" ({node.label})", style="bold")
    title.append("  ")
    bundle = node.kind is NodeKind.BUNDLE
    title.append(f"{node.short_class} of {len(node.children)} estimator(s) and "
                 f"{len(node.attributes)} other entries" if bundle else node.short_class,
                 style="bold cyan")
    module = node.class_name.rpartition(".")[0]
    if module and not bundle:
        title.append(f"  {module}", style="dim")
    if not node.known:
        title.append("  unknown class", style="yellow")
    if not node.fitted and not bundle:
        title.append("  not fitted", style="yellow")
    return title


@dataclass(frozen=True)
class _TableSpec:
    """A category table before its column widths are known."""

    title: str
    columns: tuple[_ColumnKind, ...]
    rows: tuple[tuple[Text, ...], ...]
    show_all: bool

    def natural_widths(self) -> list[int]:
        """Each column's width without squeezing: its widest cell, at most its cap."""
        widths = [cell_len(column.header) for column in self.columns]
        for row in self.rows:
            widths = [max(width, cell.cell_len) for width, cell in zip(widths, row, strict=True)]
        caps = [column.cap_all if self.show_all else column.cap for column in self.columns]
        widths = [min(width, cap) for width, cap in zip(widths, caps, strict=True)]
        # a table is never narrower than its title, which would otherwise wrap
        widths[-1] += max(0, cell_len(self.title) + 1 - sum(widths) - self.overhead)
        return widths

    @property
    def overhead(self) -> int:
        """Borders and padding: a rounded box with one space either side of every cell."""
        return len(self.columns) + 1 + 2 * len(self.columns)


def _category_spec(node: Node, category: Category, options: RenderOptions) -> _TableSpec:
    columns = _COLUMNS[category] + ((_REASON,) if options.explain else ())
    rows = [tuple(_cells(attribute, category, options)) for attribute in
            node.by_category(category)]
    if not rows:
        rows = [(Text("none", style="dim italic"), *(Text() for _ in columns[1:]))]
    return _TableSpec(TITLES[category], columns, tuple(rows), options.show_all)


def _side_by_side_fits(specs: Sequence[_TableSpec], width: int) -> bool:
    """Side by side from :data:`SIDE_BY_SIDE_MIN_WIDTH` on, unless even the column floors would
    not fit (many columns, e.g. with ``--explain``): then stacked tables read better."""
    if width < SIDE_BY_SIDE_MIN_WIDTH:
        return False
    budget = width - sum(spec.overhead for spec in specs) - (len(specs) - 1)
    floors = sum(min(column.floor, natural) for spec in specs
                 for column, natural in zip(spec.columns, spec.natural_widths(), strict=True))
    return floors <= budget


def _fit_tables(specs: Sequence[_TableSpec], width: int, gap: int) -> list[Table]:
    """Tables whose columns together fit ``width`` (with ``gap`` columns between tables).

    Columns keep their natural width when everything fits. Otherwise the widest columns give
    way first (one weighted width limit shared by every column of every table), so short names
    stay whole and long values are elided; no column goes below its floor unless even the
    floors do not fit, in which case all columns shrink in proportion to their floors.
    """
    naturals = [w for spec in specs for w in spec.natural_widths()]
    kinds = [column for spec in specs for column in spec.columns]
    budget = width - sum(spec.overhead for spec in specs) - gap * (len(specs) - 1)
    fitted = _squeeze(naturals, kinds, max(budget, len(naturals)))
    tables: list[Table] = []
    offset = 0
    for spec in specs:
        count = len(spec.columns)
        tables.append(_build_table(spec, fitted[offset:offset + count]))
        offset += count
    return tables


def _squeeze(widths: Sequence[int], kinds: Sequence[_ColumnKind], budget: int) -> list[int]:
    """Widths summing to at most ``budget``: lower a weighted limit, then shrink the floors."""
    if sum(widths) <= budget:
        return list(widths)
    floors = [min(kind.floor, width) for kind, width in zip(kinds, widths, strict=True)]
    if sum(floors) > budget:
        total = sum(floors)
        return [max(1, floor * budget // total) for floor in floors]

    def limited(limit: int) -> list[int]:
        return [max(floor, min(width, int(kind.weight * limit)))
                for width, floor, kind in zip(widths, floors, kinds, strict=True)]

    # the largest limit that fits (water filling from the top)
    low, high = 0, int(max(widths) / min(kind.weight for kind in kinds)) + 1
    while low < high:
        middle = (low + high + 1) // 2
        if sum(limited(middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    squeezed = limited(low)
    spare = budget - sum(squeezed)
    for index, (width, current) in enumerate(zip(widths, squeezed, strict=True)):
        if spare and width > current:  # hand out what the integer limit left over
            squeezed[index] += 1
            spare -= 1
    return squeezed


def _build_table(spec: _TableSpec, widths: Sequence[int]) -> Table:
    columns = [
        Column(kind.header, style=kind.style, no_wrap=True, overflow="ellipsis", width=width)
        for kind, width in zip(spec.columns, widths, strict=True)
    ]
    table = Table(
        *columns,
        title=Text(spec.title, style="bold", no_wrap=True, overflow="ellipsis"),
        title_justify="left",
        box=box.ROUNDED,
        header_style="bold dim",
    )
    for row in spec.rows:
        table.add_row(*row)
    return table


def _table_width(table: Table) -> int:
    """The width a table built by :func:`_build_table` takes (every column has a fixed width)."""
    return sum((column.width or 0) + 2 for column in table.columns) + len(table.columns) + 1


def category_table(node: Node, category: Category, options: RenderOptions) -> Table:
    """One category's attributes of ``node`` as a table laid out for ``options.width``."""
    return _fit_tables([_category_spec(node, category, options)], options.width, gap=0)[0]


def _cells(attribute: Attribute, category: Category, options: RenderOptions) -> list[Text]:
    name = Text(attribute.name)
    if category == "hyperparameter":
        value = Text(attribute.summary, style="bold" if attribute.changed else "")
        if attribute.role == SELECTED_DURING_FIT:
            name.append(" (fit)", style="italic cyan")
            value.stylize("italic cyan")
        default = Text()
        if attribute.changed and attribute.has_default:
            default = Text(attribute.default_summary or format_default(attribute.default),
                           style="bold yellow")
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
    name_cap, classes_cap = (_NAME.cap_all, _SUMMARY.cap_all) if options.show_all else (
        _NAME.cap, _SUMMARY.cap)
    table = Table(
        Column("attribute", style="bold", no_wrap=True, overflow="ellipsis", max_width=name_cap),
        Column("count", justify="right", no_wrap=True),
        Column("classes", no_wrap=True, overflow="ellipsis", max_width=classes_cap),
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
