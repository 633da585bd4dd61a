"""The one configuration loader: TOML files and ``[tool.hpinspect.*]`` in pyproject.toml.

Shared by ``check`` rules (``[tool.hpinspect.check]``) and classification overrides
(``[tool.hpinspect.classify]``). One search rule for both: from the start folder upwards, the
nearest ``pyproject.toml`` that has the wanted table wins (a ``pyproject.toml`` without it, e.g.
a sub-package's, is passed over; one whose text cannot name ``hpinspect`` is passed over
unparsed, so a project's broken or unrelated pyproject.toml costs nothing and stops nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpinspect.errors import UsageError

__all__ = ["ToolTable", "find_tool_table", "read_toml"]


@dataclass(frozen=True)
class ToolTable:
    """One ``[tool.hpinspect.SECTION]`` table and where it came from."""

    table: Any
    """The table's content (not yet validated: may be any TOML value)."""
    source: str
    """``/path/pyproject.toml [tool.hpinspect.SECTION]``, for messages."""
    path: Path
    """The pyproject.toml it was read from."""


def read_toml(path: Path, what: str = "configuration file") -> dict[str, Any]:
    """The parsed file; a missing, unreadable or invalid file is a UsageError naming ``what``."""
    return _parse(_read_bytes(path, what), path)


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{what} not found", str(path)) from None
    except IsADirectoryError:
        raise UsageError(f"{what} is a directory", str(path)) from None
    except OSError as exc:
        raise UsageError(f"cannot read {what}: {exc.strerror or exc}", str(path)) from None


def _parse(raw: bytes, path: Path) -> dict[str, Any]:
    import tomllib  # only when a file is there to read (start-up)

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"invalid TOML: {exc}", str(path)) from None
    except UnicodeDecodeError:
        raise UsageError("invalid TOML: not UTF-8 text", str(path)) from None


def may_hold_ours(raw: bytes) -> bool:
    """Whether TOML text ``raw`` can have a ``tool.hpinspect`` key: the name spelled out
    (bare, quoted or dotted), or a string escape that could spell it in a quoted key."""
    return b"hpinspect" in raw or b"\\u" in raw or b"\\U" in raw


def tool_section(data: Mapping[str, Any], section: str) -> Any:
    """``data["tool"]["hpinspect"][section]``, or None when any level is missing."""
    tool = data.get("tool", {})
    ours = tool.get("hpinspect", {}) if isinstance(tool, Mapping) else {}
    return ours.get(section) if isinstance(ours, Mapping) else None


def find_tool_table(section: str, start: Path | None = None) -> ToolTable | None:
    """``[tool.hpinspect.SECTION]`` of the nearest pyproject.toml (from ``start``, else the
    working folder, upwards) that has it."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if not candidate.is_file():
            continue
        raw = _read_bytes(candidate, "configuration file")
        if not may_hold_ours(raw):
            continue  # (a project's own pyproject.toml: not even parsed)
        table = tool_section(_parse(raw, candidate), section)
        if table is not None:
            return ToolTable(table, f"{candidate} [tool.hpinspect.{section}]", candidate)
    return None
