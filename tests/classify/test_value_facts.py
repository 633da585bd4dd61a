"""The JSON-safe facts renderers show beyond a summary (``items``, ``item_count``, ``size``,
``routing``) agree with what the fitted library objects say, and reach the JSON document."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import joblib
import jsonschema
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from hpinspect import inspect_file
from hpinspect.classify.values import ITEMS_CAP, NUMERIC_ITEMS_CAP, label_items
from hpinspect.load.objects import ObjectArray
from hpinspect.render import Format, RenderOptions, get_renderer
from hpinspect.report import Node


def _frame(rows: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, rows).astype(float),
        "income": rng.normal(5e4, 1e4, rows),
        "city": rng.choice(["lyon", "nice", "paris"], rows),
        "plan": rng.choice(["basic", "pro"], rows),
    })
    target = np.where(frame["income"] > 5e4, "stay", "churn")
    return frame, target


def _node(root: Node, path: str) -> Node:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.path == path:
            return node
        stack.extend(node.children)
    raise AssertionError(f"no node {path}")


def test_routing_labels_names_and_categories_match_the_fitted_pipeline(tmp_path: Path) -> None:
    frame, target = _frame()
    prep = ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"])])
    model = Pipeline([("prep", prep), ("clf", SVC(C=2.0))]).fit(frame, target)
    path = tmp_path / "ct.joblib"
    joblib.dump(model, path)
    report = inspect_file(path)

    ct = _node(report.model, "steps[0]")
    routing = ct.attribute("transformers_").routing
    fitted = model.named_steps["prep"].transformers_
    assert [(r["name"], r["transformer"], r["columns"]) for r in routing] == [
        (name, type(step).__name__ if not isinstance(step, str) else step, list(columns))
        for name, step, columns in fitted if name != "remainder" or len(columns)]
    names = ct.attribute("feature_names_in_")
    assert names.items == list(model.named_steps["prep"].feature_names_in_)
    assert names.item_count == 4

    encoder = _node(report.model, "steps[0].transformers_[1]")
    categories = encoder.attribute("categories_")
    fitted_encoder = model.named_steps["prep"].named_transformers_["cat"]
    assert categories.items == [list(c) for c in fitted_encoder.categories_]
    assert categories.item_count == len(fitted_encoder.categories_)

    svc = _node(report.model, "steps[1]")
    assert svc.attribute("classes_").items == model.classes_.tolist() == ["churn", "stay"]

    doc = json.loads(get_renderer(Format.json).render([report], RenderOptions()))
    schema = json.loads((Path(__file__).parents[2] / "hpinspect/schema/report.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    ct_doc = doc["model"]["children"][0]
    assert any(a.get("routing") == [dict(r) for r in routing] for a in ct_doc["attributes"])


def test_size_of_a_list_of_arrays_is_the_number_of_weights(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    features, target = rng.normal(size=(80, 5)), rng.integers(0, 3, 80)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(7,), max_iter=20, random_state=0)
        mlp.fit(features, target)
    path = tmp_path / "mlp.joblib"
    joblib.dump(mlp, path)
    report = inspect_file(path)
    assert report.model.attribute("coefs_").size == sum(c.size for c in mlp.coefs_) == 5 * 7 + 7 * 3
    assert report.model.attribute("intercepts_").size == sum(b.size for b in mlp.intercepts_)


def test_items_are_bounded() -> None:
    names = ObjectArray((ITEMS_CAP + 500,), tuple(f"f{i}" for i in range(ITEMS_CAP + 500)))
    assert label_items(names) == [f"f{i}" for i in range(ITEMS_CAP)]
    assert label_items(np.arange(NUMERIC_ITEMS_CAP + 1)) is None  # indices, not labels
    assert label_items(np.arange(3)) == [0, 1, 2]
    assert label_items(np.linspace(0, 1, 5)) is None  # floats have statistics
    assert label_items(ObjectArray((2,), (1.0, np.nan))) is None  # no NaN in JSON lists
