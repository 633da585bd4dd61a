"""Text helpers shared by every renderer and by the classifier's summaries.

The one place that writes numbers, sizes, shapes and statistics as text: :func:`format_float`
is the package's only float formatter (4 significant digits for summaries and tables, more
where a caller asks, e.g. diff's largest differences). Pure functions, no imports beyond the
standard library, so the classifier can use them too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "SUMMARY_DIGITS",
    "format_default",
    "format_float",
    "format_number",
    "format_stats",
    "human_size",
    "plural",
    "shape_text",
    "stat_value",
]

SUMMARY_DIGITS = 4
"""Significant digits of floats in summaries and tables."""


def format_float(value: float, digits: int = SUMMARY_DIGITS, *, mark_float: bool = True) -> str:
    """``value`` with ``digits`` significant digits; nan/inf as Python writes them.

    With ``mark_float`` a whole number keeps a ``.0`` (``1.0``), so a float stays visibly a
    float next to an int; magnitudes (diff's largest differences) leave it off.
    """
    if math.isnan(value) or math.isinf(value):
        return str(value)
    text = f"{value:.{digits}g}"
    if mark_float and not any(char in text for char in ".en"):
        text += ".0"
    return text


def format_number(value: float | int | None, digits: int = SUMMARY_DIGITS) -> str:
    """An int as is, a float through :func:`format_float`, ``None`` as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return format_float(value, digits)


def human_size(size_bytes: int) -> str:
    """``512 B``, ``2.1 KiB``, ``3.4 MiB`` ... (binary units)."""
    if size_bytes < 1024:
        return f"{size_bytes} B"
    size = float(size_bytes)
    unit = "KiB"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            break
    return f"{size:.1f} {unit}"


def shape_text(shape: Any) -> str:
    """``(3,)``, ``(3, 4)`` — an array shape as Python writes it."""
    if isinstance(shape, (list, tuple)):
        dims = [str(d) for d in shape]
        return "(" + dims[0] + ",)" if len(dims) == 1 else "(" + ", ".join(dims) + ")"
    return str(shape)


def format_default(value: Any) -> str:
    """A JSON-safe default as the classifier writes summaries (strings quoted, ``None``)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_default(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{format_default(key)}: {format_default(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    return str(value)


def _range_text(value: Mapping[str, Any]) -> str:
    if value["min"] == value["max"]:
        return stat_value(value["min"])
    text = f"{stat_value(value['min'])}–{stat_value(value['max'])}"
    if "mean" in value:
        text += f" (mean {stat_value(value['mean'])})"
    return text


def stat_value(value: Any) -> str:
    """One statistic: a float, a ``{min, max, mean}`` range, a list or a mapping."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, Mapping):
        if {"min", "max"} <= value.keys():
            return _range_text(value)
        return "{" + ", ".join(f"{k}: {stat_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(stat_value(item) for item in value) + "]"
    return str(value)


def format_stats(stats: Mapping[str, Any]) -> str:
    """Group statistics on one line: ``max_depth 3–9 (mean 5.2); node_count ...``."""
    return "; ".join(f"{key} {stat_value(value)}" for key, value in stats.items())


def plural(count: int, noun: str) -> str:
    """``1 finding``, ``2 findings``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
