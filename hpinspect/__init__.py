"""hpinspect: inspect pickle/joblib model files without executing anything in them.

Typed public API::

    from hpinspect import diff_reports, inspect_file, run_check
    report = inspect_file("model.joblib")
    report.safety.verdict, report.model.attributes
    diff_reports(report, inspect_file("other.joblib")).has_differences
    run_check(report, Rules(expect={"C": 0.5}, require_fitted=True)).ok

(DESIGN names them diff and check; those names are the submodules hpinspect.diff and
hpinspect.check, which would replace same-named functions here once imported.)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from hpinspect.check import CheckResult, Rules
    from hpinspect.classify.config import Overrides
    from hpinspect.diff import DiffResult
    from hpinspect.load import Limits, Progress
    from hpinspect.report import Category, Report

__all__ = ["__version__", "diff_reports", "inspect_file", "run_check"]


def inspect_file(path: str | os.PathLike[str], *, limits: Limits | None = None,
                 overrides: Overrides | None = None, expand_members: bool = False,
                 progress: Progress | None = None) -> Report:
    """Read ``path`` statically and return its :class:`~hpinspect.report.Report`.

    Raises :class:`hpinspect.errors.HpinspectError` subclasses for unreadable, broken or
    over-limit files. Never imports scikit-learn and never executes file content.
    """
    from hpinspect.classify import classify
    from hpinspect.load import read_model
    from hpinspect.report import Report

    loaded = read_model(path, limits=limits, progress=progress)
    model, versions = classify(loaded.root, overrides, expand_members)
    return Report(file=loaded.file, versions=versions, safety=loaded.safety, model=model)


def diff_reports(a: Report, b: Report, *, ignore: frozenset[Category] = frozenset(),
                 include_equal: bool = False) -> DiffResult:
    """Compare two reports node by node (see :mod:`hpinspect.diff`)."""
    from hpinspect import diff

    return diff.diff_reports(a, b, ignore=ignore, include_equal=include_equal)


def run_check(report: Report, rules: Rules) -> CheckResult:
    """Evaluate CI rules against a report (see :mod:`hpinspect.check`)."""
    from hpinspect import check

    return check.run_check(report, rules)
