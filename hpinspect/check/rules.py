"""Rules of ``hpinspect check``: what they are, how they are parsed and layered.

Rules come from command-line options, a ``--rules FILE.toml`` or the ``[tool.hpinspect.check]``
table of the nearest ``pyproject.toml`` that has one (:mod:`hpinspect.config`);
:func:`merge_rules` layers them.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hpinspect.config import find_tool_table, read_toml
from hpinspect.errors import UsageError
from hpinspect.report import SKEW_ORDER, SkewLevel

MaxSkew = SkewLevel
"""The type of :attr:`Rules.max_skew` (one of :data:`~hpinspect.report.SKEW_ORDER`)."""
SKEW_LEVELS: tuple[SkewLevel, ...] = SKEW_ORDER
"""Kept importable under its old name: the levels a limit can name."""

REL_TOL = 1e-9
ABS_TOL = 1e-12

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_RULE_KEYS = ("require_fitted", "max_skew", "strict", "max_size", "expect", "range")


@dataclass(frozen=True)
class Rules:
    """What a model file must satisfy. Every field's empty value means "not checked"."""

    expect: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    """get_params-style path -> expected value (JSON-safe)."""
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=lambda: _EMPTY)
    """get_params-style path -> inclusive (low, high)."""
    require_fitted: bool = False
    """The root estimator must be fitted."""
    max_skew: MaxSkew | None = None
    """Largest allowed distance between saved-with and installed library versions."""
    strict: bool = False
    """Unknown (custom) classes fail too."""
    max_size: int | None = None
    """Largest allowed file size in bytes."""
    source: str = ""
    """Where the rules came from (a file path, ``command line``), for messages."""

    @property
    def empty(self) -> bool:
        """True when no rule is set."""
        return not (self.expect or self.ranges or self.require_fitted or self.strict
                    or self.max_skew is not None or self.max_size is not None)






def parse_value(text: str) -> Any:
    """A command-line VALUE: JSON, else a Python literal, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def parse_expect(text: str) -> tuple[str, Any]:
    """Split ``PATH=VALUE`` (``clf__n_estimators=30``) into the path and the parsed value."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise UsageError(f"--expect wants PATH=VALUE (e.g. C=0.5 or clf__n_estimators=30), "
                         f"got {text!r}")
    return path, parse_value(raw.strip())


def parse_range(text: str) -> tuple[str, tuple[float, float]]:
    """Split ``PATH=LOW:HIGH`` or ``PATH=[LOW, HIGH]`` into the path and the bounds."""
    path, value = parse_expect(text)
    if isinstance(value, str) and ":" in value:
        low, _, high = value.partition(":")
        value = [parse_value(low.strip()), parse_value(high.strip())]
    if not isinstance(value, (list, tuple)):
        raise UsageError(f"--range {text!r}: expected PATH=LOW:HIGH, two numbers (e.g. C=0.1:10)",
                         "command line")
    return path, _bounds(value, f"range {path!r}", "command line")


def _bounds(value: Any, what: str, source: str) -> tuple[float, float]:
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        low, high = float(value[0]), float(value[1])
        if low > high:
            raise UsageError(f"{what}: low {value[0]} is above high {value[1]}", source)
        return low, high
    raise UsageError(f"{what} must be [low, high] (two numbers), got {value!r}", source)


