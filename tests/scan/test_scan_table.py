"""The scan's summary table at 80 and 120 columns: no class or hyperparameter name split.

Real models with long class and hyperparameter names (HistGradientBoostingClassifier's
``l2_regularization``, ``max_leaf_nodes``, RandomForest's ``min_samples_leaf``) are scanned
and the table is rendered at both widths: every line fits, every column header is there, and
every key setting the table shows (the hyperparameters changed from the default, as the
report lists them) has its name whole on one line, as has every class name.
"""

from __future__ import annotations

from typing import Any

import pytest

import hpinspect
from hpinspect.render.scan import ScanView, render_scan
from hpinspect.report import Category, ScanFormat
from hpinspect.scan import ScanResult


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = make_classification(120, 5, random_state=0)
    models: dict[str, Any] = {
        "a-rather-long-folder-name/forest_trained_on_the_2026_data.joblib":
            RandomForestClassifier(n_estimators=5, max_depth=3, min_samples_leaf=2,
                                   random_state=0),
        "hgb.joblib": HistGradientBoostingClassifier(learning_rate=0.05,
                                                     l2_regularization=0.5,
                                                     max_leaf_nodes=15),
        "gb.pkl": GradientBoostingClassifier(n_estimators=5, subsample=0.8, random_state=0),
        "pipe.joblib": make_pipeline(StandardScaler(), LogisticRegression(C=0.5)),
    }
    root = tmp_path_factory.mktemp("table")
    for name, model in models.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(model.fit(x, y), root / name)
    return hpinspect.scan([root], jobs=1)


def _shown_names(result: ScanResult) -> set[str]:
    """Class names and the names of the changed hyperparameters the table shows."""
    names = set()
    for report in result.reports:
        names.add(report.model.short_class)
        hyper = report.model.by_category(Category.HYPERPARAMETER)
        names.update(a.name for a in [a for a in hyper if a.changed or not a.has_default][:3])
    return names


@pytest.mark.parametrize("width", [80, 120])
def test_no_name_is_split(result: ScanResult, width: int) -> None:
    text = render_scan(result, ScanFormat.table, ScanView(width=width))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    header = next(line for line in lines if "model" in line)
    assert all(word in header for word in ("file", "format", "model", "fitted", "verdict",
                                           "findings"))
    names = _shown_names(result)
    assert {"l2_regularization", "max_leaf_nodes", "min_samples_leaf",
            "HistGradientBoostingClassifier"} <= names
    for name in names:
        assert any(name in line for line in lines), (name, text)
    assert text.count("safe") >= len(result.reports)
