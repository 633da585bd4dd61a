"""The reviewed allowlist: names a real load may call that build only inert state.

Each entry names a class or function outside scikit-learn's knowledge base that ordinary model
files call while loading (pandas objects in bundles, LightGBM's ``defaultdict``, CPython's own
``random.Random`` state, harmless builtins), with a one-line safety argument and the rule its
arguments must satisfy. :func:`policy.severity_of <hpinspect.load.policy.severity_of>` consults
:func:`allowed`; the reader calls :func:`arguments_inert` at every call and fails closed
(``unknown call``) when it returns False. :data:`SKLEARN_MODULE_RENAMES` maps the module paths
older scikit-learn versions pickled (0.20 on) to today's, so compiled types keep their verdict
under their old names. :data:`REVIEWED_METHODS` lists the method implementations (the class of
the MRO that defines ``__setstate__``, ``extend``, ``__new__`` ... as the knowledge base records
it) that a real load may run on instances, each with why it is harmless.

Arguments rules (:class:`ArgRule`):

* ``judged`` — anything; every global inside the arguments is judged on its own (a class or
  function handed to a call is judged as called), so a payload can never hide there.
* ``factory`` — ``judged``, and the first argument is ``None`` or a bare global (a
  ``defaultdict`` factory that is itself judged as called), never the result of another call.
* ``pandas_class`` — ``judged``, and the first argument is a pandas class on this list (pandas'
  ``_new_Index(cls, d)`` runs ``cls.__new__(cls, **d)``).
* ``plain`` — only small plain data: None, bool, int (at most 4,096 bits), float, complex, str
  and bytes (at most 1 MiB), and tuples/lists/dicts/sets of those (no globals, no objects).

This module must not import :mod:`hpinspect.classify` (the loader stands alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from hpinspect.load.objects import GlobalRef

__all__ = [
    "ALLOWED",
    "REVIEWED_METHODS",
    "SKLEARN_MODULE_RENAMES",
    "Allowed",
    "ArgRule",
    "allowed",
    "arguments_inert",
    "canonical",
]


class ArgRule(StrEnum):
    """What the arguments of an allowed call must be (see the module docstring)."""

    JUDGED = "judged"
    FACTORY = "factory"
    PANDAS_CLASS = "pandas_class"
    PLAIN = "plain"


@dataclass(frozen=True)
class Allowed:
    """One reviewed name."""

    reason: str
    """Why a real load of it runs no code chosen by the file (shown as the finding detail)."""
    args: ArgRule = ArgRule.JUDGED
    """What its call arguments must be."""
    methods: frozenset[str] = frozenset()
    """Methods a load calls on its instances (``__setstate__`` by BUILD, ``__setitem__`` by
    SETITEMS ...) that were reviewed together with the class; consulted only for a class the
    knowledge base's method table lacks (else :data:`REVIEWED_METHODS` decides)."""


_SETSTATE = frozenset({"__setstate__"})
_DICT_METHODS = frozenset({"__setitem__", "__setstate__"})

_PLAIN_BUILTINS: Mapping[str, str] = {
    "len": "returns the length of a plain value",
    "abs": "absolute value of a plain number",
    "min": "smallest of plain values (no key= callable: kwargs are refused)",
    "max": "largest of plain values (no key= callable: kwargs are refused)",
    "sum": "sum of plain numbers",
    "round": "rounds a plain number",
    "divmod": "quotient and remainder of plain numbers",
    "ord": "code point of a one-character string",
    "chr": "one-character string of a code point",
    "bin": "binary text of a plain int",
    "hex": "hexadecimal text of a plain int",
    "oct": "octal text of a plain int",
    "hash": "hash of plain data (builtin types only)",
    "repr": "repr of plain data (builtin types only)",
    "ascii": "ascii repr of plain data (builtin types only)",
    "sorted": "sorted list of plain values",
    "reversed": "reverse iterator over a plain sequence",
    "any": "truth test over plain values",
    "all": "truth test over plain values",
    "zip": "iterator pairing plain sequences",
    "enumerate": "iterator numbering a plain sequence",
    "callable": "whether a plain value is callable (always False for plain data)",
    "id": "identity number of a plain value",
    "format": "formats a plain value with a plain spec (builtin __format__ only)",
}
# Deliberately absent: pow (pow(10, 10**10) hangs a real load), iter/next/map/filter (they call
# what they are given), getattr/setattr/eval/exec/compile/open/__import__ (dangerous list).


