"""Every output of hpinspect: one renderer interface per result type, one module per format.

Result types and their renderers (each returns a string and never prints):

- reports (``inspect``): :class:`Renderer` — table, json/jsonl, markdown, sarif, html
  (:func:`get_renderer`, ``InspectFormat``);
- a diff (:class:`~hpinspect.diff.DiffResult`): :class:`DiffRenderer` in
  :mod:`hpinspect.render.diff_render` (:func:`get_diff_renderer`, ``DiffFormat``);
- a check run (:class:`~hpinspect.check.CheckRun`): :class:`CheckRenderer` in
  :mod:`hpinspect.render.check` (:func:`get_check_renderer`, ``CheckFormat``).

A new output format is one member of the command's format enum in :mod:`hpinspect.report` and
one renderer module here, named in the table of its result type below. Shared pieces:
:mod:`~hpinspect.render.text` (numbers, sizes, statistics), :mod:`~hpinspect.render.console`
(the one rich console factory), :mod:`~hpinspect.render.annotations` (GitHub workflow commands).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Protocol

from hpinspect.report import Category, CheckFormat, DiffFormat, InspectFormat, Report

if TYPE_CHECKING:
    from hpinspect.check import CheckRun
    from hpinspect.diff import DiffResult

Format = InspectFormat
"""Output formats of ``hpinspect inspect`` (the old name, kept importable)."""


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


class DiffRenderer(Protocol):
    """Turns a diff result into one string."""

    def render(self, result: DiffResult, options: RenderOptions) -> str:
        """Render ``result``; ``options.color`` and ``options.width`` apply to tables."""
        ...


class CheckRenderer(Protocol):
    """Turns a check run (every report with its rule outcomes) into one string."""

    def render(self, run: CheckRun, options: RenderOptions) -> str:
        """Render ``run``."""
        ...


# Format -> (module, class name[, keyword]) — imported lazily so start-up stays small.
REPORT_RENDERERS: dict[InspectFormat, tuple[str, str]] = {
    InspectFormat.table: ("hpinspect.render.table", "TableRenderer"),
    InspectFormat.json: ("hpinspect.render.json", "JsonRenderer"),
    InspectFormat.jsonl: ("hpinspect.render.json", "JsonLinesRenderer"),
    InspectFormat.markdown: ("hpinspect.render.markdown", "MarkdownRenderer"),
    InspectFormat.sarif: ("hpinspect.render.sarif", "SarifRenderer"),
    InspectFormat.html: ("hpinspect.render.html", "HtmlRenderer"),
}
DIFF_RENDERERS: dict[DiffFormat, tuple[str, str]] = {
    DiffFormat.table: ("hpinspect.render.diff_render", "DiffTableRenderer"),
    DiffFormat.json: ("hpinspect.render.diff_render", "DiffJsonRenderer"),
    DiffFormat.markdown: ("hpinspect.render.diff_render", "DiffMarkdownRenderer"),
    DiffFormat.html: ("hpinspect.render.html", "DiffHtmlRenderer"),
}
CHECK_RENDERERS: dict[CheckFormat, tuple[str, str]] = {
    CheckFormat.table: ("hpinspect.render.check", "CheckTextRenderer"),
    CheckFormat.json: ("hpinspect.render.check", "CheckJsonRenderer"),
    CheckFormat.sarif: ("hpinspect.render.sarif", "CheckSarifRenderer"),
}


def _instance(entry: tuple[str, str]) -> object:
    module, name = entry
    return getattr(import_module(module), name)()


def get_renderer(fmt: InspectFormat) -> Renderer:
    """The report renderer for ``fmt``."""
    renderer: Renderer = _instance(REPORT_RENDERERS[InspectFormat(fmt)])  # type: ignore[assignment]
    return renderer


def get_diff_renderer(fmt: DiffFormat) -> DiffRenderer:
    """The diff renderer for ``fmt``."""
    renderer: DiffRenderer = _instance(DIFF_RENDERERS[DiffFormat(fmt)])  # type: ignore[assignment]
    return renderer


def get_check_renderer(fmt: CheckFormat) -> CheckRenderer:
    """The check-run renderer for ``fmt``."""
    renderer: CheckRenderer = _instance(CHECK_RENDERERS[CheckFormat(fmt)])  # type: ignore[assignment]
    return renderer
