"""GitHub Actions workflow commands (``::error file=…,title=…::message``) for ``check``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from hpinspect.report import UNSAFE_SEVERITIES, Report

if TYPE_CHECKING:
    from hpinspect.check import CheckResult, CheckRun

__all__ = ["annotation", "check_run_annotations", "github_annotations", "unsafe_annotations"]


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: Literal["error", "warning", "notice"], file: str, title: str,
               message: str) -> str:
    """One GitHub Actions workflow command (``::error file=…,title=…::message``)."""
    return (f"::{level} file={_escape_property(file)},title={_escape_property(title)}"
            f"::{_escape_data(message)}")


def github_annotations(results: Iterable[CheckResult]) -> list[str]:
    """``::error`` lines for every failure, for GitHub Actions to attach to the model file."""
    lines: list[str] = []
    for result in results:
        for failure in result.failures:
            subject = f" {failure.subject}" if failure.subject else ""
            lines.append(annotation(
                "error", failure.file, f"hpinspect {failure.rule}",
                f"{failure.rule}{subject}: expected {failure.expected}, got {failure.actual}"
                + (f"; {failure.hint}" if failure.hint else "")))
    return lines


def unsafe_annotations(report: Report) -> list[str]:
    """``::error`` lines for the findings that make a file unsafe."""
    return [
        annotation("error", report.file.path, f"hpinspect {finding.severity}",
                   f"{finding.global_name}: {finding.detail}"
                   + (f" (at {finding.path})" if finding.path else ""))
        for finding in report.safety.findings
        if finding.severity in UNSAFE_SEVERITIES
    ]


def check_run_annotations(run: CheckRun) -> list[str]:
    """Every ``::error`` line of a check run: unsafe findings first, then rule failures."""
    lines = [line for report in run.unsafe for line in unsafe_annotations(report)]
    return lines + github_annotations(run.results)
