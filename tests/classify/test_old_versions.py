"""Files written by scikit-learn 1.2.2 and 1.3.2 (tests/data) read back and classify correctly.

``manifest.json`` in each folder was written by the old environment from the live objects (see
tests/data/README.md): the class, the JSON-scalar ``params``, every ``__getstate__()`` key (arrays
with shape, dtype and the sha256 of their C-contiguous bytes) and, for plain pickles, the globals
``pickletools`` sees. These files name things the installed scikit-learn no longer has, such as
``sklearn.ensemble._gb_losses`` and the 1.2 tree-node dtype without ``missing_go_to_left``.
"""

from __future__ import annotations

import _compat_pickle
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpinspect import inspect_file
from hpinspect.load import GlobalRef, Stub, read_model
from hpinspect.load.objects import ObjectArray
from hpinspect.report import CATEGORIES, Report

DATA = Path(__file__).parents[1] / "data"
VERSIONS = ("1.2.2", "1.3.2")
NOT_FILES = {"tree_nodes_dtype"}


def manifest(version: str) -> dict[str, Any]:
    return json.loads((DATA / f"sklearn-{version}" / "manifest.json").read_text())


CASES = [(version, name) for version in VERSIONS for name in sorted(manifest(version))
         if name not in NOT_FILES]
IDS = [f"{version}/{name}" for version, name in CASES]

# A real load of a protocol-0-2 pickle maps Python 2 names (fix_imports); so does hpinspect.
PY2_MODULES = _compat_pickle.IMPORT_MAPPING
PY2_NAMES = _compat_pickle.NAME_MAPPING


def py3_name(dotted: str) -> str:
    module, name = dotted.rsplit(".", 1)
    if (module, name) in PY2_NAMES:
        module, name = PY2_NAMES[(module, name)]
    return f"{PY2_MODULES.get(module, module)}.{name}"


def entry(version: str, name: str) -> dict[str, Any]:
    return manifest(version)[name]


def path_of(version: str, name: str) -> Path:
    return DATA / f"sklearn-{version}" / name


def sha256(array: np.ndarray[Any, Any]) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def same_value(expected: Any, actual: Any) -> bool:
    """JSON ``expected`` (``"nan"`` meaning NaN) against a loaded or JSON-safe ``actual``."""
    if isinstance(actual, np.generic):
        actual = actual.item()
    if isinstance(actual, np.ndarray) and not actual.dtype.hasobject:
        actual = actual.tolist()
    if expected == "nan":
        return isinstance(actual, float) and math.isnan(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if isinstance(expected, float) and math.isnan(expected):
            return isinstance(actual, float) and math.isnan(actual)
        return math.isclose(expected, actual, rel_tol=1e-12, abs_tol=1e-15)
    if isinstance(expected, list) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(
            same_value(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            same_value(expected[k], actual[k]) for k in expected)
    return bool(expected == actual)


def same_class(expected: str, value: Any) -> bool:
    """A manifest ``other`` entry's class against what the static reader produced."""
    module, _, name = expected.rpartition(".")
    if module == "builtins":
        if name in ("function", "builtin_function_or_method", "type"):
            return isinstance(value, GlobalRef)  # pickled by reference
        return type(value).__name__ == name
    if isinstance(value, np.generic):
        return type(value).__name__ == name
    if isinstance(value, Stub):
        # numpy's RandomState pickles through numpy.random._pickle.__randomstate_ctor.
        return value.dotted == expected or (name == "RandomState" and
                                            "randomstate" in value.dotted.lower())
    return False


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str], Report]:
    return {case: inspect_file(path_of(*case)) for case in CASES}


# ------------------------------------------------------------------------------- reading


def test_cases_collected() -> None:
    assert len(CASES) == 34
    for version in VERSIONS:
        files = {p.name for p in (DATA / f"sklearn-{version}").iterdir()} - {"manifest.json"}
        assert files == set(manifest(version)) - NOT_FILES


