"""The MLflow reader: a model folder with an ``MLmodel`` file is one model.

``MLmodel`` is read with hpinspect's own YAML-subset reader (:mod:`hpinspect.load.mlmodel_yaml`,
nothing is constructed from the text). Each flavor names its model file (``sklearn:
pickled_model``, ``xgboost``/``lightgbm``/``catboost``: ``data``, ``pytorch: model_data`` (a
folder holding ``model.pth``), ``python_function``: ``model_path``/``data``/``python_model``);
the file of the most specific flavor is read by whichever reader of the registry claims it, and
MLmodel's facts (mlflow version, flavors, library versions, run id, model uuid, creation time,
signature) become :class:`~hpinspect.load.common.Provenance`. A ``python_function`` flavor whose
``loader_module`` is not MLflow's own, and a flavor that ships ``code`` to put on
``sys.path``, are findings: ``mlflow.pyfunc.load_model`` imports that code.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hpinspect.errors import CorruptFileError, FileAccessError, LimitExceededError
from hpinspect.load.common import LoadResult, Progress, Provenance, verdict_of
from hpinspect.load.limits import Limits
from hpinspect.load.mlmodel_yaml import MAX_BYTES, YamlError, parse
from hpinspect.report import SEVERITIES, FileFormat, FileInfo, Finding, Safety, Severity

__all__ = ["FORMAT", "MLMODEL", "detect", "read"]

FORMAT = FileFormat.MLFLOW
MLMODEL = "MLmodel"
PATH_KEYS = ("pickled_model", "model_data", "data", "model_path", "python_model", "path")
"""Flavor keys that name the model file, most specific first."""
MODEL_NAMES = ("model.pth", "model.pt", "model.pkl", "model.skops", "model.ubj", "model.json",
               "model.xgb", "model.lgb", "model.cb", "model.joblib", "python_model.pkl")
"""Files looked for when a flavor names a folder (pytorch: ``data/model.pth``)."""
LIBRARY_VERSIONS = {"sklearn_version": "scikit-learn", "xgb_version": "xgboost",
                    "lgb_version": "lightgbm", "pytorch_version": "torch",
                    "catboost_version": "catboost", "cloudpickle_version": "cloudpickle",
                    "statsmodels_version": "statsmodels", "keras_version": "keras",
                    "tensorflow_version": "tensorflow", "transformers_version": "transformers"}
FACTS = ("run_id", "model_uuid", "model_id", "utc_time_created", "artifact_path",
         "saved_input_example_info", "metadata")


def detect(found: Any) -> bool:
    """A folder holding an ``MLmodel`` file."""
    return bool(found.is_dir) and MLMODEL in found.listing()


def _mlmodel(folder: str) -> dict[str, Any]:
    path = os.path.join(folder, MLMODEL)
    try:
        if os.path.getsize(path) > MAX_BYTES:
            raise LimitExceededError(f"{MLMODEL} larger than {MAX_BYTES:,} bytes", folder)
        with open(path, encoding="utf-8") as handle:
            doc = parse(handle.read())
    except (OSError, UnicodeDecodeError) as exc:
        raise FileAccessError(f"cannot read {MLMODEL}: {exc}", folder) from exc
    except YamlError as exc:
        raise CorruptFileError(f"{MLMODEL}: {exc}", folder) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("flavors"), dict):
        raise CorruptFileError(f"{MLMODEL} without flavors", folder)
    return doc


def _inside(folder: str, relative: str) -> str:
    """``relative`` resolved under ``folder``; refuses paths (or symlinks) that leave it."""
    base = os.path.realpath(folder)
    target = os.path.realpath(os.path.join(folder, relative))
    if os.path.isabs(relative) or not (target == base or target.startswith(base + os.sep)):
        raise CorruptFileError(f"{MLMODEL} names {relative!r}, outside the model folder",
                               folder)
    return os.path.join(folder, relative)


def _model_file(folder: str, flavors: dict[str, Any]) -> tuple[str, str]:
    """(flavor, path) of the model file to read: named flavors before python_function."""
    order = sorted(flavors, key=lambda name: name == "python_function")
    for flavor in order:
        conf = flavors[flavor]
        if not isinstance(conf, dict):
            continue
        for key in PATH_KEYS:
            relative = conf.get(key)
            if not isinstance(relative, str) or not relative:
                continue
            path = _inside(folder, relative)
            if os.path.isdir(path):
                found = [n for n in MODEL_NAMES if os.path.isfile(os.path.join(path, n))]
                if not found:
                    continue
                path = os.path.join(path, found[0])
            if os.path.isfile(path):
                return flavor, path
    raise CorruptFileError(f"{MLMODEL} names no model file that exists in the folder", folder)


def _code_findings(flavors: dict[str, Any]) -> list[Finding]:
    out = []
    for flavor, conf in flavors.items():
        if not isinstance(conf, dict):
            continue
        loader = conf.get("loader_module")
        if flavor == "python_function" and isinstance(loader, str) and \
                not loader.startswith("mlflow."):
            out.append(Finding(loader, Severity.UNKNOWN_CALL,
                               "mlflow.pyfunc.load_model imports this loader module and calls "
                               "its _load_pyfunc", f"MLmodel flavors.{flavor}.loader_module",
                               True))
        code = conf.get("code")
        if isinstance(code, str) and code:
            out.append(Finding(f"{flavor}.code:{code}", Severity.UNKNOWN_CALL,
                               "MLflow puts this folder of Python code on sys.path before "
                               "loading, so the model's classes may come from it",
                               f"MLmodel flavors.{flavor}.code", False))
    return out


def _signature(doc: dict[str, Any]) -> list[tuple[str, str, Any]]:
    signature = doc.get("signature")
    if not isinstance(signature, dict):
        return []
    out = []
    for key in ("inputs", "outputs", "params"):
        text = signature.get(key)
        if isinstance(text, str):
            try:
                value: Any = json.loads(text)
            except ValueError:
                value = text
            out.append((f"mlflow.signature.{key}", "input schema", value))
    return out


def _provenance(doc: dict[str, Any], flavor: str, model_file: str) -> Provenance:
    flavors: dict[str, Any] = doc["flavors"]
    saved: dict[str, str] = {}
    if isinstance(doc.get("mlflow_version"), str):
        saved["mlflow"] = doc["mlflow_version"]
    facts: list[tuple[str, str, Any]] = [
        ("mlflow.flavors", "provenance", sorted(flavors)),
        ("mlflow.flavor", "provenance", flavor),
        ("mlflow.model_file", "provenance", model_file),
    ]
    for name, conf in sorted(flavors.items()):
        if not isinstance(conf, dict):
            continue
        for key, lib in LIBRARY_VERSIONS.items():
            if isinstance(conf.get(key), str):
                saved.setdefault(lib, conf[key])
        for key in ("python_version", "serialization_format", "model_format", "model_class",
                    "loader_module"):
            if isinstance(conf.get(key), str):
                facts.append((f"mlflow.{name}.{key}", "provenance", conf[key]))
    facts += [(f"mlflow.{key}", "provenance", doc[key]) for key in FACTS
              if doc.get(key) is not None]
    facts += _signature(doc)
    return Provenance(saved_with=saved, facts=tuple(facts))


def read(path: str | os.PathLike[str], limits: Limits | None = None,
         progress: Progress | None = None) -> LoadResult:
    """Read an MLflow model folder statically. Raises HpinspectError subclasses."""
    from hpinspect.load.registry import probe, reader_for

    folder = os.fspath(path)
    doc = _mlmodel(folder)
    flavor, model_path = _model_file(folder, doc["flavors"])
    inner_reader = reader_for(probe(model_path))
    inner: LoadResult = inner_reader.read(model_path, limits or Limits(), progress)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    findings = tuple(sorted((*inner.safety.findings, *_code_findings(doc["flavors"])),
                            key=lambda f: (rank[f.severity], f.global_name)))
    relative = os.path.relpath(model_path, folder).replace(os.sep, "/")
    provenance = _provenance(doc, flavor, relative)
    facts = (*provenance.facts, ("mlflow.model_file_format", "provenance",
                                 str(inner.file.format)))
    info = FileInfo(path=folder, size_bytes=inner.file.size_bytes, sha256=inner.file.sha256,
                    format=FORMAT, compression=inner.file.compression,
                    pickle_protocol=inner.file.pickle_protocol)
    return LoadResult(root=inner.root, file=info, safety=Safety(verdict_of(findings), findings),
                      provenance=Provenance(provenance.saved_with, facts))
