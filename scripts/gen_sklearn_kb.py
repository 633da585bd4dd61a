"""Generate the scikit-learn knowledge base used by ``hpinspect.classify``.

hpinspect never imports scikit-learn while inspecting a model file; instead it recognises
sklearn classes and functions by their dotted names using a JSON knowledge base (KB). This
script builds that KB by importing the installed scikit-learn and walking every one of its
modules (public and private, skipping ``tests`` and ``externals`` subpackages).

Usage::

    python scripts/gen_sklearn_kb.py [--output PATH]

The output (default ``hpinspect/classify/data/sklearn_kb.json``) is compact JSON with sorted
keys and a trailing newline, and is byte-for-byte deterministic for a given environment.

Top-level layout::

    {
      "generated_with": {"scikit-learn": ..., "numpy": ..., "python": ...},
      "estimators": {<canonical path>: {"name", "public_paths", "kind", "params",
                                        "order", "nested_params"}},
      "types": [<canonical path of every other sklearn class>],
      "functions": [<canonical path of every sklearn function>],
      "by_name": {<short class name>: <canonical estimator path>},  # unique names only
      "methods": {"names", "impls", "profiles", "classes"}  # see gen_methods_kb.py
    }

``methods`` records, for every class above (under its canonical and its public paths), the
effective implementation of each method a real load may call on its instances
(``__setstate__``, ``__setitem__``, ``extend``, ``__new__`` ...; ``scripts/gen_methods_kb.py``).

A canonical path is ``obj.__module__ + "." + obj.__qualname__``, i.e. what pickle writes.

Parameter defaults are encoded as JSON-safe values that can be decoded losslessly where
possible:

* ``None``/``bool``/``int``/``str`` and finite ``float`` are stored as is;
* non-finite floats become ``{"$float": "nan" | "inf" | "-inf"}``;
* tuples become ``{"$tuple": [...]}``, lists stay lists, dicts become
  ``{"$dict": [[key, value], ...]}`` (all elements encoded recursively);
* sets/frozensets become ``{"$set": [...]}``/``{"$frozenset": [...]}`` (sorted);
* numpy scalars are converted to the equivalent Python value;
* classes, functions and numpy types become ``{"$global": "module.qualname"}``;
* a missing default becomes ``{"$required": true}``;
* anything else (estimator instances, ...) becomes
  ``{"$repr": repr(obj)[:200], "$class": "module.qualname"}``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import io
import json
import math
import pkgutil
import platform
import re
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_methods_kb import method_table

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "hpinspect" / "classify" / "data" / "sklearn_kb.json"

#: Subpackage names that are never walked (nor accepted as a class's home module).
SKIPPED_PARTS = frozenset({"tests", "externals"})

#: Modules imported up-front so that experimental estimators get registered.
EXPERIMENTAL_ENABLERS = (
    "sklearn.experimental.enable_halving_search_cv",
    "sklearn.experimental.enable_iterative_imputer",
)

#: Meta-estimators/composites that must be present in the KB (``all_estimators`` may skip
#: some of them). Missing optional ones (``optional=True``) are tolerated.
REQUIRED_ESTIMATORS: tuple[tuple[str, bool], ...] = (
    ("sklearn.pipeline.Pipeline", False),
    ("sklearn.pipeline.FeatureUnion", False),
    ("sklearn.compose.ColumnTransformer", False),
    ("sklearn.compose.TransformedTargetRegressor", False),
    ("sklearn.model_selection.GridSearchCV", False),
    ("sklearn.model_selection.RandomizedSearchCV", False),
    ("sklearn.model_selection.HalvingGridSearchCV", False),
    ("sklearn.model_selection.HalvingRandomSearchCV", False),
    ("sklearn.model_selection.FixedThresholdClassifier", False),
    ("sklearn.model_selection.TunedThresholdClassifierCV", False),
    ("sklearn.calibration.CalibratedClassifierCV", False),
    ("sklearn.multioutput.MultiOutputClassifier", False),
    ("sklearn.multioutput.MultiOutputRegressor", False),
    ("sklearn.multioutput.ClassifierChain", False),
    ("sklearn.multioutput.RegressorChain", False),
    ("sklearn.multiclass.OneVsRestClassifier", False),
    ("sklearn.multiclass.OneVsOneClassifier", False),
    ("sklearn.multiclass.OutputCodeClassifier", False),
    ("sklearn.ensemble.StackingClassifier", False),
    ("sklearn.ensemble.StackingRegressor", False),
    ("sklearn.ensemble.VotingClassifier", False),
    ("sklearn.ensemble.VotingRegressor", False),
    ("sklearn.ensemble.BaggingClassifier", False),
    ("sklearn.ensemble.BaggingRegressor", False),
    ("sklearn.ensemble.AdaBoostClassifier", False),
    ("sklearn.ensemble.AdaBoostRegressor", False),
    ("sklearn.feature_selection.SelectFromModel", False),
    ("sklearn.feature_selection.RFE", False),
    ("sklearn.feature_selection.RFECV", False),
    ("sklearn.feature_selection.SequentialFeatureSelector", False),
    ("sklearn.impute.IterativeImputer", False),
    ("sklearn.frozen.FrozenEstimator", True),
)

#: Parameter names that conventionally hold (lists of) estimators.
NESTED_PARAM_NAMES = frozenset(
    {
        "base_estimator",
        "classifier",
        "estimator",
        "estimators",
        "final_estimator",
        "regressor",
        "steps",
        "transformer",
        "transformer_list",
        "transformers",
    }
)

#: Method names that identify an estimator-like ``HasMethods`` parameter constraint
#: (as opposed to e.g. ``HasMethods("cache")`` for joblib memory or CV splitters).
ESTIMATOR_METHODS = frozenset(
    {"fit", "fit_predict", "fit_transform", "predict", "predict_proba", "transform"}
)

#: Maximum length of a stored ``repr``.
MAX_REPR = 200

_ADDRESS_RE = re.compile(r" at 0x[0-9a-fA-F]+")

JSON = Any
"""A JSON-serialisable value."""


# --------------------------------------------------------------------------------------
# Module walking
# --------------------------------------------------------------------------------------


def _is_skipped_module(modname: str) -> bool:
    return any(part in SKIPPED_PARTS for part in modname.split("."))


def _is_sklearn_module(modname: object) -> bool:
    if not isinstance(modname, str):
        return False
    if modname != "sklearn" and not modname.startswith("sklearn."):
        return False
    return not _is_skipped_module(modname)


def _is_public_module(modname: str) -> bool:
    return not any(part.startswith("_") for part in modname.split("."))


def _iter_module_names(package: types.ModuleType) -> Iterator[str]:
    """Yield the names of ``package``'s submodules recursively, without entering skipped ones.

    ``pkgutil.walk_packages`` imports every subpackage to recurse into it (including
    ``externals``), so the recursion is done by hand with ``pkgutil.iter_modules``.
    """
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if _is_skipped_module(info.name):
            continue
        yield info.name
        if info.ispkg:
            subpackage = _import_quietly(info.name)
            if subpackage is not None:
                yield from _iter_module_names(subpackage)


def _import_quietly(name: str) -> types.ModuleType | None:
    """Import ``name`` silencing warnings and stray prints; None if the import fails."""
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            return importlib.import_module(name)
    except Exception as exc:  # any import failure just skips the module
        print(f"note: skipping {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None


def iter_sklearn_modules() -> Iterator[types.ModuleType]:
    """Import and yield every importable sklearn module, sorted by name."""
    import sklearn

    names = {"sklearn", *_iter_module_names(sklearn)}
    for name in sorted(names):
        module = _import_quietly(name)
        if module is not None:
            yield module


def dotted_name(obj: Any) -> str | None:
    """Return ``obj.__module__ + "." + obj.__qualname__`` or None if unavailable."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return None
    return f"{module}.{qualname}"


