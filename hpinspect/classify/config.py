"""User overrides: move attribute names between categories.

From ``[tool.hpinspect.classify]`` in the nearest ``pyproject.toml`` that has it, or a TOML file
given with ``--config``::

    [tool.hpinspect.classify]
    hyperparameter = ["warm_start"]
    learned = ["_custom_weights"]
    auxiliary = ["class_weight"]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpinspect.config import find_tool_table, read_toml, tool_section
from hpinspect.errors import UsageError
from hpinspect.report import CATEGORIES, Category


@dataclass(frozen=True)
class Overrides:
    """Attribute name -> category chosen by the user, and where that came from."""

    moves: dict[str, Category] = field(default_factory=dict)
    source: str = ""


def _parse(table: Any, source: str) -> Overrides:
    if not isinstance(table, dict):
        raise UsageError(f"{source}: [tool.hpinspect.classify] must be a table")
    moves: dict[str, Category] = {}
    for key, names in table.items():
        if key not in CATEGORIES:
            raise UsageError(f"{source}: unknown key {key!r} in classify configuration "
                             f"(expected one of {', '.join(CATEGORIES)})")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise UsageError(f"{source}: {key} must be a list of attribute names")
        for name in names:
            moves[name] = Category(key)
    return Overrides(moves, source)


def load_overrides(config: str | Path | None = None, start: Path | None = None) -> Overrides:
    """Overrides from ``config`` (a TOML file), else from the nearest pyproject.toml with a
    ``[tool.hpinspect.classify]`` table (the search rule of :mod:`hpinspect.config`)."""
    if config is not None:
        path = Path(config)
        data = read_toml(path)
        table = tool_section(data, "classify")
        if table is None:
            table = data.get("classify")
        if table is None:
            table = {k: v for k, v in data.items() if k in CATEGORIES}
        return _parse(table, str(path))
    found = find_tool_table("classify", start)
    return _parse(found.table, str(found.path)) if found is not None else Overrides()
