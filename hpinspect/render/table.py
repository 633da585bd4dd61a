"""Terminal renderer: the overview first, then compact attribute tables (drawn on rich).

Layout per report:

* the overview (:mod:`hpinspect.render.overview`): one line per estimator with its changed
  settings, column routing and key learned facts, then safety, versions and file;
* the findings, when the file references anything that is not known data or a known class;
* for every estimator that is not an unfitted template: a title line and the non-empty
  category tables, side by side from :data:`SIDE_BY_SIDE_MIN_WIDTH` columns on when every
  column fits, stacked below it. Unchanged settings fold into one row (``--all`` lists them).

Values wrap inside their cell; names are never broken. Rich markup is never parsed from file
content: file text enters through :func:`_file_text`, as :class:`~rich.text.Text`.

Number, size and statistics text comes from :mod:`hpinspect.render.text`;
:func:`classes_text` is shared with the Markdown renderer. File-derived strings are neutralised
by :mod:`hpinspect.render.neutral` (:func:`~hpinspect.render.neutral.neutral_report` at the
entry, :func:`~hpinspect.render.neutral.terminal` in :func:`_file_text`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text

from hpinspect.render import RenderOptions
from hpinspect.render.console import string_console
from hpinspect.render.neutral import SHOWN_CAP, fit, neutral_report, terminal
from hpinspect.render.overview import (
    RESOLVED_ROLES,
    OverviewLine,
    Tone,
    overview_lines,
    readable_value,
    split_members,
)
from hpinspect.render.text import format_default
from hpinspect.report import (
    CATEGORIES,
    Attribute,
    Category,
    Finding,
    Node,
    NodeKind,
    Report,
    Safety,
)
from hpinspect.report import (
    Group as AttributeGroup,
)

__all__ = [
    "SIDE_BY_SIDE_MIN_WIDTH",
    "TableRenderer",
    "classes_text",
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
    """Natural width at most this; longer values wrap inside the cell."""
    floor: int
    """Width below which the column is squeezed only when nothing else is left to squeeze;
    0: the column's natural width (identifiers are never broken)."""
    weight: float
    """Share of the width when columns must give way (values keep the most)."""


_NAME = _ColumnKind("name", "bold", cap=48, floor=0, weight=1.0)
_VALUE = _ColumnKind("value", "", cap=72, floor=30, weight=2.0)
_DEFAULT = _ColumnKind("default", "", cap=24, floor=0, weight=0.6)
_ROLE = _ColumnKind("role", "dim", cap=28, floor=0, weight=0.6)
_REASON = _ColumnKind("reason", "dim", cap=80, floor=16, weight=1.5)

