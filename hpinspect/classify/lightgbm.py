"""LightGBM: LGBMClassifier/LGBMRegressor/LGBMRanker and the raw ``lightgbm.basic.Booster``.

A pickled Booster keeps ``model_to_string()`` in ``_handle``: the model text with every tree
and a ``parameters:`` section of all resolved settings; a ``save_model`` ``.txt`` file is the
same text, wrapped by :mod:`hpinspect.load.boosters` in the same Booster stand-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpinspect.classify.boosters import BoosterFacts, Layout, TreeStats, assemble, typed
from hpinspect.decode import DecodeError
from hpinspect.decode.lightgbm_text import parse
from hpinspect.load.objects import Stub
from hpinspect.report import Node

if TYPE_CHECKING:
    from hpinspect.classify.sklearn import TreeBuilder

LIBRARY = "lightgbm"
BOOSTER = "lightgbm.basic.Booster"
WRAPPERS = ("lightgbm.sklearn.LGBMClassifier", "lightgbm.sklearn.LGBMRegressor",
            "lightgbm.sklearn.LGBMRanker", "lightgbm.sklearn.LGBMModel")

SETTING_NAMES: dict[str, str] = {
    "boosting_type": "boosting", "n_estimators": "num_iterations",
    "subsample_for_bin": "bin_construct_sample_cnt", "min_split_gain": "min_gain_to_split",
    "min_child_weight": "min_sum_hessian_in_leaf", "min_child_samples": "min_data_in_leaf",
    "subsample": "bagging_fraction", "subsample_freq": "bagging_freq",
    "colsample_bytree": "feature_fraction", "reg_alpha": "lambda_l1",
    "reg_lambda": "lambda_l2", "random_state": "seed", "n_jobs": "num_threads",
}
_SEEDS = ("seed", "bagging_seed", "feature_fraction_seed", "extra_seed", "drop_seed",
          "data_random_seed", "objective_seed")
_FILES = ("data", "valid", "input_model", "output_model", "output_result", "snapshot_freq",
          "saved_feature_importance_type", "initscore_filename", "valid_data_initscores",
          "forcedsplits_filename", "forcedbins_filename", "convert_model",
          "convert_model_language", "parser_config_file", "precise_float_parser",
          "header", "label_column", "weight_column", "group_column", "ignore_column",
          "two_round", "save_binary")
LAYOUT = Layout(
    booster_attr="_Booster",
    auxiliary={
        **dict.fromkeys(_SEEDS, "randomness"), **dict.fromkeys(_FILES, "file and I/O"),
        "num_threads": "parallelism", "tree_learner": "parallelism", "machines": "parallelism",
        "machine_list_filename": "parallelism", "local_listen_port": "parallelism",
        "time_out": "parallelism", "num_machines": "parallelism", "pre_partition": "parallelism",
        "deterministic": "reproducibility",
        "force_col_wise": "parallelism", "force_row_wise": "parallelism",
        "histogram_pool_size": "memory management", "device_type": "device",
        "gpu_platform_id": "device", "gpu_device_id": "device", "gpu_use_dp": "device",
        "num_gpu": "device", "verbosity": "logging", "metric": "diagnostics",
        "metric_freq": "diagnostics", "is_provide_training_metric": "diagnostics",
        "eval_at": "diagnostics", "multi_error_top_k": "diagnostics",
        "auc_mu_weights": "diagnostics", "first_metric_only": "diagnostics",
        "early_stopping_round": "training procedure", "early_stopping_min_delta":
        "training procedure", "importance_type": "diagnostics",
    },
    always=frozenset({"objective"}),
    wrapper_roles={
        "_evals_result": ("auxiliary", "diagnostic"), "_best_score": ("auxiliary", "diagnostic"),
        "_best_iteration": ("auxiliary", "diagnostic"),
        "_other_params": ("hyperparameter", "configuration"),
        "_objective": ("hyperparameter", "selected during fit"),
        "_class_weight": ("hyperparameter", "selected during fit"),
        "_class_map": ("learned", "label encoding"), "_classes": ("learned", "label set"),
        "_n_classes": ("learned", "label set"), "_le": ("learned", "label encoding"),
        "_n_features": ("auxiliary", "input schema"),
        "_n_features_in": ("auxiliary", "input schema"),
        "_fitted_with_feature_names": ("auxiliary", "input schema"),
        "fitted_": ("auxiliary", "bookkeeping"), "best_iteration": ("auxiliary", "diagnostic"),
        "best_score": ("auxiliary", "diagnostic"), "params": ("auxiliary", "bookkeeping"),
    },
)


def claims(value: Any) -> bool:
    """A wrapper or a raw Booster, by class name."""
    return isinstance(value, Stub) and value.dotted in (BOOSTER, *WRAPPERS)


def settings_of(parameters: dict[str, str]) -> dict[str, Any]:
    """Resolved settings of one ``parameters:`` section (also used by the KB script)."""
    return {key: typed(value) for key, value in parameters.items()}


def decode(text: Any) -> BoosterFacts:
    """Facts of one model text."""
    facts = BoosterFacts(LIBRARY, setting_names=dict(SETTING_NAMES))
    if not isinstance(text, (str, bytes, bytearray)):
        facts.notes.append("the booster holds no model text")
        return facts
    try:
        model = parse(text)
    except DecodeError as exc:
        facts.notes.append(f"model text could not be decoded: {str(exc)[:160]}")
        return facts
    header = model.header
    facts.settings.update(settings_of(model.parameters))
    if not model.has_parameters:
        facts.notes.append("this LightGBM model text holds no parameters section")
    per = typed(header.get("num_tree_per_iteration", "1"))
    per_output = per if isinstance(per, int) and per > 0 else 1
    trees = model.trees
    facts.trees = TreeStats([t.depth for t in trees], [t.leaves for t in trees], per_output,
                            len(trees) // per_output)
    facts.settings.setdefault("num_iterations", len(trees) // per_output)
    objective = header.get("objective")
    if objective:  # "binary sigmoid:1": the name, then its parameters
        facts.objective = objective.split()[0]
        facts.settings.setdefault("objective", facts.objective)
    if header.get("feature_names"):
        facts.auxiliary["feature_names"] = ("input schema", header["feature_names"].split())
    if "max_feature_idx" in header:
        idx = typed(header["max_feature_idx"])
        facts.auxiliary["num_feature"] = ("input schema", idx + 1 if isinstance(idx, int)
                                          else idx)
    if model.feature_importances:
        facts.auxiliary["feature_importances"] = (
            "diagnostic", {k: typed(v) for k, v in model.feature_importances.items()})
    facts.auxiliary["model_format"] = ("provenance", header.get("version", ""))
    return facts


def build(builder: TreeBuilder, value: Stub, path: str, prefix: str, label: str) -> Node:
    """The node of a LightGBM wrapper or Booster."""
    if value.dotted == BOOSTER:
        state = value.attrs
        return assemble(builder, value, path, prefix, label,
                        decode(state.get("_handle", state.get("handle"))), LAYOUT,
                        wrapper=False)
    booster = value.attrs.get("_Booster")
    facts = None
    if isinstance(booster, Stub):
        state = booster.attrs
        facts = decode(state.get("_handle", state.get("handle")))
    return assemble(builder, value, path, prefix, label, facts, LAYOUT, wrapper=True)
