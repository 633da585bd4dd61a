"""Renderers of a :class:`~hpinspect.scan.ScanResult`: table, JSON lines, JSON, SARIF, Markdown.

* ``table``: one summary row per model (file, format, model with a few key hyperparameters,
  fitted, verdict, findings), then the findings that matter, the broken files, and with
  ``verbose`` the other and skipped paths; a totals line always counts every path.
* ``jsonl``: one report document (the ``--format json`` document of DESIGN §4) per model file,
  one per line, so every line validates against the report schema.
* ``json``: one document with the counts, the reports and the non-model paths.
* ``sarif``: one run for all files (the pieces of :mod:`hpinspect.render.sarif`); broken files
  are results of rule HPI020.
* ``markdown``: the summary as a GFM table plus the findings.

Paths come from the scanned file system and are untrusted text like file content: every one is
made printable (:func:`printable`) and reaches rich as :class:`~rich.text.Text` only.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from hpinspect.render.json import report_doc, report_line
from hpinspect.report import Category, Finding, Node, Report, ScanFormat
from hpinspect.scan import Entry, Kind, ScanResult

__all__ = ["ScanFormat", "ScanView", "model_label", "printable", "progress_bar", "render_scan"]

KEY_HYPERPARAMETERS = 3
"""Hyperparameters shown next to the class in the summary (changed from the default first)."""
MATTERS = ("dangerous", "unknown call", "unknown class")
VERDICT_STYLES = {"safe": "green", "review": "yellow", "unsafe": "bold red"}


@dataclass(frozen=True)
class ScanView:
    """How to show a scan."""

    verbose: bool = False
    """List the other (non-model) and skipped paths too."""
    color: bool = False
    """ANSI colours."""
    width: int = 120
    """Layout width of the table."""


def printable(text: str) -> str:
    """``text`` with control, format (bidi) and surrogate characters shown as escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape",
                                                     "backslashreplace").decode("ascii")
                   for c in text)


def _key_hyperparameters(node: Node) -> list[str]:
    """The hyperparameters that differ from the class default (for classes without known
    defaults: the first ones), at most :data:`KEY_HYPERPARAMETERS`, then ``…``."""
    hyper = node.by_category(Category.HYPERPARAMETER)
    chosen = [a for a in hyper if a.changed or not a.has_default]
    shown = [f"{a.name}={a.summary}" for a in chosen[:KEY_HYPERPARAMETERS]]
    return shown + (["…"] if len(chosen) > KEY_HYPERPARAMETERS else [])


def model_label(report: Report) -> str:
    """Root class with the hyperparameters set away from their defaults, e.g.
    ``LogisticRegression(C=0.5)``; ``LogisticRegression()`` when all are defaults."""
    node = report.model
    return f"{node.short_class}({', '.join(_key_hyperparameters(node))})"


def _settings(report: Report) -> str:
    """The key hyperparameters, ``", "``-separated: the table wraps them between settings."""
    return ", ".join(_key_hyperparameters(report.model))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _matters(report: Report) -> list[Finding]:
    return [f for f in report.safety.findings if f.severity in MATTERS]


def _totals(result: ScanResult) -> str:
    counts = result.counts()
    verdicts = {"safe": 0, "review": 0, "unsafe": 0}
    for report in result.reports:
        verdicts[report.safety.verdict] += 1
    detail = ", ".join(f"{n} {v}" for v, n in verdicts.items() if n)
    line = (f"{_plural(len(result.entries), 'path')}: {_plural(counts['model'], 'model')}"
            + (f" ({detail})" if detail else "")
            + f", {_plural(counts['other'], 'other file')}, {counts['broken']} broken, "
            f"{counts['skipped']} skipped")
    return line + (" (stopped at --max-files)" if result.truncated else "")


# -------------------------------------------------------------------------------------- table


MODEL_MIN_WIDTH = 32
"""The model column is at least as wide as its longest class name, up to this many cells."""


def _model_cell(report: Report) -> Text:
    """The class on the first line, its key settings below (wrapped between settings)."""
    settings = _settings(report)
    return Text(printable(report.model.short_class) + (f"\n{printable(settings)}"
                                                       if settings else ""))


