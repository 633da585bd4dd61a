"""Methods a real load runs on objects of known classes (issue 10, item 3).

BUILD runs ``__setstate__``, APPEND(S) ``extend``/``append`` (through ``__getattr__`` when the
class lacks them), SETITEM(S) ``__setitem__``, NEWOBJ ``__new__``. The knowledge base records
which class of the MRO implements each (``scripts/gen_methods_kb.py``); one not reviewed in
``load/allowlist.py`` is an unknown call even on a known class. Hostile files are built here; a
canary proves under a real ``pickle.load`` in a subprocess that the method really runs.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pickle
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import pytest
import sklearn
import torch
from helpers import REPO, run_cli
from hostile_corpus import op_bytes, op_call, op_global, op_int, op_str, op_tuple
from sklearn.utils import Bunch

from hpinspect.kb import knowledge_base, method_table
from hpinspect.load import allowlist, read_model

PROTO = b"\x80\x02"


def _newobj(module: str, name: str) -> bytes:
    """NEWOBJ of ``module.name`` with no arguments (``cls.__new__(cls)``)."""
    return op_global(module, name) + b")\x81"


def _real_load(path: Path) -> subprocess.CompletedProcess[str]:
    """``pickle.load`` of ``path`` in a fresh interpreter (its traceback is the evidence)."""
    code = "import pickle, sys\npickle.load(open(sys.argv[1], 'rb'))\nprint('loaded')\n"
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=120, check=False)


def _finding(path: Path, dotted: str) -> tuple[str, str, str]:
    """(verdict, severity, detail) hpinspect gives ``dotted`` in ``path``."""
    result = read_model(path)
    found = next(f for f in result.safety.findings if f.global_name == dotted)
    return result.safety.verdict, found.severity, found.detail


# ------------------------------------------------------------------ (a) unreviewed __setstate__
def test_scoring_monitor_setstate_connects_under_a_real_load_and_is_unsafe(
        tmp_path: Path) -> None:
    """scikit-learn 1.9's ScoringMonitor.__setstate__ dials the address in its state."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(60)
    port = server.getsockname()[1]
    handle = op_call(op_global("sklearn.callback._transport", "ListenerHandle"),
                     op_tuple(op_str("127.0.0.1"), op_int(port)), op_bytes(b"k" * 32))
    state = b"}(" + op_str("_listener_handle") + handle + op_str("_log") + b"]u"
    path = tmp_path / "monitor.pkl"
    path.write_bytes(PROTO + _newobj("sklearn.callback._scoring_monitor", "ScoringMonitor")
                     + state + b"b.")
    with server:
        code = "import pickle, sys\npickle.load(open(sys.argv[1], 'rb'))\n"
        real = subprocess.Popen([sys.executable, "-c", code, str(path)],
                                stderr=subprocess.PIPE, text=True)
        conn, _ = server.accept()  # the canary: a real load connected to our port
        conn.close()
        _, err = real.communicate(timeout=120)
        assert "can_reuse_listener" in err  # it ran inside ScoringMonitor.__setstate__
        proc = run_cli("--format", "json", str(path))
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()  # hpinspect connected to nothing
    assert proc.returncode == 3
    doc = json.loads(proc.stdout)
    assert doc["safety"]["verdict"] == "unsafe"
    found = {f["global"]: f for f in doc["safety"]["findings"]}
    monitor = found["sklearn.callback._scoring_monitor.ScoringMonitor"]
    assert monitor["severity"] == "unknown call"
    assert "ScoringMonitor.__setstate__" in monitor["detail"]


def _unreviewed_setstate_classes() -> list[str]:
    """scikit-learn classes of the KB whose effective __setstate__ is not reviewed."""
    table = method_table()
    out = []
    for dotted in sorted(knowledge_base().known_classes):
        impl = (table.effective(dotted) or {}).get("__setstate__")
        if impl is not None and impl not in allowlist.REVIEWED_METHODS:
            out.append(dotted)
    return out


