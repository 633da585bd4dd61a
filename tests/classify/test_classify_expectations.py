"""Specific classification expectations (issue 3): named estimators, nesting, bundles, unknown
classes, user overrides, defaults and versions.

Every model is a real fitted scikit-learn object saved with joblib and read back with
:func:`hpinspect.inspect_file`; nothing is mocked.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification, make_regression

from hpinspect import inspect_file
from hpinspect.classify.config import load_overrides
from hpinspect.classify.values import values_equal
from hpinspect.report import CATEGORIES, Attribute, Node, Report

X, Y = make_classification(n_samples=60, n_features=5, n_informative=3, random_state=0)
XR, YR = make_regression(n_samples=60, n_features=5, random_state=0)
DOCS = ["the cat sat on the mat", "the dog ran in the park", "cats and dogs play",
        "a bird sang a song", "birds fly very high", "dogs bark very loud"]
Y_DOCS = [0, 1, 0, 1, 0, 1]


class MyEstimator(BaseEstimator):
    """A custom estimator hpinspect has never seen."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, x: Any, y: Any = None) -> MyEstimator:
        self.w_ = np.asarray(x).mean(axis=0) * self.alpha
        return self


# ------------------------------------------------------------------------------- models


def _logreg() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=0.5).fit(X, Y)


def _logreg_default() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(X, Y)


def _lasso_cv() -> Any:
    from sklearn.linear_model import LassoCV

    return LassoCV(cv=3, alphas=20).fit(XR, YR)


def _grid() -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    return GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3).fit(X, Y)


def _kmeans() -> Any:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=3, n_init=2, random_state=0).fit(X)


def _gmm() -> Any:
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(n_components=2, random_state=0).fit(X)


def _mlp() -> Any:
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0).fit(X, Y)


def _mlp_default_layers() -> Any:
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(max_iter=5, random_state=0).fit(X, Y)


def _histgb() -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=10, learning_rate=0.2,
                                          random_state=0).fit(X, Y)


def _column_pipeline() -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    data = np.column_stack([X[:, :3], np.round(X[:, 3]), X[:, 4]])
    prep = ColumnTransformer([("num", StandardScaler(), [0, 1, 2]),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), [3])])
    return Pipeline([("prep", prep), ("clf", LogisticRegression())]).fit(data, Y)


def _members() -> list[tuple[str, Any]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    return [("lr", LogisticRegression()), ("dt", DecisionTreeClassifier(max_depth=2,
                                                                       random_state=0))]


def _stacking() -> Any:
    from sklearn.ensemble import StackingClassifier

    return StackingClassifier(_members(), cv=3).fit(X, Y)


def _voting() -> Any:
    from sklearn.ensemble import VotingClassifier

    return VotingClassifier(_members(), voting="soft").fit(X, Y)


def _text() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(), SGDClassifier(random_state=0)).fit(DOCS, Y_DOCS)


def _forest() -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, max_depth=4, random_state=0).fit(X, Y)


def _dict_bundle() -> Any:
    return {"model": _logreg(), "features": [f"f{i}" for i in range(5)], "version": 3}


def _tuple_bundle() -> Any:
    return (_logreg(), _kmeans())


def _custom() -> Any:
    return MyEstimator(alpha=0.3).fit(X)