@pytest.mark.parametrize(("version", "name"), CASES, ids=IDS)
def test_reads(version: str, name: str) -> None:
    expected = entry(version, name)
    result = read_model(path_of(version, name))
    print(f"{version}/{name}: verdict {result.safety.verdict}")
    assert result.safety.verdict in ("safe", "review")
    assert not [f for f in result.safety.findings
                if f.severity in ("dangerous", "unknown call")]
    assert isinstance(result.root, Stub)
    assert result.root.dotted == expected["class"]
    assert result.file.format == ("joblib" if name.endswith(".joblib") else "pickle")
    assert result.file.compression == ("zlib" if ".z3." in name else None)
    if name.endswith(".pkl"):
        assert result.file.pickle_protocol == int(name.split(".")[1][1:])


@pytest.mark.parametrize(("version", "name"), CASES, ids=IDS)
def test_state_matches_manifest(version: str, name: str) -> None:
    expected = entry(version, name)
    attrs = read_model(path_of(version, name)).root.attrs
    assert set(expected["state"]) <= set(attrs), "state keys missing"
    problems = []
    for key, spec in expected["state"].items():
        value = attrs[key]
        if spec["type"] == "ndarray":
            if spec["dtype"] == "object" and isinstance(value, ObjectArray):  # no numpy array
                if list(value.shape) != spec["shape"]:
                    problems.append(f"{key}: object {value.shape} != {spec}")
                continue
            if not isinstance(value, np.ndarray):
                problems.append(f"{key}: {type(value).__name__}, expected ndarray")
                continue
            if list(value.shape) != spec["shape"] or str(value.dtype) != spec["dtype"]:
                problems.append(f"{key}: {value.dtype} {value.shape} != {spec}")
            elif "sha256" in spec and sha256(value) != spec["sha256"]:
                problems.append(f"{key}: sha256 differs")
        elif spec["type"] == "value":
            if not same_value(spec["value"], value):
                problems.append(f"{key}: {value!r} != {spec['value']!r}")
        elif spec["type"] == "other":
            if not same_class(spec["class"], value):
                problems.append(f"{key}: {value!r} is not a {spec['class']}")
        else:
            problems.append(f"{key}: unknown manifest type {spec['type']}")
    assert problems == []


@pytest.mark.parametrize(("version", "name"), [c for c in CASES if c[1].endswith(".pkl")],
                         ids=[i for i in IDS if i.endswith(".pkl")])
def test_globals_found(version: str, name: str) -> None:
    expected = entry(version, name)["globals"]
    assert expected, "plain pickles list their globals"
    found = {f.global_name for f in read_model(path_of(version, name)).safety.findings}
    missing = [g for g in expected if py3_name(g) not in found]
    assert missing == []


@pytest.mark.parametrize(("version", "name"), [c for c in CASES if c[1].endswith(".joblib")],
                         ids=[i for i in IDS if i.endswith(".joblib")])
def test_joblib_globals_null(version: str, name: str) -> None:
    assert entry(version, name)["globals"] is None


@pytest.mark.parametrize("version", VERSIONS)
def test_tree_nodes_dtype(version: str) -> None:
    """The old ``nodes`` dtype (1.2 lacks missing_go_to_left) is read as written."""
    spec = manifest(version)["tree_nodes_dtype"]
    root = read_model(path_of(version, "forest.joblib")).root
    tree = root.attrs["estimators_"][0].attrs["tree_"]
    assert isinstance(tree, Stub) and tree.dotted == "sklearn.tree._tree.Tree"
    nodes = tree.attrs["nodes"]
    assert isinstance(nodes, np.ndarray)
    assert list(nodes.dtype.names) == spec["names"]
    assert nodes.dtype.itemsize == spec["itemsize"]
    assert ("missing_go_to_left" in nodes.dtype.names) == (version != "1.2.2")
    assert str(nodes.dtype) == spec["str"]


def test_gradient_boosting_old_loss_module() -> None:
    """``sklearn.ensemble._gb_losses`` no longer exists; the file still reads fully."""
    for version in VERSIONS:
        for name in ("gboost.joblib", "gboost.p2.pkl", "gboost.p4.pkl"):
            result = read_model(path_of(version, name))
            loss = result.root.attrs["_loss"]
            assert isinstance(loss, Stub)
            assert loss.dotted == "sklearn.ensemble._gb_losses.BinomialDeviance"
            members = result.root.attrs["estimators_"]
            assert isinstance(members, ObjectArray) and members.shape == (5, 1)
            assert all(isinstance(m, Stub) for m in members.items)