def _widths(reports: tuple[Report, ...], width: int) -> tuple[int, int]:
    """Widths of the file and model columns: half each of what the fixed columns leave, the
    model column at least as wide as its longest class name (up to :data:`MODEL_MIN_WIDTH`)."""
    fixed = len("fitted") + len("verdict") + len("findings") + 3 * 4 + 2  # gaps and edges
    left = max(24, width - fixed)
    widest = max((len(printable(r.model.short_class)) for r in reports), default=0)
    model = max(min(widest, MODEL_MIN_WIDTH), left // 2)
    return max(8, left - model), model


def _file_cell(report: Report) -> Text:
    """The path, and its format on the line below."""
    cell = Text(printable(report.file.path))
    cell.append(f"\n{report.file.format}", style="dim")
    return cell


def _summary_table(result: ScanResult, width: int) -> Table:
    """One row per model. The file cell is the path with its format below; the model cell is
    the class with its key settings below, so rich wraps them between one ``name=value`` and
    the next (at the spaces); only a token wider than its whole column (a long path or value)
    is folded. Both keep their width at 80 columns (see :func:`_widths`)."""
    reports = result.reports
    file_width, model_width = _widths(reports, width)
    table = Table(Column("file, format", overflow="fold", width=file_width),
                  Column("model", overflow="fold", width=model_width),
                  Column("fitted", no_wrap=True), Column("verdict", no_wrap=True),
                  Column("findings", justify="right", no_wrap=True), box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for report in reports:
        verdict = report.safety.verdict
        table.add_row(_file_cell(report), _model_cell(report),
                      Text("yes" if report.model.fitted else "no"),
                      Text(verdict, style=VERDICT_STYLES[verdict]),
                      Text(str(len(_matters(report)))))
    return table


def _finding_lines(result: ScanResult) -> list[Text]:
    lines = []
    for report in result.reports:
        for finding in _matters(report):
            where = f" at {finding.path}" if finding.path else ""
            lines.append(Text(printable(f"{report.file.path}: {finding.global_name} "
                                        f"({finding.severity}){where}: {finding.detail}"),
                              style=VERDICT_STYLES["unsafe" if finding.severity != "unknown "
                                                   "class" else "review"]))
    return lines


def _path_lines(entries: tuple[Entry, ...], label: str) -> list[Text]:
    return [Text(printable(f"{e.path}: {label}: {e.detail}")) for e in entries]


def _table(result: ScanResult, view: ScanView) -> str:
    file = io.StringIO()
    console = Console(file=file, width=view.width, force_terminal=view.color,
                      color_system="standard" if view.color else None, no_color=not view.color,
                      highlight=False, soft_wrap=False)
    if result.reports:
        console.print(_summary_table(result, view.width))
    sections = [("Findings", _finding_lines(result)),
                ("Broken", _path_lines(result.of_kind(Kind.BROKEN), "broken"))]
    if view.verbose:
        sections += [("Not models", _path_lines(result.of_kind(Kind.OTHER), "not a model")),
                     ("Skipped", _path_lines(result.of_kind(Kind.SKIPPED), "skipped"))]
    for title, lines in sections:
        if lines:
            console.print(Text(title, style="bold"))
            for line in lines:
                console.print(line)
            console.print()
    console.print(Text(_totals(result)))
    text = file.getvalue()
    return text if view.color else "\n".join(line.rstrip() for line in text.split("\n"))


# ------------------------------------------------------------------------------ documents


def _dump(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _jsonl(result: ScanResult, view: ScanView) -> str:
    return "".join(e.document or report_line(e.report) for e in result.entries
                   if e.report is not None)


def _json(result: ScanResult, view: ScanView) -> str:
    def paths(kind: Kind) -> list[dict[str, str]]:
        return [{"path": e.path, "detail": e.detail} for e in result.of_kind(kind)]

    return _dump({"schema_version": "1", "counts": result.counts(),
                  "truncated": result.truncated,
                  "reports": [report_doc(r) for r in result.reports],
                  "broken": paths(Kind.BROKEN), "other": paths(Kind.OTHER),
                  "skipped": paths(Kind.SKIPPED)})


def _sarif(result: ScanResult, view: ScanView) -> str:
    from hpinspect.render.sarif import _Run

    run = _Run(result.reports)
    run.add_findings()
    for entry in result.of_kind(Kind.BROKEN):
        run.add("HPI020", entry.path, f"not inspected: {entry.detail}")
    return _dump(run.document())


def _markdown(result: ScanResult, view: ScanView) -> str:
    from hpinspect.render.markdown import cell, code, inline, table

    rows = [[code(r.file.path), str(r.file.format), cell(model_label(r)),
             "yes" if r.model.fitted else "no", r.safety.verdict, str(len(_matters(r)))]
            for r in result.reports]
    parts = ["# hpinspect scan", "", inline(_totals(result)), ""]
    if rows:
        parts += [table(["File", "Format", "Model", "Fitted", "Verdict", "Findings"], rows), ""]
    shown = [("Findings", [line.plain for line in _finding_lines(result)]),
             ("Broken", [f"{e.path}: {e.detail}" for e in result.of_kind(Kind.BROKEN)])]
    if view.verbose:
        shown += [("Not models", [f"{e.path}: {e.detail}" for e in result.of_kind(Kind.OTHER)]),
                  ("Skipped", [f"{e.path}: {e.detail}" for e in result.of_kind(Kind.SKIPPED)])]
    for title, lines in shown:
        if lines:
            parts += [f"## {title}", "", *(f"- {inline(line)}" for line in lines), ""]
    return "\n".join(parts)


def _html(result: ScanResult, view: ScanView) -> str:
    from hpinspect.render.html import render_scan_html

    problems = [(e.path, f"{e.kind}: {e.detail}") for e in result.entries
                if e.report is None and (view.verbose or e.kind == Kind.BROKEN)]
    return render_scan_html(result.reports, problems)


_RENDERERS: dict[ScanFormat, Callable[[ScanResult, ScanView], str]] = {
    ScanFormat.table: _table,
    ScanFormat.jsonl: _jsonl,
    ScanFormat.json: _json,
    ScanFormat.sarif: _sarif,
    ScanFormat.markdown: _markdown,
    ScanFormat.html: _html,
}


def progress_bar() -> contextlib.AbstractContextManager[Any]:
    """A transient files-done bar on stderr, only when stderr is a terminal (else a no-op)."""
    import sys

    if not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("scanning", total=None)

    @contextlib.contextmanager
    def running() -> Iterator[Callable[[int, int], None]]:
        with bar:
            yield lambda done, total: bar.update(task, completed=done, total=total)

    return running()


def render_scan(result: ScanResult, fmt: ScanFormat, view: ScanView | None = None) -> str:
    """The scan in ``fmt`` as one text."""
    return _RENDERERS[fmt](result, view or ScanView())
