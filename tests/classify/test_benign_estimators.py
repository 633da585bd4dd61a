"""Every scikit-learn estimator that fits on small data reads back safe, exact and classified.

Each class from ``sklearn.utils.all_estimators()`` is fitted on a tiny data set chosen by its
kind (classifier, regressor, text vectoriser, label transformer, ...), saved with ``joblib.dump``
and ``pickle.dump(protocol=5)``, and read back statically. The trusted reference is the
in-memory estimator itself: every array its ``__getstate__()`` holds, nested estimators and
``Tree`` objects included, must come back bit for bit (NaN equals NaN).

Classes that do not fit on small data would be listed in :data:`EXCLUDED` with the reason; the
list is checked to be honest (each excluded class must really fail to fit).
"""

from __future__ import annotations

import functools
import math
import pickle
import types
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn.base import is_regressor
from sklearn.datasets import make_classification, make_regression
from sklearn.utils import all_estimators

from hpinspect import inspect_file
from hpinspect.load import ArrayStub, GlobalRef, Limits, Stub, read_model
from hpinspect.load.objects import ObjectArray
from hpinspect.report import CATEGORIES, Node

# ----------------------------------------------------------------------------------- data

X_CLS, Y_CLS = make_classification(n_samples=40, n_features=5, n_informative=3, random_state=0)
X_REG, Y_REG = make_regression(n_samples=40, n_features=5, random_state=0)
Y_REG2 = np.column_stack([Y_REG, Y_REG * 0.5 + X_REG[:, 0]])
Y_CLS2 = np.column_stack([Y_CLS, (X_CLS[:, 0] > 0).astype(int)])
X_POS = np.abs(X_CLS)
DOCS = [
    "the cat sat on the mat", "the dog sat on the log", "cats and dogs are friends",
    "a bird in the hand", "two birds in the bush", "the quick brown fox jumps",
    "over the lazy dog", "hello world of models", "pickles are programs",
    "never load untrusted files",
]
Y_DOCS = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
DICTS = [{"colour": "red", "size": 1.0}, {"colour": "blue", "size": 2.5},
         {"colour": "green", "weight": 3.0}, {"size": 0.5, "weight": 1.5}]


def _lr() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=200)


def _tree_cls() -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=3, random_state=0)


def _tree_reg() -> Any:
    from sklearn.tree import DecisionTreeRegressor

    return DecisionTreeRegressor(max_depth=3, random_state=0)


def _ridge() -> Any:
    from sklearn.linear_model import Ridge

    return Ridge()


def _std() -> Any:
    from sklearn.preprocessing import StandardScaler

    return StandardScaler()


def _pca() -> Any:
    from sklearn.decomposition import PCA

    return PCA(n_components=2)


def _frozen_lr() -> Any:
    return _lr().fit(X_CLS, Y_CLS)