def _is_module_function(obj: Any) -> bool:
    if inspect.isfunction(obj):
        return True
    if inspect.isbuiltin(obj):
        # Bound builtin methods (``__self__`` is an instance) are not module functions.
        owner = getattr(obj, "__self__", None)
        return owner is None or isinstance(owner, types.ModuleType)
    # Cython functions compiled with ``binding=True``.
    return type(obj).__name__ in {"cython_function_or_method", "fused_cython_function"}


def _resolves_to(path_module: str, qualname: str, obj: object) -> bool:
    """Check that ``module.qualname`` can be looked up again (i.e. pickle could find it)."""
    target: Any = sys.modules.get(path_module)
    if target is None:
        return False
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            return False
    return target is obj


def _walk_class(cls: type, found: dict[str, type]) -> None:
    """Record ``cls`` and (recursively) classes nested inside it."""
    module = cls.__module__
    qualname = cls.__qualname__
    if "<" in qualname or not _is_sklearn_module(module):
        return
    path = f"{module}.{qualname}"
    if path in found:
        return
    found[path] = cls
    for value in list(vars(cls).values()):
        if isinstance(value, type) and value.__qualname__.startswith(qualname + "."):
            _walk_class(value, found)


def collect_objects(
    modules: list[types.ModuleType],
) -> tuple[dict[str, type], dict[str, Callable[..., Any]]]:
    """Collect sklearn-defined classes and functions reachable from ``modules``."""
    classes: dict[str, type] = {}
    functions: dict[str, Callable[..., Any]] = {}
    for module in modules:
        for value in list(vars(module).values()):
            if isinstance(value, type):
                _walk_class(value, classes)
            elif _is_module_function(value):
                path = dotted_name(value)
                if path is None or "<" in path:
                    continue
                module_name: str = value.__module__
                qualname = path[len(module_name) + 1 :]
                if _is_sklearn_module(module_name) and _resolves_to(module_name, qualname, value):
                    functions.setdefault(path, value)
    return classes, functions


