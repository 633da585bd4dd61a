"""Renderers: Report -> text. One module per format; renderers return strings, never print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from hpinspect.report import Category, Report


class Format(str, Enum):
    """Output formats of ``hpinspect inspect``."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"
    sarif = "sarif"


@dataclass(frozen=True)
class RenderOptions:
    """What the user asked to see."""

    only: Category | None = None
    """Show one category only."""
    explain: bool = False
    """Add a column with the reason behind each classification."""
    show_all: bool = False
    """Every ensemble member and longer values."""
    color: bool = True
    """ANSI colours (off for --no-color, NO_COLOR, or when not a terminal)."""
    width: int = 120
    """Terminal width the text is laid out for."""
    several: bool = False
    """Several inputs were given (JSON is then always an array, even if some failed)."""


class Renderer(Protocol):
    """Turns reports into one string (a document, or a terminal screen with ANSI codes)."""

    def render(self, reports: Sequence[Report], options: RenderOptions) -> str:
        """Render ``reports`` (one per input file) as a single output text."""
        ...


def get_renderer(fmt: Format) -> Renderer:
    """The renderer for ``fmt`` (imported lazily so start-up stays small)."""
    if fmt is Format.table:
        from hpinspect.render.table import TableRenderer

        return TableRenderer()
    if fmt in (Format.json, Format.jsonl):
        from hpinspect.render.json import JsonRenderer

        return JsonRenderer(lines=fmt is Format.jsonl)
    if fmt is Format.markdown:
        from hpinspect.render.markdown import MarkdownRenderer

        return MarkdownRenderer()
    from hpinspect.render.sarif import SarifRenderer

    return SarifRenderer()
