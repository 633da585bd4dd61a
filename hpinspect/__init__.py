"""hpinspect: inspect pickle/joblib model files without executing anything in them.

Typed public API::

    from hpinspect import diff_reports, inspect_file, run_check, scan
    report = inspect_file("model.joblib")
    report.safety.verdict, report.model.attributes
    diff_reports(report, inspect_file("other.joblib")).has_differences
    run_check(report, Rules(expect={"C": 0.5}, require_fitted=True)).ok
    scan(["models/"], executor=client.get_executor()).reports   # any concurrent.futures.Executor

(DESIGN names them diff and check; those names are the submodules hpinspect.diff and
hpinspect.check, which would replace same-named functions here once imported.)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable, Iterable, Sequence

    from hpinspect.check import CheckResult, Rules
    from hpinspect.classify.config import Overrides
    from hpinspect.diff import DiffResult
    from hpinspect.load import Limits, LoadResult, Progress
    from hpinspect.report import Category, Report
    from hpinspect.scan import ScanResult

__all__ = ["__version__", "diff_reports", "inspect_file", "report_of", "run_check", "scan"]


def inspect_file(path: str | os.PathLike[str], *, limits: Limits | None = None,
                 overrides: Overrides | None = None, expand_members: bool = False,
                 progress: Progress | None = None) -> Report:
    """Read ``path`` statically and return its :class:`~hpinspect.report.Report`.

    Raises :class:`hpinspect.errors.HpinspectError` subclasses for unreadable, broken or
    over-limit files. Never imports scikit-learn and never executes file content.
    """
    from hpinspect.load import read_model

    loaded = read_model(path, limits=limits, progress=progress, hash_later=True)
    return report_of(loaded, overrides, expand_members)  # classified beside the hash


def report_of(loaded: LoadResult, overrides: Overrides | None = None,
              expand_members: bool = False) -> Report:
    """Classify a reader's result into a Report (with the container's provenance, if any)."""
    import dataclasses

    from hpinspect.classify import classify
    from hpinspect.classify.versions import build_versions
    from hpinspect.report import Attribute, Category, Report

    model, versions = classify(loaded.root, overrides, expand_members)
    loaded = loaded.complete()
    if loaded.provenance is not None:
        from hpinspect.classify.values import display_text

        saved = {**loaded.provenance.saved_with, **versions.saved_with}
        versions = build_versions(saved)
        extra = tuple(Attribute(
            name=name, category=Category.AUXILIARY, role=role,
            reason="recorded by the container (MLflow MLmodel), not by the model object",
            kind="string" if isinstance(value, str) else "list" if isinstance(value, list)
            else "dict" if isinstance(value, dict) else "scalar",
            value=value, summary=display_text(value))  # parsed from text: JSON-safe already
            for name, role, value in loaded.provenance.facts)
        model = dataclasses.replace(model, attributes=model.attributes + extra)
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


def scan(paths: Iterable[str | os.PathLike[str]],
         executor: concurrent.futures.Executor | None = None, *, jobs: int | None = None,
         exclude: Sequence[str] = (), max_files: int | None = None,
         limits: Limits | None = None, overrides: Overrides | None = None,
         progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Scan files, folders and fsspec URLs in parallel (see :func:`hpinspect.scan.scan`).

    ``executor`` is any :class:`concurrent.futures.Executor`; with dask.distributed:
    ``hpinspect.scan(["s3://bucket/models/"], executor=Client(...).get_executor())``.
    """
    from hpinspect.scan import scan as run_scan

    return run_scan(paths, executor, jobs=jobs, exclude=exclude, max_files=max_files,
                    limits=limits, overrides=overrides, progress=progress)
