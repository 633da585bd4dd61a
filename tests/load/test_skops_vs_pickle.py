"""A skops file is reported like the same model pickled, attribute by attribute, ten kinds.

For every kind (trees, forests, boosting, HistGradientBoosting, a pipeline with a
ColumnTransformer, clustering, linear models) the model is written with the real
``skops.io.dump`` and with ``pickle``; both reports are walked node by node and every
attribute (name, category, summary, value, changed) must be equal.

Safety: the findings above ``known`` in the skops report are exactly the types the real
``skops.io.get_untrusted_types`` lists. For models without trees that list is empty and both
reports are ``safe``. For tree models skops 0.16 lists ``sklearn.tree._tree.Tree`` or the
HistGradientBoosting ``TreePredictor`` *by design* (skops's ``UNTRUSTED_TYPE_REASONS``: their
node arrays hold raw indices scikit-learn does not bounds-check, so a crafted file can crash
``predict``): the skops report is ``review`` with that one finding and skops's reason, while
every attribute still equals the pickled report's.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpinspect import inspect_file
from hpinspect.render.json import report_doc
from hpinspect.report import Node, Report

TREE_TYPES = {"sklearn.tree._tree.Tree",
              "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"}


def _model(name: str) -> Any:
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import make_classification
    from sklearn.ensemble import (
        ExtraTreesRegressor,
        GradientBoostingRegressor,
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    x, y = make_classification(150, 6, random_state=0)
    x[:, 5] = (x[:, 5] > 0).astype(float) + (x[:, 5] > 1)
    columns = ColumnTransformer([("num", StandardScaler(), [0, 1, 2, 3, 4]),
                                 ("cat", OneHotEncoder(handle_unknown="ignore"), [5])])
    models: dict[str, Any] = {
        "tree": DecisionTreeClassifier(max_depth=4, random_state=0),
        "tree-regressor": DecisionTreeRegressor(min_samples_leaf=3, random_state=0),
        "forest": RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0),
        "extra-trees": ExtraTreesRegressor(n_estimators=3, random_state=0),
        "gboost": GradientBoostingRegressor(n_estimators=4, subsample=0.8, random_state=0),
        "hist": HistGradientBoostingClassifier(max_iter=4, random_state=0),
        "hist-regressor": HistGradientBoostingRegressor(max_iter=3, l2_regularization=0.5),
        "column-pipeline": make_pipeline(columns, LogisticRegression(C=0.5, max_iter=300)),
        "kmeans": KMeans(n_clusters=3, n_init=2, random_state=0),
        "ridge": Ridge(alpha=2.0),
    }
    return models[name].fit(x, y)


def _nodes(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _nodes(child)


def _attributes(report: Report) -> list[tuple[str, str, str, str, Any, bool]]:
    return [(n.path, a.name, str(a.category), a.summary, repr(a.value), a.changed)
            for n in _nodes(report.model) for a in n.attributes]


def _above_known(report: Report) -> set[str]:
    return {f.global_name for f in report.safety.findings if f.severity != "known"}


@pytest.mark.parametrize("name", ["tree", "tree-regressor", "forest", "extra-trees", "gboost",
                                  "hist", "hist-regressor", "column-pipeline", "kmeans",
                                  "ridge"])
def test_skops_equals_pickle(name: str, tmp_path: Path) -> None:
    import skops.io as sio

    model = _model(name)
    sio.dump(model, tmp_path / "m.skops")
    with open(tmp_path / "m.pkl", "wb") as handle:
        pickle.dump(model, handle)
    from_skops = inspect_file(tmp_path / "m.skops")
    from_pickle = inspect_file(tmp_path / "m.pkl")
    assert [n.class_name for n in _nodes(from_skops.model)] == \
        [n.class_name for n in _nodes(from_pickle.model)]
    for mine, theirs in zip(_attributes(from_skops), _attributes(from_pickle), strict=True):
        assert mine == theirs
    assert report_doc(from_skops)["model"] == report_doc(from_pickle)["model"]

    untrusted = set(sio.get_untrusted_types(file=tmp_path / "m.skops"))
    assert _above_known(from_skops) == untrusted
    assert from_pickle.safety.verdict == "safe"
    if untrusted:
        assert untrusted <= TREE_TYPES  # skops's by-design distrust of raw node indices
        assert from_skops.safety.verdict == "review"
        finding = next(f for f in from_skops.safety.findings if f.global_name in untrusted)
        assert "bounds" in finding.detail
    else:
        assert from_skops.safety.verdict == "safe"
