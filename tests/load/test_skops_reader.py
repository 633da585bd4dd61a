"""skops files: reported exactly like the same model pickled; untrusted types = skops's own.

Files are written with the real ``skops.io.dump``; the expected untrusted types come from the
real ``skops.io.get_untrusted_types(file=...)`` (which never imports the types it lists).
"""

from __future__ import annotations

import re
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from hpinspect import inspect_file
from hpinspect.errors import HpinspectError
from hpinspect.load import read_model
from hpinspect.load.skops import untrusted_types
from hpinspect.render.json import report_doc


def _models(xy: tuple[Any, Any]) -> dict[str, Any]:
    import numpy as np
    from sklearn.decomposition import PCA
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler
    from sklearn.svm import SVC

    X, y = xy
    return {
        "logreg": LogisticRegression(C=0.5, max_iter=200).fit(X, y),
        "pipeline": make_pipeline(StandardScaler(), PCA(2), SVC()).fit(X, y),
        "forest": RandomForestClassifier(n_estimators=3, max_depth=3,
                                         random_state=np.random.RandomState(1)).fit(X, y),
        "gboost": GradientBoostingClassifier(n_estimators=3, random_state=0).fit(X, y),
        "hist": HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(X, y),
        "ufunc": make_pipeline(FunctionTransformer(np.log1p), LogisticRegression()).fit(
            np.abs(X), y),
        "unfitted": LogisticRegression(C=3.0),
    }


@pytest.mark.parametrize("name", ["logreg", "pipeline", "forest", "gboost", "hist", "ufunc",
                                  "unfitted"])
def test_skops_reads_like_the_same_model_pickled(name: str, tmp_path: Path,
                                                 xy: tuple[Any, Any]) -> None:
    import joblib
    import skops.io as sio

    model = _models(xy)[name]
    sio.dump(model, tmp_path / "m.skops")
    joblib.dump(model, tmp_path / "m.joblib")
    from_skops = inspect_file(tmp_path / "m.skops")
    from_joblib = inspect_file(tmp_path / "m.joblib")
    assert from_skops.file.format == "skops"
    assert report_doc(from_skops)["model"] == report_doc(from_joblib)["model"]
    assert dict(from_skops.versions.saved_with) == dict(from_joblib.versions.saved_with)
    assert untrusted_types(read_model(tmp_path / "m.skops")) == sorted(
        sio.get_untrusted_types(file=tmp_path / "m.skops"))


@pytest.fixture
def custom_module(tmp_path: Path) -> Any:
    """An importable module with a custom estimator and a function (for skops.io.dump)."""
    source = tmp_path / "hpi_custom_mod.py"
    source.write_text(textwrap.dedent("""
        from sklearn.base import BaseEstimator

        class Shrink(BaseEstimator):
            def __init__(self, factor=0.5):
                self.factor = factor

            def fit(self, X, y=None):
                self.scale_ = X.std(axis=0) * self.factor
                return self

        def clip(X):
            return X.clip(-3, 3)
    """), encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        import hpi_custom_mod

        yield hpi_custom_mod
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("hpi_custom_mod", None)


def test_untrusted_types_equal_skops(tmp_path: Path, xy: tuple[Any, Any],
                                     custom_module: Any) -> None:
    import functools
    import operator

    import numpy as np
    import scipy.sparse as sp
    import skops.io as sio
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = xy
    objects = {
        "custom": make_pipeline(FunctionTransformer(custom_module.clip),
                                custom_module.Shrink()).fit(X, y),
        "method": {"fit": custom_module.Shrink().fit},
        "misc": {"sparse": sp.csr_matrix(np.eye(3)), "dtype": np.dtype("f4"),
                 "partial": functools.partial(custom_module.clip),
                 "getter": operator.itemgetter(1), "rng": np.random.default_rng(0),
                 "state": np.random.RandomState(0), "bytes": b"xy", "slice": slice(1, 4),
                 "objects": np.array(["a", None], dtype=object), "scalar": np.float32(2)},
    }
    for name, obj in objects.items():
        path = tmp_path / f"{name}.skops"
        sio.dump(obj, path)
        expected = sorted(sio.get_untrusted_types(file=path))
        assert expected, name
        result = read_model(path)
        assert untrusted_types(result) == expected, name
        assert result.safety.verdict in ("review", "unsafe"), name
    report = inspect_file(tmp_path / "custom.skops")
    shrink = report.model.children[-1]
    assert shrink.class_name == "hpi_custom_mod.Shrink"
    assert shrink.attribute("factor").value == 0.5
    assert {"hpi_custom_mod.Shrink", "hpi_custom_mod.clip"} <= {
        f.global_name for f in report.safety.findings if f.severity != "known"}


def test_arrays_are_read_without_numpy_load(tmp_path: Path, xy: tuple[Any, Any]) -> None:
    import numpy as np
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    X, y = xy
    model = LogisticRegression().fit(X, y)
    sio.dump(model, tmp_path / "m.skops")
    root = read_model(tmp_path / "m.skops").root
    coef = root.state["coef_"]
    assert isinstance(coef, np.ndarray) and np.array_equal(coef, model.coef_)


def _rewrite(src: Path, dst: Path, replace: dict[str, bytes]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, replace.get(info.filename, zin.read(info)))


def test_malformed_members_are_clean_errors(tmp_path: Path, logreg: Any) -> None:
    import skops.io as sio

    sio.dump(logreg, tmp_path / "m.skops")
    with zipfile.ZipFile(tmp_path / "m.skops") as archive:
        npy = next(n for n in archive.namelist() if n.endswith(".npy"))
        data = archive.read(npy)
    cases = {
        "bad-json.skops": {"schema.json": b"{not json"},
        "short-array.skops": {npy: data[:-8]},
        "object-array.skops": {npy: re.sub(rb"'descr': '[<>|][a-z][0-9]'", b"'descr': '|O' ",
                                           data, count=1)},
        "bad-header.skops": {npy: data[:10] + b"__import__('os')" + data[26:]},
        "no-loader.skops": {"schema.json": b'{"__class__": "X", "__module__": "os"}'},
    }
    for name, replace in cases.items():
        _rewrite(tmp_path / "m.skops", tmp_path / name, replace)
        with pytest.raises(HpinspectError, match=re.escape(str(tmp_path / name))):
            inspect_file(tmp_path / name)
