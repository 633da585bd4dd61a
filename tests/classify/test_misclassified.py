"""Issue 14's misclassifications: each real estimator is fitted here, saved, read back by
hpinspect, and the attribute's category and role compared with what the estimator does with it
(the library's own attributes are checked to exist, so a renamed attribute fails loudly)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import KMeans
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.ensemble import GradientBoostingClassifier, IsolationForest, StackingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LassoCV, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hpinspect import inspect_file
from hpinspect.report import Node

X, Y = make_classification(n_samples=80, n_features=4, random_state=0)


def _fit(model: Any, tmp_path: Path, *args: Any) -> tuple[Any, Node]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(*(args or (X, Y)))
    path = tmp_path / "m.joblib"
    joblib.dump(model, path)
    return model, inspect_file(path).model


CASES: list[tuple[str, Any, str, str, str]] = [
    # (id, model factory, attribute, category, role)
    ("svc_num_iter", lambda: SVC(), "_num_iter", "auxiliary", "diagnostic"),
    ("gb_oob_improvement", lambda: GradientBoostingClassifier(n_estimators=5, subsample=0.5,
                                                               random_state=0),
     "oob_improvement_", "auxiliary", "diagnostic"),
    ("mlp_best_coefs", lambda: MLPClassifier((4,), early_stopping=True, max_iter=30,
                                             random_state=0),
     "_best_coefs", "auxiliary", "early-stopping snapshot"),
    ("mlp_best_intercepts", lambda: MLPClassifier((4,), early_stopping=True, max_iter=30,
                                                  random_state=0),
     "_best_intercepts", "auxiliary", "early-stopping snapshot"),
    ("iforest_seeds", lambda: IsolationForest(n_estimators=3, random_state=0), "_seeds",
     "auxiliary", "randomness"),
    ("scaler_samples_seen", StandardScaler, "n_samples_seen_", "auxiliary", "input schema"),
    ("knn_samples_fit", lambda: KNeighborsClassifier(3), "n_samples_fit_", "auxiliary",
     "input schema"),
    ("ridge_solver", Ridge, "solver_", "hyperparameter", "resolved during fit"),
    ("stacking_stack_method", lambda: StackingClassifier(
        [("lr", LogisticRegression())], cv=2), "stack_method_", "hyperparameter",
     "resolved during fit"),
    ("iforest_max_samples", lambda: IsolationForest(n_estimators=3, random_state=0),
     "max_samples_", "hyperparameter", "resolved during fit"),
    ("kmeans_n_init", lambda: KMeans(2, n_init="auto", random_state=0), "_n_init",
     "hyperparameter", "resolved during fit"),
    ("kmeans_algorithm", lambda: KMeans(2, n_init="auto", random_state=0), "_algorithm",
     "hyperparameter", "resolved during fit"),
    ("kmeans_tol", lambda: KMeans(2, n_init="auto", random_state=0), "_tol",
     "hyperparameter", "resolved during fit"),
    ("pca_svd_solver", lambda: PCA(2), "_fit_svd_solver", "hyperparameter",
     "resolved during fit"),
    ("lassocv_alphas", lambda: LassoCV(alphas=5, cv=3), "alphas_", "auxiliary",
     "diagnostic"),
    ("grid_best_index", lambda: GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2),
     "best_index_", "auxiliary", "diagnostic"),
    ("pca_explained_variance_ratio", lambda: PCA(2), "explained_variance_ratio_", "auxiliary",
     "diagnostic"),
]


@pytest.mark.parametrize(("factory", "name", "category", "role"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_attribute_category(tmp_path: Path, factory: Any, name: str, category: str,
                            role: str) -> None:
    model, node = _fit(factory(), tmp_path)
    assert name in vars(model), f"{type(model).__name__} no longer sets {name}"
    attr = node.attribute(name)
    assert attr is not None
    assert (attr.category, attr.role) == (category, role), attr.reason


def test_lassocv_alpha_is_the_selection(tmp_path: Path) -> None:
    model, node = _fit(LassoCV(alphas=5, cv=3), tmp_path)
    alpha = node.attribute("alpha_")
    assert alpha is not None and alpha.role == "selected during fit"
    assert alpha.value == pytest.approx(model.alpha_)
    assert float(model.alpha_) in set(np.asarray(model.alphas_).tolist())


def test_svc_gamma_stays_selected(tmp_path: Path) -> None:
    model, node = _fit(SVC(), tmp_path)
    gamma = node.attribute("_gamma")
    assert gamma is not None and (gamma.category, gamma.role) == ("hyperparameter",
                                                                   "selected during fit")
    assert gamma.value == pytest.approx(model._gamma)


def test_tfidf_stop_words_id_is_bookkeeping(tmp_path: Path) -> None:
    docs = ["the cat sat", "a dog ran", "the dog sat down"]
    model, node = _fit(TfidfVectorizer(stop_words="english"), tmp_path, docs)
    assert "_stop_words_id" in vars(model)
    attr = node.attribute("_stop_words_id")
    assert attr is not None and (attr.category, attr.role) == ("auxiliary", "bookkeeping")
    assert "memory address" in attr.reason


def test_calibrated_classifier_members_are_learned(tmp_path: Path) -> None:
    model, _ = _fit(CalibratedClassifierCV(SVC(), cv=2), tmp_path)
    path = tmp_path / "m.joblib"

    report = inspect_file(path, expand_members=True)
    members = [n for n in report.nodes() if n.short_class == "_CalibratedClassifier"]
    assert len(members) == len(model.calibrated_classifiers_) == 2
    for member in members:
        estimator, calibrators = member.attribute("estimator"), member.attribute("calibrators")
        assert estimator is not None and estimator.category == "learned"
        assert calibrators is not None and calibrators.category == "learned"
        assert not member.by_category("hyperparameter") or all(
            a.name == "method" for a in member.by_category("hyperparameter"))
        assert any(c.short_class == "SVC" and c.fitted for c in member.children)


def test_calibrated_members_summarised_by_the_overview(tmp_path: Path) -> None:
    from hpinspect.render.overview import split_members

    model, node = _fit(CalibratedClassifierCV(SVC(), cv=3), tmp_path)
    kept, members = split_members(node)
    ((attribute, kids),) = members
    assert attribute == "calibrated_classifiers_"
    assert len(kids) == len(model.calibrated_classifiers_) == 3
    assert [k.label for k in kept] == ["estimator"]
    assert split_members(node, show_all=True) == (list(node.children), [])


def test_scorer_is_an_attribute_not_a_node(tmp_path: Path) -> None:
    model, node = _fit(GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2), tmp_path)
    assert "scorer_" in vars(model)
    scorer = node.attribute("scorer_")
    assert scorer is not None and scorer.category == "auxiliary"
    assert all(not n.path.startswith("scorer_") for n in node.walk())


def test_named_estimators_not_duplicated(tmp_path: Path) -> None:
    model, node = _fit(StackingClassifier([("lr", LogisticRegression()),
                                           ("svc", SVC())], cv=2), tmp_path)
    assert set(model.named_estimators_) == {"lr", "svc"}
    paths = [n.path for n in node.walk()]
    assert not any(p.startswith("named_estimators_") for p in paths)
    assert sum(1 for n in node.children if n.label in ("lr", "svc")) == 2
