"""MLflow model folders built with the real mlflow-skinny, compared with the model pickled;
the MLmodel YAML reader compared with ``yaml.safe_load``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpinspect import inspect_file
from hpinspect.errors import HpinspectError
from hpinspect.load.mlmodel_yaml import YamlError, parse
from hpinspect.render.json import report_doc


def _save(model: Any, path: Path, xy: tuple[Any, Any], **options: Any) -> Path:
    import mlflow.sklearn
    from mlflow.models import infer_signature

    X, _ = xy
    mlflow.sklearn.save_model(model, str(path), signature=infer_signature(X, model.predict(X)),
                              **options)
    return path


def _without_mlflow(doc: dict[str, Any]) -> dict[str, Any]:
    model = dict(doc["model"])
    model["attributes"] = [a for a in model["attributes"] if not a["name"].startswith("mlflow.")]
    return model


@pytest.mark.parametrize("fmt", ["pickle", "cloudpickle", "skops"])
def test_mlflow_folder_reads_like_the_model_pickled(fmt: str, tmp_path: Path, logreg: Any,
                                                    xy: tuple[Any, Any]) -> None:
    import joblib

    folder = _save(logreg, tmp_path / "model", xy, serialization_format=fmt)
    joblib.dump(logreg, tmp_path / "same.joblib")
    report = inspect_file(folder)
    doc = report_doc(report)
    assert doc["file"]["format"] == "mlflow"
    assert doc["file"]["path"] == str(folder)
    assert _without_mlflow(doc) == report_doc(inspect_file(tmp_path / "same.joblib"))["model"]
    mlmodel = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8"))
    facts = {a["name"]: a for a in doc["model"]["attributes"] if a["name"].startswith("mlflow.")}
    assert all(a["category"] == "auxiliary" for a in facts.values())
    assert facts["mlflow.flavor"]["value"] == "sklearn"
    assert facts["mlflow.model_file"]["value"] == mlmodel["flavors"]["sklearn"]["pickled_model"]
    assert facts["mlflow.utc_time_created"]["value"] == mlmodel["utc_time_created"]
    assert facts["mlflow.model_uuid"]["value"] == mlmodel["model_uuid"]
    assert facts["mlflow.signature.inputs"]["value"] == json.loads(
        mlmodel["signature"]["inputs"])
    assert facts["mlflow.signature.inputs"]["role"] == "input schema"
    assert doc["versions"]["saved_with"]["mlflow"] == mlmodel["mlflow_version"]
    assert doc["versions"]["saved_with"]["scikit-learn"] == \
        mlmodel["flavors"]["sklearn"]["sklearn_version"]
    assert doc["safety"]["verdict"] == "safe"


def test_custom_loader_module_is_a_finding(tmp_path: Path, logreg: Any,
                                           xy: tuple[Any, Any]) -> None:
    folder = _save(logreg, tmp_path / "model", xy, serialization_format="pickle")
    text = (folder / "MLmodel").read_text(encoding="utf-8")
    (folder / "MLmodel").write_text(text.replace("loader_module: mlflow.sklearn",
                                                 "loader_module: evil_loader"),
                                    encoding="utf-8")
    report = inspect_file(folder)
    assert report.safety.verdict == "unsafe"
    assert [f.global_name for f in report.safety.findings if f.severity == "unknown call"] == \
        ["evil_loader"]


def test_mlmodel_paths_stay_inside_the_folder(tmp_path: Path, logreg: Any,
                                              xy: tuple[Any, Any]) -> None:
    folder = _save(logreg, tmp_path / "model", xy, serialization_format="pickle")
    (tmp_path / "secret.pkl").write_bytes((folder / "model.pkl").read_bytes())
    text = (folder / "MLmodel").read_text(encoding="utf-8")
    (folder / "MLmodel").write_text(text.replace("model.pkl", "../secret.pkl"),
                                    encoding="utf-8")
    with pytest.raises(HpinspectError, match="outside the model folder"):
        inspect_file(folder)
    (folder / "MLmodel").write_text("flavors:\n  sklearn: !!python/object:os.system {}\n",
                                    encoding="utf-8")
    with pytest.raises(HpinspectError, match="MLmodel"):
        inspect_file(folder)


def test_mlmodel_yaml_matches_safe_load(tmp_path: Path, logreg: Any,
                                        xy: tuple[Any, Any]) -> None:
    import mlflow.lightgbm
    from lightgbm import LGBMClassifier

    folders = [_save(logreg, tmp_path / "a", xy),
               _save(logreg, tmp_path / "b", xy, serialization_format="cloudpickle")]
    mlflow.lightgbm.save_model(LGBMClassifier(n_estimators=2, verbose=-1).fit(*xy),
                               str(tmp_path / "c"))
    folders.append(tmp_path / "c")
    for folder in folders:
        for name in os.listdir(folder):
            if name in ("MLmodel", "conda.yaml", "python_env.yaml"):
                text = (folder / name).read_text(encoding="utf-8")
                assert parse(text) == yaml.safe_load(text), f"{folder.name}/{name}"


_TEXT = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]),
                max_size=150)
_SCALARS = st.none() | st.booleans() | st.integers(-10**12, 10**12) | \
    st.floats(allow_nan=False) | _TEXT
_DOCS = st.dictionaries(_TEXT.filter(bool), st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(_TEXT.filter(bool), inner, max_size=4), max_leaves=16), max_size=5)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(_DOCS)
def test_yaml_reader_is_exact_or_refuses(doc: dict[str, Any]) -> None:
    text = yaml.safe_dump(doc, default_flow_style=False)
    try:
        mine = parse(text)
    except YamlError:
        return  # refusing is allowed; reading differently is not
    assert mine == yaml.safe_load(text)


# Plain scalars that look like numbers, dates or YAML 1.1 forms (MLflow's model_uuid and
# run_id are hex: one in 256 starts with ``0b``, which this reader used to refuse).
_NUMERIC_LOOKING = st.text(alphabet="0123456789abcdefxoABEFT_:-+. Z", min_size=1, max_size=24)


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(_NUMERIC_LOOKING)
def test_every_string_safe_dump_writes_reads_back(value: str) -> None:
    text = yaml.safe_dump({"model_uuid": value}, default_flow_style=False)
    assert parse(text) == {"model_uuid": value}


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(_NUMERIC_LOOKING.map(str.strip).filter(lambda s: bool(s) and s[0] not in "-?:"))
def test_plain_scalars_are_refused_only_when_safe_load_does_not_give_a_string(value: str
                                                                               ) -> None:
    text = f"key: {value}\n"
    try:
        expected = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):  # PyYAML itself fails on some (``0b``: int('', 2))
        return
    try:
        mine = parse(text)
    except YamlError:
        assert not isinstance(expected["key"], str), value
        return
    assert mine == expected


def test_a_uuid_that_starts_like_a_binary_number_is_a_string(tmp_path: Path, logreg: Any,
                                                             xy: tuple[Any, Any]) -> None:
    import uuid

    folder = _save(logreg, tmp_path / "model", xy)
    path = folder / "MLmodel"
    mlmodel = yaml.safe_load(path.read_text(encoding="utf-8"))
    hexes = ["0b" + uuid.uuid4().hex[2:], "0b1" + "0" * 29, "0x" + "f" * 30, "0123456789"]
    hexes += [uuid.uuid4().hex for _ in range(2000)]
    for value in hexes:
        text = yaml.safe_dump(dict(mlmodel, model_uuid=value), default_flow_style=False)
        assert parse(text) == yaml.safe_load(text), value
    path.write_text(yaml.safe_dump(dict(mlmodel, model_uuid=hexes[0]), default_flow_style=False),
                    encoding="utf-8")
    facts = {a.name: a for a in inspect_file(folder).model.attributes}
    assert facts["mlflow.model_uuid"].value == hexes[0]
