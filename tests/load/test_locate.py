"""Where a finding is: the walk that places objects stops early and still names what the full
walk names.

``locate`` stops as soon as the first object of every finding is placed. Each case is
compared with a full breadth-first walk that places every object of every global (the
reference), on real fitted models saved by joblib and pickle, and on joblib streams crafted so
that an array wrapper is still in the graph after joblib replaced it by its array (fetched
again from the memo, or duplicated before its BUILD): there ``joblib.load`` itself shows the
wrapper object, and so must the finding.
"""

from __future__ import annotations

import io
import pickle
from collections import deque
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    IsolationForest,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hpinspect.load import pickle_file
from hpinspect.load.objects import GlobalRef
from hpinspect.report import Finding

WRAPPER = "joblib.numpy_pickle.NumpyArrayWrapper"
CONSUMED = "(consumed while loading)"


def _full_walk(root: Any, wanted: object) -> dict[int, str]:
    """The reference: a breadth-first walk of the whole graph placing every object met."""
    found: dict[int, pickle_file.Link] = {}
    seen: set[int] = set()
    queue: deque[tuple[Any, pickle_file.Link]] = deque([(root, None)])
    while queue:
        obj, link = queue.popleft()
        if isinstance(obj, GlobalRef):
            found.setdefault(id(obj), link)
            continue
        if id(obj) in seen or not isinstance(obj, pickle_file._NODES):
            continue
        seen.add(id(obj))
        found.setdefault(id(obj), link)
        queue.extend(pickle_file._children_of(obj, link))
    return {key: pickle_file._render(link) for key, link in found.items()}


def _findings(path: Path, *, full: bool = False) -> tuple[Finding, ...]:
    with pytest.MonkeyPatch.context() as patch:
        if full:
            patch.setattr(pickle_file, "locate", _full_walk)
        return pickle_file.read(path).complete().safety.findings


def _models() -> dict[str, Any]:
    x, y = make_classification(n_samples=150, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    return {
        "forest": RandomForestClassifier(n_estimators=12, max_depth=4, random_state=0),
        "gbc": GradientBoostingClassifier(n_estimators=6, max_depth=2, random_state=0),
        "hist": HistGradientBoostingClassifier(max_iter=5, random_state=0),
        "iforest": IsolationForest(n_estimators=10, random_state=0),
        "pipeline": make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)),
    } | {"_data": (x, y)}


@pytest.mark.parametrize("writer", ["joblib", "joblib-p2", "joblib-zlib", "pickle"])
def test_findings_name_what_the_full_walk_names(tmp_path: Path, writer: str) -> None:
    models = _models()
    x, y = models.pop("_data")
    for name, model in models.items():
        model.fit(x, y)
        path = tmp_path / f"{name}.{'pkl' if writer == 'pickle' else 'joblib'}"
        if writer == "pickle":
            path.write_bytes(pickle.dumps(model, protocol=5))
        else:
            joblib.dump(model, path, protocol=2 if writer == "joblib-p2" else None,
                        compress=3 if writer == "joblib-zlib" else 0)
        fast, full = _findings(path), _findings(path, full=True)
        assert fast == full, name
        assert fast, name  # every file names its classes
        if writer != "pickle":
            wrappers = [f for f in fast if f.global_name == WRAPPER]
            assert [f.path for f in wrappers] == [CONSUMED], name


def _wrapped_list() -> bytes:
    """``joblib.dump([np.arange(5)])`` at protocol 2 (no frames, so opcodes can be added)."""
    out = io.BytesIO()
    joblib.dump([np.arange(5)], out, protocol=2)
    return out.getvalue()


def _wrapper_memo(data: bytes) -> tuple[int, int]:
    """The memo index the wrapper object is stored under and the offset after its BINPUT
    (the wrapper is the stream's only NEWOBJ: ``NEWOBJ BINPUT i``)."""
    at = data.index(pickle.NEWOBJ + pickle.BINPUT)
    assert data.count(pickle.NEWOBJ + pickle.BINPUT) == 1
    return data[at + 2], at + 3


def _crafted(kind: str) -> bytes:
    data = _wrapped_list()
    index, after_put = _wrapper_memo(data)
    assert data.endswith(b"a.")
    if kind == "refetched":  # [array, the wrapper fetched again from the memo]
        return data[:-1] + b"h" + bytes([index]) + b"a."
    # duplicated before its BUILD: the copy below stays on the stack -> [(wrapper, array)]
    return data[:after_put] + pickle.DUP + data[after_put:-2] + pickle.TUPLE2 + b"a."


@pytest.mark.parametrize(("kind", "where"), [("refetched", "[1]"), ("duplicated", "[0][0]")])
def test_a_wrapper_still_in_the_graph_is_placed(tmp_path: Path, kind: str, where: str) -> None:
    path = tmp_path / f"{kind}.joblib"
    path.write_bytes(_crafted(kind))
    real = joblib.load(path)  # joblib's own class only: nothing to run
    wrapper, array = (real[1], real[0]) if kind == "refetched" else real[0]
    assert type(wrapper).__name__ == "NumpyArrayWrapper"
    assert list(array) == [0, 1, 2, 3, 4]
    fast, full = _findings(path), _findings(path, full=True)
    assert fast == full
    assert next(f for f in fast if f.global_name == WRAPPER).path == where
