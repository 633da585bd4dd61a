"""The classification rules in one table-driven place.

Order of precedence (first match wins; see :func:`hpinspect.classify.sklearn.classify_name`):
user override, provenance, known auxiliary parameter, ``__init__`` parameter, selected during fit,
known fit diagnostic / input schema, private prediction state, trailing underscore, naming
convention. Each table maps a name to its *role*; the reason text names the table.
"""

from __future__ import annotations

from hpinspect.report import Category

# __init__ parameters that do not configure the statistical model.
AUXILIARY_PARAMS: dict[str, str] = {
    "random_state": "randomness",
    "n_jobs": "parallelism",
    "pre_dispatch": "parallelism",
    "verbose": "logging",
    "verbosity": "logging",
    "copy": "memory management",
    "copy_X": "memory management",
    "copy_x": "memory management",
    "warm_start": "training procedure",
    "memory": "caching",
    "cache_size": "caching",
    "error_score": "error handling",
    "return_train_score": "diagnostics",
    "compute_score": "diagnostics",
    "oob_score": "diagnostics",
    "store_cv_results": "diagnostics",
    "store_cv_values": "diagnostics",
    "store_covariance": "diagnostics",
    "compute_distances": "diagnostics",
    "n_threads": "parallelism",
    "thread_count": "parallelism",
    "nthread": "parallelism",
    "seed": "randomness",
    "silent": "logging",
    "enable_metadata_routing": "bookkeeping",
}

# Attributes fit sets that are not used to predict.
AUXILIARY_FITTED: dict[str, str] = {
    "n_iter_": "diagnostic",
    "n_iter": "diagnostic",
    "loss_curve_": "diagnostic",
    "validation_scores_": "diagnostic",
    "validation_score_": "diagnostic",
    "best_validation_score_": "diagnostic",
    "best_loss_": "diagnostic",
    "loss_": "diagnostic",
    "t_": "diagnostic",
    "cv_results_": "diagnostic",
    "best_score_": "diagnostic",
    "refit_time_": "diagnostic",
    "converged_": "diagnostic",
    "lower_bound_": "diagnostic",
    "lower_bounds_": "diagnostic",
    "mse_path_": "diagnostic",
    "cv_values_": "diagnostic",
    "train_score_": "diagnostic",
    "oob_score_": "diagnostic",
    "oob_decision_function_": "diagnostic",
    "oob_prediction_": "diagnostic",
    "oob_scores_": "diagnostic",
    "validation_score": "diagnostic",
    "inertia_": "diagnostic",
    "dual_gap_": "diagnostic",
    "n_steps_": "diagnostic",
    "objective_": "diagnostic",
    "reconstruction_err_": "diagnostic",
    "kl_divergence_": "diagnostic",
    "stress_": "diagnostic",
    "n_iter_no_change_": "diagnostic",
    "scorer_": "diagnostic",
    "multimetric_": "diagnostic",
    "n_splits_": "diagnostic",
    "cv_scores_": "diagnostic",
    "estimator_errors_": "diagnostic",
    "estimator_weights_": "weights",
    "n_features_in_": "input schema",
    "feature_names_in_": "input schema",
    "n_features_": "input schema",
    "n_outputs_": "input schema",
    "outputs_2d_": "input schema",
    "_n_features": "input schema",
    "_sklearn_version": "provenance",
    "_sklearn_output_config": "bookkeeping",
    "_metadata_request": "bookkeeping",
    "_n_threads": "parallelism",
    "_random_seed": "randomness",
    "_rng": "randomness",
    "random_state_": "randomness",
    "_fit_method": "bookkeeping",
    "do_early_stopping_": "training procedure",
    "fit_status_": "diagnostic",
    "shape_fit_": "input schema",
    "fixed_vocabulary_": "bookkeeping",
    "n_samples_": "input schema",
    "_raw_predictions": "diagnostic",
    "_in_fit": "bookkeeping",
    "_sparse": "input schema",
    "_n_samples": "input schema",
    "n_trees_per_iteration_": "input schema",
    # twins of n_iter_ / training-size counters / snapshots predict never reads
    "_num_iter": "diagnostic",
    "oob_improvement_": "diagnostic",
    "best_index_": "diagnostic",
    "explained_variance_ratio_": "diagnostic",
    "_best_coefs": "early-stopping snapshot",
    "_best_intercepts": "early-stopping snapshot",
    "_seeds": "randomness",
    "n_samples_seen_": "input schema",
    "n_samples_fit_": "input schema",
    "_stop_words_id": "bookkeeping",
}

# Roles of auxiliary attributes fit sets that predict never reads.
NOT_PREDICTING: frozenset[str] = frozenset({
    "diagnostic", "provenance", "training procedure", "early-stopping snapshot",
})

