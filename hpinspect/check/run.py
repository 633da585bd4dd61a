"""Evaluate rules against a report: a table of small rule functions, one per rule name.

Each rule function takes ``(report, rules, params)`` and returns an :class:`Outcome` (failures,
passed lines, notes); it returns an empty outcome when its rule is not set. :func:`run_check`
runs the table in :data:`RULES` order. Nothing here prints or exits. Safety is not a rule: the
CLI refuses unsafe files (exit 3) before any rule runs, using :func:`is_unsafe`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpinspect.check.params import (
    Param,
    actual_text,
    is_number,
    param_map,
    param_matches,
    value_text,
)
from hpinspect.check.rules import ABS_TOL, REL_TOL, Rules, suggest
from hpinspect.classify.versions import skew_text
from hpinspect.report import SKEW_ORDER, Finding, Node, Report, RuleName, Severity, SkewLevel


@dataclass(frozen=True)
class CheckFailure:
    """One rule a file breaks."""

    file: str
    """The model file, as given."""
    rule: RuleName
    """expect, range, require-fitted, max-skew, strict or max-size."""
    subject: str
    """What the rule looked at: a parameter path, a library, a class, or ``""``."""
    expected: str
    """What the rule asked for, as text."""
    actual: str
    """What the file has, as text."""
    message: str
    """One readable sentence, including the hint."""
    hint: str = ""
    """Advice beyond expected/actual, e.g. ``did you mean 'clf__n_estimators'?``."""

    @property
    def line(self) -> str:
        """``file: rule subject: expected X, got Y`` (``; hint``) on one line."""
        where = f"{self.rule} {self.subject}" if self.subject else self.rule
        hint = f"; {self.hint}" if self.hint else ""
        return f"{self.file}: {where}: expected {self.expected}, got {self.actual}{hint}"


@dataclass(frozen=True)
class CheckResult:
    """Outcome of every rule for one file."""

    file: str
    """The model file, as given."""
    failures: tuple[CheckFailure, ...]
    """Broken rules, in rule order."""
    passed: tuple[str, ...] = ()
    """One line per rule that passed, e.g. ``expect C = 0.5``."""
    notes: tuple[str, ...] = ()
    """Things worth knowing that are not failures (a library not installed here …)."""

    @property
    def ok(self) -> bool:
        """True when no rule failed."""
        return not self.failures



@dataclass(frozen=True)
class CheckRun:
    """What ``hpinspect check`` renders: every report read, with its rule outcomes."""

    reports: tuple[Report, ...]
    """Every file that could be read, in the order given."""
    results: tuple[CheckResult, ...]
    """One per report; empty when a report is unsafe (no rule runs then)."""

    @property
    def unsafe(self) -> tuple[Report, ...]:
        """The reports refused for unsafe content."""
        return tuple(report for report in self.reports if is_unsafe(report))

    @property
    def ok(self) -> bool:
        """Nothing unsafe and no rule failed."""
        return not self.unsafe and all(result.ok for result in self.results)

    def result_for(self, path: str) -> CheckResult | None:
        """The result of the file given as ``path``."""
        return next((result for result in self.results if result.file == path), None)


@dataclass(frozen=True)
class Outcome:
    """What one rule found for one file."""

    failures: tuple[CheckFailure, ...] = ()
    passed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


_NOTHING = Outcome()


def is_unsafe(report: Report) -> bool:
    """True when a real load would run code hpinspect cannot vouch for (exit 3)."""
    return report.safety.unsafe


def _failure(report: Report, rule: RuleName, subject: str, expected: str, actual: str,
             message: str, hint: str = "") -> CheckFailure:
    if hint:
        message = f"{message}; {hint}"
    return CheckFailure(report.file.path, rule, subject, expected, actual, message, hint)


def _expect_one(report: Report, params: Mapping[str, Param], path: str,
                expected: Any) -> Outcome:
    param = params.get(path)
    if param is None:
        hint = suggest(path, params)
        if isinstance(expected, Mapping) and not hint:
            # TOML reads a bare dotted key (best_estimator_.C = 1) as a nested table.
            hint = 'in TOML, quote a dotted path: "best_estimator_.C" = …'
        return Outcome((_failure(report, RuleName.EXPECT, path, value_text(expected),
                                 "no such parameter",
                                 f"{path!r} is not a parameter of this model", hint),))
    if param_matches(expected, param):
        return Outcome(passed=(f"expect {path} = {value_text(expected)}",))
    actual = actual_text(param)
    return Outcome((_failure(report, RuleName.EXPECT, path, value_text(expected), actual,
                             f"{path} is {actual}, not {value_text(expected)}"),))


def rule_expect(report: Report, rules: Rules, params: Mapping[str, Param]) -> Outcome:
    """Every ``--expect PATH=VALUE``."""
    return _combine(_expect_one(report, params, path, expected)
                    for path, expected in rules.expect.items())


def _range_one(report: Report, params: Mapping[str, Param], path: str,
               bounds: tuple[float, float]) -> Outcome:
    low, high = bounds
    param = params.get(path)
    text = f"[{value_text(low)}, {value_text(high)}]"
    if param is None:
        return Outcome((_failure(report, RuleName.RANGE, path, text, "no such parameter",
                                 f"{path!r} is not a parameter of this model",
                                 suggest(path, params)),))
    if not is_number(param.value):
        return Outcome((_failure(report, RuleName.RANGE, path, text, actual_text(param),
                                 f"{path} is not a number"),))
    if _in_range(float(param.value), low, high):
        return Outcome(passed=(f"range {path} in {text}",))
    return Outcome((_failure(report, RuleName.RANGE, path, text, actual_text(param),
                             f"{path} is outside {text}"),))


def rule_range(report: Report, rules: Rules, params: Mapping[str, Param]) -> Outcome:
    """Every ``--range PATH=LOW:HIGH``."""
    return _combine(_range_one(report, params, path, bounds)
                    for path, bounds in rules.ranges.items())


def rule_require_fitted(report: Report, rules: Rules, params: Mapping[str, Param]) -> Outcome:
    """``--require-fitted``: the root estimator has learned attributes."""
    if not rules.require_fitted:
        return _NOTHING
    root = report.model
    if root.fitted:
        return Outcome(passed=("require-fitted",))
    return Outcome((_failure(report, RuleName.REQUIRE_FITTED, root.short_class, "fitted",
                             "not fitted", f"{root.short_class} has no learned attributes",
                             "fit was never run"),))


def rule_max_skew(report: Report, rules: Rules, params: Mapping[str, Param]) -> Outcome:
    """``--max-skew LEVEL``: saved-with against installed library versions."""
    max_skew = rules.max_skew
    if max_skew is None:
        return _NOTHING
    versions = report.versions
    if not versions.saved_with:
        return Outcome(notes=("max-skew: the file records no library versions; nothing to "
                              "compare",))
    failures: list[CheckFailure] = []
    notes: list[str] = []
    for lib in sorted(versions.saved_with):
        saved = versions.saved_with[lib]
        level = versions.skew.get(lib, SkewLevel.UNKNOWN)
        installed = versions.installed.get(lib)
        if level == SkewLevel.UNKNOWN:
            # Not installed here (or an unparsable version): there is nothing to be skewed
            # against, so the rule cannot fail; say so rather than pass silently.
            notes.append(f"max-skew: {lib} {saved} saved, "
                         f"{'not installed here' if installed is None else installed}; "
                         f"skew unknown")
        elif _skew_rank(level) > _skew_rank(max_skew):
            failures.append(_failure(
                report, RuleName.MAX_SKEW, lib, f"skew <= {max_skew}",
                f"{level} ({saved} → {installed})",
                f"{lib} {skew_text(lib, saved, installed, level)}: {level} skew is above "
                f"{max_skew}"))
    passed = () if failures else (f"max-skew {max_skew}",)
    return Outcome(tuple(failures), passed, tuple(notes))


def rule_strict(report: Report, rules: Rules, params: Mapping[str, Param]) -> Outcome:
    """``--strict``: every class is one hpinspect knows."""
    if not rules.strict:
        return _NOTHING
    unknown = [f for f in report.safety.findings if f.severity == Severity.UNKNOWN_CLASS]
    failures = [
        _failure(report, RuleName.STRICT, f.global_name, "known classes only", "unknown class",
                 f"{f.global_name}{f' at {f.path}' if f.path else ''} is not a class "
                 "hpinspect knows")
        for f in unknown]
    failures += [
        _failure(report, RuleName.STRICT, node.class_name, "known classes only",
                 "unknown class",
                 f"{node.class_name} at {node.path or '(root)'} is not a class hpinspect knows")
        for node in report.nodes() if not node.known and not _listed(node, unknown)]
    return Outcome(tuple(failures), () if failures else ("strict",))


def rule_max_size(report: Report, rules: Rules, params: Mapping[str, Param]) -> Outcome:
    """``--max-size BYTES``: the file on disk is no larger."""
    if rules.max_size is None:
        return _NOTHING
    size = report.file.size_bytes
    if size <= rules.max_size:
        return Outcome(passed=(f"max-size {rules.max_size}",))
    return Outcome((_failure(report, RuleName.MAX_SIZE, "", f"<= {rules.max_size} bytes",
                             f"{size} bytes",
                             f"the file is {size - rules.max_size} bytes over the limit"),))


RuleFunction = Callable[[Report, Rules, Mapping[str, Param]], Outcome]
RULES: tuple[tuple[RuleName, RuleFunction], ...] = (
    (RuleName.EXPECT, rule_expect),
    (RuleName.RANGE, rule_range),
    (RuleName.REQUIRE_FITTED, rule_require_fitted),
    (RuleName.MAX_SKEW, rule_max_skew),
    (RuleName.STRICT, rule_strict),
    (RuleName.MAX_SIZE, rule_max_size),
)
"""Every rule, in the order failures are reported."""


def run_check(report: Report, rules: Rules) -> CheckResult:
    """Evaluate every rule against one report."""
    params = param_map(report) if rules.expect or rules.ranges else {}
    outcome = _combine(function(report, rules, params) for _name, function in RULES)
    return CheckResult(report.file.path, outcome.failures, outcome.passed, outcome.notes)


def _combine(outcomes: Any) -> Outcome:
    failures: list[CheckFailure] = []
    passed: list[str] = []
    notes: list[str] = []
    for outcome in outcomes:
        failures += outcome.failures
        passed += outcome.passed
        notes += outcome.notes
    return Outcome(tuple(failures), tuple(passed), tuple(notes))


def _skew_rank(level: str) -> int:
    return SKEW_ORDER.index(SkewLevel(level)) if level in SKEW_ORDER else -1


def _listed(node: Node, findings: Sequence[Finding]) -> bool:
    return any(f.global_name == node.class_name for f in findings)


def _in_range(value: float, low: float, high: float) -> bool:
    if math.isnan(value):
        return False
    return (low <= value <= high
            or math.isclose(value, low, rel_tol=REL_TOL, abs_tol=ABS_TOL)
            or math.isclose(value, high, rel_tol=REL_TOL, abs_tol=ABS_TOL))