def public_paths_index(modules: list[types.ModuleType]) -> dict[int, set[str]]:
    """Map ``id(class)`` to the public dotted paths it is importable from.

    For a public module (no ``_``-prefixed component) every name in ``__all__`` is trusted;
    modules without ``__all__`` only contribute classes defined in that module or in one of
    its private submodules (so incidental imports are not mistaken for re-exports).
    """
    index: dict[int, set[str]] = {}
    for module in modules:
        modname = module.__name__
        if not _is_public_module(modname):
            continue
        exported = getattr(module, "__all__", None)
        trust_all = exported is not None
        names = list(exported) if exported is not None else list(vars(module))
        for name in names:
            if not isinstance(name, str) or name.startswith("_"):
                continue
            try:
                value = getattr(module, name)
            except Exception:  # lazy attributes may fail
                continue
            if not isinstance(value, type):
                continue
            home = value.__module__
            if not trust_all and not (home == modname or home.startswith(modname + "._")):
                continue
            index.setdefault(id(value), set()).add(f"{modname}.{name}")
    return index


# --------------------------------------------------------------------------------------
# Defaults encoding
# --------------------------------------------------------------------------------------


def _class_path(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _safe_repr(obj: object) -> str:
    try:
        text = repr(obj)
    except Exception as exc:  # reprs of odd objects may fail
        text = f"<unrepresentable {type(obj).__name__}: {type(exc).__name__}>"
    # Memory addresses would make the output non-deterministic.
    return _ADDRESS_RE.sub("", text)[:MAX_REPR]


def _sort_key(value: JSON) -> str:
    return json.dumps(value, sort_keys=True)


def _encode_float(value: float) -> JSON:
    if math.isnan(value):
        return {"$float": "nan"}
    if math.isinf(value):
        return {"$float": "inf" if value > 0 else "-inf"}
    return float(value)


def _encode_container(value: tuple[Any, ...] | list[Any] | dict[Any, Any] | set[Any]
                      | frozenset[Any]) -> JSON:
    if isinstance(value, tuple):
        return {"$tuple": [encode_default(v) for v in value]}
    if isinstance(value, list):
        return [encode_default(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[encode_default(k), encode_default(v)] for k, v in value.items()]}
    tag = "$frozenset" if isinstance(value, frozenset) else "$set"
    return {tag: sorted((encode_default(v) for v in value), key=_sort_key)}


def encode_default(value: Any) -> JSON:
    """Encode a parameter default as a JSON-safe, decodable value."""
    if value is inspect.Parameter.empty:
        return {"$required": True}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        item = value.item()
        if isinstance(item, np.generic):  # e.g. datetime64 with no Python equivalent
            return {"$repr": _safe_repr(value), "$class": _class_path(value)}
        return encode_default(item)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, tuple | list | dict | set | frozenset):
        return _encode_container(value)
    if callable(value):
        # Classes, functions and other importable callables such as ``numpy.mean`` (a
        # ``numpy._ArrayFunctionDispatcher``) are stored by reference when they resolve.
        module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
        if (
            isinstance(module, str)
            and isinstance(qualname, str)
            and "<" not in qualname
            and (isinstance(value, type) or _resolves_to(module, qualname, value))
        ):
            return {"$global": f"{module}.{qualname}"}
    return {"$repr": _safe_repr(value), "$class": _class_path(value)}