def _builtins() -> dict[str, Allowed]:
    out: dict[str, Allowed] = {}
    for name, why in _PLAIN_BUILTINS.items():
        for module in ("builtins", "__builtin__"):
            out[f"{module}.{name}"] = Allowed(f"harmless builtin: {why}", ArgRule.PLAIN)
    return out


_PANDAS_WHY = ("pandas data class: rebuilt from arrays, dicts and dtypes by pandas' own "
               "__setstate__/constructor; calls nothing the file names")
_PANDAS_CLASSES: tuple[str, ...] = (
    # top-level names (pandas >= 1.0 pickles the public path of many classes)
    "pandas.DataFrame", "pandas.Series", "pandas.Index", "pandas.RangeIndex",
    "pandas.MultiIndex", "pandas.DatetimeIndex", "pandas.TimedeltaIndex", "pandas.PeriodIndex",
    "pandas.IntervalIndex", "pandas.CategoricalIndex", "pandas.Categorical",
    "pandas.CategoricalDtype", "pandas.DatetimeTZDtype", "pandas.PeriodDtype",
    "pandas.IntervalDtype", "pandas.StringDtype", "pandas.BooleanDtype", "pandas.Int8Dtype",
    "pandas.Int16Dtype", "pandas.Int32Dtype", "pandas.Int64Dtype", "pandas.UInt8Dtype",
    "pandas.UInt16Dtype", "pandas.UInt32Dtype", "pandas.UInt64Dtype", "pandas.Float32Dtype",
    "pandas.Float64Dtype", "pandas.Timestamp", "pandas.Timedelta", "pandas.Period",
    "pandas.Interval",
    "pandas.arrays.DatetimeArray", "pandas.arrays.TimedeltaArray", "pandas.arrays.PeriodArray",
    "pandas.arrays.IntervalArray", "pandas.arrays.StringArray", "pandas.arrays.IntegerArray",
    "pandas.arrays.FloatingArray", "pandas.arrays.BooleanArray", "pandas.arrays.Categorical",
    "pandas.arrays.NumpyExtensionArray", "pandas.arrays.PandasArray",
    # module paths of pandas 0.25 - 3.x
    "pandas.core.frame.DataFrame", "pandas.core.series.Series",
    "pandas.core.indexes.base.Index", "pandas.core.indexes.range.RangeIndex",
    "pandas.core.indexes.multi.MultiIndex", "pandas.core.indexes.datetimes.DatetimeIndex",
    "pandas.core.indexes.timedeltas.TimedeltaIndex", "pandas.core.indexes.period.PeriodIndex",
    "pandas.core.indexes.interval.IntervalIndex", "pandas.core.indexes.category.CategoricalIndex",
    "pandas.core.indexes.numeric.Int64Index", "pandas.core.indexes.numeric.UInt64Index",
    "pandas.core.indexes.numeric.Float64Index", "pandas.core.indexes.numeric.NumericIndex",
    "pandas.core.indexes.frozen.FrozenList",
    "pandas.core.arrays.categorical.Categorical", "pandas.core.arrays.datetimes.DatetimeArray",
    "pandas.core.arrays.timedeltas.TimedeltaArray", "pandas.core.arrays.period.PeriodArray",
    "pandas.core.arrays.interval.IntervalArray", "pandas.core.arrays.string_.StringArray",
    "pandas.core.arrays.integer.IntegerArray", "pandas.core.arrays.floating.FloatingArray",
    "pandas.core.arrays.boolean.BooleanArray", "pandas.core.arrays.numpy_.PandasArray",
    "pandas.core.arrays.numpy_.NumpyExtensionArray",
    "pandas.core.dtypes.dtypes.CategoricalDtype", "pandas.core.dtypes.dtypes.DatetimeTZDtype",
    "pandas.core.dtypes.dtypes.PeriodDtype", "pandas.core.dtypes.dtypes.IntervalDtype",
    "pandas.core.arrays.string_.StringDtype", "pandas.core.arrays.boolean.BooleanDtype",
    *(f"pandas.core.arrays.integer.{k}Dtype" for k in (
        "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64")),
    "pandas.core.arrays.floating.Float32Dtype", "pandas.core.arrays.floating.Float64Dtype",
    "pandas.core.internals.managers.BlockManager",
    "pandas.core.internals.managers.SingleBlockManager",
    *(f"pandas.core.internals.blocks.{k}" for k in (
        "Block", "NumpyBlock", "ObjectBlock", "FloatBlock", "IntBlock", "BoolBlock",
        "ComplexBlock", "DatetimeBlock", "DatetimeTZBlock", "TimeDeltaBlock",
        "CategoricalBlock", "ExtensionBlock", "DatetimeLikeBlock", "NumericBlock")),
    "pandas._libs.tslibs.timestamps.Timestamp", "pandas._libs.tslibs.timedeltas.Timedelta",
    "pandas._libs.tslibs.period.Period", "pandas._libs.interval.Interval",
    "pandas._libs.internals.BlockPlacement",
)
_PANDAS_OFFSETS_WHY = ("pandas date offset (a frequency such as 'D' or 'M'): BaseOffset.__reduce__ "
                       "rebuilds it from plain arguments (n, normalize) and a dict of plain "
                       "fields; its constructor computes dates only")
