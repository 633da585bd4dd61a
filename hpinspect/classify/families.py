"""Model families beside scikit-learn's own classes, one module each, in one table.

A family module (``classify/xgboost.py``, ``classify/torch.py`` ...) exports
``claims(value) -> bool`` — cheap, by class name or shape, never by importing the library — and
``build(builder, value, path, prefix, label) -> Node``, which classifies that value (a
:class:`~hpinspect.load.Stub`, or a plain container such as a state_dict) and may call back
into ``builder`` (:class:`~hpinspect.classify.sklearn.TreeBuilder`) for nested values.
The scikit-learn rules stay the default for everything no family claims; adding a family is
adding a module and one line to :data:`FAMILIES`. A line may name the package whose classes
the family claims (``"xgboost."``: it claims only :class:`~hpinspect.load.objects.Stub` values
of classes under it); the module is then imported only when such a value appears, so a
scikit-learn file never imports the booster families (nor their decoders).
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import Any

from hpinspect.load.objects import Stub

FAMILIES: tuple[tuple[str, str | None], ...] = (
    # module names of hpinspect.classify, tried in order, and the package of the classes the
    # family claims (None: it may claim any value, e.g. torch's state dicts are plain dicts)
    ("hpinspect.classify.torch", None),
    ("hpinspect.classify.xgboost", "xgboost."),
    ("hpinspect.classify.lightgbm", "lightgbm."),
    ("hpinspect.classify.catboost", "catboost."),
)


@cache
def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def family_for(value: Any) -> ModuleType | None:
    """The family module that claims ``value``, if any."""
    for name, package in FAMILIES:
        if package is not None and not (isinstance(value, Stub)
                                        and value.dotted.startswith(package)):
            continue  # it claims nothing else: not even imported
        module = _module(name)
        if module.claims(value):
            return module
    return None
