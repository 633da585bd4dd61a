"""JSON renderer: golden output, strict JSON (no NaN literals), schema validity, key order."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import joblib
import jsonschema
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from hpinspect import inspect_file
from hpinspect.render import RenderOptions
from hpinspect.render.json import JsonRenderer
from hpinspect.report import Report

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = json.loads(resources.files("hpinspect").joinpath("schema/report.schema.json")
                    .read_text(encoding="utf-8"))


def _stable(report: Report) -> Report:
    return replace(report, file=replace(report.file, path=Path(report.file.path).name,
                                        size_bytes=1234, sha256="5" * 64))


GOLDEN_MODELS = Path(__file__).parents[1] / "data" / "golden_models"
SIGNIFICANT_DIGITS = 10
"""Floats are compared at this many significant digits: statistics over the committed arrays
(mean, std) are sums whose last digit may depend on the SIMD kernel numpy picks on a CPU."""


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def test_golden_logreg_json() -> None:
    report = _stable(inspect_file(GOLDEN_MODELS / "logreg.joblib"))
    text = JsonRenderer().render([report], RenderOptions())
    golden = GOLDEN / "logreg.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert list(json.loads(text)) == list(json.loads(golden.read_text(encoding="utf-8")))
    assert _canonical(json.loads(text)) == _canonical(json.loads(golden.read_text("utf-8")))


def test_nan_default_is_strict_json(tmp_path: Path, xy: tuple[Any, Any]) -> None:
    path = tmp_path / "search.joblib"
    joblib.dump(GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3).fit(*xy), path)
    text = JsonRenderer().render([inspect_file(path)], RenderOptions())
    assert "NaN" not in text and "Infinity" not in text
    doc = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    jsonschema.validate(doc, SCHEMA)
    error_score = next(a for a in doc["model"]["attributes"] if a["name"] == "error_score")
    assert error_score["value"] is None and error_score["value_text"] == "nan"
    assert error_score["default"] is None and error_score["default_text"] == "nan"
    assert error_score["changed"] is False
    assert list(doc) == ["schema_version", "tool", "file", "versions", "safety", "model"]
    best = next(c for c in doc["model"]["children"] if c["path"] == "best_estimator_")
    assert best["fitted"] is True


def test_jsonl_one_document_per_line(tmp_path: Path, logreg: Any) -> None:
    path = tmp_path / "m.joblib"
    joblib.dump(logreg, path)
    report = inspect_file(path)
    out = JsonRenderer(lines=True).render([report, report], RenderOptions())
    lines = out.splitlines()
    assert len(lines) == 2 and all(json.loads(ln)["file"]["path"] == str(path) for ln in lines)