_PANDAS_OFFSETS: tuple[str, ...] = tuple(
    f"{module}.{name}"
    # pandas >= 1.1 pickles the Cython module, older ones the Python one
    for module in ("pandas._libs.tslibs.offsets", "pandas.tseries.offsets")
    for name in (
        "DateOffset", "Day", "Hour", "Minute", "Second", "Milli", "Micro", "Nano",
        "BusinessDay", "BusinessHour", "CustomBusinessDay", "Week", "WeekOfMonth",
        "LastWeekOfMonth", "MonthEnd", "MonthBegin", "BusinessMonthEnd", "BusinessMonthBegin",
        "SemiMonthEnd", "SemiMonthBegin", "QuarterEnd", "QuarterBegin", "BQuarterEnd",
        "BQuarterBegin", "YearEnd", "YearBegin", "BYearEnd", "BYearBegin", "Easter", "FY5253",
        "FY5253Quarter"))
_PANDAS_FUNCTIONS: Mapping[str, tuple[str, ArgRule]] = {
    "pandas.core.indexes.base._new_Index": (
        "pandas' Index.__reduce__: cls.__new__(cls, **d) with cls a listed pandas class",
        ArgRule.PANDAS_CLASS),
    "pandas.core.indexes.datetimes._new_DatetimeIndex": (
        "pandas' DatetimeIndex.__reduce__ (same shape as _new_Index)", ArgRule.PANDAS_CLASS),
    "pandas.core.indexes.timedeltas._new_TimedeltaIndex": (
        "pandas' TimedeltaIndex.__reduce__ (same shape as _new_Index)", ArgRule.PANDAS_CLASS),
    "pandas.core.indexes.interval._new_IntervalIndex": (
        "pandas' IntervalIndex.__reduce__ (same shape as _new_Index)", ArgRule.PANDAS_CLASS),
    "pandas.core.indexes.period._new_PeriodIndex": (
        "pandas' PeriodIndex reconstruction (same shape as _new_Index)", ArgRule.PANDAS_CLASS),
    "pandas._libs.internals._unpickle_block": (
        "pandas' Block.__reduce__: a block from an array, a placement and ndim",
        ArgRule.JUDGED),
    "pandas.core.internals.blocks.new_block": (
        "pandas 1.x Block.__reduce__: a block from an array and a placement", ArgRule.JUDGED),
    "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked": (
        "Cython pickle of pandas' NDArrayBacked: class, checksum and state", ArgRule.PANDAS_CLASS),
    "pandas._libs.tslibs.timestamps._unpickle_timestamp": (
        "pandas' Timestamp.__reduce__: integers, a timezone and a unit", ArgRule.JUDGED),
    "pandas._libs.tslibs.timedeltas._timedelta_unpickle": (
        "pandas' Timedelta.__reduce__: an integer and a unit", ArgRule.JUDGED),
    "pandas._libs.tslibs.nattype.__nat_unpickle": (
        "pandas' NaT singleton", ArgRule.PLAIN),
    "pandas._libs.tslibs.period.__pyx_unpickle_PeriodMixin": (
        "Cython pickle of pandas 1.x PeriodArray's base: class, checksum and state",
        ArgRule.PANDAS_CLASS),
    "pytz._UTC": (
        "pytz's UTC singleton (pandas < 2 Timestamps with tz='UTC'): takes no arguments",
        ArgRule.PLAIN),
}
_PANDAS_VALUES: tuple[str, ...] = ("pandas.NA", "pandas._libs.missing.NA", "pandas.NaT",
                                   "pandas._libs.tslibs.nattype.NaT")


