"""One configuration loader, one search rule for ``check`` rules and classification overrides.

The nearest ``pyproject.toml`` that has the wanted ``[tool.hpinspect.*]`` table wins; one without
it (a sub-package's) is passed over. Before, ``check`` searched that way but the classifier
stopped at the first ``pyproject.toml`` of any kind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hpinspect.check import find_pyproject_rules
from hpinspect.classify.config import load_overrides
from hpinspect.config import find_tool_table, read_toml
from hpinspect.errors import UsageError


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.hpinspect.classify]\nauxiliary = ['C']\n\n"
        "[tool.hpinspect.check]\nrequire_fitted = true\n", encoding="utf-8")
    sub = tmp_path / "packages" / "sub"
    sub.mkdir(parents=True)
    (sub / "pyproject.toml").write_text("[project]\nname = 'sub'\n", encoding="utf-8")
    return sub


def test_both_pass_over_a_pyproject_without_their_table(tree: Path) -> None:
    overrides = load_overrides(start=tree)
    assert dict(overrides.moves) == {"C": "auxiliary"}
    assert overrides.source.endswith("pyproject.toml") and "packages" not in overrides.source
    rules = find_pyproject_rules(tree)
    assert rules is not None and rules.require_fitted


def test_the_nearest_table_wins(tree: Path) -> None:
    (tree / "pyproject.toml").write_text("[tool.hpinspect.classify]\nlearned = ['C']\n",
                                         encoding="utf-8")
    assert dict(load_overrides(start=tree).moves) == {"C": "learned"}
    found = find_tool_table("classify", tree)
    assert found is not None and found.path == tree / "pyproject.toml"
    assert found.source.endswith("[tool.hpinspect.classify]")


@pytest.mark.parametrize(("content", "message"), [
    (None, "rules file not found"),
    (b"x = \n", "invalid TOML"),
    (b"\xff\xfe", "invalid TOML"),
])
def test_read_toml_errors_name_the_file(tmp_path: Path, content: bytes | None,
                                        message: str) -> None:
    path = tmp_path / "rules.toml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError, match=message) as caught:
        read_toml(path, "rules file")
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("text", [
    "[tool.hpinspect.classify]\nlearned = ['C']\n",
    '[tool."hpinspect".classify]\nlearned = ["C"]\n',
    "tool.hpinspect.classify.learned = ['C']\n",
    '[tool."hp\\u0069nspect".classify]\nlearned = ["C"]\n',  # an escape spelling the name
    '[tool]\n"hp\\U00000069nspect" = {classify = {learned = ["C"]}}\n',
    "[ tool . hpinspect . classify ]\nlearned = ['C']\n",
])
def test_every_spelling_of_the_table_is_found(tmp_path: Path, text: str) -> None:
    """A pyproject.toml is parsed only when its text can name the table: every way TOML can
    spell ``tool.hpinspect`` still reaches the parser and is found."""
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    found = find_tool_table("classify", tmp_path)
    assert found is not None and found.table == {"learned": ["C"]}


def test_a_pyproject_that_cannot_name_the_table_is_passed_over_unparsed(tree: Path) -> None:
    """A project's own pyproject.toml, even a broken one, neither costs a parse nor stops the
    search (the table above it is found); one that names hpinspect and is broken still is an
    error naming the file."""
    (tree / "pyproject.toml").write_bytes(b"[project\nname = \xff\n")
    found = find_tool_table("classify", tree)
    assert found is not None and found.path == tree.parent.parent / "pyproject.toml"
    (tree / "pyproject.toml").write_bytes(b"[tool.hpinspect.classify\n")
    with pytest.raises(UsageError, match="invalid TOML") as caught:
        find_tool_table("classify", tree)
    assert str(tree / "pyproject.toml") in str(caught.value)