def test_the_knowledge_base_lists_unreviewed_setstate_implementations() -> None:
    found = _unreviewed_setstate_classes()
    assert "sklearn.callback._scoring_monitor.ScoringMonitor" in found
    assert "sklearn.utils._fast_dict.IntFloatDict" in found
    assert "sklearn.base.BaseEstimator" not in found and "sklearn.tree._tree.Tree" not in found


@pytest.mark.parametrize("dotted", [
    "sklearn.callback._scoring_monitor.ScoringMonitor", "sklearn.callback.ScoringMonitor",
    "sklearn.cluster._hierarchical_fast.UnionFind", "sklearn.utils._weight_vector.WeightVector64",
])
def test_build_on_a_known_class_with_an_unreviewed_setstate_is_an_unknown_call(
        tmp_path: Path, dotted: str) -> None:
    module, _, name = dotted.rpartition(".")
    path = tmp_path / "build.pkl"
    path.write_bytes(PROTO + _newobj(module, name) + b"}b.")
    verdict, severity, detail = _finding(path, dotted)
    impl = method_table().effective(dotted)["__setstate__"]  # type: ignore[index]
    assert (verdict, severity) == ("unsafe", "unknown call")
    assert impl in detail


# ------------------------------------------------------------------ (b) APPEND, SETITEM, NEWOBJ
def test_appends_run_a_custom_extend(tmp_path: Path) -> None:
    """torch's ModuleList.extend runs on APPENDS (it fails here on the missing _modules)."""
    path = tmp_path / "appends.pkl"
    path.write_bytes(PROTO + _newobj("torch.nn.modules.container", "ModuleList")
                     + b"(" + op_str("x") + b"e.")
    real = _real_load(path)
    assert "in extend" in real.stderr and "loaded" not in real.stdout
    verdict, severity, detail = _finding(path, "torch.nn.modules.container.ModuleList")
    assert (verdict, severity) == ("unsafe", "unknown call")
    assert "torch.nn.modules.container.ModuleList.extend" in detail


def test_appends_in_a_torch_checkpoint_stay_unsafe(tmp_path: Path) -> None:
    """torch's 'plain nn module' override never lowers an unreviewed method."""
    saved = tmp_path / "saved.pt"
    torch.save({"m": 1}, saved)
    path = tmp_path / "appends.pt"
    hostile = PROTO + _newobj("torch.nn.modules.container", "ModuleList") + b"(" + op_str(
        "x") + b"e."
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = hostile if info.filename.endswith("/data.pkl") else src.read(info)
            out.writestr(info.filename, data)
    code = ("import sys, torch\ntorch.load(sys.argv[1], weights_only=False)\n"
            "print('loaded')\n")
    real = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert "in extend" in real.stderr and "loaded" not in real.stdout
    verdict, severity, detail = _finding(path, "torch.nn.modules.container.ModuleList")
    assert (verdict, severity) == ("unsafe", "unknown call")
    assert "torch.nn.modules.container.ModuleList.extend" in detail


def test_setitems_run_a_custom_setitem(tmp_path: Path) -> None:
    """torch's ModuleDict.__setitem__ (add_module) runs on SETITEMS."""
    path = tmp_path / "setitems.pkl"
    path.write_bytes(PROTO + _newobj("torch.nn.modules.container", "ModuleDict")
                     + b"(" + op_str("k") + op_str("v") + b"u.")
    real = _real_load(path)
    assert "in __setitem__" in real.stderr and "loaded" not in real.stdout
    verdict, severity, detail = _finding(path, "torch.nn.modules.container.ModuleDict")
    assert (verdict, severity) == ("unsafe", "unknown call")
    assert "torch.nn.modules.container.ModuleDict.__setitem__" in detail


def test_appends_on_a_bunch_go_through_its_getattr(tmp_path: Path) -> None:
    """Bunch has no extend/append: APPENDS calls whatever Bunch.__getattr__ returns (a planted
    item). Its SETITEMS (dict.__setitem__) alone are harmless."""
    path = tmp_path / "bunch.pkl"
    planted = op_str("extend") + op_global("builtins", "print")
    path.write_bytes(PROTO + _newobj("sklearn.utils._bunch", "Bunch") + b"(" + planted
                     + b"u(" + op_str("planted call ran") + b"e.")
    real = _real_load(path)
    assert "planted call ran" in real.stdout
    verdict, severity, detail = _finding(path, "sklearn.utils._bunch.Bunch")
    assert (verdict, severity) == ("unsafe", "unknown call")
    assert "sklearn.utils._bunch.Bunch.__getattr__" in detail


