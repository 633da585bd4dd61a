"""The package keeps its shape: short functions, and imports that flow one way.

- no function in ``hpinspect/`` is longer than 60 lines unless its docstring says why (a line
  starting ``Long:``);
- no module of ``load/`` imports ``classify/`` (DESIGN §2: data flows load → classify →
  report → render); ``diff.py`` imports neither numpy nor ``load/``; output formats live under
  ``render/`` only (no other module builds rich tables, panels, trees or consoles).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO

PACKAGE = REPO / "hpinspect"
MAX_LINES = 60

def modules() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports are not used here)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def long_functions() -> Iterator[str]:
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            doc = ast.get_docstring(node) or ""
            says_why = any(line.strip().startswith("Long:") for line in doc.splitlines())
            if length > MAX_LINES and not says_why:
                yield f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length} lines)"


def test_no_function_over_60_lines_without_a_reason() -> None:
    assert list(long_functions()) == []


def test_load_does_not_import_classify() -> None:
    offending = {
        (str(path.relative_to(PACKAGE)), name)
        for path in (PACKAGE / "load").rglob("*.py")
        for name in imported(path) if name.startswith("hpinspect.classify")
    }
    assert offending == set()


@pytest.mark.parametrize("module", ["numpy", "hpinspect.load"])
def test_diff_works_on_reports_only(module: str) -> None:
    names = imported(PACKAGE / "diff.py")
    assert not {n for n in names if n == module or n.startswith(module + ".")}


def test_output_formats_live_under_render() -> None:
    """rich tables, panels and trees are built by render/ only (cli.py only emits text)."""
    writers = {"rich.table", "rich.panel", "rich.tree", "rich.console.Console"}
    outside = {
        str(path.relative_to(PACKAGE)): sorted(imported(path) & writers)
        for path in modules()
        if "render" not in path.relative_to(PACKAGE).parts
    }
    assert {path: names for path, names in outside.items() if names} == {}