# Constructor keyword arguments, as factories so every build gets fresh sub-estimators.
KWARGS: dict[str, Callable[[], dict[str, Any]]] = {
    "CCA": lambda: {"n_components": 1},
    "ClassifierChain": lambda: {"estimator": _lr(), "random_state": 0},
    "ColumnTransformer": lambda: {"transformers": [
        ("num", _std(), [0, 1, 2]), ("pca", _pca(), [3, 4])]},
    "FeatureUnion": lambda: {"transformer_list": [("pca", _pca()), ("scale", _std())]},
    "FixedThresholdClassifier": lambda: {"estimator": _lr(), "threshold": 0.3},
    "FrozenEstimator": lambda: {"estimator": _frozen_lr()},
    "GaussianRandomProjection": lambda: {"n_components": 2},
    "GridSearchCV": lambda: {"estimator": _lr(), "param_grid": {"C": [0.1, 1.0]}, "cv": 3},
    "HistGradientBoostingClassifier": lambda: {"max_iter": 10},
    "HistGradientBoostingRegressor": lambda: {"max_iter": 10},
    "MultiOutputClassifier": lambda: {"estimator": _lr()},
    "MultiOutputRegressor": lambda: {"estimator": _ridge()},
    "OneVsOneClassifier": lambda: {"estimator": _lr()},
    "OneVsRestClassifier": lambda: {"estimator": _lr()},
    "OutputCodeClassifier": lambda: {"estimator": _lr(), "random_state": 0},
    "PLSCanonical": lambda: {"n_components": 1},
    "PLSSVD": lambda: {"n_components": 1},
    "Pipeline": lambda: {"steps": [("scale", _std()), ("clf", _lr())]},
    "QuadraticDiscriminantAnalysis": lambda: {"reg_param": 0.1},
    "RFE": lambda: {"estimator": _lr(), "n_features_to_select": 2},
    "RFECV": lambda: {"estimator": _lr(), "cv": 3},
    "RandomizedSearchCV": lambda: {"estimator": _lr(), "param_distributions": {
        "C": [0.1, 1.0, 10.0]}, "n_iter": 2, "cv": 3, "random_state": 0},
    "RegressorChain": lambda: {"estimator": _ridge(), "random_state": 0},
    "SelectFromModel": lambda: {"estimator": _lr()},
    "SelfTrainingClassifier": lambda: {"estimator": _lr(), "max_iter": 2},
    "SequentialFeatureSelector": lambda: {"estimator": _lr(), "n_features_to_select": 2,
                                          "cv": 3},
    "SparseCoder": lambda: {"dictionary": np.random.default_rng(0).normal(size=(3, 5))},
    "SparseRandomProjection": lambda: {"n_components": 2, "random_state": 0},
    "StackingClassifier": lambda: {"estimators": [("lr", _lr()), ("dt", _tree_cls())],
                                   "cv": 3},
    "StackingRegressor": lambda: {"estimators": [("ridge", _ridge()), ("dt", _tree_reg())],
                                  "cv": 3},
    "TSNE": lambda: {"perplexity": 5.0, "max_iter": 250},
    "TunedThresholdClassifierCV": lambda: {"estimator": _lr(), "cv": 3},
    "VotingClassifier": lambda: {"estimators": [("lr", _lr()), ("dt", _tree_cls())]},
    "VotingRegressor": lambda: {"estimators": [("ridge", _ridge()), ("dt", _tree_reg())]},
}


# How to call fit, by data kind; the default is by estimator type (classifier / regressor /
# anything else gets the classification X and y).
Fit = Callable[[Any], Any]
FIT: dict[str, Fit] = {
    "AdditiveChi2Sampler": lambda e: e.fit(X_POS),
    "CategoricalNB": lambda e: e.fit(np.round(X_POS * 2).astype(int), Y_CLS),
    "ComplementNB": lambda e: e.fit(X_POS, Y_CLS),
    "MultinomialNB": lambda e: e.fit(X_POS, Y_CLS),
    "LatentDirichletAllocation": lambda e: e.fit(X_POS),
    "NMF": lambda e: e.fit(X_POS),
    "MiniBatchNMF": lambda e: e.fit(X_POS),
    "CountVectorizer": lambda e: e.fit(DOCS),
    "TfidfVectorizer": lambda e: e.fit(DOCS, Y_DOCS),
    "HashingVectorizer": lambda e: e.fit(DOCS),
    "DictVectorizer": lambda e: e.fit(DICTS),
    "FeatureHasher": lambda e: e.fit(DICTS),
    "LabelBinarizer": lambda e: e.fit(Y_CLS),
    "LabelEncoder": lambda e: e.fit(np.array(["b", "a", "c", "a"])),
    "MultiLabelBinarizer": lambda e: e.fit([["a", "b"], ["c"], ["a"]]),
    "IsotonicRegression": lambda e: e.fit(X_REG[:, 0], Y_REG),
    "KernelCenterer": lambda e: e.fit(X_CLS @ X_CLS.T),
    "GammaRegressor": lambda e: e.fit(X_REG, np.abs(Y_REG) + 1.0),
    "PoissonRegressor": lambda e: e.fit(X_REG, np.abs(Y_REG) + 1.0),
    "MultiTaskElasticNet": lambda e: e.fit(X_REG, Y_REG2),
    "MultiTaskElasticNetCV": lambda e: e.fit(X_REG, Y_REG2),
    "MultiTaskLasso": lambda e: e.fit(X_REG, Y_REG2),
    "MultiTaskLassoCV": lambda e: e.fit(X_REG, Y_REG2),
    "MultiOutputRegressor": lambda e: e.fit(X_REG, Y_REG2),
    "RegressorChain": lambda e: e.fit(X_REG, Y_REG2),
    "MultiOutputClassifier": lambda e: e.fit(X_CLS, Y_CLS2),
    "ClassifierChain": lambda e: e.fit(X_CLS, Y_CLS2),
    "CCA": lambda e: e.fit(X_REG, Y_REG2),
    "PLSCanonical": lambda e: e.fit(X_REG, Y_REG2),
    "PLSSVD": lambda e: e.fit(X_REG, Y_REG2),
    "PLSRegression": lambda e: e.fit(X_REG, Y_REG2),
}

