"""Model families beside scikit-learn's own classes, one module each, in one table.

A family module (``classify/xgboost.py``, ``classify/torch.py`` ...) exports
``claims(value) -> bool`` — cheap, by class name or shape, never by importing the library — and
``build(builder, value, path, prefix, label) -> Node``, which classifies that value (a
:class:`~hpinspect.load.Stub`, or a plain container such as a state_dict) and may call back
into ``builder`` (:class:`~hpinspect.classify.sklearn.TreeBuilder`) for nested values.
The scikit-learn rules stay the default for everything no family claims; adding a family is
adding a module and one line to :data:`FAMILIES`.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import Any

FAMILIES: tuple[str, ...] = (
    # module names of hpinspect.classify, tried in order
    "hpinspect.classify.torch",
    "hpinspect.classify.xgboost",
    "hpinspect.classify.lightgbm",
    "hpinspect.classify.catboost",
)


@cache
def _modules() -> tuple[ModuleType, ...]:
    return tuple(importlib.import_module(name) for name in FAMILIES)


def family_for(value: Any) -> ModuleType | None:
    """The family module that claims ``value``, if any."""
    for module in _modules():
        if module.claims(value):
            return module
    return None
