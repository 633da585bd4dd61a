"""Object arrays are hpinspect's own inert value, never a numpy object array (issue 11, item 1).

Structurally: no module of the package constructs an object dtype (``dtype=object``,
``dtype="O"``, ``astype(object)``, ``numpy.object_``) -- checked on the syntax tree, so
docstrings do not count. Behaviourally: the graph a load gives holds no numpy array with an
object dtype, a pickled object array with tricky elements (nested lists, dicts, None, control
characters, an ``os.system`` call) is read element by element (the call is a finding, located
at its element, and never runs), and benign files that hold object arrays (string
``classes_``, ``OneHotEncoder.categories_``, ``cv_results_`` masked arrays of parameters,
``LabelEncoder``, a Fortran-ordered array) show the values a real load gives.
"""

from __future__ import annotations

import ast
import json
import pickle
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from helpers import REPO, run_cli  # tests/ is on sys.path
from hostile_corpus import build_object_array_elements, object_array_elements
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import LabelEncoder, OneHotEncoder

from hpinspect import inspect_file
from hpinspect.classify.values import describe
from hpinspect.load import read_model
from hpinspect.load.objects import ObjectArray, Stub

PACKAGE = REPO / "hpinspect"


def _object_dtype(node: ast.AST) -> bool:
    """``object``, ``"O"``, ``"object"``, ``np.object_``/``numpy.object_`` as a dtype."""
    if isinstance(node, ast.Name):
        return node.id == "object"
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value.lstrip("<>|=") in ("O", "O8",
                                                                            "object")
    return isinstance(node, ast.Attribute) and node.attr == "object_"


