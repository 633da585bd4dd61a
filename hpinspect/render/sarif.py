"""SARIF 2.1.0 output, so GitHub code scanning (and any SARIF viewer) can show what hpinspect found.

One run per invocation; every model file is an artifact; each result points at its model file
(a relative URI when the file is under the working directory). Findings of the inspect path map to
rule ids HPI001-HPI010 (HPI020: a file ``scan`` could not read), failed ``check`` rules to
HPI100-HPI105. Results carry a ``partialFingerprints`` entry so code scanning does not try to
fingerprint a binary file's lines.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from hpinspect.render import RenderOptions
from hpinspect.render.neutral import cap_strings, json_dumps
from hpinspect.report import Finding, Report

if TYPE_CHECKING:
    from hpinspect.check import CheckResult, CheckRun

__all__ = ["RULES", "SARIF_SCHEMA_URI", "SarifRenderer", "SarifRule", "sarif_for_check"]

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
Level = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class SarifRule:
    """One kind of result hpinspect reports."""

    id: str
    """Stable rule id, e.g. ``HPI001``."""
    name: str
    """PascalCase-free short name, e.g. ``dangerous-global``."""
    level: Level
    """Default level of its results."""
    short: str
    """One-line description."""
    help: str
    """What to do about it."""
    security_severity: str | None = None
    """CVSS-like score GitHub uses to rank security alerts (None: not a security rule)."""


RULES: tuple[SarifRule, ...] = (
    SarifRule("HPI001", "dangerous-global", "error",
              "The file references a code-execution or file/network primitive.",
              "Do not load this file with pickle or joblib: a real load can run arbitrary code. "
              "Rebuild the model from trusted code and data.", "9.8"),
    SarifRule("HPI002", "unknown-call", "error",
              "A real load would call something that is not a known data constructor or "
              "estimator class.",
              "Find out what the named callable does before loading the file; hpinspect fails "
              "closed on calls it cannot vouch for.", "8.8"),
    SarifRule("HPI003", "unknown-class", "warning",
              "The file instantiates a class hpinspect does not know (e.g. a custom estimator).",
              "Make sure the class comes from code you trust; `hpinspect check --strict` "
              "fails on it.", "5.0"),
    SarifRule("HPI010", "version-skew", "note",
              "The file was saved with a different library version than the one installed.",
              "Re-save the model with the installed version, or pin the version it was saved "
              "with; `hpinspect check --max-skew` gates this."),
    SarifRule("HPI020", "unreadable-file", "warning",
              "A model file could not be inspected: unreadable, truncated, corrupt or over a "
              "limit (`hpinspect scan`).",
              "Find out why the file is broken before anyone loads it; a file that cannot be "
              "read statically cannot be vouched for."),
    SarifRule("HPI100", "check-expect", "error",
              "A hyperparameter does not have the expected value.",
              "Retrain with the expected configuration or update the expectation."),
    SarifRule("HPI101", "check-range", "error",
              "A hyperparameter is outside its allowed range.",
              "Retrain within the range or widen the range."),
    SarifRule("HPI102", "check-require-fitted", "error",
              "The estimator was never fitted.",
              "Ship the fitted estimator, not the unfitted template."),
    SarifRule("HPI103", "check-max-skew", "error",
              "Saved-with and installed library versions are further apart than allowed.",
              "Re-save the model with the installed version or align the environment."),
    SarifRule("HPI104", "check-strict", "error",
              "Strict mode: the file contains a class hpinspect does not know.",
              "Replace the custom class or drop --strict for this file."),
    SarifRule("HPI105", "check-max-size", "error",
              "The model file is larger than allowed.",
              "Shrink the model or raise --max-size."),
)

_RULE_INDEX: dict[str, int] = {rule.id: i for i, rule in enumerate(RULES)}
_BY_SEVERITY: dict[str, str] = {
    "dangerous": "HPI001", "unknown call": "HPI002", "unknown class": "HPI003",
}
_BY_CHECK_RULE: dict[str, str] = {
    "expect": "HPI100", "range": "HPI101", "require-fitted": "HPI102", "max-skew": "HPI103",
    "strict": "HPI104", "max-size": "HPI105",
}


def artifact_uri(path: str, cwd: str | None = None) -> str:
    """A URI for ``path``: relative (forward slashes) under ``cwd``, else an absolute file URI.

    Undecodable bytes of a file name (surrogate escapes) become their %XX bytes."""
    try:
        return _artifact_uri(path, cwd)
    except UnicodeEncodeError:  # a lone surrogate that is no byte escape
        return quote(path.encode("utf-8", "surrogatepass"), safe="/")


def _artifact_uri(path: str, cwd: str | None) -> str:
    base = Path(cwd or os.getcwd()).resolve()
    target = Path(path)
    if target.is_absolute() or ".." in target.parts:
        resolved = target.resolve()
        try:
            target = resolved.relative_to(base)
        except ValueError:
            return resolved.as_uri()
    return quote(PurePosixPath(*target.parts).as_posix() or ".", safe="/",
                 errors="surrogateescape")


def _rule_descriptor(rule: SarifRule) -> dict[str, Any]:
    properties: dict[str, Any] = {"tags": ["security"] if rule.security_severity else ["ml"]}
    if rule.security_severity:
        properties["security-severity"] = rule.security_severity
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.short},
        "help": {"text": rule.help},
        "defaultConfiguration": {"level": rule.level},
        "properties": properties,
    }


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class _Run:
    """Accumulates artifacts and results of one SARIF run."""

    def __init__(self, reports: Sequence[Report]) -> None:
        self.reports = reports
        self.artifact_index: dict[str, int] = {}
        self.artifacts: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []
        for report in reports:
            self._artifact(report.file.path, report)

    def _artifact(self, path: str, report: Report | None = None) -> int:
        if path in self.artifact_index:
            return self.artifact_index[path]
        artifact: dict[str, Any] = {"location": {"uri": artifact_uri(path)}}
        if report is not None:
            artifact["length"] = report.file.size_bytes
            artifact["hashes"] = {"sha-256": report.file.sha256}
            artifact["roles"] = ["analysisTarget"]
        self.artifact_index[path] = len(self.artifacts)
        self.artifacts.append(artifact)
        return self.artifact_index[path]

    def add(self, rule_id: str, file: str, message: str, logical: str = "",
            level: Level | None = None, properties: Mapping[str, Any] | None = None) -> None:
        index = self._artifact(file)
        location: dict[str, Any] = {
            "physicalLocation": {
                "artifactLocation": {"uri": self.artifacts[index]["location"]["uri"],
                                     "index": index},
                "region": {"startLine": 1},
            }
        }
        if logical:
            location["logicalLocations"] = [{"fullyQualifiedName": logical, "kind": "member"}]
        rule = RULES[_RULE_INDEX[rule_id]]
        result: dict[str, Any] = {
            "ruleId": rule_id,
            "ruleIndex": _RULE_INDEX[rule_id],
            "level": level or rule.level,
            "message": {"text": message},
            "locations": [location],
            "partialFingerprints": {
                "hpinspect/v1": _fingerprint(rule_id, artifact_uri(file), logical, message),
            },
        }
        if properties:
            result["properties"] = dict(properties)
        self.results.append(result)

    def add_findings(self) -> None:
        for report in self.reports:
            for finding in report.safety.findings:
                rule_id = _BY_SEVERITY.get(finding.severity)
                if rule_id is not None:
                    self.add(rule_id, report.file.path, _finding_message(finding), finding.path,
                             properties={"global": finding.global_name,
                                         "severity": finding.severity,
                                         "called": finding.called})
            versions = report.versions
            for lib, level in sorted(versions.skew.items()):
                if level in ("patch", "minor", "major"):
                    saved = versions.saved_with.get(lib, "?")
                    installed = versions.installed.get(lib, "?")
                    self.add("HPI010", report.file.path,
                             f"saved with {lib} {saved}, installed {installed} ({level} skew)",
                             level="warning" if level == "major" else "note",
                             properties={"library": lib, "skew": level})

    def add_failures(self, results: Iterable[CheckResult]) -> None:
        for result in results:
            for failure in result.failures:
                self.add(_BY_CHECK_RULE[failure.rule], failure.file,
                         f"{failure.message} (expected {failure.expected}, "
                         f"got {failure.actual})",
                         failure.subject if failure.rule in ("expect", "range") else "",
                         properties={"rule": failure.rule, "expected": failure.expected,
                                     "actual": failure.actual})

    def document(self) -> dict[str, Any]:
        from hpinspect import __version__

        return {
            "$schema": SARIF_SCHEMA_URI,
            "version": SARIF_VERSION,
            "runs": [{
                "tool": {"driver": {
                    "name": "hpinspect",
                    "version": __version__,
                    "semanticVersion": __version__,
                    "rules": [_rule_descriptor(rule) for rule in RULES],
                }},
                "artifacts": self.artifacts,
                "results": self.results,
                "columnKind": "unicodeCodePoints",
            }],
        }


def _finding_message(finding: Finding) -> str:
    where = f" at {finding.path}" if finding.path else ""
    how = "called by a real load" if finding.called else "referenced"
    return f"{finding.global_name} ({finding.severity}, {how}){where}: {finding.detail}"


def _dump(document: Mapping[str, Any]) -> str:
    return json_dumps(cap_strings(document))


class SarifRenderer:
    """Findings (and version skew) of every report as one SARIF 2.1.0 log."""

    def render(self, reports: Sequence[Report], options: RenderOptions) -> str:
        """Render ``reports`` as a SARIF document (``options`` do not change SARIF)."""
        run = _Run(reports)
        run.add_findings()
        return _dump(run.document())


def sarif_for_check(reports: Sequence[Report], results: Iterable[CheckResult]) -> str:
    """SARIF for ``hpinspect check``: the findings of every report plus every failed rule."""
    run = _Run(reports)
    run.add_findings()
    run.add_failures(results)
    return _dump(run.document())


class CheckSarifRenderer:
    """``hpinspect check --format sarif``: every report's findings plus every failed rule."""

    def render(self, run: CheckRun, options: RenderOptions) -> str:
        """The SARIF log of a check run."""
        return sarif_for_check(run.reports, run.results)