def test_newobj_runs_a_custom_new(tmp_path: Path) -> None:
    """Hyperparameter's own __new__ runs on NEWOBJ: it turns the bounds into a 2-D array."""
    path = tmp_path / "newobj.pkl"
    args = op_tuple(op_str("length_scale"), op_str("numeric"), op_tuple(op_int(1), op_int(5)))
    path.write_bytes(PROTO + op_global("sklearn.gaussian_process.kernels", "Hyperparameter")
                     + args + b"\x81.")
    code = ("import pickle, sys\nh = pickle.load(open(sys.argv[1], 'rb'))\n"
            "print(type(h.bounds).__name__, h.bounds.shape)\n")
    real = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=120, check=True)
    assert real.stdout.strip() == "ndarray (1, 2)"  # a plain tuple.__new__ keeps (1, 5)
    verdict, severity, detail = _finding(path, "sklearn.gaussian_process.kernels.Hyperparameter")
    assert (verdict, severity) == ("unsafe", "unknown call")
    assert "sklearn.gaussian_process.kernels.Hyperparameter.__new__" in detail


def test_newobj_without_arguments_runs_a_custom_new_too(tmp_path: Path) -> None:
    """A known class instantiated without arguments: its Cython __new__ is still not reviewed."""
    path = tmp_path / "newobj0.pkl"
    path.write_bytes(PROTO + _newobj("sklearn.utils._fast_dict", "IntFloatDict") + b".")
    assert "loaded" in _real_load(path).stdout
    verdict, severity, detail = _finding(path, "sklearn.utils._fast_dict.IntFloatDict")
    assert (verdict, severity) == ("unsafe", "unknown call")
    assert "sklearn.utils._fast_dict.IntFloatDict.__new__" in detail


# ------------------------------------------------------------------ (c) the same classes, benign
def test_the_same_classes_only_named_stay_known(tmp_path: Path) -> None:
    names = ["sklearn.callback._scoring_monitor.ScoringMonitor",
             "sklearn.utils._fast_dict.IntFloatDict", "sklearn.utils._bunch.Bunch"]
    path = tmp_path / "named.pkl"
    path.write_bytes(PROTO + b"(" + b"".join(op_global(*n.rsplit(".", 1)) for n in names)
                     + b"l.")
    result = read_model(path)
    assert result.safety.verdict == "safe"
    assert {f.global_name: f.severity for f in result.safety.findings} == dict.fromkeys(
        names, "known")


def test_a_bunch_as_scikit_learn_pickles_it_is_safe(tmp_path: Path) -> None:
    """NEWOBJ (dict.__new__), SETITEMS (dict.__setitem__), BUILD (Bunch's no-op)."""
    bunch = Bunch(data=[1.0, 2.0], target_names=["a", "b"])
    for protocol in (2, 5):
        path = tmp_path / f"bunch{protocol}.pkl"
        path.write_bytes(pickle.dumps(bunch, protocol=protocol))
        assert b"\x81" in path.read_bytes()  # really NEWOBJ + SETITEMS
        result = read_model(path)
        assert result.safety.verdict == "safe"
        assert {f.severity for f in result.safety.findings} == {"known"}
    joblib.dump(bunch, tmp_path / "bunch.joblib")
    assert read_model(tmp_path / "bunch.joblib").safety.verdict == "safe"


def test_torch_containers_saved_by_torch_stay_safe(tmp_path: Path) -> None:
    model = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 2),
                                 "b": torch.nn.ModuleList([torch.nn.Conv1d(1, 1, 1)])})
    path = tmp_path / "containers.pt"
    torch.save(model, path)
    result = read_model(path)
    assert result.safety.verdict == "safe", result.safety.findings
    assert all(f.severity == "known" for f in result.safety.findings)


