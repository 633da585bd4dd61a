"""Render a :class:`~hpinspect.diff.DiffResult` as a terminal table, JSON or Markdown.

Like every renderer, these return text and never print. The JSON is strict (only strings,
booleans and lists) and stable in key order.
"""

from __future__ import annotations

import io
import json
from enum import Enum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hpinspect.diff import DiffResult, DiffRow
from hpinspect.render.neutral import json_text, md_cell, terminal

__all__ = ["DIFF_SCHEMA_VERSION", "DiffFormat", "render_diff"]

DIFF_SCHEMA_VERSION = "1"

_STATUS_STYLE = {"changed": "yellow", "added": "green", "removed": "red", "equal": "dim"}
_STATUS_MARK = {"changed": "~", "added": "+", "removed": "-", "equal": "="}


class DiffFormat(str, Enum):
    """Output formats of ``hpinspect diff``."""

    table = "table"
    json = "json"
    markdown = "markdown"


def _no_differences(result: DiffResult) -> str:
    ignored = f" (ignoring {', '.join(result.ignored)})" if result.ignored else ""
    return f"No differences between {result.a_path} and {result.b_path}{ignored}."


def _text(text: str, style: str = "") -> Text:
    """File-derived text for the terminal (escaped by :mod:`hpinspect.render.neutral`)."""
    return Text(terminal(text), style=style)


def render_table(result: DiffResult, color: bool = True, width: int = 120) -> str:
    """A rich table ``attribute | category | A | B | detail``, one row per compared item."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system="standard" if color else None,
                      force_terminal=color, no_color=not color, highlight=False,
                      emoji=False, markup=False)
    if not result.rows:
        console.print(_text(_no_differences(result)))
        return buffer.getvalue()
    title = f"{result.a_path} (A) → {result.b_path} (B)"
    if result.ignored:
        title += f", ignoring {', '.join(result.ignored)}"
    console.print(_text(title, style="bold"), soft_wrap=True)  # not wrapped to the table
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
    console.print(table)
    if not result.has_differences:
        console.print(_text(_no_differences(result)))
    return buffer.getvalue()


def _row_json(row: DiffRow) -> dict[str, Any]:
    return {
        "path": row.path,
        "name": row.name,
        "param": row.param,
        "category": row.category,
        "status": row.status,
        "a": row.a,
        "b": row.b,
        "detail": row.detail,
    }


def render_json(result: DiffResult) -> str:
    """``{"schema_version", "a", "b", "ignored", "has_differences", "rows": [...]}``."""
    document = {
        "schema_version": DIFF_SCHEMA_VERSION,
        "a": result.a_path,
        "b": result.b_path,
        "ignored": list(result.ignored),
        "has_differences": result.has_differences,
        "rows": [_row_json(row) for row in result.rows],
    }
    return json_text(json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)) + "\n"


def _md_cell(text: str) -> str:
    return md_cell(text)


def render_markdown(result: DiffResult) -> str:
    """A GitHub-flavoured Markdown table, ready for a pull-request comment."""
    lines = [f"## hpinspect diff: {_md_cell(result.a_path)} → {_md_cell(result.b_path)}", ""]
    if result.ignored:
        lines += [f"Ignoring: {_md_cell(', '.join(result.ignored))}.", ""]
    if not result.rows:
        lines.append(_md_cell(_no_differences(result)))
        return "\n".join(lines) + "\n"
    lines.append("| | attribute | category | A | B | detail |")
    lines.append("|---|---|---|---|---|---|")
    for row in result.rows:
        cells = [_md_cell(c) for c in (row.location, row.category, row.a, row.b, row.detail)]
        lines.append("| " + " | ".join([_STATUS_MARK[row.status], *cells]) + " |")
    if not result.has_differences:
        lines += ["", _md_cell(_no_differences(result))]
    return "\n".join(lines) + "\n"


def render_diff(result: DiffResult, fmt: DiffFormat, color: bool = True,
                width: int = 120) -> str:
    """Render ``result`` in ``fmt``."""
    if fmt is DiffFormat.json:
        return render_json(result)
    if fmt is DiffFormat.markdown:
        return render_markdown(result)
    return render_table(result, color=color, width=width)
