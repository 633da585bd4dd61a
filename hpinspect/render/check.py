"""Render a :class:`~hpinspect.check.CheckRun`: one line per outcome, or a JSON document.

File-derived text goes through :mod:`hpinspect.render.neutral` (terminal lines, strict JSON).

SARIF for check lives with the other SARIF code
(:class:`hpinspect.render.sarif.CheckSarifRenderer`).
"""

from __future__ import annotations

from typing import Any

from hpinspect.check import CheckResult, CheckRun
from hpinspect.render import RenderOptions
from hpinspect.render.neutral import json_dumps, terminal
from hpinspect.report import UNSAFE_SEVERITIES, Report

__all__ = ["CHECK_SCHEMA_VERSION", "CheckJsonRenderer", "CheckTextRenderer"]

CHECK_SCHEMA_VERSION = "1"


def _unsafe_lines(report: Report) -> list[str]:
    path = report.file.path
    lines = []
    for finding in report.safety.findings:
        if finding.severity in UNSAFE_SEVERITIES:
            where = f" at {finding.path}" if finding.path else ""
            lines.append(f"{path}: UNSAFE {finding.global_name} ({finding.severity})"
                         f"{where}: {finding.detail}")
    lines.append(f"{path}: unsafe content; no rule was checked and nothing was run")
    return lines


def _result_lines(result: CheckResult, verdict: str) -> list[str]:
    path = result.file
    lines = [f"{path}: note: {note}" for note in result.notes]
    lines += [f"FAIL {failure.line}" for failure in result.failures]
    if result.ok:
        lines.append(f"{path}: ok ({verdict}; {_passed_text(result)})")
    return lines


def _passed_text(result: CheckResult) -> str:
    """Which rules ran and passed, or why none did."""
    count = len(result.passed)
    if count:
        return f"{count} rule{'s' if count != 1 else ''} ran and passed: " \
            f"{', '.join(result.passed)}"
    if result.notes:
        return "no rule could be evaluated, see the notes"
    return "no rules given"


class CheckTextRenderer:
    """``--format table``: one line per unsafe finding, note, failure and passing file."""

    def render(self, run: CheckRun, options: RenderOptions) -> str:
        """The lines, each ending with a newline."""
        lines: list[str] = []
        for report in run.reports:
            if report.safety.unsafe:
                lines += _unsafe_lines(report)
                continue
            result = run.result_for(report.file.path)
            if result is not None:
                lines += _result_lines(result, report.safety.verdict)
        return "".join(terminal(line) + "\n" for line in lines)


def _file_doc(report: Report, result: CheckResult | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"file": report.file.path, "unsafe": report.safety.unsafe}
    if report.safety.unsafe:
        entry["ok"] = False
        entry["findings"] = [
            {"global": f.global_name, "severity": f.severity, "detail": f.detail,
             "path": f.path}
            for f in report.safety.findings if f.severity in UNSAFE_SEVERITIES]
    elif result is not None:
        entry["ok"] = result.ok
        entry["failures"] = [
            {"rule": f.rule, "subject": f.subject, "expected": f.expected,
             "actual": f.actual, "message": f.message, "hint": f.hint}
            for f in result.failures]
        entry["passed"] = list(result.passed)
        entry["notes"] = list(result.notes)
    return entry


class CheckJsonRenderer:
    """``--format json``: ``{"schema_version", "ok", "files": [...]}``."""

    def render(self, run: CheckRun, options: RenderOptions) -> str:
        """The document, indented, ending with a newline."""
        document = {"schema_version": CHECK_SCHEMA_VERSION, "ok": run.ok,
                    "files": [_file_doc(report, run.result_for(report.file.path))
                              for report in run.reports]}
        return json_dumps(document)
