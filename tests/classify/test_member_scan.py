"""Estimators inside lists, tuples and object arrays are found at their numpy index, however
many plain values surround them; long lists of plain values (a LabelEncoder's classes, a
DictVectorizer's feature names) are summarised, never walked element by element.

Each model is fitted with scikit-learn, saved with joblib and pickle, and the report's child
paths are compared with what numpy and the fitted object say.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from hpinspect import inspect_file
from hpinspect.report import Node


def _paths(node: Node) -> list[str]:
    out = [node.path]
    for child in node.children:
        out.extend(_paths(child))
    return out


def _save(obj: object, folder: Path, name: str, how: str) -> Path:
    path = folder / f"{name}.{how}"
    if how == "joblib":
        joblib.dump(obj, path)
    else:
        path.write_bytes(pickle.dumps(obj, protocol=5))
    return path


@pytest.mark.parametrize("how", ["joblib", "pkl"])
def test_estimators_among_plain_values_keep_their_numpy_index(tmp_path: Path, how: str) -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    logreg = LogisticRegression().fit(x, y)
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(x, y)
    holder = StandardScaler().fit(x)
    grid = np.empty((3, 4), dtype=object)
    grid[...] = "plain"
    grid[0, 1], grid[2, 3] = logreg, tree
    grid[1, 2] = 7
    holder.members_ = grid  # type: ignore[attr-defined]
    holder.listed_ = ["a"] * 100 + [logreg] + list(range(50))  # type: ignore[attr-defined]
    report = inspect_file(_save(holder, tmp_path, "holder", how))
    found = [i for i, v in np.ndenumerate(grid) if not isinstance(v, (str, int))]
    paths = _paths(report.model)
    for index in found:
        assert f"members_[{', '.join(map(str, index))}]" in paths
    assert "listed_[100]" in paths
    assert not [p for p in paths if p.startswith("members_[1, 2]") or p == "listed_[0]"]


def test_long_plain_lists_are_summarised_with_their_length(tmp_path: Path) -> None:
    words = [f"class-{i:06d}" for i in range(200_000)]
    encoder = LabelEncoder().fit(words)
    vectorizer = DictVectorizer().fit([{w: 1} for w in words[:20_000]])
    for name, model, attr, count in (
            ("encoder", encoder, "classes_", len(encoder.classes_)),
            ("vectorizer", vectorizer, "feature_names_", len(vectorizer.feature_names_))):
        report = inspect_file(_save(model, tmp_path, name, "pkl"))
        root = report.model
        assert root.children == ()
        (attribute,) = [a for a in root.attributes if a.name == attr]
        assert f"{count:,}" in attribute.summary or str(count) in attribute.summary