_COLUMNS: Mapping[Category, tuple[_ColumnKind, ...]] = {
    Category.HYPERPARAMETER: (replace(_NAME, header="hyperparameter"), _VALUE, _DEFAULT),
    Category.LEARNED: (replace(_NAME, header="learned"), _ROLE, _VALUE),
    Category.AUXILIARY: (replace(_NAME, header="auxiliary"), _VALUE, _ROLE),
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
    """The renderables of one report: the overview, the findings when there are any, then the
    tables of every fitted estimator (templates and summarised members stay in the overview)."""
    report = neutral_report(report)  # every file-derived string, escaped in one place
    yield from (overview_text(line) for line in overview_lines(report, options.show_all))
    problems = _problem_findings(report.safety)
    if problems:
        yield Text()
        yield _safety_banner(report.safety)
        yield _findings_table(problems)
    blocks = [node for node in detail_nodes(report.model, options.show_all)
              if _node_is_shown(node, options)]
    if blocks and options.only in (None, "hyperparameter"):
        yield Text()
        yield Text(LEGEND, style="dim")
    for node in blocks:
        yield Text()
        yield from node_renderables(node, options)


LEGEND = ("default column: class default when changed · '= default' unchanged · '?' "
          "unknown · '(fit)' set by fit")
"""Printed once above the tables."""

_TONE_STYLES: Mapping[Tone, str] = {
    Tone.PLAIN: "", Tone.GUIDE: "dim", Tone.LABEL: "bold", Tone.CLASS: "bold cyan",
    Tone.PARAM: "", Tone.FITTED: "italic cyan", Tone.FACT: "", Tone.GOOD: "bold green",
    Tone.WARN: "bold yellow", Tone.BAD: "bold red", Tone.DIM: "dim", Tone.KEY: "bold",
}


def _file_text(text: str, style: str = "") -> Text:
    """Text taken from the file: neutralised (:func:`~hpinspect.render.neutral.terminal`) and
    never parsed as markup (the one place such text enters). Strings of the neutralised report
    are not capped twice (:data:`~hpinspect.render.neutral.SHOWN_CAP`); values the report keeps
    beyond them (items, routing) are bounded by the classifier."""
    return Text(terminal(text, SHOWN_CAP), style=style)


def _segments(console: Console, text: Text, style: str = "") -> Iterator[Segment]:
    """``text`` drawn in ``style`` (its own style over it, its spans over both): what a table
    cell or a printed Text shows (``Text.render`` alone drops the style of a text without
    spans)."""
    base = console.get_style(style) + console.get_style(text.style or "")
    return iter(Segment.apply_style(text.render(console), base))


class Hanging:
    """``lead`` (never wrapped), then ``body`` wrapped in the columns left of it, its further
    lines hanging under its first character: what a two-column ``Table.grid`` lays out, at a
    fraction of a table's cost (the overview has one such line per estimator). The lead's
    width on the further lines is ``pad_style`` spaces."""

    def __init__(self, lead: Text, body: Text, pad_style: str = "") -> None:
        self.lead = lead
        self.body = body
        self.pad_style = pad_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        indent = self.lead.cell_len
        if indent >= options.max_width:  # (a guide as wide as the line: the grid squeezes it)
            from rich.table import Column, Table

            grid = Table.grid(Column(no_wrap=True, style=self.pad_style), Column(overflow="fold"),
                              padding=0)
            grid.add_row(self.lead, self.body)
            yield grid
            return
        lines = self.body.wrap(console, options.max_width - indent, overflow="fold")
        pad = Segment(" " * indent, console.get_style(self.pad_style) if self.pad_style
                      else None)
        for index, line in enumerate(lines or [Text()]):
            if index:
                yield pad
            else:
                yield from _segments(console, self.lead)
            yield from _segments(console, line)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        body = Measurement.get(console, options, self.body)
        indent = self.lead.cell_len
        return Measurement(indent + body.minimum, indent + body.maximum)


def overview_text(line: OverviewLine) -> Hanging | Text:
    """One overview line: the tree guide, then the segments; continuation lines hang under the
    first segment."""
    text = Text()
    for segment in line.segments:
        style = _TONE_STYLES.get(segment.tone, "")
        text.append_text(_file_text(segment.text, style) if segment.from_file else
                         Text(segment.text, style=style))
    lead = Text(line.guide, style="dim")
    if not line.guide and line.segments and line.segments[0].tone is Tone.KEY:
        lead = text[:len(line.segments[0].text)]  # safety / versions / file: hang after the key
        text = text[len(line.segments[0].text):]
    if not lead.plain:
        return text
    return Hanging(lead, text)


def detail_nodes(root: Node, show_all: bool = False) -> Iterator[Node]:
    """Nodes that get tables: everything except unfitted templates inside a fitted parent (and
    what those templates hold) and, unless ``show_all``, members summarised in the overview."""
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, parent_fitted = stack.pop()
        if not show_all and parent_fitted and node.known and not node.fitted \
                and node.kind is not NodeKind.BUNDLE:
            continue
        yield node
        kept, _ = split_members(node, show_all)
        stack.extend((child, node.fitted) for child in reversed(kept))


def _node_is_shown(node: Node, options: RenderOptions) -> bool:
    """Nodes without any attribute (or, with ``only``, without one of that category) are left
    out; the overview still shows them."""
    if options.only is None:
        return bool(node.attributes)
    return bool(node.by_category(options.only))


def node_renderables(node: Node, options: RenderOptions) -> Iterator[RenderableType]:
    """Title line and the non-empty category tables (side by side when they fit, else stacked)."""
    categories: tuple[Category, ...] = CATEGORIES if options.only is None else (options.only,)
    every = [_category_spec(node, category, options) for category in categories]
    specs = [spec for spec in every if spec.rows]
    folded = [spec.folded for spec in every if spec.folded]
    if not specs:
        yield _one_line_node(node, folded)
        return
    yield node_title(node)
    yield from _node_tables(specs, options)
    for text in (*(spec.more for spec in specs if spec.more), *folded):
        yield _folded_line(text)


def _folded_line(text: str) -> Hanging:
    """``defaults: kernel='rbf', …`` under the tables, wrapping with a hanging indent."""
    label, _, rest = text.partition(": ")
    return Hanging(Text(f"{label}: ", style="bold dim"), _file_text(rest, "dim"), "dim")


def _node_tables(specs: Sequence[_TableSpec], options: RenderOptions
                 ) -> Iterator[RenderableType]:
    """The non-empty category tables: side by side, in two columns, or stacked."""
    columns = _two_columns(specs, options)
    if columns is not None:
        yield columns
        return
    for row in _pack(specs, options):
        if len(row) == 1:
            yield from _fit_tables(row, options.width, gap=0)
            continue
        tables = _fit_tables(row, options.width, gap=GAP)
        yield Beside([(table, _table_width(table)) for table in tables])


def _two_columns(specs: Sequence[_TableSpec], options: RenderOptions) -> Beside | None:
    """Hyperparameters above auxiliary on the left, learned on the right, when the three do not
    fit side by side but two columns do (the learned table is usually the long one)."""
    if len(specs) != 3 or options.explain or options.width < SIDE_BY_SIDE_MIN_WIDTH \
            or _side_by_side_fits(specs, options.width):
        return None
    hyper, learned, aux = specs
    available = options.width - GAP

    def need(spec: _TableSpec, widths: list[int]) -> int:
        return sum(widths) + spec.overhead

    floor_left = max(need(hyper, hyper.floors()), need(aux, aux.floors()))
    floor_right = need(learned, learned.floors())
    natural_left = max(need(hyper, hyper.natural_widths()), need(aux, aux.natural_widths()))
    natural_right = need(learned, learned.natural_widths())
    if floor_left + floor_right > available:
        return None
    if natural_left + natural_right <= available:
        left, right = natural_left, natural_right
    else:
        left = available * natural_left // (natural_left + natural_right)
        left = min(max(left, floor_left), available - floor_right)
        right = available - left
    left_tables = [_fit_tables([spec], left, gap=0)[0] for spec in (hyper, aux)]
    right_table = _fit_tables([learned], right, gap=0)[0]
    left = max(_table_width(table) for table in left_tables)
    return Beside([(Group(left_tables[0], Text(), left_tables[1]), left),
                   (right_table, _table_width(right_table))])


class Beside:
    """Renderables side by side, each in a column of its own width, top-aligned, with
    :data:`GAP` columns between them: the ``Table.grid`` of fixed-width columns it replaced,
    without a table's layout passes."""

    def __init__(self, parts: Sequence[tuple[RenderableType, int]]) -> None:
        self.parts = tuple(parts)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        columns = [console.render_lines(part, options.update(width=width, height=None),
                                        pad=True) for part, width in self.parts]
        gap = Segment(" " * GAP)
        for index in range(max(len(lines) for lines in columns)):
            for number, (lines, (_, width)) in enumerate(zip(columns, self.parts,
                                                             strict=True)):
                if number:
                    yield gap
                if index < len(lines):
                    yield from lines[index]
                else:
                    yield Segment(" " * width)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = sum(width for _, width in self.parts) + GAP * (len(self.parts) - 1)
        return Measurement(width, width)


def _pack(specs: Sequence[_TableSpec], options: RenderOptions) -> list[list[_TableSpec]]:
    """Consecutive tables share a row while every column's floor fits (never with
    ``--explain``, whose reason column wants the width)."""
    rows: list[list[_TableSpec]] = []
    for spec in specs:
        if rows and not options.explain and _side_by_side_fits([*rows[-1], spec],
                                                                 options.width):
            rows[-1].append(spec)
        else:
            rows.append([spec])
    return rows


GAP = 2
"""Columns between side-by-side tables."""
WORD_FLOOR_CAP = 40
"""A value column is kept at least as wide as its longest word, up to this width."""


def node_title(node: Node) -> Text:
    """``path  label: ClassName  module`` plus flags for unfitted nodes and unknown classes."""
    title = Text()
    if node.path:
        title.append(node.path, style="dim")
        title.append("  ")
    if node.label and node.kind is not NodeKind.BUNDLE:
        title.append_text(_file_text(node.label, "bold"))
        title.append(": ", style="bold")
    bundle = node.kind is NodeKind.BUNDLE
    title.append_text(_file_text(f"bundle ({node.short_class})" if bundle else node.short_class,
                                 "bold cyan"))
    module = node.class_name.rpartition(".")[0]
    if module and not bundle:
        title.append_text(_file_text(f"  {module}", "dim"))
    if not node.known:
        title.append("  unknown class", style="yellow")
    if not node.fitted and not bundle and node.kind is not NodeKind.VALUE:
        title.append("  not fitted", style="yellow")
    return title


@dataclass(frozen=True)
class _TableSpec:
    """A category table before its column widths are known."""

    columns: tuple[_ColumnKind, ...]
    rows: tuple[tuple[Text, ...], ...]
    folded: str = ""
    """``defaults: …`` or ``housekeeping: …``: the rows left out, shown as one line."""
    more: str = ""
    """``auxiliary: 99,950 more rows …``: the rows past :data:`ROWS_SHOWN`, counted."""

    def natural_widths(self) -> list[int]:
        """Each column's width without squeezing: its widest cell line, at most its cap."""
        widths = [cell_len(column.header) for column in self.columns]
        for row in self.rows:
            widths = [max(width, max((cell_len(part) for part in cell.plain.split("\n")),
                                     default=0)) for width, cell in zip(widths, row, strict=True)]
        return [min(width, column.cap) for width, column in zip(widths, self.columns,
                                                                strict=True)]

    def floors(self) -> list[int]:
        """Widths below which a column breaks words: names never below the longest name,
        values not below their longest word (within the column's cap)."""
        floors = []
        for index, (column, natural) in enumerate(zip(self.columns, self.natural_widths(),
                                                      strict=True)):
            if not column.floor:
                floors.append(natural)
                continue
            word = max((cell_len(w) for row in self.rows for w in row[index].plain.split()),
                       default=0)
            floors.append(min(natural, max(column.floor, min(word, WORD_FLOOR_CAP))))
        return floors

    @property
    def overhead(self) -> int:
        """Padding between columns (no borders: one space either side of a rule)."""
        return 2 * (len(self.columns) - 1)


def _category_spec(node: Node, category: Category, options: RenderOptions) -> _TableSpec:
    columns = _COLUMNS[category] + ((_REASON,) if options.explain else ())
    attributes = node.by_category(category)
    if not options.show_all:
        attributes = tuple(a for a in attributes if not _in_tree(a))
    folded = [a for a in attributes if not options.show_all and options.only is None
              and _folds(a)]
    left_out = {id(a) for a in folded}
    kept = [a for a in attributes if id(a) not in left_out]
    more = ""
    if not options.show_all and len(kept) > ROWS_SHOWN:
        more = f"{category}: {len(kept) - ROWS_SHOWN:,} more rows (--all lists every one)"
        kept = kept[:ROWS_SHOWN]
    rows = [tuple(_cells(attribute, category, options)) for attribute in kept]
    label = "defaults" if category == "hyperparameter" else "housekeeping"
    return _TableSpec(columns, tuple(rows), f"{label}: {_folded_text(folded, category)}"
                      if folded else "", more)


ROWS_SHOWN = 50
"""Rows of one category table shown unless ``--all``; a note under the tables counts the rest
(a bundle of 100,000 plain values would otherwise take minutes to lay out: about 0.3 ms a
row). No estimator comes near it; ``--format json`` always has every attribute."""


def _folded_text(folded: Sequence[Attribute], category: Category) -> str:
    if category == "hyperparameter":
        return ", ".join(f"{a.name}={readable_value(a)}" for a in folded)
    return ", ".join(a.name for a in folded)


def _one_line_node(node: Node, folded: Sequence[str]) -> Text:
    """A node with nothing but default settings and housekeeping: its title and those, on one
    (wrapping) line."""
    line = node_title(node)
    line.append("  ")
    line.append_text(_file_text("; ".join(folded), "dim"))
    return line


FOLDED_ROLES = frozenset({"provenance", "input schema", "bookkeeping", "logging", "caching",
                          "parallelism", "memory management"})
"""Auxiliary roles folded into one row by default (the overview carries the input schema and
the versions line the provenance)."""


def _folds(attribute: Attribute) -> bool:
    """Unchanged settings and housekeeping attributes share one row unless ``--all``."""
    if attribute.category == "hyperparameter":
        return attribute.has_default and attribute.changed is False
    return attribute.category == "auxiliary" and attribute.role in FOLDED_ROLES


TREE_ROLES = frozenset({"structure", "fitted members", "fitted sub-estimator", "template"})
"""Roles of attributes holding the estimators the overview tree shows."""


def _in_tree(attribute: Attribute) -> bool:
    """Attributes whose estimators the overview draws as the tree (``steps``,
    ``transformers_``, ``estimators_`` ...): left out of the tables unless ``--all``."""
    return attribute.role in TREE_ROLES and attribute.kind in ("estimator", "estimators", "list")


def _side_by_side_fits(specs: Sequence[_TableSpec], width: int) -> bool:
    """Side by side from :data:`SIDE_BY_SIDE_MIN_WIDTH` on, when every column's floor fits."""
    if width < SIDE_BY_SIDE_MIN_WIDTH:
        return False
    budget = width - sum(spec.overhead for spec in specs) - GAP * (len(specs) - 1)
    return sum(sum(spec.floors()) for spec in specs) <= budget


def _fit_tables(specs: Sequence[_TableSpec], width: int, gap: int) -> list[AttributeTable]:
    """Tables whose columns together fit ``width`` (with ``gap`` columns between tables).

    Columns keep their natural width when everything fits. Otherwise the widest columns give
    way first (one weighted width limit shared by every column of every table) and their
    values wrap inside the cell; names keep their full width.
    """
    naturals = [w for spec in specs for w in spec.natural_widths()]
    floors = [w for spec in specs for w in spec.floors()]
    kinds = [column for spec in specs for column in spec.columns]
    budget = width - sum(spec.overhead for spec in specs) - gap * (len(specs) - 1)
    fitted = _squeeze(naturals, floors, kinds, max(budget, len(naturals)))
    tables: list[AttributeTable] = []
    offset = 0
    for spec in specs:
        count = len(spec.columns)
        tables.append(_build_table(spec, fitted[offset:offset + count]))
        offset += count
    return tables


def _squeeze(widths: Sequence[int], floors: Sequence[int], kinds: Sequence[_ColumnKind],
             budget: int) -> list[int]:
    """Widths summing to at most ``budget``: lower a weighted limit, then shrink the floors."""
    if sum(widths) <= budget:
        return list(widths)
    if sum(floors) > budget:
        total = sum(floors)
        return [max(1, floor * budget // total) for floor in floors]

    def limited(limit: int) -> list[int]:
        return [max(floor, min(width, int(kind.weight * limit)))
                for width, floor, kind in zip(widths, floors, kinds, strict=True)]

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
            grow = min(spare, width - current)
            squeezed[index] += grow
            spare -= grow
    return squeezed


class AttributeTable:
    """One category table: a header in bold dim, a rule, then the rows; every column of a fixed
    width, cells wrapped (values) or cut (names) to it, two spaces between columns.

    It draws what ``rich.table.Table(box=SIMPLE_HEAD, show_edge=False, pad_edge=False,
    padding=(0, 1, 0, 0))`` with those columns draws, cell by cell, without a table's
    per-cell layout passes (about 0.3 ms a row: a 50-row table took 15 ms)."""

    def __init__(self, columns: Sequence[_ColumnKind], widths: Sequence[int],
                 rows: Sequence[Sequence[Text]]) -> None:
        self.columns = tuple(columns)
        self.widths = tuple(widths)
        self.rows = rows

    @property
    def width(self) -> int:
        """Columns it takes: every column's width and the gaps between them."""
        return sum(self.widths) + GAP * (len(self.widths) - 1)

    def _row(self, console: Console, cells: Sequence[Text], styles: Sequence[str],
             bottom: bool = False) -> Iterator[Segment]:
        """One row's lines; ``bottom``: shorter cells end on its last line (the header)."""
        columns: list[list[list[Segment]]] = []
        for kind, width, cell, style in zip(self.columns, self.widths, cells, styles,
                                            strict=True):
            wrapped = cell.wrap(console, width, justify="left", overflow="fold",
                                no_wrap=kind.floor == 0)
            columns.append([list(_segments(console, line, style)) for line in wrapped])
        gap = Segment(" " * GAP)
        height = max(len(drawn) for drawn in columns)
        for index in range(height):
            for number, (drawn, width) in enumerate(zip(columns, self.widths, strict=True)):
                if number:
                    yield gap
                at = index - (height - len(drawn) if bottom else 0)
                if 0 <= at < len(drawn):
                    yield from drawn[at]
                else:
                    yield Segment(" " * width)
            yield Segment.line()

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        header = [Text(kind.header) for kind in self.columns]
        yield from self._row(console, header, [f"{kind.style} bold dim".strip()
                                               for kind in self.columns], bottom=True)
        yield Segment("─" * self.width)  # the rule under the header
        yield Segment.line()
        styles = [kind.style for kind in self.columns]
        for row in self.rows:
            yield from self._row(console, row, styles)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


def _build_table(spec: _TableSpec, widths: Sequence[int]) -> AttributeTable:
    return AttributeTable(spec.columns, widths, spec.rows)


def _table_width(table: AttributeTable) -> int:
    """The width a table built by :func:`_build_table` takes (every column has a fixed width)."""
    return table.width


def category_table(node: Node, category: Category, options: RenderOptions) -> AttributeTable:
    """One category's attributes of ``node`` as a table laid out for ``options.width``."""
    return _fit_tables([_category_spec(node, category, options)], options.width, gap=0)[0]


def _default_cell(attribute: Attribute) -> Text:
    if attribute.role in RESOLVED_ROLES:
        return Text("(fit)", style="italic cyan")
    if not attribute.has_default or attribute.changed is None:
        return Text("?", style="dim")
    if not attribute.changed:
        return Text("= default", style="dim")
    return _file_text(attribute.default_summary or format_default(attribute.default),
                      "bold yellow")


def _cells(attribute: Attribute, category: Category, options: RenderOptions) -> list[Text]:
    name = _file_text(fit(terminal(attribute.name, SHOWN_CAP), _NAME.cap))  # says its length
    value = _file_text(readable_value(attribute))
    if category == "hyperparameter":
        if attribute.changed:
            value.stylize("bold")
        if attribute.role in RESOLVED_ROLES:
            value.stylize("italic cyan")
        cells = [name, value, _default_cell(attribute)]
    elif category == "learned":
        cells = [name, Text(attribute.role), value]
    else:
        cells = [name, value, Text(attribute.role)]
    if attribute.name in HIGHLIGHTED:
        cells[0].stylize("bold green")
        value.stylize("bold green")
    if options.explain:
        cells.append(Text(attribute.reason))
    return cells


HIGHLIGHTED = frozenset({"best_score_", "oob_score_", "best_params_"})
"""Performance facts shown in colour wherever they appear."""


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


def _findings_table(findings: Sequence[Finding]) -> Group:
    """One finding per line: ``global  severity  at path — detail``, wrapping at spaces with a
    hanging indent (dotted names are never split unless longer than the whole line)."""
    rows: list[Hanging] = []
    for finding in findings:
        style = SEVERITY_STYLES.get(finding.severity, "")
        line = _file_text(finding.global_name, f"bold {style}".strip())
        line.append(f"  {finding.severity}" + (" (called)" if finding.called else ""),
                    style=style)
        line.append("  at ")
        line.append_text(_file_text(finding.path or "(root)"))
        line.append(" — ")
        line.append_text(_file_text(finding.detail, "dim"))
        rows.append(Hanging(Text("• "), line))
    return Group(*rows)


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
