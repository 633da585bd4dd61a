"""Generate ``hpinspect/classify/data/boosters_kb.json`` from the installed xgboost, lightgbm
and catboost.

For every scikit-learn wrapper (XGBClassifier, LGBMRegressor, CatBoostRanker …) it records the
constructor parameters in ``get_params()`` order with their signature defaults, and what each
parameter *resolves to* when left at its default: a default-configured wrapper is fitted on a
tiny data set and its booster's own record of the settings (xgboost ``Config``, LightGBM's
``parameters:`` section, CatBoost's InfoMap ``params``) is read with hpinspect's decoders.
``settings`` holds every resolved setting of a default booster per library. ``methods``
records, for the wrappers, their bases and the boosters they pickle, the effective
implementation of each method a real load may call on an instance (``scripts/gen_methods_kb.py``).

Usage::

    python scripts/gen_boosters_kb.py [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from gen_methods_kb import method_table  # noqa: E402
from gen_sklearn_kb import encode_default  # noqa: E402

from hpinspect.classify import catboost as cb_family  # noqa: E402
from hpinspect.classify import lightgbm as lgb_family  # noqa: E402
from hpinspect.classify import xgboost as xgb_family  # noqa: E402
from hpinspect.classify.boosters import BoosterFacts  # noqa: E402

VARYING = frozenset({"iterations", "num_iterations", "num_boost_round", "verbosity",
                     "train_dir", "verbose"})
"""Settings whose default-fit value says nothing about the library default."""
DEFAULT_OUTPUT = REPO / "hpinspect" / "classify" / "data" / "boosters_kb.json"


def _data() -> tuple[Any, Any, Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y_class = (x[:, 0] + x[:, 1] > 0).astype(int)
    y_reg = x[:, 0] * 2.0 + x[:, 2]
    group = np.repeat(np.arange(6), 10)
    return x, y_class, y_reg, group


def _fit(cls: type, kind: str) -> Any:
    x, y_class, y_reg, group = _data()
    if cls.__name__ == "CatBoost":
        model = cls({"train_dir": tempfile.mkdtemp(), "verbose": 0})
    elif cls.__module__.startswith("catboost"):
        model = cls(train_dir=tempfile.mkdtemp(), verbose=0)
    else:
        model = cls()
    if kind == "ranker":
        name = cls.__module__.split(".")[0]
        key = {"xgboost": "qid", "lightgbm": "group", "catboost": "group_id"}[name]
        value = group if key != "group" else [10] * 6
        return model.fit(x, (y_reg > 0).astype(int), **{key: value})
    return model.fit(x, y_class if kind == "classifier" else y_reg)


def _facts(model: Any) -> BoosterFacts:
    name = type(model).__module__.split(".")[0]
    if name == "xgboost":
        return xgb_family.names_for(f"{type(model).__module__}.{type(model).__name__}",
                                    xgb_family.decode(model.get_booster().__getstate__()
                                                      ["handle"]))
    if name == "lightgbm":
        return lgb_family.decode(model.booster_.model_to_string())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.cbm"
        model.save_model(str(path))
        return cb_family.decode(path.read_bytes())


def _signature_order(cls: type) -> list[str]:
    """Constructor parameters in declaration order (get_params sorts them)."""
    import inspect

    order: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for name, param in inspect.signature(init).parameters.items():
            if name != "self" and param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL) \
                    and name not in order:
                order.append(name)
    return order


def _wrapper(cls: type, kind: str) -> dict[str, Any]:
    import inspect

    if cls.__name__ == "CatBoost":
        params = {}
    elif cls.__module__.startswith("catboost"):
        sig = inspect.signature(cls.__init__)
        params = {p: v.default for p, v in sig.parameters.items() if p != "self"
                  and v.kind is not v.VAR_KEYWORD}
    else:
        got = cls().get_params(deep=False)
        params = {p: got[p] for p in _signature_order(cls) if p in got}
        params.update({p: v for p, v in got.items() if p not in params})
    facts = _facts(_fit(cls, kind))
    resolved: dict[str, Any] = {}
    for name, default in params.items():
        setting = facts.setting_names.get(name, name)
        if default is None and setting in facts.settings:
            resolved[name] = encode_default(facts.settings[setting])
    settings = {k: encode_default(v) for k, v in sorted(facts.settings.items())
                if k not in VARYING}
    return {"kind": kind, "order": list(params), "settings": settings,
            "defaults": {p: encode_default(v) for p, v in params.items()},
            "resolved": resolved}


def build() -> dict[str, Any]:
    """The knowledge base as a JSON-safe dict."""
    import catboost
    import lightgbm
    import xgboost

    wrappers: dict[str, Any] = {}
    classes = [
        (xgboost.XGBClassifier, "classifier"), (xgboost.XGBRegressor, "regressor"),
        (xgboost.XGBRanker, "ranker"), (xgboost.XGBRFClassifier, "classifier"),
        (xgboost.XGBRFRegressor, "regressor"), (lightgbm.LGBMClassifier, "classifier"),
        (lightgbm.LGBMRegressor, "regressor"), (lightgbm.LGBMRanker, "ranker"),
        (catboost.CatBoostClassifier, "classifier"), (catboost.CatBoostRegressor, "regressor"),
        (catboost.CatBoostRanker, "ranker"), (catboost.CatBoost, "regressor"),
    ]
    for cls, kind in classes:
        wrappers[f"{cls.__module__}.{cls.__qualname__}"] = _wrapper(cls, kind)
    x, _, y_reg, _ = _data()
    raw_xgb = xgboost.train({}, xgboost.DMatrix(x, label=y_reg), num_boost_round=2)
    raw_lgb = lightgbm.train({"verbose": -1}, lightgbm.Dataset(x, label=y_reg),
                             num_boost_round=2)
    settings = {
        "xgboost": xgb_family.decode(raw_xgb.__getstate__()["handle"]).settings,
        "lightgbm": lgb_family.decode(raw_lgb.model_to_string()).settings,
        "catboost": _facts(catboost.CatBoostRegressor(iterations=2, verbose=0,
                                                      allow_writing_files=False)
                           .fit(x, y_reg)).settings,
    }
    for lib in settings:
        settings[lib] = {k: encode_default(v) for k, v in sorted(settings[lib].items())
                         if k not in VARYING}
    versions = {d: metadata.version(d) for d in ("xgboost-cpu", "lightgbm", "catboost")}
    return {"generated_with": versions, "wrappers": wrappers, "settings": settings,
            "methods": method_table(_pickled_classes([cls for cls, _ in classes]))}


def _pickled_classes(wrappers: list[type]) -> list[tuple[str, type]]:
    """The wrappers, every library class in their MRO, and the boosters they pickle."""
    import catboost
    import lightgbm
    import xgboost

    found: dict[str, type] = {}
    for cls in [*wrappers, xgboost.Booster, lightgbm.Booster, catboost.CatBoost]:
        for klass in cls.__mro__:
            if klass.__module__.split(".")[0] in ("xgboost", "lightgbm", "catboost"):
                found[f"{klass.__module__}.{klass.__qualname__}"] = klass
    return sorted(found.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    data = build()
    args.output.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n",
                           encoding="utf-8")
    print(f"wrote {args.output} ({len(data['wrappers'])} wrappers)")


if __name__ == "__main__":
    main()
