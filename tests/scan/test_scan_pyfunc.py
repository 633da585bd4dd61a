"""An MLflow ``python_function`` folder saved with ``mlflow.pyfunc.save_model(python_model=...)``
(real mlflow-skinny) is one model in a scan, and its cloudpickled ``PythonModel`` is read like
any pickle: nothing of it runs, and the custom class is a finding.

* A class defined at module level is pickled by reference (cloudpickle pickles importable
  classes by name): the report's root is that class, named as an unknown class at the root
  object, the name mlflow's own load resolves (``unwrap_python_model()``), with the
  attribute it set; the verdict is not safe.
* A class defined inside a function is pickled by value (its code travels in the file): the
  class is rebuilt by cloudpickle's code-building functions, dangerous findings; unsafe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc as mlflow_pyfunc

import hpinspect
from hpinspect.scan import Kind


class ThresholdModel(mlflow_pyfunc.PythonModel):  # type: ignore[misc]
    """A custom PythonModel importable by name (pickled by reference)."""

    def __init__(self) -> None:
        self.threshold = 0.25

    def predict(self, context: Any, model_input: Any) -> Any:
        return model_input


def _save(folder: Path, model: Any) -> None:
    mlflow_pyfunc.save_model(str(folder), python_model=model)


def _one_entry(root: Path) -> hpinspect.scan.Entry:
    result = hpinspect.scan([root], jobs=1)
    models = result.of_kind(Kind.MODEL)
    assert len(result.entries) == len(models) == 1  # the folder, not its five files
    return models[0]


def test_module_level_python_model_is_named(tmp_path: Path) -> None:
    _save(tmp_path / "m", ThresholdModel())
    loaded = mlflow_pyfunc.load_model(str(tmp_path / "m")).unwrap_python_model()
    name = f"{type(loaded).__module__}.{type(loaded).__qualname__}"
    assert loaded.threshold == 0.25
    entry = _one_entry(tmp_path)
    assert entry.report is not None and entry.path == str(tmp_path / "m")
    assert entry.report.file.format == "mlflow"
    assert entry.report.safety.verdict != "safe"
    named = [f for f in entry.report.safety.findings if f.global_name == name]
    assert named and all(f.severity in ("unknown class", "unknown call", "dangerous")
                         for f in named)
    assert [f.path for f in named] == ["(root object)"]
    root = entry.report.model
    assert root.class_name == name  # the root is the PythonModel, its attribute as saved
    assert [(a.name, a.summary) for a in root.attributes if a.name == "threshold"] == \
        [("threshold", "0.25")]


def test_python_model_pickled_by_value_is_unsafe(tmp_path: Path) -> None:
    class Local(mlflow_pyfunc.PythonModel):  # type: ignore[misc]
        def predict(self, context: Any, model_input: Any) -> Any:
            return model_input

    _save(tmp_path / "m", Local())
    assert type(mlflow_pyfunc.load_model(str(tmp_path / "m")).unwrap_python_model()
                ).__qualname__.endswith("Local")
    entry = _one_entry(tmp_path)
    assert entry.report is not None
    assert entry.report.safety.verdict == "unsafe"
    dangerous = {f.global_name for f in entry.report.safety.findings
                 if f.severity == "dangerous"}
    assert "cloudpickle.cloudpickle._make_skeleton_class" in dangerous
    assert "cloudpickle.cloudpickle._make_function" in dangerous