def test_pandas_frames_with_extension_dtypes_stay_safe(tmp_path: Path) -> None:
    """BUILD on BlockManager, blocks, NDArrayBacked arrays, Categorical and the dtypes."""
    frame = pd.DataFrame({
        "n": [1.5, 2.5, 3.5], "cat": pd.Categorical(["x", "y", "x"]),
        "when": pd.date_range("2020-01-01", periods=3, tz="UTC"),
        "count": pd.array([1, None, 3], dtype="Int64"),
        "name": pd.array(["a", None, "c"], dtype="string"),
        "wait": pd.to_timedelta([1, 2, 3], unit="s")})
    for name, dump in (("frame.pkl", lambda p: p.write_bytes(pickle.dumps(frame, protocol=5))),
                       ("frame.joblib", lambda p: joblib.dump(frame, p))):
        path = tmp_path / name
        dump(path)
        result = read_model(path)
        assert result.safety.verdict == "safe", result.safety.findings
        assert {f.severity for f in result.safety.findings} == {"known"}


# ------------------------------------------------------------------ the table is the library's
def _resolve(dotted: str) -> Any:
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise LookupError(dotted)


def _owner(cls: type, method: str) -> str | None:
    for klass in inspect.getmro(cls):
        if method in klass.__dict__:
            return f"{klass.__module__}.{klass.__qualname__}.{method}"
    return None


SAMPLE = ("sklearn.utils._bunch.Bunch", "sklearn.utils.Bunch", "sklearn.tree._tree.Tree",
          "sklearn.callback.ScoringMonitor", "sklearn.linear_model._logistic.LogisticRegression",
          "sklearn.ensemble._forest.RandomForestClassifier", "sklearn.pipeline.Pipeline",
          "sklearn.neighbors._kd_tree.KDTree", "pandas.core.frame.DataFrame",
          "pandas.core.internals.managers.BlockManager", "random.Random",
          "torch.nn.modules.rnn.LSTM", "torch.nn.modules.container.ModuleList",
          "xgboost.sklearn.XGBClassifier", "lightgbm.basic.Booster",
          "catboost.core.CatBoostRegressor", "collections.OrderedDict")


def test_method_table_matches_the_installed_libraries() -> None:
    table = method_table()
    kb = knowledge_base()
    assert kb.generated_with["scikit-learn"] == sklearn.__version__
    every_ninth = sorted(kb.known_classes)[::9]
    names = ("__setstate__", "__reduce__", "__reduce_ex__", "__getattr__", "__getattribute__",
             "__setattr__", "__setitem__", "append", "extend", "__del__", "__new__")
    checked = 0
    for dotted in (*SAMPLE, *every_ninth):
        cls = _resolve(dotted)
        expected = {m: impl for m in names if (impl := _owner(cls, m)) is not None}
        recorded = table.effective(dotted)
        assert recorded is not None, dotted
        assert {m: v for m, v in recorded.items() if m in names} == expected, dotted
        checked += 1
    assert checked > 80


def test_reviewed_implementations_exist_in_the_installed_libraries() -> None:
    """Every reviewed implementation is one some class of the table really uses."""
    table = method_table()
    used = {impl for dotted in table for impl in (table.effective(dotted) or {}).values()}
    assert set(allowlist.REVIEWED_METHODS) - used <= {
        f"builtins.{kind}.{method}" for kind in ("object", "dict", "list", "set", "frozenset",
                                                 "tuple", "str", "bytes", "bytearray", "int",
                                                 "float", "complex", "bool")
        for method in ("__getattribute__", "__setattr__", "__setitem__", "append", "extend",
                       "add", "__new__")}
    assert all(reason.strip() for reason in allowlist.REVIEWED_METHODS.values())


def test_every_class_the_tables_name_is_in_the_method_table() -> None:
    """Classes named in load/allowlist.py, load/policy.py, load/tensors.py that resolve here."""
    sys.path.insert(0, str(REPO / "scripts"))
    from gen_methods_kb import other_names, resolve

    table = method_table()
    missing = [name for name in other_names() if isinstance(resolve(name), type)
               and name not in table]
    assert not missing, f"stale methods_kb.json, run python scripts/gen_methods_kb.py: {missing}"
