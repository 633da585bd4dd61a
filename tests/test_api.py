"""The typed public API: inspect_file, diff_reports, run_check."""

from __future__ import annotations

from helpers import REPO

from hpinspect import diff_reports, inspect_file, run_check
from hpinspect.check import Rules


def test_public_api_round_trip() -> None:
    report = inspect_file(REPO / "sample_models" / "logreg.joblib")
    assert report.safety.verdict == "safe" and report.model.short_class == "LogisticRegression"
    assert not diff_reports(report, report).has_differences
    other = inspect_file(REPO / "sample_models" / "kmeans.joblib")
    assert diff_reports(report, other).has_differences
    assert run_check(report, Rules(expect={"C": 0.5}, require_fitted=True)).ok
    assert not run_check(report, Rules(expect={"C": 1.0})).ok
    # importing the submodules must not shadow the functions
    import hpinspect.check
    import hpinspect.diff

    assert callable(hpinspect.diff_reports) and callable(hpinspect.run_check)
