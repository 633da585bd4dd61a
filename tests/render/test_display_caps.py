"""Display caps say the true size, in every renderer (issue 11, item 3).

Three LinearRegression files are built here opcode by opcode: one whose attribute name is
1,048,576 characters long, one whose string value is, and one whose integer has 4,817 digits.
Every inspect format that shows attributes (table, JSON, JSON lines, Markdown, HTML) and every
diff format must show them capped -- the output stays small -- and say the true length
("1,048,576 characters") or the digit count ("integer of 4,817 digits"). SARIF lists findings
only, so it only has to stay small.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_corpus import estimator_with, long4, op_str  # tests/ is on sys.path

from hpinspect import diff_reports, inspect_file
from hpinspect.render import Format, RenderOptions, get_renderer
from hpinspect.render.diff_render import DiffFormat, render_diff

MIB = 1 << 20
LENGTH = "1,048,576 characters"
DIGITS = "integer of 4,817 digits"
ATTRIBUTE_FORMATS = [f for f in Format if f is not Format.sarif]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("caps")
    data = {
        "name": estimator_with("n" * MIB, op_str("v")),
        "value": estimator_with("solver", op_str("v" * MIB)),
        "int": estimator_with("alpha", long4(7 * (10**4817 - 1) // 9)),
    }
    out = {}
    for name, content in data.items():
        out[name] = directory / f"{name}.pkl"
        out[name].write_bytes(content)
    return out


def _render(path: Path, fmt: Format, width: int = 120) -> str:
    text: str = get_renderer(fmt).render([inspect_file(path)], RenderOptions(color=False, width=width))
    return text


@pytest.mark.parametrize("fmt", list(Format), ids=str)
@pytest.mark.parametrize("kind", ["name", "value", "int"])
def test_every_format_caps_and_says_the_true_size(files: dict[str, Path], fmt: Format,
                                                  kind: str) -> None:
    text = _render(files[kind], fmt)
    assert len(text) < 200_000, len(text)  # capped: not a mebibyte per mention
    if fmt is Format.sarif:
        return
    assert (DIGITS if kind == "int" else LENGTH) in text, (fmt, kind)


@pytest.mark.parametrize("width", [80, 200])
def test_a_narrow_table_keeps_the_length_of_a_long_name(files: dict[str, Path],
                                                        width: int) -> None:
    text = _render(files["name"], Format.table, width)
    (row,) = [line for line in text.splitlines() if line.startswith("nnnn")]
    assert row.split("…")[1].startswith(f" ({LENGTH})")


@pytest.mark.parametrize("fmt", list(DiffFormat), ids=str)
@pytest.mark.parametrize("kind", ["value", "int"])
def test_diff_formats_say_the_true_size(files: dict[str, Path], fmt: DiffFormat,
                                        kind: str) -> None:
    other = "int" if kind == "value" else "value"
    result = diff_reports(inspect_file(files[kind]), inspect_file(files[other]))
    text = render_diff(result, fmt, color=False, width=160)
    assert len(text) < 200_000
    assert DIGITS in text and LENGTH in text, fmt
