"""Every flavor's model file of an MLflow folder is read (real mlflow-skinny), and MLflow
folders served over HTTP (fsspec) or named by ``file://`` URLs are one model in a scan.

* ``mlflow.sklearn.save_model``: ``python_function`` and ``sklearn`` name the same
  ``model.pkl``: it is read once and the report is that model, as before.
* ``mlflow.xgboost.save_model``: the booster file, compared with the same booster saved
  natively.
* ``mlflow.pyfunc.save_model`` with a ``python_model`` and an artifact holding a joblib
  model: both files are read; the report's root holds two labelled models
  (``python_function`` and ``python_function artifact clf``), the artifact's model equals the
  joblib file read alone, and the python_model's custom class is a finding labelled with its
  file.
* An MLmodel whose ``python_function`` names a different file from ``sklearn``: two labelled
  models; a hostile second file makes the folder unsafe although the first is clean (the
  canary proves its payload is real under a plain ``pickle.load`` and that nothing ran).
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hpinspect
from hpinspect import inspect_file
from hpinspect.render.json import report_doc
from hpinspect.scan import Kind


def _facts(report: Any) -> dict[str, Any]:
    return {a.name: a.value for a in report.model.attributes if a.name.startswith("mlflow.")}


def _model_doc(report: Any) -> dict[str, Any]:
    model = dict(report_doc(report)["model"])
    model["attributes"] = [a for a in model["attributes"] if not a["name"].startswith("mlflow.")]
    return model


def test_flavors_naming_one_file_read_it_once(tmp_path: Path, logreg: Any) -> None:
    import joblib
    import mlflow.sklearn

    mlflow.sklearn.save_model(logreg, str(tmp_path / "m"), serialization_format="pickle")
    joblib.dump(logreg, tmp_path / "same.joblib")
    report = inspect_file(tmp_path / "m")
    facts = _facts(report)
    assert facts["mlflow.flavors"] == ["python_function", "sklearn"]
    assert facts["mlflow.flavor"] == "sklearn"
    assert "mlflow.model_files" not in facts
    assert report.model.class_name == "sklearn.linear_model._logistic.LogisticRegression"
    assert _model_doc(report) == report_doc(inspect_file(tmp_path / "same.joblib"))["model"]


def test_xgboost_flavor(tmp_path: Path, xy: tuple[Any, Any]) -> None:
    import mlflow.xgboost
    import xgboost

    booster = xgboost.train({"max_depth": 2, "eta": 0.3}, xgboost.DMatrix(*xy),
                            num_boost_round=3)
    mlflow.xgboost.save_model(booster, str(tmp_path / "m"), model_format="ubj")
    booster.save_model(str(tmp_path / "native.ubj"))
    report = inspect_file(tmp_path / "m")
    native = inspect_file(tmp_path / "native.ubj")
    facts = _facts(report)
    assert facts["mlflow.flavor"] == "xgboost"
    assert facts["mlflow.model_file_format"] == "xgboost-ubj"
    assert _model_doc(report) == report_doc(native)["model"]
    assert report.safety.verdict == native.safety.verdict == "safe"


def test_pyfunc_model_and_artifact_are_labelled_models(tmp_path: Path, logreg: Any) -> None:
    import joblib
    import mlflow.pyfunc

    joblib.dump(logreg, tmp_path / "clf.joblib")

    class Model(mlflow.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: Any) -> Any:
            return model_input

    mlflow.pyfunc.save_model(str(tmp_path / "m"), python_model=Model(),
                             artifacts={"clf": str(tmp_path / "clf.joblib")})
    report = inspect_file(tmp_path / "m")
    # the cloudpickled PythonModel is no estimator: the artifact is the one model child
    assert [child.label for child in report.model.children] == ["python_function artifact clf"]
    artifact = report.model.children[0]
    alone = inspect_file(tmp_path / "clf.joblib")
    assert artifact.class_name == alone.model.class_name
    assert [(a.name, a.summary) for a in artifact.attributes] == \
        [(a.name, a.summary) for a in alone.model.attributes]
    files = _facts(report)["mlflow.model_files"]
    assert files[0].startswith("python_function: python_model.pkl")
    assert files[1].startswith("python_function artifact clf: artifacts/clf.joblib (joblib)")
    assert report.safety.verdict != "safe"  # the pickled PythonModel class is the file's own
    assert all(f.path.startswith(("python_function: ", "python_function artifact clf: ",
                                  "MLmodel ")) for f in report.safety.findings)


def test_a_second_flavor_file_is_read_too(tmp_path: Path, logreg: Any,
                                          hostile: tuple[Path, Path]) -> None:
    import mlflow.sklearn

    payload, canary = hostile
    folder = tmp_path / "m"
    mlflow.sklearn.save_model(logreg, str(folder), serialization_format="pickle")
    (folder / "other.pkl").write_bytes(payload.read_bytes())
    text = (folder / "MLmodel").read_text(encoding="utf-8")
    head, tail = text.split("python_function:", 1)
    (folder / "MLmodel").write_text(head + "python_function:" + tail.replace(
        "model_path: model.pkl", "model_path: other.pkl", 1), encoding="utf-8")
    report = inspect_file(folder)
    assert [c.label for c in report.model.children] == ["sklearn", "python_function"]
    assert report.model.children[0].class_name.endswith("LogisticRegression")
    assert report.safety.verdict == "unsafe"
    assert any(f.severity == "dangerous" and f.path.startswith("python_function: ")
               for f in report.safety.findings)
    assert not canary.exists()
    subprocess.run([sys.executable, "-c", "import pickle,sys; pickle.load(open(sys.argv[1],"
                    "'rb'))", str(folder / "other.pkl")], capture_output=True, timeout=120,
                   check=False, cwd=canary.parent)
    assert canary.exists()


@pytest.fixture
def served(tmp_path: Path, logreg: Any) -> Iterator[tuple[str, Path]]:
    import joblib
    import mlflow.sklearn

    root = tmp_path / "registry"
    root.mkdir()
    mlflow.sklearn.save_model(logreg, str(root / "churn"), serialization_format="pickle")
    joblib.dump(logreg, root / "loose.joblib")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_remote_mlflow_folder_is_one_model(served: tuple[str, Path]) -> None:
    url, root = served
    result = hpinspect.scan([f"{url}/"], jobs=2)
    by_name = {e.path.rstrip("/").rsplit("/", 1)[-1]: e for e in result.entries}
    assert set(by_name) == {"churn", "loose.joblib"}
    assert {e.kind for e in result.entries} == {Kind.MODEL}
    remote = by_name["churn"].report
    local = inspect_file(root / "churn")
    assert remote.file.format == "mlflow"
    assert remote.file.path == f"{url}/churn"
    assert remote.file.sha256 == local.file.sha256
    assert report_doc(remote)["model"] == report_doc(local)["model"]
    alone = hpinspect.scan([f"{url}/churn/"], jobs=1)
    assert [e.kind for e in alone.entries] == [Kind.MODEL]
    assert report_doc(alone.reports[0])["model"] == report_doc(local)["model"]


def test_file_url_of_an_mlflow_folder(served: tuple[str, Path]) -> None:
    _, root = served
    result = hpinspect.scan([(root / "churn").as_uri()], jobs=1)
    assert [(e.kind, e.report.file.format) for e in result.entries
            if e.report is not None] == [(Kind.MODEL, "mlflow")]
    assert len(result.entries) == 1