def _pandas() -> dict[str, Allowed]:
    out = {name: Allowed(_PANDAS_WHY, ArgRule.JUDGED, _SETSTATE) for name in _PANDAS_CLASSES}
    out.update({name: Allowed(_PANDAS_OFFSETS_WHY, ArgRule.JUDGED, _SETSTATE)
                for name in _PANDAS_OFFSETS})
    for name, (why, rule) in _PANDAS_FUNCTIONS.items():
        out[name] = Allowed(why, rule)
    for name in _PANDAS_VALUES:
        out[name] = Allowed("pandas missing-value singleton, referenced as a value")
    return out


_OTHERS: Mapping[str, Allowed] = {
    "collections.defaultdict": Allowed(
        "dict whose factory (None or a global judged on its own) runs only on a missing-key "
        "lookup, never during a load (LightGBM pickles defaultdict(OrderedDict))",
        ArgRule.FACTORY, _DICT_METHODS),
    "random.Random": Allowed(
        "CPython's Mersenne Twister: __init__ seeds, __setstate__ takes a version and a tuple "
        "of ints", ArgRule.JUDGED, _SETSTATE),
    "lightgbm.basic.Booster": Allowed(
        "LightGBM model: __setstate__ parses the model text with LightGBM's own parser",
        ArgRule.JUDGED, _SETSTATE),
    **{f"lightgbm.sklearn.{name}": Allowed(
        "LightGBM's scikit-learn wrapper: its state is its __dict__", ArgRule.JUDGED, _SETSTATE)
       for name in ("LGBMModel", "LGBMClassifier", "LGBMRegressor", "LGBMRanker")},
    "xgboost.core.Booster": Allowed(
        "XGBoost model: __setstate__ hands the model bytes to XGBoost's own native parser "
        "(XGBoosterUnserializeFromBuffer), as when reading a model file", ArgRule.JUDGED,
        _SETSTATE),
    **{f"xgboost.sklearn.{name}": Allowed(
        "XGBoost's scikit-learn wrapper: BaseEstimator.__setstate__ updates its __dict__",
        ArgRule.JUDGED, _SETSTATE)
       for name in ("XGBModel", "XGBClassifier", "XGBRegressor", "XGBRanker",
                    "XGBRFClassifier", "XGBRFRegressor")},
    **{f"catboost.core.{name}": Allowed(
        "CatBoost model: _CatBoostBase.__setstate__ hands the model bytes to CatBoost's own "
        "parser (_load_from_string), as when reading a .cbm file", ArgRule.JUDGED, _SETSTATE)
       for name in ("CatBoost", "CatBoostClassifier", "CatBoostRegressor", "CatBoostRanker")},
    "numpy.rec.recarray": Allowed("numpy record array (an ndarray subclass holding data)"),
    "numpy.recarray": Allowed("numpy record array (an ndarray subclass holding data)"),
    "numpy.record": Allowed("numpy record scalar (a numpy.void subclass)"),
    "numpy._core.records.recarray": Allowed("numpy record array (an ndarray subclass)"),
    "numpy._core.records.record": Allowed("numpy record scalar (a numpy.void subclass)"),
    "numpy.core.records.recarray": Allowed("numpy record array (an ndarray subclass)"),
    "numpy.core.records.record": Allowed("numpy record scalar (a numpy.void subclass)"),
    "numpy.char.chararray": Allowed("numpy string array (an ndarray subclass holding data)"),
    "numpy.chararray": Allowed("numpy string array (an ndarray subclass holding data)"),
    "numpy._core.defchararray.chararray": Allowed("numpy string array (an ndarray subclass)"),
    "numpy.core.defchararray.chararray": Allowed("numpy string array (an ndarray subclass)"),
}

