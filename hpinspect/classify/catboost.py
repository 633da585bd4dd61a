"""CatBoost: CatBoostClassifier/CatBoostRegressor/CatBoostRanker and ``catboost.core.CatBoost``.

The pickled state is the parameters the user passed plus ``__model``, which is exactly a
``.cbm`` file: a flatbuffers core with the oblivious trees and an InfoMap holding, as JSON,
every resolved training option (``params``), the output options (``train_dir`` …), the metric
history (``training``), the class labels and the catboost version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hpinspect.classify.boosters import BoosterFacts, Layout, TreeStats, assemble
from hpinspect.decode import DecodeError
from hpinspect.decode.catboost_cbm import parse
from hpinspect.load.objects import Stub
from hpinspect.report import Node

if TYPE_CHECKING:
    from hpinspect.classify.sklearn import TreeBuilder

LIBRARY = "catboost"
BOOSTER = "catboost.core.CatBoost"
WRAPPERS = ("catboost.core.CatBoostClassifier", "catboost.core.CatBoostRegressor",
            "catboost.core.CatBoostRanker")
MODEL_KEY = "__model"

SETTING_NAMES: dict[str, str] = {
    "n_estimators": "iterations", "num_boost_round": "iterations", "num_trees": "iterations",
    "eta": "learning_rate", "max_depth": "depth", "reg_lambda": "l2_leaf_reg",
    "random_state": "random_seed", "max_bin": "border_count", "colsample_bylevel": "rsm",
    "min_child_samples": "min_data_in_leaf", "num_leaves": "max_leaves",
    "objective": "loss_function",
}
_TYPED_OPTIONS = ("loss_function", "eval_metric", "od_type", "bootstrap_type")
_FILES = ("train_dir", "allow_writing_files", "save_snapshot", "snapshot_file",
          "snapshot_interval", "name", "test_error_log", "json_log", "result_model_file",
          "roc_file", "eval_file_name", "fstr_internal_file", "fstr_regular_file",
          "fstr_type", "output_columns", "training_options_file", "learn_error_log",
          "profile_log", "output_borders", "prediction_type", "model_format",
          "time_left_log", "meta_file", "final_ctr_computation_mode")
LAYOUT = Layout(
    booster_attr=MODEL_KEY,
    handle_keys=frozenset({MODEL_KEY}),
    auxiliary={
        **dict.fromkeys(_FILES, "file and I/O"), "random_seed": "randomness",
        "thread_count": "parallelism", "task_type": "device", "devices": "device",
        "logging_level": "logging", "verbose": "logging", "silent": "logging",
        "metric_period": "logging", "verbose_eval": "logging",
        "used_ram_limit": "memory management", "gpu_ram_part": "memory management",
        "pinned_memory_size": "memory management", "eval_metric": "diagnostics",
        "custom_metric": "diagnostics", "use_best_model": "training procedure",
        "detailed_profile": "debugging", "hints": "debugging",
        "early_stopping_rounds": "training procedure", "od_wait": "training procedure",
        "od_type": "training procedure", "od_pval": "training procedure",
    },
    always=frozenset({"iterations", "learning_rate", "depth", "loss_function", "l2_leaf_reg",
                      "border_count", "grow_policy"}),
    wrapper_roles={"_prediction_values_change": ("auxiliary", "diagnostic"),
                   "_loss_value_change": ("auxiliary", "diagnostic"),
                   "_test_evals": ("auxiliary", "diagnostic"),
                   "_test_eval": ("auxiliary", "diagnostic")},
)
_VERSION = re.compile(r"tags/v(\d+\.\d+(?:\.\d+)?)")


def claims(value: Any) -> bool:
    """A wrapper or the raw CatBoost model, by class name."""
    return isinstance(value, Stub) and value.dotted in (BOOSTER, *WRAPPERS)


_NESTED_ONLY = frozenset({"target_binarization", "per_float_feature_quantization",
                          "text_processing_options", "embedding_processing_options"})


def _flatten(node: Mapping[str, Any], out: dict[str, Any], depth: int = 0) -> None:
    for key, value in node.items():
        if key in _NESTED_ONLY:
            continue
        if key in _TYPED_OPTIONS and isinstance(value, Mapping) and "type" in value:
            out.setdefault(key, value["type"])
        elif isinstance(value, Mapping) and depth < 6:
            _flatten(value, out, depth + 1)
        elif not isinstance(value, Mapping):
            out.setdefault(str(key), value)


def settings_of(params_json: str) -> dict[str, Any]:
    """Resolved options of one InfoMap ``params`` entry (also used by the KB script)."""
    try:
        params = json.loads(params_json)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"CBM: params is not JSON ({str(exc)[:80]})") from exc
    out: dict[str, Any] = {}
    if isinstance(params, Mapping):
        _flatten(params, out)
    return out


def _json(info: Mapping[str, str], key: str) -> Any:
    try:
        return json.loads(info[key]) if key in info else None
    except (ValueError, RecursionError):
        return None


def _training_facts(facts: BoosterFacts, training: Any) -> None:
    """Best errors and metric history (the InfoMap ``training`` entry): diagnostics."""
    metrics = training.get("metrics") if isinstance(training, Mapping) else None
    if not isinstance(metrics, Mapping):
        return
    for key in ("learn_best_error", "test_best_error", "best_iteration"):
        if key in metrics:
            facts.auxiliary[key] = ("diagnostic", metrics[key])
    history = metrics.get("learn_metrics_history")
    if isinstance(history, list):
        facts.auxiliary["learn_metrics_history"] = ("diagnostic", history)


def _info_facts(facts: BoosterFacts, info: Mapping[str, str]) -> None:
    if "params" in info:
        facts.settings.update(settings_of(info["params"]))
    else:
        facts.notes.append("this CatBoost model holds no training parameters")
    output = _json(info, "output_options")
    if isinstance(output, Mapping):
        for key, value in output.items():
            if not isinstance(value, Mapping):
                facts.settings.setdefault(str(key), value)
    facts.objective = facts.settings.get("loss_function")
    classes = _json(info, "class_params")
    if isinstance(classes, Mapping) and classes.get("class_names"):
        facts.learned["classes_"] = classes["class_names"]
    _training_facts(facts, _json(info, "training"))
    match = _VERSION.search(info.get("catboost_version_info", ""))
    if match:
        facts.version = match.group(1)
        facts.auxiliary["version"] = ("provenance", facts.version)
    for key in ("train_finish_time", "model_guid"):
        if key in info:
            facts.auxiliary[key] = ("provenance", info[key])


def decode(raw: Any) -> BoosterFacts:
    """Facts of one CBM model."""
    facts = BoosterFacts(LIBRARY, setting_names=dict(SETTING_NAMES))
    if not isinstance(raw, (bytes, bytearray)):
        facts.notes.append("the model holds no CBM bytes")
        return facts
    try:
        model = parse(raw)
        _info_facts(facts, model.info)
    except DecodeError as exc:
        facts.notes.append(f"model bytes could not be decoded: {str(exc)[:160]}")
        return facts
    depths = list(model.tree_sizes)
    if model.symmetric:
        facts.trees = TreeStats(depths, [1 << min(d, 30) for d in depths], 1, len(depths),
                                kind="oblivious tree")
    else:
        facts.trees = TreeStats(depths, [], 1, len(depths), kind="non-symmetric tree")
        facts.notes.append("non-symmetric trees: depth and leaves are not decoded (the count "
                           "is)")
    if model.approx_dimension > 1:
        facts.learned["outputs_per_leaf"] = model.approx_dimension
    facts.learned["leaf_values"] = model.leaf_values
    facts.auxiliary["model_format"] = ("provenance", model.format_version)
    return facts


def build(builder: TreeBuilder, value: Stub, path: str, prefix: str, label: str) -> Node:
    """The node of a CatBoost wrapper or model."""
    raw = value.attrs.get(MODEL_KEY)
    facts = decode(raw) if raw is not None else None
    # Wrappers and the raw model alike keep the parameters as their state.
    return assemble(builder, value, path, prefix, label, facts, LAYOUT, wrapper=True)
