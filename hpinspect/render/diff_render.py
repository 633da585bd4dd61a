"""Render a :class:`~hpinspect.diff.DiffResult` as a terminal table, JSON or Markdown.

One :class:`~hpinspect.render.DiffRenderer` per format (``DiffFormat``); like every renderer,
these return text and never print. The JSON is strict (only strings, booleans and lists) and
stable in key order.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from hpinspect.diff import DiffResult, DiffRow
from hpinspect.render import RenderOptions, get_diff_renderer
from hpinspect.render.neutral import json_text, md_cell, terminal
from hpinspect.render.text import format_number
from hpinspect.report import DiffFormat

if TYPE_CHECKING:  # rich is imported by the table renderer only (not for JSON or Markdown)
    from rich.table import Table
    from rich.text import Text

__all__ = [
    "DIFF_SCHEMA_VERSION",
    "DiffFormat",
    "DiffJsonRenderer",
    "DiffMarkdownRenderer",
    "DiffTableRenderer",
    "largest_change_text",
    "render_diff",
]

DIFF_SCHEMA_VERSION = "1"

_STATUS_STYLE = {"changed": "yellow", "added": "green", "removed": "red", "equal": "dim"}
_STATUS_MARK = {"changed": "~", "added": "+", "removed": "-", "equal": "="}


def _text(text: str, style: str = "") -> Text:
    """File-derived text for the terminal (escaped by :mod:`hpinspect.render.neutral`)."""
    from rich.text import Text

    return Text(terminal(text), style=style)


def largest_change_text(result: DiffResult) -> str:
    """``Largest change: 2.weight (max abs diff 0.5, max rel diff 1.931)``, or ``""``."""
    row = result.largest_change
    if row is None:
        return ""
    return (f"Largest change: {row.location} (max abs diff {format_number(row.max_abs_diff)}, "
            f"max rel diff {format_number(row.max_rel_diff)})")


def _no_differences(result: DiffResult) -> str:
    ignored = f" (ignoring {', '.join(result.ignored)})" if result.ignored else ""
    return f"No differences between {result.a_path} and {result.b_path}{ignored}."


class DiffTableRenderer:
    """A rich table ``attribute | category | A | B | detail``, one row per compared item."""

    def render(self, result: DiffResult, options: RenderOptions) -> str:
        """The table (or the no-differences line) as the terminal would show it."""
        from hpinspect.render.console import string_console

        console = string_console(options.width, options.color)
        if not result.rows:
            console.print(_text(_no_differences(result)))
            return console.text()
        title = f"{result.a_path} (A) → {result.b_path} (B)"
        if result.ignored:
            title += f", ignoring {', '.join(result.ignored)}"
        console.print(_text(title, style="bold"), soft_wrap=True)  # not wrapped to the table
        console.print(_table(result))
        if largest := largest_change_text(result):
            console.print(_text(largest), soft_wrap=True)
        if not result.has_differences:
            console.print(_text(_no_differences(result)))
        return console.text()


def _table(result: DiffResult) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, expand=False)
    table.add_column("", no_wrap=True)
    table.add_column("attribute", overflow="fold")
    table.add_column("category", no_wrap=True)
    table.add_column("A", overflow="fold")
    table.add_column("B", overflow="fold")
    table.add_column("detail", overflow="fold")
    for row in result.rows:
        style = _STATUS_STYLE[row.status]
        table.add_row(Text(_STATUS_MARK[row.status], style=style), _text(row.location),
                      Text(row.category), _text(row.a), _text(row.b), _text(row.detail),
                      style=style if row.status == "equal" else None)
    return table


def _row_json(row: DiffRow) -> dict[str, Any]:
    return {
        "path": row.path,
        "name": row.name,
        "param": row.param,
        "category": row.category,
        "status": row.status,
        "a": row.a,
        "b": row.b,
        "a_value": _typed(row.a_value),
        "b_value": _typed(row.b_value),
        "detail": row.detail,
        "max_abs_diff": _typed(row.max_abs_diff),
        "max_rel_diff": _typed(row.max_rel_diff),
    }


def _typed(value: Any) -> Any:
    """A row's JSON-safe value with non-finite floats as strings (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    return value


class DiffJsonRenderer:
    """``{"schema_version", "a", "b", "ignored", "has_differences", "largest_change",
    "rows": [...]}``; ``largest_change`` is the location of the learned value whose numbers
    moved most (``null`` unless two or more moved); rows carry ``max_abs_diff`` and
    ``max_rel_diff`` (``null`` unless numbers differ)."""

    def render(self, result: DiffResult, options: RenderOptions) -> str:
        """The document, indented, ending with a newline."""
        document = {
            "schema_version": DIFF_SCHEMA_VERSION,
            "a": result.a_path,
            "b": result.b_path,
            "ignored": list(result.ignored),
            "has_differences": result.has_differences,
            "largest_change": largest.location if (largest := result.largest_change) else None,
            "rows": [_row_json(row) for row in result.rows],
        }
        return json_text(json.dumps(document, indent=2, ensure_ascii=False,
                                    allow_nan=False)) + "\n"


class DiffMarkdownRenderer:
    """A GitHub-flavoured Markdown table, ready for a pull-request comment.

    File-controlled text goes through the one Markdown escaper
    (:func:`hpinspect.render.neutral.md_cell`), which also neutralises HTML tags and links.
    """

    def render(self, result: DiffResult, options: RenderOptions) -> str:
        """Title, the ignored categories, then the table (or the no-differences line)."""
        lines = [f"## hpinspect diff: {md_cell(result.a_path)} → {md_cell(result.b_path)}", ""]
        if result.ignored:
            lines += [f"Ignoring: {md_cell(', '.join(result.ignored))}.", ""]
        if not result.rows:
            lines.append(md_cell(_no_differences(result)))
            return "\n".join(lines) + "\n"
        lines.append("| | attribute | category | A | B | detail |")
        lines.append("|---|---|---|---|---|---|")
        for row in result.rows:
            cells = [row.location, row.category, row.a, row.b, row.detail]
            lines.append(f"| {_STATUS_MARK[row.status]} | " + " | ".join(md_cell(c) for c in cells)
                         + " |")
        if largest := largest_change_text(result):
            lines += ["", md_cell(largest)]
        if not result.has_differences:
            lines += ["", md_cell(_no_differences(result))]
        return "\n".join(lines) + "\n"


def render_diff(result: DiffResult, fmt: DiffFormat, color: bool = True,
                width: int = 120) -> str:
    """Render ``result`` in ``fmt`` (kept for callers of the old function)."""
    return get_diff_renderer(fmt).render(result, RenderOptions(color=color, width=width))
