"""XGBoost: XGBClassifier/XGBRegressor/XGBRanker and the raw ``xgboost.core.Booster``.

The booster's ``handle`` (pickled) holds xgboost's UBJSON of ``Config`` (every resolved
training parameter) and ``Model`` (trees, base_score, feature names); a ``save_model``
``.json``/``.ubj`` file holds the ``Model`` part only, which the reader in
:mod:`hpinspect.load.boosters` wraps in the same Booster stand-in. Nothing is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from hpinspect.classify.boosters import BoosterFacts, Layout, TreeStats, assemble, typed
from hpinspect.decode import DecodeError
from hpinspect.decode.ubjson import loads_model
from hpinspect.load.objects import Stub
from hpinspect.report import Node

if TYPE_CHECKING:
    from hpinspect.classify.sklearn import TreeBuilder

LIBRARY = "xgboost"
BOOSTER = "xgboost.core.Booster"
WRAPPERS = ("xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRegressor",
            "xgboost.sklearn.XGBRanker", "xgboost.sklearn.XGBRFClassifier",
            "xgboost.sklearn.XGBRFRegressor", "xgboost.sklearn.XGBModel")

# Constructor parameter -> name in the booster's Config (same name when absent).
SETTING_NAMES: dict[str, str] = {
    "learning_rate": "eta", "reg_alpha": "alpha", "reg_lambda": "lambda",
    "random_state": "seed", "n_jobs": "nthread", "n_estimators": "num_boost_round",
    "eval_metric": "eval_metric",
}
# Config keys that repeat another key's value under an alias.
ALIASES = frozenset({"learning_rate", "reg_alpha", "reg_lambda", "min_split_loss", "n_jobs",
                     "random_state", "num_trees", "updater_seq"})
LAYOUT = Layout(
    booster_attr="_Booster",
    auxiliary={
        "seed": "randomness", "seed_per_iteration": "randomness", "nthread": "parallelism",
        "device": "device", "fail_on_invalid_gpu_id": "device",
        "validate_parameters": "error handling", "disable_default_eval_metric": "diagnostics",
        "eval_metric": "diagnostics", "debug_synchronize": "debugging",
        "max_cached_hist_node": "memory management", "early_stopping_rounds":
        "training procedure", "callbacks": "training procedure",
        "importance_type": "diagnostics",
    },
    always=frozenset({"objective"}),
    wrapper_roles={"n_classes_": ("learned", "label set"), "classes_": ("learned", "label set"),
                   "best_iteration": ("auxiliary", "diagnostic"),
                   "best_score": ("auxiliary", "diagnostic"),
                   "evals_result_": ("auxiliary", "diagnostic"),
                   "feature_names": ("auxiliary", "input schema"),
                   "feature_types": ("auxiliary", "input schema"),
                   "n_features_in_": ("auxiliary", "input schema"),
                   "feature_names_in_": ("auxiliary", "input schema")},
)
MAX_LEVELS = 1 << 16


def claims(value: Any) -> bool:
    """A wrapper or a raw Booster, by class name."""
    return isinstance(value, Stub) and value.dotted in (BOOSTER, *WRAPPERS)


def _flat_settings(node: Any, out: dict[str, Any], depth: int = 0) -> None:
    """Leaves of the Config tree by their own names (skipping the model facts)."""
    if not isinstance(node, Mapping) or depth > 8:
        return
    for key, value in node.items():
        if key in ("learner_model_param", "gbtree_model_param", "name", "metrics"):
            continue
        if isinstance(value, str) and key not in ALIASES:
            out.setdefault(str(key), typed(value, float32=True))
        elif isinstance(value, Mapping):
            _flat_settings(value, out, depth + 1)
        elif isinstance(value, list):
            for item in value[:16]:
                _flat_settings(item, out, depth + 1)


def settings_of(config: Mapping[str, Any]) -> dict[str, Any]:
    """Resolved training settings of one ``Config`` document (also used by the KB script)."""
    learner = config.get("learner", {}) if isinstance(config, Mapping) else {}
    out: dict[str, Any] = {}
    if isinstance(learner, Mapping):
        _flat_settings(learner, out)
        metrics = learner.get("metrics")
        if isinstance(metrics, list):
            out["eval_metric"] = [m.get("name") for m in metrics[:16] if isinstance(m, Mapping)]
        booster = learner.get("gradient_booster", {})
        model_param = booster.get("gbtree_model_param", {}) if isinstance(booster, Mapping) \
            else {}
        if isinstance(model_param, Mapping) and "num_parallel_tree" in model_param:
            out["num_parallel_tree"] = typed(str(model_param["num_parallel_tree"]))
    return out


def tree_depth(left: Any, right: Any) -> int:
    """Depth (edges on the longest root-leaf path) from child index arrays (-1 = none)."""
    left_a = np.asarray(left, dtype=np.int64).ravel()
    right_a = np.asarray(right, dtype=np.int64).ravel()
    n = min(left_a.size, right_a.size)
    if n == 0:
        return 0
    frontier = np.array([0], dtype=np.int64)
    depth = -1
    while frontier.size and depth < min(n, MAX_LEVELS):
        depth += 1
        children = np.concatenate([left_a[frontier], right_a[frontier]])
        frontier = children[(children >= 0) & (children < n)]
    return depth


def _trees(model: Mapping[str, Any], per_output: int) -> TreeStats | None:
    booster = model.get("gradient_booster", {})
    inner = booster.get("model") or booster.get("gbtree", {}).get("model") \
        if isinstance(booster, Mapping) else None
    if not isinstance(inner, Mapping) or not isinstance(inner.get("trees"), list):
        return None  # gblinear keeps weights instead (see _model_facts)
    depths, leaves = [], []
    for tree in inner["trees"]:
        if not isinstance(tree, Mapping):
            raise DecodeError("xgboost model: a tree is not an object")
        left, right = tree.get("left_children"), tree.get("right_children")
        if left is None or right is None:
            raise DecodeError("xgboost model: a tree has no children arrays")
        depths.append(tree_depth(left, right))
        leaves.append(int(np.count_nonzero(np.asarray(left) == -1)))
    indptr = inner.get("iteration_indptr")
    rounds = len(indptr) - 1 if isinstance(indptr, (list, np.ndarray)) and len(indptr) else None
    return TreeStats(depths, leaves, per_output, rounds)


def _model_facts(facts: BoosterFacts, model: Mapping[str, Any]) -> None:
    params = model.get("learner_model_param", {})
    params = params if isinstance(params, Mapping) else {}
    num_class = typed(str(params.get("num_class", "0")))
    num_target = typed(str(params.get("num_target", "1")))
    per_output = max(int(num_class) if isinstance(num_class, int) else 0,
                     int(num_target) if isinstance(num_target, int) else 1, 1)
    facts.trees = _trees(model, per_output)
    booster = model.get("gradient_booster", {})
    inner = booster.get("model") if isinstance(booster, Mapping) else None
    if isinstance(inner, Mapping) and isinstance(inner.get("weights"), (list, np.ndarray)):
        facts.linear = True
        facts.learned["weights"] = np.asarray(inner["weights"], dtype=np.float64)
    if facts.trees is not None and facts.trees.rounds is not None:
        facts.settings.setdefault("num_boost_round", facts.trees.rounds)
    if "base_score" in params:
        facts.learned["intercept_"] = typed(str(params["base_score"]), float32=True)
    objective = model.get("objective", {})
    if isinstance(objective, Mapping) and isinstance(objective.get("name"), str):
        facts.objective = objective["name"]
        facts.settings.setdefault("objective", objective["name"])
    for key, role in (("feature_names", "input schema"), ("feature_types", "input schema")):
        value = model.get(key)
        if isinstance(value, list) and value:
            facts.auxiliary[key] = (role, value)
    if "num_feature" in params:
        facts.auxiliary["num_feature"] = ("input schema", typed(str(params["num_feature"])))
    attrs = model.get("attributes", {})
    for key in ("best_iteration", "best_score"):
        if isinstance(attrs, Mapping) and key in attrs:
            facts.auxiliary[key] = ("diagnostic", typed(str(attrs[key])))


def decode(raw: Any) -> BoosterFacts:
    """Facts of one Booster ``handle`` (UBJSON of Config + Model, or a saved model file)."""
    facts = BoosterFacts(LIBRARY, setting_names=dict(SETTING_NAMES))
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        facts.notes.append("the booster holds no model bytes")
        return facts
    try:
        doc = loads_model(raw)
        if not isinstance(doc, Mapping):
            raise DecodeError("xgboost model: top level is not an object")
        if "Config" in doc and "Model" in doc:
            config, model = doc["Config"], doc["Model"]
            facts.settings.update(settings_of(config))
        else:
            config, model = {}, doc
            facts.notes.append("this xgboost file holds no training parameters (save_model "
                               "keeps the trees only)")
        version = (config.get("version") if isinstance(config, Mapping) else None) or \
            model.get("version")
        if isinstance(version, (list, np.ndarray)) and len(version) == 3:
            facts.version = ".".join(str(int(v)) for v in version)
            facts.auxiliary["version"] = ("provenance", facts.version)
        learner = model.get("learner") if isinstance(model, Mapping) else None
        if not isinstance(learner, Mapping):
            raise DecodeError("xgboost model: no learner")
        _model_facts(facts, learner)
    except (DecodeError, TypeError, ValueError, KeyError, AttributeError) as exc:
        facts.notes.append(f"model bytes could not be decoded: {str(exc)[:160]}")
    return facts


def names_for(dotted: str, facts: BoosterFacts) -> BoosterFacts:
    """Random-forest wrappers grow ``n_estimators`` trees in one round (num_parallel_tree)."""
    if dotted.rsplit(".", 1)[-1].startswith("XGBRF"):
        facts.setting_names["n_estimators"] = "num_parallel_tree"
    return facts


def build(builder: TreeBuilder, value: Stub, path: str, prefix: str, label: str) -> Node:
    """The node of an xgboost wrapper or Booster."""
    if value.dotted == BOOSTER:
        return assemble(builder, value, path, prefix, label, decode(value.attrs.get("handle")),
                        LAYOUT, wrapper=False)
    booster = value.attrs.get("_Booster")
    facts = names_for(value.dotted, decode(booster.attrs.get("handle"))) \
        if isinstance(booster, Stub) else None
    return assemble(builder, value, path, prefix, label, facts, LAYOUT, wrapper=True)
