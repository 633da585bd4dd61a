"""Record which implementation of each load-time method every known class really uses.

A real ``pickle.load`` calls methods on the objects it builds: BUILD calls ``__setstate__``
(or, without one, updates ``__dict__`` and ``setattr``\\s slot state), APPEND(S) call
``append``/``extend``, SETITEM(S) call ``__setitem__``, ADDITEMS calls ``add``, NEWOBJ calls
``__new__``, every lookup goes through ``__getattribute__``/``__getattr__``, and a collected
instance runs ``__del__``. For each known class this module records, per method in
:data:`METHODS`, the *effective* implementation: the qualified name of the first class in the
MRO whose own ``__dict__`` defines it (``sklearn.base.BaseEstimator.__setstate__``,
``builtins.object.__reduce_ex__``), or nothing when no class in the MRO defines it.

:func:`method_table` is shared by ``gen_sklearn_kb.py`` (scikit-learn classes, into
``sklearn_kb.json``) and ``gen_boosters_kb.py`` (XGBoost/LightGBM/CatBoost, into
``boosters_kb.json``). Run as a script, this module writes ``methods_kb.json`` for the classes
hpinspect's hand-written tables name from numpy, pandas, torch, Lightning and the standard
library (``load/allowlist.py``, ``load/policy.py``, ``load/tensors.py``)::

    python scripts/gen_methods_kb.py [--output PATH]

The table is compact: every defining class is stored once (``owners``), every distinct
per-class combination once (``profiles``: per method of ``names``, the index of the owner
whose implementation the class uses, -1 for none), and each class, grouped by module, maps to
a profile index; the implementation of method ``names[i]`` is ``owners[profile[i]] + "." +
names[i]``::

    "methods": {"names": [...METHODS], "owners": [...], "profiles": [[...], ...],
                "modules": {<module>: {<qualname>: <profile index>}}}
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "hpinspect" / "classify" / "data" / "methods_kb.json"

METHODS: tuple[str, ...] = (
    "__setstate__", "__reduce__", "__reduce_ex__", "__getattr__", "__getattribute__",
    "__setattr__", "__setitem__", "append", "extend", "add", "__del__", "__new__",
)
"""The methods recorded per class (the order of a profile's indices)."""


def owner(cls: type, method: str) -> str | None:
    """Qualified name of the first class in ``cls``'s MRO whose own ``__dict__`` has ``method``."""
    for klass in cls.__mro__:
        if method in vars(klass):
            return f"{klass.__module__}.{klass.__qualname__}"
    return None


def effective_methods(cls: type) -> dict[str, str]:
    """``{method: implementation}`` (``owner.method``) for each of :data:`METHODS` ``cls`` has."""
    out: dict[str, str] = {}
    for method in METHODS:
        found = owner(cls, method)
        if found is not None:
            out[method] = f"{found}.{method}"
    return out


def method_table(classes: Iterable[tuple[str, type]]) -> dict[str, Any]:
    """The compact table (module docstring) for ``(dotted path, class)`` pairs."""
    pairs = list(classes)
    per_class = {path: {m: owner(cls, m) for m in METHODS} for path, cls in pairs}
    owners = sorted({o for found in per_class.values() for o in found.values() if o})
    index = {name: i for i, name in enumerate(owners)}
    rows = {path: tuple(-1 if found[m] is None else index[str(found[m])] for m in METHODS)
            for path, found in per_class.items()}
    profiles = sorted(set(rows.values()))
    where = {row: i for i, row in enumerate(profiles)}
    modules: dict[str, dict[str, int]] = {}
    for path, cls in sorted(pairs, key=lambda pair: pair[0]):
        module, name = _split(path, cls)
        modules.setdefault(module, {})[name] = where[rows[path]]
    return {"names": list(METHODS), "owners": owners, "profiles": [list(p) for p in profiles],
            "modules": modules}


def _split(path: str, cls: type) -> tuple[str, str]:
    """(module, name) of ``path``: the class's qualname when the path ends with it (nested
    classes), else the last component (a re-export under another name)."""
    qualname = cls.__qualname__
    if path.endswith("." + qualname):
        return path[:-len(qualname) - 1], qualname
    module, _, name = path.rpartition(".")
    return module, name


def resolve(dotted: str) -> Any:
    """The object ``dotted`` names (longest importable module prefix, then attributes)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # an absent or broken optional module
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    return None


def _torch_module_classes() -> list[str]:
    """Every class defined under ``torch.nn.modules`` (load/tensors.py knows the prefix)."""
    import torch.nn.modules as package

    found: set[str] = set()
    for info in pkgutil.walk_packages(package.__path__, "torch.nn.modules."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == info.name:
                found.add(f"{value.__module__}.{value.__qualname__}")
    return sorted(found)


def other_names() -> list[str]:
    """Names hpinspect's own tables treat as known outside scikit-learn and the boosters."""
    sys.path.insert(0, str(REPO))
    from hpinspect.load import allowlist, policy, tensors

    names = {*allowlist.ALLOWED, *policy.INERT_CONSTRUCTORS, *policy.KNOWN_CALLABLES,
             *tensors.TORCH_TYPES, *tensors.LIGHTNING_DICTS, "argparse.Namespace",
             "collections.OrderedDict", "collections.defaultdict", "collections.Counter",
             *_torch_module_classes()}
    return sorted(names)


def build_other() -> dict[str, Any]:
    """The methods table of :func:`other_names` that resolve to classes here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [(name, obj) for name in other_names()
                 if isinstance(obj := resolve(name), type)]
    import numpy
    import pandas
    import torch

    versions = {"numpy": numpy.__version__, "pandas": pandas.__version__,
                "torch": torch.__version__, "python": sys.version.split()[0]}
    return {"generated_with": versions, "methods": method_table(pairs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    data = build_other()
    output: Path = args.output
    output.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n",
                      encoding="utf-8")
    count = sum(map(len, data["methods"]["modules"].values()))
    print(f"wrote {output}: {count} classes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
