"""Native booster files through the CLI: detected by content, JSON valid against the shipped
schema, the verdict safe, and the same numbers as the library's own answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import run_cli

from hpinspect.report import FileFormat

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
cb = pytest.importorskip("catboost")
jsonschema = pytest.importorskip("jsonschema")


def _save(kind: str, tmp: Path) -> tuple[Path, int]:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(80, 4))
    y = (x[:, 0] - x[:, 2] > 0).astype(int)
    path = tmp / "model.bin"  # a name that says nothing: the content decides
    if kind.startswith("xgboost"):
        model = xgb.XGBClassifier(n_estimators=4, max_depth=2).fit(x, y)
        model.save_model(str(tmp / f"m.{kind[-4:].strip('-')}"))
        (tmp / f"m.{kind[-4:].strip('-')}").rename(path)
        return path, len(model.get_booster().get_dump())
    if kind == "lightgbm-text":
        lgb_model = lgb.LGBMClassifier(n_estimators=4, verbose=-1).fit(x, y)
        lgb_model.booster_.save_model(str(path))
        return path, int(lgb_model.booster_.num_trees())
    cb_model = cb.CatBoostClassifier(iterations=4, depth=2, verbose=0,
                                     train_dir=str(tmp / "info")).fit(x, y)
    cb_model.save_model(str(path))
    return path, int(cb_model.tree_count_)


@pytest.mark.parametrize("kind", ["xgboost-json", "xgboost-ubj", "lightgbm-text",
                                  "catboost-cbm"])
def test_native_file_json(tmp_path: Path, kind: str) -> None:
    path, trees = _save(kind, tmp_path)
    proc = run_cli("--format", "json", str(path))
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    schema = json.loads((Path(__file__).resolve().parents[2] / "hpinspect" / "schema" /
                         "report.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["file"]["format"] == FileFormat(kind).value
    assert doc["safety"]["verdict"] == "safe"
    assert doc["model"]["fitted"] is True
    names = {a["name"]: a for a in doc["model"]["attributes"]}
    assert all(a["category"] in ("hyperparameter", "learned", "auxiliary")
               for a in names.values())
    groups = doc["model"].get("groups") or []
    assert groups and groups[0]["count"] == trees