ALLOWED: Mapping[str, Allowed] = MappingProxyType({**_builtins(), **_pandas(), **_OTHERS})
"""Every reviewed name, with its reason and argument rule."""

SKLEARN_MODULE_RENAMES: Mapping[str, str] = MappingProxyType({
    # 0.22 made implementation modules private (scikit-learn PR #15134 "deprecate public
    # modules"); 1.0-1.1 moved the distance metrics to sklearn.metrics; compiled ones included.
    "sklearn.linear_model.sgd_fast": "sklearn.linear_model._sgd_fast",
    "sklearn.linear_model.cd_fast": "sklearn.linear_model._cd_fast",
    "sklearn.linear_model.sag_fast": "sklearn.linear_model._sag_fast",
    "sklearn.neighbors.kd_tree": "sklearn.neighbors._kd_tree",
    "sklearn.neighbors.ball_tree": "sklearn.neighbors._ball_tree",
    "sklearn.neighbors.quad_tree": "sklearn.neighbors._quad_tree",
    "sklearn.neighbors.dist_metrics": "sklearn.metrics._dist_metrics",
    "sklearn.neighbors._dist_metrics": "sklearn.metrics._dist_metrics",
    "sklearn.neighbors.typedefs": "sklearn.utils._typedefs",
    "sklearn.neighbors._typedefs": "sklearn.utils._typedefs",
    "sklearn.utils.seq_dataset": "sklearn.utils._seq_dataset",
    "sklearn.utils.weight_vector": "sklearn.utils._weight_vector",
    "sklearn.utils.fast_dict": "sklearn.utils._fast_dict",
    "sklearn.utils.random": "sklearn.utils._random",
    "sklearn.svm.libsvm": "sklearn.svm._libsvm",
    "sklearn.svm.liblinear": "sklearn.svm._liblinear",
    "sklearn.svm.libsvm_sparse": "sklearn.svm._libsvm_sparse",
    "sklearn.cluster._hierarchical": "sklearn.cluster._hierarchical_fast",
    "sklearn.decomposition.cdnmf_fast": "sklearn.decomposition._cdnmf_fast",
    "sklearn.feature_extraction._hashing": "sklearn.feature_extraction._hashing_fast",
    "sklearn.metrics.pairwise_fast": "sklearn.metrics._pairwise_fast",
    "sklearn.tree.tree": "sklearn.tree._classes",
    "sklearn.tree.export": "sklearn.tree._export",
    "sklearn.ensemble.forest": "sklearn.ensemble._forest",
    "sklearn.ensemble.gradient_boosting": "sklearn.ensemble._gb",
    "sklearn.ensemble._gb_losses": "sklearn._loss.loss",
    "sklearn.ensemble.weight_boosting": "sklearn.ensemble._weight_boosting",
    "sklearn.ensemble.bagging": "sklearn.ensemble._bagging",
    "sklearn.ensemble.iforest": "sklearn.ensemble._iforest",
    "sklearn.ensemble.voting": "sklearn.ensemble._voting",
    "sklearn.linear_model.logistic": "sklearn.linear_model._logistic",
    "sklearn.linear_model.base": "sklearn.linear_model._base",
    "sklearn.linear_model.ridge": "sklearn.linear_model._ridge",
    "sklearn.linear_model.stochastic_gradient": "sklearn.linear_model._stochastic_gradient",
    "sklearn.linear_model.coordinate_descent": "sklearn.linear_model._coordinate_descent",
    "sklearn.svm.classes": "sklearn.svm._classes",
    "sklearn.svm.base": "sklearn.svm._base",
    "sklearn.neighbors.classification": "sklearn.neighbors._classification",
    "sklearn.neighbors.regression": "sklearn.neighbors._regression",
    "sklearn.neighbors.unsupervised": "sklearn.neighbors._unsupervised",
    "sklearn.preprocessing.data": "sklearn.preprocessing._data",
    "sklearn.preprocessing.label": "sklearn.preprocessing._label",
    "sklearn.cluster.k_means_": "sklearn.cluster._kmeans",
    "sklearn.decomposition.pca": "sklearn.decomposition._pca",
})
"""Module paths older scikit-learn versions pickled -> the module that holds the class now."""


