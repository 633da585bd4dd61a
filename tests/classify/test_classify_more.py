"""Classification cases found by a new-user review: containers, selectors, helpers, displays."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import joblib
from helpers import run_cli
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import SVC

from hpinspect import inspect_file
from hpinspect.report import Node, Report


def _dump(model: Any, tmp_path: Path, name: str = "m.joblib") -> Path:
    path = tmp_path / name
    joblib.dump(model, path)
    return path


def _node(report: Report, short: str) -> Node:
    return next(n for n in report.nodes() if n.short_class == short)


def test_pipeline_with_feature_union_is_fitted(tmp_path: Path, xy: tuple[Any, Any]) -> None:
    pipe = Pipeline([("feats", FeatureUnion([("pca", PCA(2)), ("kbest", SelectKBest(k=2))])),
                     ("clf", LogisticRegression())]).fit(*xy)
    path = _dump(pipe, tmp_path)
    report = inspect_file(path)
    assert report.model.fitted and _node(report, "FeatureUnion").fitted
    assert run_cli("check", str(path), "--require-fitted",
                   "--expect", "feats__pca__n_components=2").returncode == 0
    unfitted = _dump(Pipeline([("feats", FeatureUnion([("pca", PCA(2))])),
                               ("clf", LogisticRegression())]), tmp_path, "u.joblib")
    assert not inspect_file(unfitted).model.fitted


def test_scores_are_learned_on_selectors_and_diagnostic_on_cv(tmp_path: Path,
                                                              xy: tuple[Any, Any]) -> None:
    kbest = inspect_file(_dump(SelectKBest(k=2).fit(*xy), tmp_path, "k.joblib")).model
    assert kbest.attribute("scores_").category == "learned"  # type: ignore[union-attr]
    cv = inspect_file(_dump(LogisticRegressionCV(Cs=2, cv=2).fit(*xy), tmp_path, "c.joblib"))
    assert cv.model.attribute("scores_").category == "auxiliary"  # type: ignore[union-attr]


def test_calibrated_classifiers_are_nodes(tmp_path: Path, xy: tuple[Any, Any]) -> None:
    model = CalibratedClassifierCV(SVC(), cv=3).fit(*xy)
    report = inspect_file(_dump(model, tmp_path))
    fitted_svcs = [n for n in report.nodes() if n.short_class == "SVC" and n.fitted]
    assert len(fitted_svcs) == 3
    members = [n for n in report.nodes() if n.short_class == "_CalibratedClassifier"]
    assert all(m.attribute("estimator").category == "learned"  # type: ignore[union-attr]
               for m in members)


def test_knn_search_tree_and_resolved_metric(tmp_path: Path, xy: tuple[Any, Any]) -> None:
    model = KNeighborsClassifier(algorithm="kd_tree").fit(*xy)
    root = inspect_file(_dump(model, tmp_path)).model
    assert root.attribute("_tree").summary == "KDTree"  # type: ignore[union-attr]
    metric = root.attribute("effective_metric_")
    assert metric is not None and metric.category == "hyperparameter"
    assert metric.role == "selected during fit"


def test_template_copy_made_by_fit_is_not_learned(tmp_path: Path, xy: tuple[Any, Any]) -> None:
    from sklearn.ensemble import RandomForestClassifier

    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(*xy)
    attr = inspect_file(_dump(model, tmp_path)).model.attribute("estimator_")
    assert attr is not None and attr.category == "auxiliary" and attr.role == "template"


def test_tuple_values_and_defaults_keep_their_shape(tmp_path: Path, xy: tuple[Any, Any]) -> None:
    model = MLPClassifier(hidden_layer_sizes=(10,), max_iter=20).fit(*xy)
    attr = inspect_file(_dump(model, tmp_path)).model.attribute("hidden_layer_sizes")
    assert attr is not None
    assert attr.summary == "(10,)" and attr.default_summary == "(100,)" and attr.changed


class NotebookEstimator:
    """Stands for a class defined in a notebook or script (module ``__main__``)."""

    def __init__(self) -> None:
        self.alpha = 0.5


def test_main_module_class_is_review_not_dangerous(tmp_path: Path) -> None:
    obj = NotebookEstimator()
    data = pickle.dumps(obj, protocol=0).replace(  # text opcodes: names are lines
        NotebookEstimator.__module__.encode(), b"__main__")
    path = tmp_path / "nb.pkl"
    path.write_bytes(data)
    proc = run_cli("--format", "json", str(path))
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["safety"]["verdict"] == "review"
    finding = next(f for f in doc["safety"]["findings"]
                   if f["global"] == "__main__.NotebookEstimator")
    assert finding["severity"] == "unknown class"


def test_bundle_entries_can_be_checked_and_suggested(tmp_path: Path, logreg: Any) -> None:
    path = _dump({"model": logreg, "threshold": 0.5}, tmp_path)
    assert run_cli("check", str(path), "--expect", "threshold=0.5",
                   "--expect", "model__C=0.5").returncode == 0
    proc = run_cli("check", str(path), "--expect", "C=0.5")
    assert proc.returncode == 1 and "did you mean 'model__C'" in proc.stdout + proc.stderr


def test_conflicting_expectations_are_a_usage_error(tmp_path: Path, logreg: Any) -> None:
    path = _dump(logreg, tmp_path)
    proc = run_cli("check", str(path), "--expect", "C=5", "--expect", "C=3")
    assert proc.returncode == 2 and "given twice" in proc.stderr


def test_json_is_an_array_for_several_inputs_even_if_one_fails(tmp_path: Path,
                                                               logreg: Any) -> None:
    path = _dump(logreg, tmp_path)
    proc = run_cli("--format", "json", str(path), str(tmp_path / "missing.pkl"))
    assert proc.returncode == 2
    docs = json.loads(proc.stdout)
    assert isinstance(docs, list) and len(docs) == 1


def test_diff_names_nested_parameters_as_check_takes_them(tmp_path: Path,
                                                          xy: tuple[Any, Any]) -> None:
    from sklearn.preprocessing import StandardScaler

    paths = []
    for c in (1.0, 0.3):
        pipe = Pipeline([("s", StandardScaler()), ("clf", LogisticRegression(C=c))]).fit(*xy)
        paths.append(_dump(pipe, tmp_path, f"p{c}.joblib"))
    proc = run_cli("diff", "--format", "json", "--ignore", "learned", "--ignore", "auxiliary",
                   *map(str, paths))
    rows = [r for r in json.loads(proc.stdout)["rows"] if r["status"] == "changed"]
    assert [r["param"] for r in rows] == ["clf__C"]
    assert run_cli("check", str(paths[1]), "--expect", "clf__C=0.3").returncode == 0


def test_old_loss_object_is_not_called_a_template() -> None:
    from helpers import REPO

    report = inspect_file(REPO / "tests" / "data" / "sklearn-1.2.2" / "gboost.joblib")
    loss = report.model.attribute("_loss")
    assert loss is not None and loss.category == "learned" and loss.role == "loss function"
    assert loss.summary == "BinomialDeviance"