# Settings whose value fit resolves from the given one ("auto", None, a default it replaces):
# hyperparameters with the role "resolved during fit".
RESOLVED_DURING_FIT: frozenset[str] = frozenset({
    "solver_", "stack_method_", "max_samples_", "_n_init", "_algorithm", "_tol",
    "_fit_svd_solver",
})

# Per-class rules for helpers whose attributes are not __init__ parameters:
# attribute -> (category, role).
CLASS_RULES: dict[str, dict[str, tuple[Category, str]]] = {
    "_CalibratedClassifier": {
        "estimator": (Category.LEARNED, "fitted sub-estimator"),
        "calibrators": (Category.LEARNED, "calibration"),
        "classes": (Category.LEARNED, "label set"),
        "method": (Category.HYPERPARAMETER, "configuration"),
    },
}

# Why an attribute is auxiliary, beyond its role (the one-line reason gets it appended).
AUXILIARY_WHY: dict[str, str] = {
    "_stop_words_id": "id() of the stop-word list at fit: a memory address",
    "_best_coefs": "weights of the best early-stopping epoch, copied into coefs_ at the end",
    "_best_intercepts": "biases of the best early-stopping epoch, copied into intercepts_",
    "best_index_": "an index into cv_results_",
    "_num_iter": "libsvm's iteration count, twin of n_iter_",
}

# Hyperparameter values chosen by fit (cross-validation, search, early stopping, resolution).
# Diagnostics only on the *CV estimators (SelectKBest.scores_ is what it selects with).
AUXILIARY_ON_CV: dict[str, str] = {
    "scores_": "diagnostic",
    "alphas_": "diagnostic",  # the candidate grid, not a selection (alpha_ is)
    "Cs_": "diagnostic",
    "l1_ratios_": "diagnostic",
}

SELECTED_ON_CV: frozenset[str] = frozenset({
    "alpha_", "C_", "l1_ratio_", "n_nonzero_coefs_",
    "best_threshold_", "n_features_", "shrinkage_", "cv_alphas_",
})
SELECTED_ANYWHERE: frozenset[str] = frozenset({
    "best_params_", "n_components_", "n_estimators_", "max_features_",
    "n_features_to_select_", "n_resources_", "n_candidates_", "n_required_iterations_",
    "n_possible_iterations_", "max_resources_", "min_resources_", "n_neighbors_",
    "_gamma", "threshold_", "n_clusters_", "effective_metric_", "effective_metric_params_",
})

# Private attributes that hold what the model predicts with.
PRIVATE_LEARNED: dict[str, str] = {
    "_dual_coef_": "weights",
    "_intercept_": "bias",
    "_n_support": "support vectors",
    "_probA": "calibration",
    "_probB": "calibration",
    "_Booster": "booster",
    "_fit_X": "training data",
    "_tree": "search index",
    "_y": "training labels",
    "_predictors": "tree structure",
    "_bin_mapper": "binning",
    "_baseline_prediction": "bias",
    "_label_binarizer": "label encoding",
    "_encoder": "label encoding",
    "_loss": "loss function",
}

# Roles of learned attributes, by name (everything else: "fitted state").
LEARNED_ROLES: dict[str, str] = {
    "coef_": "weights",
    "coefs_": "weights",
    "intercept_": "bias",
    "intercepts_": "bias",
    "dual_coef_": "weights",
    "classes_": "label set",
    "cluster_centers_": "cluster centres",
    "labels_": "training assignments",
    "tree_": "tree structure",
    "estimators_": "fitted members",
    "estimator_": "fitted sub-estimator",
    "best_estimator_": "fitted sub-estimator",
    "final_estimator_": "fitted sub-estimator",
    "named_estimators_": "fitted members",
    "calibrated_classifiers_": "fitted members",
    "transformers_": "fitted members",
    "support_vectors_": "support vectors",
    "support_": "support vectors",
    "n_support_": "support vectors",
    "means_": "distribution parameters",
    "covariances_": "distribution parameters",
    "precisions_": "distribution parameters",
    "precisions_cholesky_": "distribution parameters",
    "weights_": "mixture weights",
    "mean_": "scaling",
    "var_": "scaling",
    "scale_": "scaling",
    "components_": "projection",
    "explained_variance_": "projection",
    "singular_values_": "projection",
    "vocabulary_": "vocabulary",
    "idf_": "term weights",
    "categories_": "encoding",
    "feature_importances_": "importance",
    "class_prior_": "distribution parameters",
    "class_count_": "counts",
    "feature_log_prob_": "distribution parameters",
    "theta_": "distribution parameters",
}

# Hyperparameters that hold the model's structure (sub-estimators) rather than a setting.
STRUCTURE_PARAMS: frozenset[str] = frozenset({
    "steps", "transformer_list", "transformers", "estimators", "estimator", "base_estimator",
    "final_estimator", "regressor", "transformer", "classifier", "init", "kernel",
    "remainder",
})
