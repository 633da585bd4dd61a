"""Gate model files in CI: ``hpinspect check MODEL… --expect C=0.5 --require-fitted …``.

- :mod:`~hpinspect.check.rules`: the :class:`Rules` and how they are parsed and layered;
- :mod:`~hpinspect.check.params`: parameters by get_params-style path, and how values match;
- :mod:`~hpinspect.check.run`: the table of rule functions and :func:`run_check`.

Nothing here prints or exits; output lives in :mod:`hpinspect.render.check` and
:mod:`hpinspect.render.annotations`.
"""

from __future__ import annotations

from typing import Any

from hpinspect.check.params import Param, param_map, values_match
from hpinspect.check.rules import (
    SKEW_LEVELS,
    MaxSkew,
    Rules,
    find_pyproject_rules,
    load_rules_file,
    merge_rules,
    parse_expect,
    parse_range,
    parse_rules,
    parse_value,
)
from hpinspect.check.run import RULES, CheckFailure, CheckResult, CheckRun, is_unsafe, run_check
from hpinspect.report import RuleName

__all__ = [
    "RULES",
    "SKEW_LEVELS",
    "CheckFailure",
    "CheckResult",
    "CheckRun",
    "MaxSkew",
    "Param",
    "RuleName",
    "Rules",
    "find_pyproject_rules",
    "github_annotations",
    "is_unsafe",
    "load_rules_file",
    "merge_rules",
    "param_map",
    "parse_expect",
    "parse_range",
    "parse_rules",
    "parse_value",
    "run_check",
    "unsafe_annotations",
    "values_match",
]

_MOVED_TO_RENDER = ("annotation", "github_annotations", "unsafe_annotations")


def __getattr__(name: str) -> Any:
    """The GitHub annotation helpers moved to :mod:`hpinspect.render.annotations`; they stay
    importable from here for older callers."""
    if name in _MOVED_TO_RENDER:
        from importlib import import_module

        return getattr(import_module("hpinspect.render.annotations"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