def canonical(dotted: str) -> str:
    """``dotted`` under today's scikit-learn module path (unchanged when not renamed)."""
    module, _, name = dotted.rpartition(".")
    new = SKLEARN_MODULE_RENAMES.get(module)
    return f"{new}.{name}" if new is not None else dotted


def allowed(dotted: str) -> Allowed | None:
    """The reviewed entry for ``dotted``, if any."""
    return ALLOWED.get(dotted)


MAX_PLAIN_ITEMS = 10_000
MAX_PLAIN_DEPTH = 32
MAX_PLAIN_BITS = 4096
MAX_PLAIN_BYTES = 1 << 20
_SCALARS = (type(None), bool, float, complex)


def _plain(values: tuple[Any, ...]) -> bool:
    """Whether ``values`` are small plain data (iteratively, so depth costs no stack)."""
    stack: list[tuple[Any, int]] = [(v, 0) for v in values]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > MAX_PLAIN_ITEMS or depth > MAX_PLAIN_DEPTH:
            return False
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind is int:
            if value.bit_length() > MAX_PLAIN_BITS:
                return False
        elif kind in (str, bytes):
            if len(value) > MAX_PLAIN_BYTES:
                return False
        elif kind in (tuple, list, set, frozenset):
            stack.extend((v, depth + 1) for v in value)
        elif kind is dict:
            stack.extend((v, depth + 1) for item in value.items() for v in item)
        else:
            return False
    return True


def arguments_inert(dotted: str, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None
                    ) -> bool:
    """Whether a call of allowlisted ``dotted`` with these arguments keeps its safety argument
    (True for names not on the list: their verdict comes from elsewhere)."""
    entry = ALLOWED.get(dotted)
    if entry is None:
        return True
    rule = entry.args
    if rule is ArgRule.PLAIN:
        return not kwargs and _plain(args)
    if rule is ArgRule.FACTORY:
        return not kwargs and len(args) <= 1 and (
            not args or args[0] is None or isinstance(args[0], GlobalRef))
    if rule is ArgRule.PANDAS_CLASS:
        first = args[0] if args else None
        return isinstance(first, GlobalRef) and first.dotted in ALLOWED and \
            first.dotted.startswith("pandas.")
    return True  # JUDGED: every global inside the arguments has its own finding


# ---------------------------------------------------------------- reviewed method implementations
# (load/policy.py ``method_severity``.) A real load runs these on the instances it builds: BUILD
# -> __setstate__ (or __getattr__/__setattr__ without one), APPEND(S) -> extend/append, SETITEM(S)
# -> __setitem__, ADDITEMS -> add, NEWOBJ -> __new__, lookups -> __getattribute__, and the
# instance's __del__. The knowledge base records which class of the MRO implements each one
# (scripts/gen_methods_kb.py); an implementation not listed here is an unknown call.
_BUILTIN_TYPES = ("object", "dict", "list", "set", "frozenset", "tuple", "str", "bytes",
                  "bytearray", "int", "float", "complex", "bool")
_BUILTIN_METHODS = ("__getattribute__", "__setattr__", "__setitem__", "append", "extend", "add",
                    "__new__")


def _builtin_methods() -> dict[str, str]:
    why = ("CPython's C implementation for a core value type: stores the value in the object "
           "(hashing keys as any dict does), runs no code the file names")
    return {f"builtins.{kind}.{method}": why for kind in _BUILTIN_TYPES
            for method in _BUILTIN_METHODS}