def _object_constructions(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "object_":
            lines.append(node.lineno)
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        numpy_call = isinstance(func.value, ast.Name) and func.value.id in ("np", "numpy")
        if numpy_call and any(k.arg == "dtype" and _object_dtype(k.value)
                              for k in node.keywords):
            lines.append(node.lineno)  # np.empty(n, dtype=object), np.array(x, dtype="O")
        if (func.attr == "astype" or (numpy_call and func.attr in ("dtype", "empty", "array",
                                                                   "full", "zeros"))) and \
                any(_object_dtype(a) for a in node.args):
            lines.append(node.lineno)  # x.astype(object), np.dtype("O"), np.empty(3, object)
    return lines


def test_no_code_path_builds_an_object_dtype() -> None:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = _object_constructions(ast.parse(path.read_text("utf-8")))
        if lines:
            found[str(path.relative_to(REPO))] = lines
    assert found == {}


def test_the_structural_check_sees_a_construction() -> None:
    tree = ast.parse("import numpy as np\nnp.empty(3, dtype=object)\nx.astype('O')\n"
                     "np.array([], dtype=np.object_)\n")
    assert _object_constructions(tree) == [2, 3, 4, 4]


def _walk(root: Any) -> list[Any]:
    """Every value of a loaded graph, once each."""
    seen: set[int] = set()
    out = []
    queue: deque[Any] = deque([root])
    while queue:
        value = queue.popleft()
        if id(value) in seen:
            continue
        seen.add(id(value))
        out.append(value)
        if isinstance(value, dict):
            queue.extend((*value.keys(), *value.values()))
        elif isinstance(value, (list, tuple, set, frozenset)):
            queue.extend(value)
        elif isinstance(value, ObjectArray):
            queue.extend(value.items)
        elif isinstance(value, Stub):
            queue.extend((*value.args, value.state, *value.list_items,
                          *(x for kv in value.dict_items for x in kv)))
    return out


def assert_no_numpy_object_array(path: Path) -> list[Any]:
    values = _walk(read_model(path).root)
    real = [v for v in values if isinstance(v, np.ndarray) and v.dtype.hasobject]
    assert real == []
    return values


# ---------------------------------------------------------------------------- hostile elements
def test_tricky_elements_are_read_one_by_one(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = build_object_array_elements(tmp_path, canary)
    subprocess.run([sys.executable, "-c", "import pickle, sys\n"
                    "pickle.load(open(sys.argv[1], 'rb'))", str(path)], check=True, timeout=120)
    assert canary.exists()  # the payload is real under a plain load
    canary.unlink()

    values = assert_no_numpy_object_array(path)
    (array,) = [v for v in values if isinstance(v, ObjectArray)]
    assert array.shape == (2, 3) and len(array.items) == 6
    expected = object_array_elements(canary)
    assert array.items[:4] == tuple(expected[:4]) and array.items[5] == 7.5
    assert isinstance(array.items[4], Stub) and array.items[4].dotted.endswith(".system")

    result = run_cli("--format", "json", str(path))
    assert result.returncode == 3, result.stderr
    assert not canary.exists()
    doc = json.loads(result.stdout)
    (finding,) = [f for f in doc["safety"]["findings"] if f["global"].endswith(".system")]
    assert finding["severity"] == "dangerous"
    assert "[4]" in json.dumps(finding)  # located at its element
    (data,) = [a for a in doc["model"]["attributes"] if a["name"] == "data"]
    assert data["stats"] == {"shape": [2, 3], "dtype": "object", "nbytes": 48}
    assert data["summary"].startswith("object (2×3) [[1, [2, …]], {'k': {'n': None}}, None, "
                                      "'ctl\\x1b[2J\\x1b]0;t\\x07', system, 7.5]")

    table = run_cli("--width", "200", str(path))
    assert table.returncode == 3 and "\x1b" not in table.stdout
    assert "\\x1b[2J" in table.stdout  # the control characters are shown, escaped


# ------------------------------------------------------------------------------ benign files
@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(n_samples=80, n_features=4, random_state=0)


def _attributes(path: Path) -> dict[str, Any]:
    report = inspect_file(path)
    assert report.safety.verdict == "safe"
    return {a.name: a for a in report.model.attributes}


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_benign_object_arrays_show_what_a_real_load_gives(
        tmp_path: Path, xy: tuple[np.ndarray, np.ndarray], dump: str) -> None:
    x, y = xy
    labels = np.array(["cat", "dog"], dtype=object)[y]
    cats = np.array([["a", "x"], ["b", "y"], ["a", "z"], ["c", "x"]], dtype=object)
    models = {
        "clf": LogisticRegression().fit(x, labels),
        "le": LabelEncoder().fit(labels),
        "ohe": OneHotEncoder(handle_unknown="ignore").fit(cats),
        "gs": GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0],
                                                  "solver": ["lbfgs", "liblinear"]},
                           cv=2).fit(x, y),
    }
    for name, model in models.items():
        path = tmp_path / f"{name}.{dump}"
        if dump == "pickle":
            path.write_bytes(pickle.dumps(model, protocol=4))
        else:
            joblib.dump(model, path)
        assert_no_numpy_object_array(path)
        real = pickle.loads(path.read_bytes()) if dump == "pickle" else joblib.load(path)
        shown = _attributes(path)
        if name in ("clf", "le"):
            assert real.classes_.dtype == object
            assert shown["classes_"].items == list(real.classes_)
            assert shown["classes_"].stats["dtype"] == "object"
        elif name == "ohe":
            assert shown["categories_"].items == [list(c) for c in real.categories_]
        else:
            solver = real.cv_results_["param_solver"]
            assert solver.dtype == object  # a masked object array of parameter values
            loaded = read_model(path).root.attrs["cv_results_"]["param_solver"]
            assert list(loaded.state[4]) == list(solver.data)  # its elements, as a list
            assert describe(loaded).summary == f"masked array |O ({len(solver)}) masked=0"
            assert shown["best_params_"].value == real.best_params_


def test_fortran_ordered_object_array_keeps_the_real_element_order(tmp_path: Path) -> None:
    array = np.empty((2, 3), dtype=object, order="F")
    for i in range(2):
        for j in range(3):
            array[i, j] = f"{i}{j}"
    path = tmp_path / "f.pkl"
    path.write_bytes(pickle.dumps(array, protocol=4))
    root = read_model(path).root
    assert isinstance(root, ObjectArray)
    assert list(root.items) == list(pickle.loads(path.read_bytes()).ravel())
    assert [root.index_of(flat) for flat in range(len(root.items))] == \
        [i for i, _ in np.ndenumerate(array)]
