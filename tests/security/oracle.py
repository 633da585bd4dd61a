"""Differential oracle: CPython's real unpicklers with a ``find_class`` that imports nothing.

Run as ``python oracle.py FILE...``; prints one JSON line per file:
``{"path", "pickle": {"names": [...], "calls": [...], "error"}, "joblib": {...}}``.

``pickle`` is the C ``pickle.Unpickler``; ``joblib`` is the real ``joblib.load`` (its
``NumpyUnpickler``), whose ``find_class`` is replaced for the one load. Every global resolves
to a fresh recording class (a metaclass records calls, ``__new__`` instantiations, and every
method an unpickler calls on an instance), except the few real data classes joblib needs to
rebuild arrays (``NumpyArrayWrapper``, numpy's reconstructors, builtins containers), which are
the real objects and are recorded as resolved. Nothing named by a file is imported.
"""

from __future__ import annotations

import codecs
import collections
import copyreg
import io
import json
import pickle
import sys
import types
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from typing import Any

import joblib.numpy_pickle as jnp
import numpy as np

REAL: dict[str, Any] = {
    "joblib.numpy_pickle.NumpyArrayWrapper": jnp.NumpyArrayWrapper,
    "numpy.core.multiarray._reconstruct": np._core.multiarray._reconstruct,
    "numpy._core.multiarray._reconstruct": np._core.multiarray._reconstruct,
    "numpy.ndarray": np.ndarray,
    "numpy.dtype": np.dtype,
    "numpy.core.multiarray.scalar": np._core.multiarray.scalar,
    "numpy._core.multiarray.scalar": np._core.multiarray.scalar,
    "copyreg._reconstructor": copyreg._reconstructor,
    "builtins.object": object,
    "_codecs.encode": codecs.encode,
    "collections.OrderedDict": collections.OrderedDict,
    **{f"builtins.{t.__name__}": t for t in (set, frozenset, list, tuple, dict, bytearray,
                                             bytes, slice, complex, int, float, str, range)},
}


class Log:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.calls: list[str] = []


def recorder(dotted: str, log: Log) -> type:
    class Meta(type):
        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            log.calls.append(dotted)
            return object.__new__(Instance)

    class Instance(metaclass=Meta):
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return object.__new__(cls)  # instantiation without __init__ (NEWOBJ)

        def __setstate__(self, state: Any) -> None:
            pass

        def __setitem__(self, key: Any, value: Any) -> None:
            pass

        def append(self, item: Any) -> None:
            pass

        def extend(self, items: Any) -> None:
            pass

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            log.calls.append(dotted)
            return object.__new__(Instance)

    return Instance


def finder(log: Log, proto: Any) -> Any:
    def find_class(module: str, name: str) -> Any:
        if proto() < 3:
            if (module, name) in NAME_MAPPING:
                module, name = NAME_MAPPING[(module, name)]
            elif module in IMPORT_MAPPING:
                module = IMPORT_MAPPING[module]
        dotted = f"{module}.{name}"
        log.names.append(dotted)
        return REAL.get(dotted) or recorder(dotted, log)
    return find_class


class Imported(Exception):  # noqa: N818
    """Raised by the import function the C ``find_class`` sees in :func:`c_old_names`."""


def _no_import(name: str, *args: Any, **kwargs: Any) -> Any:
    raise Imported(name)


def _probe(reader: Any) -> bool:
    try:
        C_FIND_CLASS(reader, "__builtin__", "object")  # type: ignore[name-defined]  # noqa: F821
    except IMPORTED as probe:  # type: ignore[name-defined]  # noqa: F821
        return bool(probe.args[0] == "builtins")
    return False


# The C unpickler keeps its protocol (changed by any PROTO opcode, also mid-stream) private;
# its own find_class says whether it maps Python 2 names now: it maps the probe name or not,
# then imports through the __import__ of the calling function's globals (one that raises).
c_old_names = types.FunctionType(
    _probe.__code__, {"__builtins__": {"__import__": _no_import, "bool": bool},
                      "C_FIND_CLASS": pickle.Unpickler.find_class, "IMPORTED": Imported})


def read_c(path: str) -> dict[str, Any]:
    log = Log()
    with open(path, "rb") as handle:

        class Reader(pickle.Unpickler):
            def find_class(self, module: str, name: str) -> Any:
                return finder(log, lambda: 2 if c_old_names(self) else 3)(module, name)

        reader = Reader(io.BufferedReader(handle), encoding="latin1")
        error = None
        try:
            reader.load()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
    return {"names": sorted(set(log.names)), "calls": sorted(set(log.calls)), "error": error}


def read_joblib(path: str) -> dict[str, Any]:
    log = Log()
    original = jnp.NumpyUnpickler.find_class

    def find_class(self: Any, module: str, name: str) -> Any:
        return finder(log, lambda: self.proto)(module, name)

    jnp.NumpyUnpickler.find_class = find_class  # type: ignore[method-assign]
    error = None
    try:
        jnp.load(path)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        jnp.NumpyUnpickler.find_class = original  # type: ignore[method-assign]
    return {"names": sorted(set(log.names)), "calls": sorted(set(log.calls)), "error": error}


EXTENSIONS = {1: ("os", "system"), 2: ("__builtin__", "eval"), 300: ("dumbdbm", "_Database"),
              70_000: ("collections", "OrderedDict")}
"""Registered with ``--ext`` (the same table as ``test_differential.EXTENSIONS``)."""


def main(paths: list[str]) -> None:
    if paths[:1] == ["--ext"]:
        paths = paths[1:]
        for code, (module, name) in EXTENSIONS.items():
            copyreg.add_extension(module, name, code)
    for path in paths:
        print(json.dumps({"path": path, "pickle": read_c(path), "joblib": read_joblib(path)}),
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
