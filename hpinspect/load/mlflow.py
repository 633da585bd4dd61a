"""The MLflow reader: a model folder with an ``MLmodel`` file is one model.

``MLmodel`` is read with hpinspect's own YAML-subset reader (:mod:`hpinspect.load.mlmodel_yaml`,
nothing is constructed from the text). Each flavor names its model file (``sklearn:
pickled_model``, ``xgboost``/``lightgbm``/``catboost``: ``data``, ``pytorch: model_data`` (a
folder holding ``model.pth``), ``python_function``: ``model_path``/``data``/``python_model``
and its ``artifacts``). Every flavor's file is read, each file once (``python_function`` and
``sklearn`` usually name the same ``model.pkl``), by whichever reader of the registry claims
it; several distinct files are labelled models of the one report (see :func:`read`).
MLmodel's facts (mlflow version, flavors, library versions, run id, model uuid, creation
time, signature) become :class:`~hpinspect.load.common.Provenance`. A ``python_function``
flavor whose ``loader_module`` is not MLflow's own, and a flavor that ships ``code`` to put on
``sys.path``, are findings: ``mlflow.pyfunc.load_model`` imports that code.
"""

from __future__ import annotations

import dataclasses
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


def _resolve(folder: str, relative: Any) -> str | None:
    """The model file ``relative`` names (a folder: the model file inside it), if it exists."""
    if not isinstance(relative, str) or not relative:
        return None
    path = _inside(folder, relative)
    if os.path.isdir(path):
        found = [n for n in MODEL_NAMES if os.path.isfile(os.path.join(path, n))]
        if not found:
            return None
        path = os.path.join(path, found[0])
    return path if os.path.isfile(path) else None


def _named(flavor: str, conf: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """(label, relative path, is an artifact) of every file a flavor names: its
    :data:`PATH_KEYS`, then a pyfunc's ``artifacts``."""
    out: list[tuple[str, Any, bool]] = [(flavor, conf.get(key), False) for key in PATH_KEYS]
    artifacts = conf.get("artifacts")
    if isinstance(artifacts, dict):
        out += [(f"{flavor} artifact {name}", entry.get("path"), True)
                for name, entry in sorted(artifacts.items()) if isinstance(entry, dict)]
    return out


def _model_files(folder: str, flavors: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(label, path, is an artifact) of every model file of every flavor, each file once
    (flavors naming the same file share it), named flavors before ``python_function``."""
    seen: set[str] = set()
    out: list[tuple[str, str, bool]] = []
    for flavor in sorted(flavors, key=lambda name: name == "python_function"):
        conf = flavors[flavor]
        if not isinstance(conf, dict):
            continue
        for label, relative, artifact in _named(flavor, conf):
            path = _resolve(folder, relative)
            if path is not None and os.path.realpath(path) not in seen:
                seen.add(os.path.realpath(path))
                out.append((label, path, artifact))
    if not out or out[0][2]:
        raise CorruptFileError(f"{MLMODEL} names no model file that exists in the folder",
                               folder)
    return out


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


def _read_file(path: str, limits: Limits, progress: Progress | None, artifact: bool
               ) -> LoadResult | None:
    """The file read by the registry reader that claims it; ``None`` for an artifact that is
    not a model file (a CSV, a vocabulary ...)."""
    from hpinspect.errors import UnsupportedFormatError
    from hpinspect.load.registry import probe, reader_for

    try:
        result: LoadResult = reader_for(probe(path)).read(path, limits, progress).complete()
    except UnsupportedFormatError:
        if artifact:
            return None
        raise
    return result


def _merged(parts: list[tuple[str, LoadResult]]) -> tuple[Any, tuple[Finding, ...]]:
    """The root (the one model, or ``{label: model}`` for several files) and all findings
    (labelled with their file when there are several)."""
    if len(parts) == 1:
        return parts[0][1].root, parts[0][1].safety.findings
    findings = tuple(dataclasses.replace(f, path=f"{label}: {f.path}")
                     for label, part in parts for f in part.safety.findings)
    return {label: part.root for label, part in parts}, findings


def read(path: str | os.PathLike[str], limits: Limits | None = None,
         progress: Progress | None = None) -> LoadResult:
    """Read an MLflow model folder statically: every flavor's model file (each file once).

    One file: the report is that file's model. Several (a flavor or a pyfunc artifact naming
    another file): the root is ``{label: model}``, label ``"<flavor>"`` or ``"<flavor>
    artifact <name>"``, each model a labelled child of the one report; findings carry their
    label. Raises HpinspectError subclasses.
    """
    folder = os.fspath(path)
    doc = _mlmodel(folder)
    files = _model_files(folder, doc["flavors"])
    parts = [(label, part, file) for label, file, artifact in files
             if (part := _read_file(file, limits or Limits(), progress, artifact)) is not None]
    root, inner = _merged([(label, part) for label, part, _ in parts])
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    findings = tuple(sorted((*inner, *_code_findings(doc["flavors"])),
                            key=lambda f: (rank[f.severity], f.global_name)))
    first = parts[0][1]

    def relative(file: str) -> str:
        return os.path.relpath(file, folder).replace(os.sep, "/")

    provenance = _provenance(doc, files[0][0], relative(files[0][1]))
    facts = [*provenance.facts, ("mlflow.model_file_format", "provenance",
                                 str(first.file.format))]
    if len(parts) > 1:
        facts.append(("mlflow.model_files", "provenance",
                      [f"{label}: {relative(file)} ({part.file.format})"
                       for label, part, file in parts]))
    info = FileInfo(path=folder, size_bytes=sum(p.file.size_bytes for _, p, _ in parts),
                    sha256=first.file.sha256, format=FORMAT, compression=first.file.compression,
                    pickle_protocol=first.file.pickle_protocol)
    return LoadResult(root=root, file=info, safety=Safety(verdict_of(findings), findings),
                      provenance=Provenance(provenance.saved_with, tuple(facts)))