# --------------------------------------------------------------------------------------
# Estimator description
# --------------------------------------------------------------------------------------


def _init_parameters(cls: type) -> list[inspect.Parameter]:
    init = cls.__init__  # type: ignore[misc]
    if init is object.__init__:
        return []
    try:
        signature = inspect.signature(init)
    except (TypeError, ValueError):
        return []
    params = list(signature.parameters.values())[1:]  # drop ``self``
    skipped = {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}
    return [p for p in params if p.kind not in skipped]


def _constraint_takes_estimator(constraint: object) -> bool:
    from sklearn.base import BaseEstimator
    from sklearn.utils._param_validation import HasMethods

    if isinstance(constraint, HasMethods):
        return bool(ESTIMATOR_METHODS.intersection(constraint.methods))
    if isinstance(constraint, type):
        # e.g. ``Kernel`` for Gaussian processes: a nested object exposing ``get_params``.
        return issubclass(constraint, BaseEstimator) or (
            constraint.__module__.startswith("sklearn.") and hasattr(constraint, "get_params")
        )
    return False


def nested_params(cls: type, params: list[inspect.Parameter]) -> list[str]:
    """Names of the parameters of ``cls`` that take estimators (or other nested objects).

    Combines the conventional parameter names, the class's ``_parameter_constraints``
    (``HasMethods(["fit", ...])`` or estimator classes) and estimator-valued defaults.
    """
    from sklearn.base import BaseEstimator

    constraints = getattr(cls, "_parameter_constraints", None)
    if not isinstance(constraints, dict):
        constraints = {}
    nested = []
    for param in params:
        default = param.default
        options = constraints.get(param.name, [])
        if not isinstance(options, list | tuple):
            options = [options]
        if (
            param.name in NESTED_PARAM_NAMES
            or isinstance(default, BaseEstimator)
            or any(_constraint_takes_estimator(c) for c in options)
        ):
            nested.append(param.name)
    return nested


def estimator_kind(cls: type, nested: list[str]) -> str:
    """Classify an estimator class from its mixins (and nested estimator parameters)."""
    from sklearn import base

    if issubclass(cls, base.ClassifierMixin):
        return "classifier"
    if issubclass(cls, base.RegressorMixin):
        return "regressor"
    if issubclass(cls, base.OutlierMixin):
        return "outlier_detector"
    if issubclass(cls, base.ClusterMixin | base.BiclusterMixin):
        return "cluster"
    if issubclass(cls, base.DensityMixin):
        return "density"
    if any(name in NESTED_PARAM_NAMES for name in nested):
        # Composites/wrappers that are not predictors themselves: Pipeline, ColumnTransformer,
        # search CVs, SelectFromModel, RFE, ... (``MetaEstimatorMixin`` is not used: forests
        # inherit it through ``BaseEnsemble``).
        return "meta"
    if issubclass(cls, base.TransformerMixin) or hasattr(cls, "transform"):
        return "transformer"
    if hasattr(cls, "score_samples") and not hasattr(cls, "predict"):
        return "density"  # KernelDensity does not use DensityMixin
    if hasattr(cls, "fit_transform"):
        return "transformer"  # MDS, SpectralEmbedding: fit_transform only
    return "other"