def suggest(word: str, choices: Iterable[str]) -> str:
    """``did you mean 'a' or 'b'?`` for the closest choices, or ``""``."""
    options = list(choices)
    same_but_case = [c for c in options if c.lower() == word.lower()]
    # 'C' when the model is a bundle or pipeline: model__C, clf__C, best_estimator_.C
    nested = [c for c in options if c.endswith((f"__{word}", f".{word}"))][:3]
    close = same_but_case or nested or difflib.get_close_matches(word, options, n=3,
                                                                 cutoff=0.75)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def parse_rules(table: Mapping[str, Any], source: str) -> Rules:
    """Rules from a TOML table (a rules file, or ``[tool.hpinspect.check]``)."""
    for key in table:
        if key not in _RULE_KEYS:
            hint = suggest(key, _RULE_KEYS)
            raise UsageError(
                f"unknown key {key!r}{'; ' + hint if hint else ''} "
                f"(known keys: {', '.join(_RULE_KEYS)})", source)

    def flag(key: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            raise UsageError(f"{key} must be true or false, got {value!r}", source)
        return value

    max_skew = table.get("max_skew")
    if max_skew is not None and max_skew not in SKEW_ORDER:
        raise UsageError(f"max_skew must be one of {', '.join(SKEW_LEVELS)}, got {max_skew!r}",
                         source)
    max_size = table.get("max_size")
    if max_size is not None and (not isinstance(max_size, int) or isinstance(max_size, bool)
                                 or max_size < 0):
        raise UsageError(f"max_size must be a number of bytes, got {max_size!r}", source)
    expect = table.get("expect", {})
    if not isinstance(expect, Mapping):
        raise UsageError("expect must be a table of PATH = VALUE", source)
    for path, value in expect.items():
        _check_toml_value(value, f"expect {path!r}", source)
    ranges_table = table.get("range", {})
    if not isinstance(ranges_table, Mapping):
        raise UsageError("range must be a table of PATH = [low, high]", source)
    ranges = {path: _bounds(value, f"range {path!r}", source)
              for path, value in ranges_table.items()}
    return Rules(
        expect=MappingProxyType(dict(expect)),
        ranges=MappingProxyType(ranges),
        require_fitted=flag("require_fitted"),
        max_skew=SkewLevel(max_skew) if max_skew is not None else None,
        strict=flag("strict"),
        max_size=max_size,
        source=source,
    )


def _check_toml_value(value: Any, what: str, source: str) -> None:
    """Reject TOML values a model file's JSON-safe parameters can never hold (dates, times)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, list):
        for item in value:
            _check_toml_value(item, what, source)
        return
    if isinstance(value, Mapping):
        for item in value.values():
            _check_toml_value(item, what, source)
        return
    raise UsageError(f"{what}: unsupported value {value!r}", source)


def load_rules_file(path: str | os.PathLike[str]) -> Rules:
    """Rules from a TOML file; a missing file, invalid TOML or unknown key is a UsageError."""
    file = Path(path)
    return parse_rules(read_toml(file, "rules file"), str(file))


def find_pyproject_rules(start_dir: str | os.PathLike[str]) -> Rules | None:
    """Rules under ``[tool.hpinspect.check]`` in the nearest pyproject.toml that has them."""
    found = find_tool_table("check", Path(start_dir))
    if found is None:
        return None
    if not isinstance(found.table, Mapping):
        raise UsageError("must be a table", found.source)
    return parse_rules(found.table, found.source)


def merge_rules(*layers: Rules | None) -> Rules:
    """Layer rules, later ones winning: pyproject, then a rules file, then command-line options.

    Expectations and ranges merge per path; flags are switched on by any layer; ``max_skew``
    and ``max_size`` take the last value that is set.
    """
    expect: dict[str, Any] = {}
    ranges: dict[str, tuple[float, float]] = {}
    require_fitted = strict = False
    max_skew: MaxSkew | None = None
    max_size: int | None = None
    sources: list[str] = []
    for layer in layers:
        if layer is None:
            continue
        expect.update(layer.expect)
        ranges.update(layer.ranges)
        require_fitted = require_fitted or layer.require_fitted
        strict = strict or layer.strict
        max_skew = layer.max_skew if layer.max_skew is not None else max_skew
        max_size = layer.max_size if layer.max_size is not None else max_size
        if layer.source:
            sources.append(layer.source)
    return Rules(MappingProxyType(expect), MappingProxyType(ranges), require_fitted, max_skew,
                 strict, max_size, " + ".join(sources))


