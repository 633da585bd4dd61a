"""User overrides: move attribute names between categories.

From ``[tool.hpinspect.classify]`` in the nearest ``pyproject.toml`` or a TOML file given with
``--config``::

    [tool.hpinspect.classify]
    hyperparameter = ["warm_start"]
    learned = ["_custom_weights"]
    auxiliary = ["class_weight"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
            moves[name] = key
    return Overrides(moves, source)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: configuration file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc


def load_overrides(config: str | Path | None = None, start: Path | None = None) -> Overrides:
    """Overrides from ``config`` (a TOML file), else from the nearest pyproject.toml."""
    if config is not None:
        path = Path(config)
        data = _read_toml(path)
        table = data.get("tool", {}).get("hpinspect", {}).get("classify", data.get("classify"))
        if table is None:
            table = {k: v for k, v in data.items() if k in CATEGORIES}
        return _parse(table, str(path))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            data = _read_toml(candidate)
            table = data.get("tool", {}).get("hpinspect", {}).get("classify")
            return _parse(table, str(candidate)) if table is not None else Overrides()
    return Overrides()