def describe_estimator(cls: type, public_paths: set[str]) -> dict[str, JSON]:
    params = _init_parameters(cls)
    nested = nested_params(cls, params)
    return {
        "name": cls.__name__,
        "public_paths": sorted(public_paths),
        "kind": estimator_kind(cls, nested),
        "params": {p.name: {"default": encode_default(p.default)} for p in params},
        "order": [p.name for p in params],
        "nested_params": nested,
    }


def _is_estimator_class(cls: type) -> bool:
    from sklearn.base import BaseEstimator

    # Private subclasses count too: fitted models hold them (_BinMapper, _ConstantPredictor,
    # _BinaryGaussianProcessClassifierLaplace), and their __init__ signature is what makes an
    # attribute a hyperparameter.
    return issubclass(cls, BaseEstimator) and not inspect.isabstract(cls)


# --------------------------------------------------------------------------------------
# KB assembly
# --------------------------------------------------------------------------------------


def _import_required(path: str) -> type | None:
    module_name, _, attr = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    value = getattr(module, attr, None)
    return value if isinstance(value, type) else None


def build_kb() -> dict[str, JSON]:
    """Import scikit-learn and build the knowledge base dictionary."""
    import sklearn
    from sklearn.utils import all_estimators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for enabler in EXPERIMENTAL_ENABLERS:
            importlib.import_module(enabler)
        modules = list(iter_sklearn_modules())
        registered = [cls for _, cls in all_estimators()]

    classes, functions = collect_objects(modules)
    for cls in registered:
        _walk_class(cls, classes)
    for path, optional in REQUIRED_ESTIMATORS:
        required = _import_required(path)
        if required is None:
            if not optional:
                raise RuntimeError(f"required estimator {path} not found")
            continue
        _walk_class(required, classes)

    public = public_paths_index(modules)
    estimators: dict[str, JSON] = {}
    type_names: list[str] = []
    for path, cls in sorted(classes.items()):
        if issubclass(cls, BaseException):
            continue
        if _is_estimator_class(cls):
            estimators[path] = describe_estimator(cls, public.get(id(cls), set()))
        else:
            type_names.append(path)

    missing = [dotted_name(c) for c in registered if dotted_name(c) not in estimators]
    if missing:
        raise RuntimeError(f"all_estimators() classes missing from the KB: {missing}")

    kept = [(path, cls) for path, cls in sorted(classes.items())
            if not issubclass(cls, BaseException)]
    aliases = [(alias, cls) for _, cls in kept for alias in public.get(id(cls), set())]
    by_path: dict[str, list[str]] = {}
    for path, entry in estimators.items():
        by_path.setdefault(entry["name"], []).append(path)
    by_name = {name: paths[0] for name, paths in by_path.items() if len(paths) == 1}

    return {
        "generated_with": {
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "estimators": estimators,
        "types": sorted(type_names),
        "functions": sorted(functions),
        "by_name": by_name,
        "methods": method_table([*kept, *aliases]),
    }


def dump_kb(kb: dict[str, JSON]) -> str:
    """Serialise the KB as compact, key-sorted JSON with a trailing newline."""
    return json.dumps(kb, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write the KB (default: {DEFAULT_OUTPUT.relative_to(REPO_ROOT)})",
    )
    args = parser.parse_args(argv)
    kb = build_kb()
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(dump_kb(kb), encoding="utf-8")
    print(
        f"wrote {output}: {len(kb['estimators'])} estimators, {len(kb['types'])} types, "
        f"{len(kb['functions'])} functions",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