_REVIEWED: Mapping[str, str] = {
    # scikit-learn (source read in site-packages; Cython ones in the shipped .pyx/.tp files)
    "sklearn.base.BaseEstimator.__setstate__": (
        "pops _sklearn_version (warns on a mismatch), then super().__setstate__ or "
        "self.__dict__.update(state): stores the state, calls nothing in it"),
    "sklearn.utils._bunch.Bunch.__setstate__": (
        "a no-op (`pass`, scikit-learn#6196): the pickled __dict__ is ignored"),
    "sklearn.isotonic.IsotonicRegression.__setstate__": (
        "BaseEstimator.__setstate__, then _build_f: scipy interp1d over the fitted "
        "X_thresholds_/y_thresholds_ arrays (numerical, calls nothing in the state)"),
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor.__setstate__": (
        "BaseEstimator-style __dict__ update, then nodes.astype(PREDICTOR_RECORD_DTYPE): a "
        "dtype cast of the node array"),
    "sklearn.utils._metadata_requests.MetadataRequest.__getattr__": (
        "raises AttributeError for every name but fit_transform/fit_predict (none of which a "
        "load looks up), which it composes from its own method requests"),
    "sklearn.linear_model._passive_aggressive.PassiveAggressiveClassifier.__new__": (
        "scikit-learn's @deprecated class wrapper: warns FutureWarning, object.__new__(cls)"),
    "sklearn.linear_model._passive_aggressive.PassiveAggressiveRegressor.__new__": (
        "scikit-learn's @deprecated class wrapper: warns FutureWarning, object.__new__(cls)"),
    "sklearn.tree._tree.Tree.__setstate__": (
        "_tree.pyx: sets max_depth/node_count, checks the nodes/values arrays' dtype and shape "
        "(_check_node_ndarray/_check_value_ndarray), memcpy into its own buffers"),
    "sklearn.tree._criterion.Criterion.__setstate__": "_criterion.pyx: a no-op (`pass`)",
    "sklearn.tree._splitter.Splitter.__setstate__": "_splitter.pyx: a no-op (`pass`)",
    "sklearn.neighbors._quad_tree._QuadTree.__setstate__": (
        "_quad_tree.pyx: sets counters, checks the cells array, copies it into its buffer "
        "(the same shape as Tree.__setstate__)"),
    **{f"sklearn.neighbors.{module}.BinaryTree{bits}.__setstate__": (
        "_binary_tree.pxi.tp: assigns the state's arrays to typed memoryviews and its ints "
        "(Cython type-checks each), then _update_sample_weight on the array")
       for module in ("_kd_tree", "_ball_tree") for bits in ("32", "64")},
    **{f"sklearn.metrics._dist_metrics.{kind}{bits}.__setstate__": (
        "_dist_metrics.pyx.tp: assigns p/vec/mat (typed) and, for PyFuncDistance, stores func "
        "and kwargs without calling them; Mahalanobis adds an np.zeros buffer")
       for kind in ("DistanceMetric", "MahalanobisDistance") for bits in ("32", "64")},
    # the boosters (their Python wrappers read in site-packages; the parsers are native)
    "xgboost.core.Booster.__setstate__": (
        "creates a booster and XGBoosterUnserializeFromBuffer(state['handle']): XGBoost's own "
        "native parser of the model bytes, as when reading a model file; then __dict__.update"),
    "xgboost.core.Booster.__del__": (
        "XGBoosterFree(self.handle) on the handle __setstate__ created (None is skipped)"),
    "lightgbm.basic.Booster.__setstate__": (
        "LGBM_BoosterLoadModelFromString on the model text: LightGBM's own parser, as when "
        "reading a model file; then __dict__.update"),
    "lightgbm.basic.Booster.__del__": (
        "free_network() if _network is truthy (LGBM_NetworkFree) and LGBM_BoosterFree of the "
        "handle __setstate__ created; AttributeError is swallowed"),
    "catboost.core._CatBoostBase.__setstate__": (
        "_load_from_string(state['__model']): CatBoost's own model parser, as when reading a "
        "model file; test evals set as data, the rest merged into _init_params"),
    # the standard library and pandas
    "random.Random.__setstate__": (
        "self.setstate(state): checks the version, hands a tuple of ints to the C generator"),
    "pandas._libs.arrays.NDArrayBacked.__new__": (
        "arrays.pyx: a cdef class without __cinit__, so tp_new only allocates the object with "
        "_ndarray/_dtype set to None (pandas 1.x pickles NEWOBJ Categorical/DatetimeArray)"),
    "pandas._libs.internals.BlockManager.__new__": (
        "internals.pyx __cinit__(blocks=None, axes=None, ...): pickles NEWOBJ it without "
        "arguments and it returns at once; given some, it stores blocks and calls axes.copy() "
        "on the value the file built (judged on its own)"),
    "pandas.core.generic.NDFrame.__setstate__": (
        "stores the BlockManager, or the state's items with object.__setattr__ and "
        "Flags(self, **flags) from plain keywords; calls nothing in the state"),
    "pandas.core.internals.managers.SingleBlockManager.__setstate__": (
        "rebuilds axes (ensure_index) and blocks (new_block from arrays and placements) "
        "from the 0.14.1 state layout; raises NotImplementedError on others"),
    "pandas.CategoricalDtype.__setstate__": (
        "sets _categories and _ordered from the state dict"),
    "pandas.DatetimeTZDtype.__setstate__": "sets _tz and _unit from the state dict",
    "pandas.IntervalDtype.__setstate__": "sets _subtype and _closed from the state dict",
    "pandas.StringDtype.__setstate__": "sets _storage and _na_value from the state dict",
    "pandas.Categorical.__setstate__": (
        "builds a CategoricalDtype(categories, ordered) when missing, renames _codes, then "
        "NDArrayBacked.__setstate__"),
    # pandas' Cython classes (pandas/_libs/*.pyx read through the code search, not on disk)
    "pandas._libs.internals.BlockManager.__setstate__": (
        "internals.pyx: the 0.14.1 layout's axes (ensure_index) and blocks (extract_array, "
        "new_block from arrays and placements), else NotImplementedError"),
    "pandas._libs.internals.Block.__setstate__": (
        "internals.pyx (SharedBlock): BlockPlacement(state[0]), extract_array(state[1]), ndim"),
    "pandas._libs.arrays.NDArrayBacked.__setstate__": (
        "arrays.pyx: _ndarray/_dtype from the state, other keys set with setattr (pandas' own "
        "attributes and property setters)"),
    **{f"pandas._libs.{name}.__setstate__": (
        "Cython's generated auto-pickle __setstate_cython__ (reasoned from Cython's documented "
        "behaviour): assigns each cdef field from the state tuple, type-checked")
       for name in ("internals.BlockPlacement", "interval.IntervalMixin",
                    "tslibs.dtypes.PeriodDtypeBase")},
    # C types whose tp_getattro is PyObject_GenericGetAttr (the same lookup as object's)
    **{f"{kind}.__getattribute__": "C type using CPython's generic attribute lookup"
       for kind in ("datetime.date", "datetime.datetime", "datetime.time", "datetime.timedelta",
                    "datetime.tzinfo", "decimal.Decimal", "collections.defaultdict")},
    # torch.nn (source read in site-packages torch/nn/modules)
    "torch.nn.modules.module.Module.__setstate__": (
        "self.__dict__.update(state), then empty OrderedDict()/set() for hook tables that old "
        "checkpoints lack"),
    **{f"torch.nn.modules.{name}.__setstate__": (
        "Module.__setstate__ plus a fixed default for an attribute old checkpoints lack "
        "(dim, padding_mode, activation=F.relu, recompute_scale_factor, _qkv_same_embed_dim, "
        "padding/ceil_mode/count_include_pad)")
       for name in ("activation.Softmax", "activation.LogSoftmax", "activation.Softmin",
                    "activation.MultiheadAttention", "conv._ConvNd", "pooling.AvgPool3d",
                    "upsampling.Upsample", "transformer.TransformerEncoderLayer",
                    "transformer.TransformerDecoderLayer")},
    "torch.nn.modules.rnn.RNNBase.__setstate__": (
        "Module.__setstate__, then rebuilds the flat weight name lists from fixed format "
        "strings, getattr of its own weights and weakref.ref of each"),
}

REVIEWED_METHODS: Mapping[str, str] = MappingProxyType({**_builtin_methods(), **_REVIEWED})
"""Implementation (``owner.method``) -> why running it during a load is harmless."""
