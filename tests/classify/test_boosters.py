"""xgboost, lightgbm and catboost models fitted here, inspected, and compared with what the
libraries themselves say (get_params, save_config, the loaded parameters, tree counts)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

from hpinspect import diff_reports, inspect_file, run_check
from hpinspect.check import Rules
from hpinspect.classify.boosters import typed
from hpinspect.report import Node, Report

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
cb = pytest.importorskip("catboost")


@pytest.fixture(scope="module")
def data() -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    y3 = np.digitize(x[:, 0], [-0.5, 0.5])
    return x, y, y3


def _attr(node: Node, name: str) -> Any:
    attr = node.attribute(name)
    assert attr is not None, f"{name} not in {[a.name for a in node.attributes]}"
    return attr


def _group(node: Node) -> Any:
    assert len(node.groups) == 1
    return node.groups[0]


def _no_blob_hyperparameters(report: Report) -> None:
    for node in report.nodes():
        for attr in node.by_category("hyperparameter"):
            assert not attr.summary.startswith(("bytes[", "bytearray[")), attr.name


def _xgb_depths(booster: Any) -> list[int]:
    def depth(node: dict[str, Any]) -> int:
        kids = node.get("children", [])
        return 1 + max(depth(k) for k in kids) if kids else 0
    return [depth(json.loads(t)) for t in booster.get_dump(dump_format="json")]


def _flat_config(node: Any, out: dict[str, str]) -> dict[str, str]:
    for key, value in node.items():
        if isinstance(value, dict):
            _flat_config(value, out)
        elif isinstance(value, str):
            out.setdefault(key, value)
    return out


# --------------------------------------------------------------------------- xgboost


def test_xgb_wrapper_pickle_matches_library(tmp_path: Path, data: Any) -> None:
    x, y, _ = data
    model = xgb.XGBClassifier(n_estimators=7, max_depth=3, learning_rate=0.2).fit(x, y)
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps(model))
    report = inspect_file(path)
    root = report.model
    assert root.fitted and root.known
    assert report.safety.verdict == "safe"
    assert {f.severity for f in report.safety.findings} <= {"known"}
    params = model.get_params()
    assert _attr(root, "max_depth").value == params["max_depth"] == 3
    assert _attr(root, "learning_rate").value == params["learning_rate"]
    assert _attr(root, "n_estimators").value == 7
    config = _flat_config(json.loads(model.get_booster().save_config())["learner"], {})
    # Parameters left at None show what the booster resolved, and their library default.
    for name, key in (("reg_lambda", "lambda"), ("subsample", "subsample"),
                      ("max_bin", "max_bin"), ("tree_method", "tree_method"),
                      ("grow_policy", "grow_policy")):
        assert params[name] is None
        attr = _attr(root, name)
        assert attr.value == typed(config[key], float32=True), name
        assert attr.category == "hyperparameter" and attr.has_default
        assert attr.changed is False
    assert _attr(root, "max_depth").default == 6 and _attr(root, "max_depth").changed
    for name in ("random_state", "n_jobs", "verbosity", "device"):
        assert _attr(root, name).category == "auxiliary", name
    group = _group(root)
    booster = model.get_booster()
    assert group.count == len(booster.get_dump()) == 7
    depths = _xgb_depths(booster)
    assert group.stats["depth"]["max"] == max(depths)
    assert group.stats["depth"]["min"] == min(depths)
    assert _attr(root, "_Booster").category == "learned"
    assert report.versions.saved_with["xgboost"] == xgb.__version__
    assert report.versions.skew["xgboost"] == "none"
    _no_blob_hyperparameters(report)


def test_xgb_multiclass_per_class(tmp_path: Path, data: Any) -> None:
    x, _, y3 = data
    model = xgb.XGBClassifier(n_estimators=4, max_depth=2).fit(x, y3)
    path = tmp_path / "m.joblib"
    joblib.dump(model, path)
    group = _group(inspect_file(path).model)
    assert group.count == len(model.get_booster().get_dump()) == 12
    assert group.stats["per_class"] == 4 and group.stats["rounds"] == 4


def test_xgb_raw_booster_settings_are_save_config(tmp_path: Path, data: Any) -> None:
    x, y, _ = data
    booster = xgb.train({"max_depth": 2, "eta": 0.5, "objective": "binary:logistic",
                         "seed": 3}, xgb.DMatrix(x, label=y), num_boost_round=5)
    path = tmp_path / "b.pkl"
    path.write_bytes(pickle.dumps(booster))
    report = inspect_file(path)
    root = report.model
    assert root.fitted and report.safety.verdict == "safe"
    config = _flat_config(json.loads(booster.save_config())["learner"], {})
    for key in ("max_depth", "eta", "lambda", "subsample", "tree_method", "objective",
                "max_bin", "colsample_bytree"):
        assert _attr(root, key).value == typed(config[key], float32=True), key
        assert _attr(root, key).category == "hyperparameter"
    assert _attr(root, "seed").category == "auxiliary"
    assert _attr(root, "seed").value == 3
    assert _attr(root, "eta").value == 0.5
    assert _group(root).count == booster.num_boosted_rounds() == 5


@pytest.mark.parametrize("suffix", ["json", "ubj", "bin"])
def test_xgb_native_files(tmp_path: Path, data: Any, suffix: str) -> None:
    x, y, _ = data
    model = xgb.XGBClassifier(n_estimators=6, max_depth=2).fit(x, y)
    path = tmp_path / f"m.{suffix}"
    model.save_model(str(path) if suffix != "bin" else str(tmp_path / "m.ubj"))
    if suffix == "bin":  # detected by content, not by name
        (tmp_path / "m.ubj").rename(path)
    report = inspect_file(path)
    assert report.file.format == ("xgboost-json" if suffix == "json" else "xgboost-ubj")
    assert report.safety.verdict == "safe"
    root = report.model
    assert root.fitted
    assert _group(root).count == len(model.get_booster().get_dump())
    assert "holds no training parameters" in _attr(root, "notes").summary
    assert report.versions.saved_with["xgboost"] == xgb.__version__


def test_xgb_unfitted_wrapper_and_require_fitted(tmp_path: Path, data: Any) -> None:
    x, y, _ = data
    unfitted, fitted = tmp_path / "u.pkl", tmp_path / "f.pkl"
    unfitted.write_bytes(pickle.dumps(xgb.XGBRegressor(max_depth=4)))
    fitted.write_bytes(pickle.dumps(xgb.XGBRegressor(n_estimators=3).fit(x, y)))
    a, b = inspect_file(unfitted), inspect_file(fitted)
    assert not a.model.fitted and b.model.fitted
    rules = Rules(require_fitted=True)
    assert not run_check(a, rules).ok
    assert run_check(b, rules).ok
    depth = _attr(a.model, "max_depth")
    assert depth.value == 4 and depth.default == 6 and depth.changed


def test_xgb_pipeline_check_and_diff(tmp_path: Path, data: Any) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y, _ = data
    paths = []
    for depth in (3, None):
        pipe = make_pipeline(StandardScaler(), xgb.XGBClassifier(n_estimators=5,
                                                                 max_depth=depth))
        paths.append(tmp_path / f"p{depth}.joblib")
        joblib.dump(pipe.fit(x, y), paths[-1])
    a, b = inspect_file(paths[0]), inspect_file(paths[1])
    assert run_check(a, Rules(expect={"xgbclassifier__max_depth": 3})).ok
    assert run_check(a, Rules(require_fitted=True)).ok
    # max_depth=None: the resolved value (xgboost's default 6) is what check compares.
    assert run_check(b, Rules(expect={"xgbclassifier__max_depth": 6})).ok
    assert not run_check(b, Rules(expect={"xgbclassifier__max_depth": 3})).ok
    result = diff_reports(a, b)
    rows = {row.location: row for row in result.differences}
    assert rows["xgbclassifier__max_depth"].a == "3"
    assert rows["xgbclassifier__max_depth"].b == "6"
    trees = next(r for r in result.differences if r.name == "_Booster")
    assert trees.category == "learned" and "depth" in trees.a and "trees" in trees.b
    assert "bytearray" not in trees.a
    same = diff_reports(a, inspect_file(paths[0]), ignore=frozenset({"learned",
                                                                      "auxiliary"}))
    assert not same.has_differences


def test_xgb_same_settings_different_data_diff_hyperparameters_equal(
        tmp_path: Path, data: Any) -> None:
    x, y, _ = data
    paths = []
    for i in range(2):
        paths.append(tmp_path / f"m{i}.pkl")
        paths[-1].write_bytes(pickle.dumps(
            xgb.XGBClassifier(n_estimators=4).fit(x[i::2], y[i::2])))
    result = diff_reports(inspect_file(paths[0]), inspect_file(paths[1]),
                          ignore=frozenset({"learned", "auxiliary"}))
    assert not result.has_differences, result.differences


# --------------------------------------------------------------------------- lightgbm


def _lgb_depth(node: dict[str, Any]) -> int:
    if "left_child" not in node:
        return 0
    return 1 + max(_lgb_depth(node["left_child"]), _lgb_depth(node["right_child"]))


def test_lgb_wrapper_and_booster_match_library(tmp_path: Path, data: Any) -> None:
    x, y, _ = data
    model = lgb.LGBMClassifier(n_estimators=6, num_leaves=7, learning_rate=0.2,
                               verbose=-1).fit(x, y)
    wrapper, raw, text = tmp_path / "w.pkl", tmp_path / "b.pkl", tmp_path / "m.txt"
    wrapper.write_bytes(pickle.dumps(model))
    raw.write_bytes(pickle.dumps(model.booster_))
    model.booster_.save_model(str(text))
    dump = model.booster_.dump_model()
    depths = [_lgb_depth(t["tree_structure"]) for t in dump["tree_info"]]
    loaded = lgb.Booster(model_file=str(text)).params
    for path in (wrapper, raw, text):
        report = inspect_file(path)
        root = report.model
        assert root.fitted, path
        group = _group(root)
        assert group.count == model.booster_.num_trees() == len(depths)
        assert group.stats["depth"]["max"] == max(depths)
        assert group.stats["leaves"]["total"] == sum(t["num_leaves"] for t in dump["tree_info"])
        _no_blob_hyperparameters(report)
    root = inspect_file(text).model
    assert inspect_file(text).file.format == "lightgbm-text"
    for key in ("num_leaves", "learning_rate", "max_depth", "min_data_in_leaf",
                "lambda_l2", "bagging_fraction", "objective", "max_bin"):
        value = loaded[key]
        assert _attr(root, key).value == value, key
        assert _attr(root, key).category == "hyperparameter"
    for key in ("seed", "num_threads", "verbosity", "bagging_seed"):
        assert _attr(root, key).category == "auxiliary", key
    wroot = inspect_file(wrapper).model
    params = model.get_params()
    assert _attr(wroot, "num_leaves").value == params["num_leaves"] == 7
    assert _attr(wroot, "n_estimators").value == 6
    assert _attr(wroot, "_best_iteration").category == "auxiliary"
    assert _attr(wroot, "_Booster").category == "learned"
    assert _attr(wroot, "objective").value == "binary"  # None resolved by the booster


def test_lgb_multiclass_and_unfitted(tmp_path: Path, data: Any) -> None:
    x, _, y3 = data
    model = lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(x, y3)
    path, unfit = tmp_path / "m.joblib", tmp_path / "u.pkl"
    joblib.dump(model, path)
    unfit.write_bytes(pickle.dumps(lgb.LGBMRegressor()))
    group = _group(inspect_file(path).model)
    assert group.count == model.booster_.num_trees() == 9
    assert group.stats["per_class"] == 3
    report = inspect_file(unfit)
    assert not report.model.fitted
    assert not run_check(report, Rules(require_fitted=True)).ok


# --------------------------------------------------------------------------- catboost


def test_catboost_wrapper_pickle_and_cbm(tmp_path: Path, data: Any) -> None:
    x, y, _ = data
    model = cb.CatBoostClassifier(iterations=8, depth=3, learning_rate=0.2, verbose=0,
                                  random_seed=5, train_dir=str(tmp_path / "info")).fit(x, y)
    pkl, cbm = tmp_path / "m.pkl", tmp_path / "m.cbm"
    pkl.write_bytes(pickle.dumps(model))
    model.save_model(str(cbm))
    everything = model.get_all_params()
    for path in (pkl, cbm):
        report = inspect_file(path)
        root = report.model
        assert root.fitted, path
        group = _group(root)
        assert group.count == model.tree_count_ == 8
        assert group.stats["depth"]["max"] == 3
        for key in ("iterations", "depth", "learning_rate", "l2_leaf_reg", "loss_function",
                    "border_count"):
            assert _attr(root, key).value == pytest.approx(everything[key]) \
                if isinstance(everything[key], float) else everything[key], key
            assert _attr(root, key).category == "hyperparameter", key
        assert _attr(root, "random_seed").category == "auxiliary"
        assert _attr(root, "random_seed").value == everything["random_seed"] == 5
        assert _attr(root, "train_dir").category == "auxiliary"
        assert report.versions.saved_with["catboost"] == cb.__version__
        _no_blob_hyperparameters(report)
    assert inspect_file(cbm).file.format == "catboost-cbm"
    assert inspect_file(cbm).safety.verdict == "safe"
    assert inspect_file(pkl).model.attribute("__model").category == "learned"


def test_catboost_unfitted(tmp_path: Path) -> None:
    path = tmp_path / "u.pkl"
    path.write_bytes(pickle.dumps(cb.CatBoostRegressor(iterations=5, depth=2)))
    report = inspect_file(path)
    assert not report.model.fitted
    assert _attr(report.model, "depth").value == 2
    assert not run_check(report, Rules(require_fitted=True)).ok


# --------------------------------------------------------------------------- every wrapper


def _fit_wrapper(cls: Any, x: Any, y: Any, tmp: Path) -> Any:
    name = cls.__name__
    kwargs: dict[str, Any] = {"n_estimators": 3} if not name.startswith("CatBoost") else \
        {"iterations": 3, "verbose": 0, "train_dir": str(tmp / "info")}
    if name.startswith("LGBM"):
        kwargs["verbose"] = -1
    model = cls(**kwargs)
    if name.endswith("Ranker"):
        groups = np.repeat(np.arange(12), 10)
        key = {"XGB": "qid", "LGB": "group", "Cat": "group_id"}[name[:3]]
        return model.fit(x, y, **{key: groups if key != "group" else [10] * 12})
    return model.fit(x, y)


def _library_tree_count(model: Any) -> int:
    if hasattr(model, "get_booster"):
        return len(model.get_booster().get_dump())
    if hasattr(model, "booster_"):
        return int(model.booster_.num_trees())
    return int(model.tree_count_)


@pytest.mark.parametrize("name", ["XGBClassifier", "XGBRegressor", "XGBRanker",
                                  "LGBMClassifier", "LGBMRegressor", "LGBMRanker",
                                  "CatBoostClassifier", "CatBoostRegressor", "CatBoostRanker"])
def test_every_wrapper_in_a_pipeline(tmp_path: Path, data: Any, name: str) -> None:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    x, y, _ = data
    module = {"XGB": xgb, "LGB": lgb, "Cat": cb}[name[:3]]
    model = _fit_wrapper(getattr(module, name), x, y, tmp_path)
    path = tmp_path / "p.joblib"
    joblib.dump(Pipeline([("scale", StandardScaler().fit(x)), ("model", model)]), path)
    report = inspect_file(path)
    node = next(n for n in report.nodes() if n.label == "model")
    assert node.known and node.fitted, name
    assert _group(node).count == _library_tree_count(model)
    assert run_check(report, Rules(require_fitted=True)).ok
    rounds = "iterations" if name.startswith("Cat") else "n_estimators"
    assert run_check(report, Rules(expect={f"model__{rounds}": 3})).ok
    _no_blob_hyperparameters(report)


def test_raw_catboost_model(tmp_path: Path, data: Any) -> None:
    x, y, _ = data
    model = cb.CatBoost({"iterations": 4, "depth": 2, "verbose": 0, "loss_function": "RMSE",
                         "train_dir": str(tmp_path / "info")}).fit(x, y)
    path = tmp_path / "raw.pkl"
    path.write_bytes(pickle.dumps(model))
    root = inspect_file(path).model
    assert root.fitted and root.known
    assert _group(root).count == model.tree_count_ == 4
    assert _attr(root, "depth").value == model.get_all_params()["depth"] == 2
    assert _attr(root, "loss_function").value == "RMSE"


def test_pipeline_screen_tells_configuration_and_size(tmp_path: Path, data: Any) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from hpinspect.render import RenderOptions
    from hpinspect.render.table import TableRenderer

    x, y, _ = data
    path = tmp_path / "p.joblib"
    joblib.dump(make_pipeline(StandardScaler(), xgb.XGBClassifier(
        n_estimators=5, max_depth=2)).fit(x, y), path)
    text = TableRenderer().render([inspect_file(path)], RenderOptions(width=120, color=False))
    overview = text[:text.index("safety")]
    assert "XGBClassifier(max_depth=2, n_estimators=5)" in overview  # the changed settings
    assert "5 × tree" in overview  # the size, on the first screen
    node = text[text.index("steps[1]  xgbclassifier: XGBClassifier"):]
    assert len(node.splitlines()) < 50  # one screen
    for needle in ("max_depth", "learning_rate", "5 trees", "version"):
        assert needle in node, needle


def test_xgb_variants_match_library(tmp_path: Path, data: Any) -> None:
    x, y, _ = data
    forest = xgb.XGBRFClassifier(n_estimators=5, max_depth=3).fit(x, y)
    linear = xgb.XGBRegressor(n_estimators=3, booster="gblinear").fit(x, y)
    stopped = xgb.XGBClassifier(n_estimators=60, early_stopping_rounds=2).fit(
        x[:80], y[:80], eval_set=[(x[80:], y[80:])], verbose=False)
    reports = {}
    for name, model in (("forest", forest), ("linear", linear), ("stopped", stopped)):
        path = tmp_path / f"{name}.pkl"
        path.write_bytes(pickle.dumps(model))
        reports[name] = inspect_file(path).model
    root = reports["forest"]
    assert _group(root).count == len(forest.get_booster().get_dump()) == 5
    assert _group(root).stats["rounds"] == forest.get_booster().num_boosted_rounds() == 1
    assert _attr(root, "n_estimators").value == 5
    root = reports["linear"]
    assert root.fitted and not root.groups
    weights = json.loads(linear.get_booster().save_raw("json"))["learner"][
        "gradient_booster"]["model"]["weights"]
    stats = _attr(root, "weights").stats
    assert stats is not None and stats["shape"] == [len(weights)]
    assert np.isclose(stats["min"], min(weights)) and np.isclose(stats["max"], max(weights))
    assert _attr(root, "learning_rate").changed is False  # left at None
    root = reports["stopped"]
    assert _attr(root, "best_iteration").value == stopped.best_iteration
    assert _attr(root, "best_iteration").category == "auxiliary"
    assert _group(root).count == len(stopped.get_booster().get_dump())


@pytest.mark.parametrize("kind", ["xgb-clf", "xgb-reg", "xgb-rf", "xgb-ranker", "cat-clf",
                                  "cat-reg", "cat-raw", "lgbm-clf", "lgbm-reg", "lgbm-raw"])
@pytest.mark.parametrize("writer", ["pickle", "joblib"])
def test_booster_wrappers_pickled_are_safe(tmp_path: Path, data: Any, kind: str,
                                           writer: str) -> None:
    """Every wrapper and raw booster of the three libraries, pickled or joblib-dumped: a real
    load runs only the library's own model parser, so the verdict is safe, findings known."""
    import catboost
    import lightgbm

    x, y, _ = data
    group = np.arange(len(y)) // 10
    makers: dict[str, Any] = {
        "xgb-clf": lambda: xgb.XGBClassifier(n_estimators=3).fit(x, y),
        "xgb-reg": lambda: xgb.XGBRegressor(n_estimators=3).fit(x, y),
        "xgb-rf": lambda: xgb.XGBRFClassifier(n_estimators=3).fit(x, y),
        "xgb-ranker": lambda: xgb.XGBRanker(n_estimators=3).fit(x, y, qid=group),
        "cat-clf": lambda: catboost.CatBoostClassifier(iterations=3, verbose=0,
                                                       allow_writing_files=False).fit(x, y),
        "cat-reg": lambda: catboost.CatBoostRegressor(iterations=3, verbose=0,
                                                      allow_writing_files=False).fit(x, y),
        "cat-raw": lambda: catboost.CatBoost({"iterations": 3, "verbose": 0,
                                              "allow_writing_files": False}).fit(x, y),
        "lgbm-clf": lambda: lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(x, y),
        "lgbm-reg": lambda: lightgbm.LGBMRegressor(n_estimators=3, verbose=-1).fit(x, y),
        "lgbm-raw": lambda: lightgbm.train({"verbose": -1}, lightgbm.Dataset(x, y), 3),
    }
    model = makers[kind]()
    path = tmp_path / "m.bin"
    if writer == "pickle":
        path.write_bytes(pickle.dumps(model))
    else:
        joblib.dump(model, path)
    report = inspect_file(path)
    assert report.safety.verdict == "safe", report.safety.findings
    assert {f.severity for f in report.safety.findings} <= {"known"}
    assert report.model.fitted