MODELS: dict[str, Callable[[], Any]] = {
    "logreg": _logreg, "logreg_default": _logreg_default, "lasso_cv": _lasso_cv,
    "grid": _grid, "kmeans": _kmeans, "gmm": _gmm, "mlp": _mlp,
    "mlp_default_layers": _mlp_default_layers, "histgb": _histgb,
    "column_pipeline": _column_pipeline, "stacking": _stacking, "voting": _voting,
    "text": _text, "forest": _forest, "dict_bundle": _dict_bundle,
    "tuple_bundle": _tuple_bundle, "custom": _custom,
}
SKLEARN_ONLY = sorted(set(MODELS) - {"custom"})


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every model of :data:`MODELS`, fitted and saved once with joblib."""
    folder = tmp_path_factory.mktemp("expectations")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on tiny data
        for name, make in MODELS.items():
            out[name] = folder / f"{name}.joblib"
            joblib.dump(make(), out[name])
    return out


@pytest.fixture(scope="module")
def reports(files: dict[str, Path]) -> dict[str, Report]:
    return {name: inspect_file(path) for name, path in files.items()}


# ------------------------------------------------------------------------------- helpers


def attr(node: Node, name: str) -> Attribute:
    found = node.attribute(name)
    assert found is not None, f"{name} missing on {node.class_name} ({node.path or 'root'})"
    return found


def categories(node: Node, *names: str) -> dict[str, str]:
    return {n: attr(node, n).category for n in names}


def expect(node: Node, category: str, *names: str) -> None:
    assert categories(node, *names) == dict.fromkeys(names, category)


def child(node: Node, path: str) -> Node:
    for kid in node.children:
        if kid.path == path:
            return kid
    raise AssertionError(f"no child {path!r} under {node.path or 'root'}: "
                         f"{[k.path for k in node.children]}")


def check_complete(report: Report) -> None:
    for node in report.nodes():
        for a in node.attributes:
            assert a.category in CATEGORIES
            assert a.reason.strip() and a.role.strip(), (node.path, a.name)


# ------------------------------------------------------------------------------- safety


@pytest.mark.parametrize("name", SKLEARN_ONLY)
def test_sklearn_models_are_safe(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    above = [(f.global_name, f.severity, f.path) for f in report.safety.findings
             if f.severity != "known"]
    assert above == []
    assert report.safety.verdict == "safe"
    check_complete(report)


@pytest.mark.parametrize("name", SKLEARN_ONLY)
def test_versions(reports: dict[str, Report], name: str) -> None:
    versions = reports[name].versions
    assert versions.saved_with["scikit-learn"] == sklearn.__version__
    assert versions.installed["scikit-learn"] == sklearn.__version__
    assert versions.skew["scikit-learn"] == "none"


# ------------------------------------------------------------------------------- estimators


def test_logistic_regression(reports: dict[str, Report]) -> None:
    root = reports["logreg"].model
    assert root.known and root.fitted
    assert root.short_class == "LogisticRegression"
    expect(root, "hyperparameter", "C", "max_iter", "tol", "fit_intercept", "solver")
    expect(root, "learned", "coef_", "intercept_", "classes_")
    expect(root, "auxiliary", "random_state", "n_jobs", "verbose", "n_iter_", "n_features_in_",
           "_sklearn_version")
    assert attr(root, "coef_").kind == "array"
    assert attr(root, "coef_").stats is not None
    assert attr(root, "coef_").stats["shape"] == [1, 5]
    names = [a.name for a in root.attributes]
    params = [a.name for a in root.attributes if a.has_default or a.category ==
              "hyperparameter"]
    assert names[: len(params)] == params, "hyperparameters first, in signature order"


def test_logistic_regression_defaults(reports: dict[str, Report]) -> None:
    c = attr(reports["logreg"].model, "C")
    assert c.has_default and c.default == 1.0
    assert c.value == 0.5 and c.changed is True
    max_iter = attr(reports["logreg"].model, "max_iter")
    assert max_iter.has_default and max_iter.default == 100 and max_iter.changed is False
    c_default = attr(reports["logreg_default"].model, "C")
    assert c_default.value == 1.0 and c_default.changed is False
    for a in reports["logreg_default"].model.attributes:
        if a.has_default:
            assert a.changed is False, a.name
    # Learned and auxiliary fitted attributes carry no default.
    assert attr(reports["logreg"].model, "coef_").changed is None


def test_values_equal_semantics() -> None:
    """print_changed_only semantics: NaN equals NaN, arrays and lists by value."""
    assert values_equal(float("nan"), float("nan"))
    assert values_equal(np.float64("nan"), float("nan"))
    assert values_equal(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    assert values_equal(np.array([1.0, 2.0]), [1.0, 2.0])
    assert values_equal([1, 2, (3, 4)], [1, 2, [3, 4]])
    assert values_equal((100,), [100])
    assert values_equal({"a": [1.0, float("nan")]}, {"a": [1.0, float("nan")]})
    assert values_equal(np.int64(3), 3)
    assert not values_equal(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    assert not values_equal(np.array([1.0, 2.0]), None)
    assert not values_equal(1, True)
    assert not values_equal(0.5, 1.0)
    assert not values_equal([1, 2], [1, 2, 3])


def test_nan_default_unchanged(reports: dict[str, Report]) -> None:
    """GridSearchCV(error_score=nan) is unchanged from its NaN default."""
    error_score = attr(reports["grid"].model, "error_score")
    assert error_score.has_default
    assert isinstance(error_score.default, float) and math.isnan(error_score.default)
    assert error_score.changed is False


def test_tuple_default_compared_by_value(reports: dict[str, Report]) -> None:
    """MLP hidden_layer_sizes: (100,) equals its default, (5,) does not."""
    default = attr(reports["mlp_default_layers"].model, "hidden_layer_sizes")
    assert default.has_default and default.changed is False
    changed = attr(reports["mlp"].model, "hidden_layer_sizes")
    assert changed.changed is True


def test_lasso_cv(reports: dict[str, Report]) -> None:
    root = reports["lasso_cv"].model
    alpha = attr(root, "alpha_")
    assert alpha.category == "hyperparameter"
    assert alpha.role == "selected during fit"
    expect(root, "auxiliary", "mse_path_", "n_iter_")
    expect(root, "learned", "coef_", "intercept_")
    expect(root, "hyperparameter", "alphas", "cv", "eps")


def test_grid_search(reports: dict[str, Report]) -> None:
    root = reports["grid"].model
    expect(root, "hyperparameter", "best_params_", "param_grid", "estimator")
    assert attr(root, "best_params_").role == "selected during fit"
    assert attr(root, "best_params_").value == {"C": 1.0} or \
        attr(root, "best_params_").value == {"C": 0.1}
    expect(root, "auxiliary", "cv_results_", "best_score_", "refit_time_", "n_jobs")
    best = child(root, "best_estimator_")
    assert best.short_class == "LogisticRegression" and best.fitted and best.known
    expect(best, "learned", "coef_", "intercept_", "classes_")
    expect(best, "hyperparameter", "C")
    template = child(root, "estimator")
    assert template.short_class == "LogisticRegression"
    assert not template.fitted
    assert template.by_category("learned") == ()
    assert template.param_prefix == "estimator__"


def test_kmeans(reports: dict[str, Report]) -> None:
    root = reports["kmeans"].model
    expect(root, "hyperparameter", "n_clusters", "n_init", "init")
    expect(root, "learned", "cluster_centers_")
    expect(root, "auxiliary", "random_state", "inertia_", "n_iter_", "n_features_in_")
    assert attr(root, "n_clusters").value == 3 and attr(root, "n_clusters").changed is True
    assert attr(root, "cluster_centers_").stats["shape"] == [3, 5]


def test_gaussian_mixture(reports: dict[str, Report]) -> None:
    root = reports["gmm"].model
    expect(root, "hyperparameter", "n_components", "covariance_type")
    expect(root, "learned", "weights_", "means_", "covariances_", "precisions_cholesky_")
    expect(root, "auxiliary", "converged_", "lower_bound_", "n_iter_", "random_state")


def test_mlp(reports: dict[str, Report]) -> None:
    root = reports["mlp"].model
    expect(root, "hyperparameter", "hidden_layer_sizes", "activation", "alpha",
           "learning_rate_init")
    expect(root, "learned", "coefs_", "intercepts_", "classes_")
    expect(root, "auxiliary", "loss_curve_", "n_iter_", "random_state", "best_loss_")


def test_hist_gradient_boosting(reports: dict[str, Report]) -> None:
    root = reports["histgb"].model
    expect(root, "hyperparameter", "learning_rate", "max_iter", "max_leaf_nodes")
    assert attr(root, "learning_rate").changed is True
    expect(root, "learned", "_predictors", "_bin_mapper", "classes_")
    expect(root, "auxiliary", "train_score_", "validation_score_", "random_state",
           "_random_seed", "n_features_in_")
    assert root.fitted
    bin_mapper = child(root, "_bin_mapper")
    assert bin_mapper.fitted
    expect(bin_mapper, "learned", "bin_thresholds_")


def test_pipeline_with_column_transformer(reports: dict[str, Report]) -> None:
    root = reports["column_pipeline"].model
    assert root.short_class == "Pipeline" and root.fitted
    prep = child(root, "steps[0]")
    clf = child(root, "steps[1]")
    assert (prep.label, prep.param_prefix, prep.short_class) == ("prep", "prep__",
                                                                 "ColumnTransformer")
    assert (clf.label, clf.param_prefix, clf.short_class) == ("clf", "clf__",
                                                              "LogisticRegression")
    expect(clf, "learned", "coef_")
    prefixes = {k.param_prefix: k for k in prep.children}
    assert "prep__num__" in prefixes and "prep__cat__" in prefixes
    num, cat = prefixes["prep__num__"], prefixes["prep__cat__"]
    assert num.short_class == "StandardScaler" and num.fitted
    assert cat.short_class == "OneHotEncoder" and cat.fitted
    expect(num, "learned", "mean_", "scale_")
    expect(cat, "learned", "categories_")
    expect(cat, "hyperparameter", "handle_unknown")
    assert attr(cat, "handle_unknown").changed is True
    # The unfitted templates in `transformers` are summarised, not duplicated as nodes.
    assert all(k.path.startswith("steps[0].transformers_") for k in prep.children)


@pytest.mark.parametrize("name", ["stacking", "voting"])
def test_ensembles_of_named_members(reports: dict[str, Report], name: str) -> None:
    root = reports[name].model
    members = {k.label: k for k in root.children if k.path.startswith("estimators_")}
    assert set(members) == {"lr", "dt"}
    assert members["lr"].short_class == "LogisticRegression"
    assert members["dt"].short_class == "DecisionTreeClassifier"
    assert members["lr"].param_prefix == "lr__" and members["dt"].param_prefix == "dt__"
    assert all(m.fitted for m in members.values())
    expect(members["lr"], "learned", "coef_")
    expect(members["dt"], "learned", "tree_")
    assert attr(members["dt"], "tree_").kind == "tree"
    expect(root, "hyperparameter", "estimators")
    expect(root, "learned", "estimators_")
    if name == "stacking":
        final = child(root, "final_estimator_")
        assert final.fitted and final.short_class == "LogisticRegression"
        expect(root, "hyperparameter", "cv", "stack_method")
    else:
        expect(root, "hyperparameter", "voting")
        assert attr(root, "voting").changed is True


def test_tfidf_sgd_pipeline(reports: dict[str, Report]) -> None:
    root = reports["text"].model
    vec = child(root, "steps[0]")
    sgd = child(root, "steps[1]")
    assert vec.short_class == "TfidfVectorizer" and vec.label == "tfidfvectorizer"
    assert sgd.short_class == "SGDClassifier" and sgd.param_prefix == "sgdclassifier__"
    expect(vec, "hyperparameter", "ngram_range", "lowercase", "norm", "sublinear_tf")
    expect(vec, "learned", "vocabulary_")
    idf = [a for node in vec.walk() for a in node.attributes if a.name == "idf_"]
    assert [a.category for a in idf] == ["learned"]
    expect(sgd, "hyperparameter", "alpha", "loss", "penalty")
    expect(sgd, "learned", "coef_", "intercept_", "classes_")
    expect(sgd, "auxiliary", "n_iter_", "random_state")


def test_forest_is_a_group(files: dict[str, Path], reports: dict[str, Report]) -> None:
    root = reports["forest"].model
    expect(root, "learned", "estimators_")
    expect(root, "hyperparameter", "n_estimators", "max_depth")
    groups = {g.attribute: g for g in root.groups}
    group = groups["estimators_"]
    assert group.count == 100
    assert dict(group.classes) == {"sklearn.tree._classes.DecisionTreeClassifier": 100}
    for stat in ("depth", "node_count"):
        assert set(group.stats[stat]) >= {"min", "mean", "max"}
        assert group.stats[stat]["min"] <= group.stats[stat]["mean"] <= group.stats[stat]["max"]
    assert group.stats["depth"]["max"] <= 4
    assert not [k for k in root.children if k.path.startswith("estimators_")]
    assert len(root.children) < 10

    expanded = inspect_file(files["forest"], expand_members=True).model
    members = [k for k in expanded.children if k.path.startswith("estimators_[")]
    assert len(members) == 100
    assert len({m.path for m in members}) == 100
    assert all(m.fitted and m.short_class == "DecisionTreeClassifier" for m in members)
    assert attr(members[0], "tree_").kind == "tree"
    assert attr(members[0], "tree_").category == "learned"


def test_dict_bundle(reports: dict[str, Report]) -> None:
    root = reports["dict_bundle"].model
    assert root.class_name == "builtins.dict"
    assert len(root.children) == 1
    model = root.children[0]
    assert model.path == "['model']" and model.short_class == "LogisticRegression"
    assert model.fitted
    expect(model, "hyperparameter", "C")
    expect(model, "learned", "coef_")
    features = attr(root, "features")
    assert features.value == [f"f{i}" for i in range(5)]
    assert attr(root, "version").value == 3


def test_tuple_bundle(reports: dict[str, Report]) -> None:
    root = reports["tuple_bundle"].model
    assert root.class_name == "builtins.tuple"
    assert [(k.path, k.short_class) for k in root.children] == [
        ("[0]", "LogisticRegression"), ("[1]", "KMeans")]
    expect(root.children[0], "learned", "coef_")
    expect(root.children[1], "learned", "cluster_centers_")


def test_custom_estimator(reports: dict[str, Report]) -> None:
    report = reports["custom"]
    root = report.model
    assert root.class_name == f"{__name__}.MyEstimator"
    assert not root.known
    assert root.fitted
    alpha, w = attr(root, "alpha"), attr(root, "w_")
    assert alpha.category == "hyperparameter" and alpha.value == 0.3
    assert w.category == "learned" and w.kind == "array" and w.stats["shape"] == [5]
    for a in (alpha, w):
        assert "class not in knowledge base" in a.reason
    assert "by naming convention" in alpha.reason
    assert [a.name for a in root.attributes] == ["alpha", "w_"]
    assert report.safety.verdict == "review"
    unknown = [f for f in report.safety.findings if f.severity == "unknown class"]
    assert [f.global_name for f in unknown] == [f"{__name__}.MyEstimator"]
    assert "scikit-learn" not in report.versions.saved_with  # no _sklearn_version outside sklearn
    check_complete(report)


# ------------------------------------------------------------------------------- overrides


def test_override_file_moves_warm_start(tmp_path: Path, files: dict[str, Path]) -> None:
    config = tmp_path / "hp.toml"
    config.write_text('[tool.hpinspect.classify]\nhyperparameter = ["warm_start"]\n')
    before = attr(inspect_file(files["logreg"]).model, "warm_start")
    assert before.category == "auxiliary"
    overrides = load_overrides(config)
    after_report = inspect_file(files["logreg"], overrides=overrides)
    after = attr(after_report.model, "warm_start")
    assert after.category == "hyperparameter"
    assert str(config) in after.reason
    # Nothing else moves, and nested nodes see the override too.
    assert attr(after_report.model, "C").category == "hyperparameter"
    nested = inspect_file(files["grid"], overrides=overrides)
    assert attr(child(nested.model, "best_estimator_"), "warm_start").category == \
        "hyperparameter"


def test_override_bare_table_file(tmp_path: Path, files: dict[str, Path]) -> None:
    config = tmp_path / "bare.toml"
    config.write_text('auxiliary = ["C"]\nlearned = ["n_iter_"]\n')
    root = inspect_file(files["logreg"], overrides=load_overrides(config)).model
    assert attr(root, "C").category == "auxiliary"
    assert attr(root, "n_iter_").category == "learned"
    assert str(config) in attr(root, "C").reason


def test_pyproject_discovery(tmp_path: Path, files: dict[str, Path]) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.hpinspect.classify]\n'
        'hyperparameter = ["warm_start"]\nauxiliary = ["max_iter"]\n')
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    for start in (tmp_path, deep):
        overrides = load_overrides(start=start)
        root = inspect_file(files["logreg"], overrides=overrides).model
        assert attr(root, "warm_start").category == "hyperparameter"
        assert attr(root, "max_iter").category == "auxiliary"
        assert "pyproject.toml" in attr(root, "warm_start").reason


def test_pyproject_without_table(tmp_path: Path, files: dict[str, Path]) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    root = inspect_file(files["logreg"], overrides=load_overrides(start=tmp_path)).model
    assert attr(root, "warm_start").category == "auxiliary"