# ------------------------------------------------------------------------------- classifying


@pytest.mark.parametrize(("version", "name"), CASES, ids=IDS)
def test_versions_and_skew(reports: dict[tuple[str, str], Report], version: str,
                           name: str) -> None:
    versions = reports[version, name].versions
    assert versions.saved_with["scikit-learn"] == entry(version, name)["sklearn_version"]
    assert versions.skew["scikit-learn"] == "major"  # a feature release apart: unsupported


@pytest.mark.parametrize(("version", "name"), CASES, ids=IDS)
def test_classified_completely(reports: dict[tuple[str, str], Report], version: str,
                               name: str) -> None:
    expected = entry(version, name)
    root = reports[version, name].model
    assert root.class_name == expected["class"]
    assert root.by_category("hyperparameter")
    by_name = {a.name: a for a in root.attributes}
    assert set(expected["state"]) <= set(by_name), "every state key is an attribute"
    fitted_keys = [k for k in expected["state"] if k.endswith("_") and not k.startswith("_")]
    if fitted_keys:
        assert root.fitted
        assert root.by_category("learned")
    else:  # a Pipeline: fitted through its steps
        assert root.fitted
        assert any(n.by_category("learned") for n in root.walk())
    for node in root.walk():
        for a in node.attributes:
            assert a.category in CATEGORIES
            assert a.reason.strip() and a.role.strip(), (node.path, a.name)


@pytest.mark.parametrize(("version", "name"), CASES, ids=IDS)
def test_params_match(reports: dict[tuple[str, str], Report], version: str, name: str) -> None:
    root = reports[version, name].model
    problems = []
    for param, value in entry(version, name)["params"].items():
        a = root.attribute(param)
        if a is None:
            problems.append(f"{param}: missing")
        elif a.category not in ("hyperparameter", "auxiliary"):
            problems.append(f"{param}: {a.category}")
        elif not same_value(value, a.value):
            problems.append(f"{param}: {a.value!r} != {value!r}")
    assert problems == []


def test_old_gradient_boosting_classified(reports: dict[tuple[str, str], Report]) -> None:
    for version in VERSIONS:
        root = reports[version, "gboost.p4.pkl"].model
        assert root.short_class == "GradientBoostingClassifier"
        assert root.attribute("learning_rate").category == "hyperparameter"
        assert root.attribute("estimators_").category == "learned"
        assert root.attribute("train_score_").category == "auxiliary"
        assert root.attribute("_loss").category in CATEGORIES
        # The loss class is gone from the installed scikit-learn: shown by convention.
        loss = [k for k in root.children if k.path == "_loss"]
        assert len(loss) == 1 and not loss[0].known
        assert loss[0].class_name == "sklearn.ensemble._gb_losses.BinomialDeviance"
        assert all("class not in knowledge base" in a.reason for a in loss[0].attributes
                   if a.name != "_sklearn_version")
        init = [k for k in root.children if k.path == "init_"]
        assert len(init) == 1 and init[0].short_class == "DummyClassifier" and init[0].fitted


def test_old_pipeline_steps(reports: dict[tuple[str, str], Report]) -> None:
    for version in VERSIONS:
        root = reports[version, "pipeline.joblib"].model
        assert [(k.path, k.label, k.short_class, k.param_prefix) for k in root.children] == [
            ("steps[0]", "scale", "StandardScaler", "scale__"),
            ("steps[1]", "svc", "SVC", "svc__")]
        assert all(k.fitted and k.known for k in root.children)
        svc = root.children[-1]
        assert svc.attribute("_dual_coef_").category == "learned"
        assert svc.attribute("C").category == "hyperparameter"


def test_old_grid_search(reports: dict[tuple[str, str], Report]) -> None:
    for version in VERSIONS:
        root = reports[version, "gridsearch.joblib"].model
        assert root.attribute("best_params_").category == "hyperparameter"
        assert root.attribute("cv_results_").category == "auxiliary"
        best = [k for k in root.children if k.path == "best_estimator_"]
        assert len(best) == 1 and best[0].fitted
        assert best[0].attribute("coef_").category == "learned"
        template = [k for k in root.children if k.path == "estimator"]
        assert len(template) == 1 and not template[0].fitted