# Classes that cannot be fitted on small data, with the reason. Every class of scikit-learn
# 1.9 currently fits with the data kinds and constructor arguments above, so this is empty;
# test_excluded_really_fail keeps any future entry honest.
EXCLUDED: dict[str, str] = {}

# Extra configurations that pickle different helper objects (id -> class, parameters).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "NearestNeighbors[ball_tree]": ("NearestNeighbors", {"algorithm": "ball_tree"}),
    "KNeighborsClassifier[ball_tree]": ("KNeighborsClassifier", {"algorithm": "ball_tree"}),
    "KernelDensity[ball_tree]": ("KernelDensity", {"algorithm": "ball_tree"}),
    "SGDClassifier[log_loss]": ("SGDClassifier", {"loss": "log_loss"}),
    "MLPClassifier[sgd]": ("MLPClassifier", {"solver": "sgd"}),
}

ALL = dict(all_estimators())
CLASSES = sorted(n for n in ALL if n not in EXCLUDED)
NAMES = CLASSES + sorted(VARIANTS)
FORMATS = ("joblib", "pickle")
BIG = Limits(keep_array_bytes=1 << 30, keep_total_bytes=1 << 32)


def build(name: str) -> Any:
    """A fresh, unfitted, deterministic, quick instance of ``name``."""
    name, tweaks = VARIANTS.get(name, (name, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated classes still count
        est = ALL[name](**KWARGS.get(name, dict)())
    params = est.get_params(deep=False)
    tweaks = dict(tweaks)
    if "random_state" in params and params["random_state"] is None:
        tweaks["random_state"] = 0
    if name not in KWARGS and isinstance(params.get("max_iter"), int) and \
            params["max_iter"] > 100:
        tweaks["max_iter"] = 100
    if tweaks:
        est.set_params(**tweaks)
    return est


def fit(name: str, est: Any) -> Any:
    """Fit ``est`` on the data kind it needs."""
    name = VARIANTS.get(name, (name, {}))[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning, small-data UserWarnings ...
        if name in FIT:
            return FIT[name](est)
        if is_regressor(est):
            return est.fit(X_REG, Y_REG)
        # Classifiers, and clusterers/transformers (which take, or ignore, a class label y).
        return est.fit(X_CLS, Y_CLS)


@functools.cache
def fitted(name: str) -> Any:
    """The fitted estimator (fitted once per session; tests must not mutate it)."""
    return fit(name, build(name))


@pytest.fixture(scope="module")
def save_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("benign")


def saved(save_dir: Path, name: str, fmt: str) -> Path:
    """``fitted(name)`` saved with joblib or pickle (protocol 5), written once."""
    stem = name.replace("[", "-").replace("]", "")
    path = save_dir / f"{stem}.{'joblib' if fmt == 'joblib' else 'pkl'}"
    if not path.exists():
        est = fitted(name)
        if fmt == "joblib":
            joblib.dump(est, path)
        else:
            with path.open("wb") as handle:
                pickle.dump(est, handle, protocol=5)
    return path


# ----------------------------------------------------------------------------------- (a)


def test_all_estimators_covered() -> None:
    """The parametrisation is every class of all_estimators() minus the documented list."""
    assert set(CLASSES) | set(EXCLUDED) == set(ALL)
    assert set(EXCLUDED) <= set(ALL), "stale entries in EXCLUDED"
    assert len(CLASSES) >= 200


def test_excluded_really_fail() -> None:
    for name in EXCLUDED:
        with pytest.raises(Exception):  # noqa: B017 - any failure to fit justifies exclusion
            fit(name, build(name))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", NAMES)
def test_reads_back_safe(save_dir: Path, name: str, fmt: str) -> None:
    result = read_model(saved(save_dir, name, fmt))
    above_known = [(f.global_name, f.severity, f.path) for f in result.safety.findings
                   if f.severity != "known"]
    assert above_known == []
    assert result.safety.verdict == "safe"
    assert isinstance(result.root, Stub)
    assert result.root.dotted == f"{type(fitted(name)).__module__}.{type(fitted(name)).__name__}"


# ----------------------------------------------------------------------------------- (b)


def _arrays_equal(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.names or a.dtype.kind == "V":
        return bool(np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes())
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def _scalar_equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(type(a) is type(b) and a == b)


class Mismatch(AssertionError):
    """A value of the trusted object differs from what hpinspect read."""


def _reduce(obj: Any) -> tuple[Any, ...]:
    """What pickle would write for ``obj`` (callable, args, state, listitems, dictitems)."""
    rv = obj.__reduce_ex__(5)
    assert isinstance(rv, tuple), f"{type(obj)} reduces to {rv!r}"
    return rv + (None,) * (5 - len(rv))


def compare(orig: Any, loaded: Any, path: str,
            seen: dict[int, Any] | None = None) -> Iterator[str]:
    """Walk ``orig`` and ``loaded`` together; yield the path of every array compared.

    ``seen`` maps ids to the objects themselves, keeping temporaries (reduce states) alive so
    an id is never reused within one walk.
    """
    seen = {} if seen is None else seen
    if type(orig) is np.ndarray:  # subclasses (masked arrays) pickle as ordinary objects
        if isinstance(loaded, ArrayStub):
            raise Mismatch(f"{path}: array not kept ({loaded.shape} {loaded.dtype})")
        if orig.dtype.hasobject:  # hpinspect's ObjectArray: the elements, in C order
            if not isinstance(loaded, ObjectArray) or loaded.shape != orig.shape:
                raise Mismatch(f"{path}: expected an object array of shape {orig.shape}, got "
                               f"{loaded!r:.200}")
            for (idx, item), element in zip(np.ndenumerate(orig), loaded.items, strict=True):
                yield from compare(item, element, f"{path}[{idx}]", seen)
            yield path
            return
        if not isinstance(loaded, np.ndarray):
            raise Mismatch(f"{path}: expected ndarray, got {type(loaded).__name__}")
        if not _arrays_equal(orig, loaded):
            raise Mismatch(f"{path}: array differs ({orig.dtype} {orig.shape} vs "
                           f"{loaded.dtype} {loaded.shape})")
        yield path
        return
    if orig is None or type(orig) in (bool, int, float, complex, str, bytes, bytearray, slice,
                                      range):
        if not _scalar_equal(orig, loaded):
            raise Mismatch(f"{path}: {orig!r} != {loaded!r}")
        return
    if isinstance(orig, np.generic):
        if not isinstance(loaded, np.generic) or loaded.dtype != orig.dtype or not (
                _arrays_equal(np.asarray(orig), np.asarray(loaded))):
            raise Mismatch(f"{path}: numpy scalar {orig!r} != {loaded!r}")
        return
    if isinstance(orig, np.dtype):
        if loaded != orig:
            raise Mismatch(f"{path}: dtype {orig!r} != {loaded!r}")
        return
    if isinstance(loaded, GlobalRef) or isinstance(orig, (type, types.FunctionType,
                                                          types.BuiltinFunctionType)):
        # Classes and functions are pickled by reference: hpinspect keeps the name only.
        if not isinstance(loaded, GlobalRef) or loaded.name != getattr(orig, "__name__", "?"):
            raise Mismatch(f"{path}: global {orig!r} read as {loaded!r}")
        return
    if id(orig) in seen:
        return
    seen[id(orig)] = orig
    if isinstance(orig, dict) and isinstance(loaded, dict):  # dict, OrderedDict
        if not isinstance(loaded, dict):
            raise Mismatch(f"{path}: expected dict, got {type(loaded).__name__}")
        if len(loaded) != len(orig):
            raise Mismatch(f"{path}: dict has {len(loaded)} keys, expected {len(orig)}")
        for key, value in orig.items():
            if key not in loaded:
                raise Mismatch(f"{path}: key {key!r} missing")
            yield from compare(value, loaded[key], f"{path}[{key!r}]", seen)
        return
    if type(orig) in (list, tuple):
        if type(loaded) is not type(orig) or len(loaded) != len(orig):
            raise Mismatch(f"{path}: expected {type(orig).__name__} of {len(orig)}, got "
                           f"{type(loaded).__name__}")
        for i, (a, b) in enumerate(zip(orig, loaded, strict=True)):
            yield from compare(a, b, f"{path}[{i}]", seen)
        return
    if isinstance(orig, (set, frozenset)):
        if type(loaded) is not type(orig) or loaded != orig:
            raise Mismatch(f"{path}: set {orig!r} != {loaded!r}")
        return
    # Any other object: hpinspect keeps an inert Stub with the args and state pickle wrote.
    if not isinstance(loaded, Stub):
        raise Mismatch(f"{path}: expected a Stub for {type(orig).__name__}, got {loaded!r}")
    _func, args, state, listitems, dictitems = _reduce(orig)
    if state is not None:
        yield from compare(state, loaded.state, f"{path}.<state>", seen)
    if loaded.how == "reduce" and args:
        yield from compare(tuple(args), tuple(loaded.args), f"{path}.<args>", seen)
    if listitems is not None:
        yield from compare(list(listitems), list(loaded.list_items), f"{path}.<items>", seen)
    if dictitems is not None:
        yield from compare(dict(dictitems), dict(loaded.dict_items), f"{path}.<items>", seen)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", NAMES)
def test_arrays_equal_original(save_dir: Path, name: str, fmt: str) -> None:
    est = fitted(name)
    root = read_model(saved(save_dir, name, fmt), limits=BIG).root
    assert isinstance(root, Stub)
    state = est.__getstate__()
    assert set(root.attrs) == set(state)
    try:
        compared = list(compare(state, root.attrs, name))
    except Mismatch as exc:
        pytest.fail(str(exc))
    n_arrays = sum(1 for v in state.values() if isinstance(v, np.ndarray))
    assert len(compared) >= n_arrays


def test_tree_nodes_compared(save_dir: Path) -> None:
    """A fitted tree's ``nodes`` and ``values`` arrays are among the arrays compared."""
    compared = list(compare(fitted("RandomForestClassifier").__getstate__(),
                            read_model(saved(save_dir, "RandomForestClassifier", "pickle"),
                                       limits=BIG).root.attrs, "rf"))
    assert "rf['estimators_'][0].<state>['tree_'].<state>['nodes']" in compared
    assert "rf['estimators_'][0].<state>['tree_'].<state>['values']" in compared


# ----------------------------------------------------------------------------------- (c)


def _check_node(node: Node) -> list[str]:
    problems = []
    for attr in node.attributes:
        where = f"{node.path or '<root>'}.{attr.name}"
        if attr.category not in CATEGORIES:
            problems.append(f"{where}: category {attr.category!r}")
        if not attr.reason.strip():
            problems.append(f"{where}: empty reason")
        if not attr.role.strip():
            problems.append(f"{where}: empty role")
    return problems


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", NAMES)
def test_classified(save_dir: Path, name: str, fmt: str) -> None:
    est = fitted(name)
    report = inspect_file(saved(save_dir, name, fmt))
    root = report.model
    assert root.known, f"{root.class_name} missing from the knowledge base"
    by_name = {a.name: a for a in root.attributes}
    params = est.get_params(deep=False)
    bad_params = {p: (by_name[p].category if p in by_name else "missing") for p in params
                  if p not in by_name or by_name[p].category == "learned"}
    assert bad_params == {}, "__init__ parameters not hyperparameter/auxiliary"
    state = est.__getstate__()
    fitted_attrs = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")
                    and k in state]
    missing = [k for k in fitted_attrs if k not in by_name]
    assert missing == []
    problems = [p for node in report.nodes() for p in _check_node(node)]
    assert problems == []
    assert report.versions.saved_with.get("scikit-learn") is not None
