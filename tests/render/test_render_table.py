"""The rich table renderer: header panel, safety placement, tree overview, table layout.

Reports are built by hand here (``sample_*`` builders, also used by the Markdown renderer's
tests) so the renderer is tested independently of the loader and the classifier; the real-file
tests and golden files live at the end of this module.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from builders import (
    DANGEROUS,
    KNOWN,
    UNKNOWN_CLASS,
    attribute,
    forest_report,
    logreg_node,
    logreg_report,
    pipeline_report,
    review_report,
    unsafe_report,
)
from builders import report as make_report
from helpers import check_golden, stable

from hpinspect.render import Format, RenderOptions, get_renderer
from hpinspect.render.table import TableRenderer, classes_text
from hpinspect.render.text import format_default, format_stats, human_size
from hpinspect.report import (
    Finding,
    Group,
    Report,
)

# --------------------------------------------------------------------------------- test helpers


def render(report: Report | list[Report], **options: Any) -> str:
    reports = report if isinstance(report, list) else [report]
    return TableRenderer().render(reports, RenderOptions(color=False, **options))


def line_of(text: str, needle: str) -> int:
    """Index of the first line containing ``needle`` (fails the test when there is none)."""
    for index, line in enumerate(text.splitlines()):
        if needle in line:
            return index
    raise AssertionError(f"{needle!r} not in output:\n{text}")


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


# ----------------------------------------------------------------------------------- the header


def test_get_renderer_returns_table_renderer() -> None:
    assert isinstance(get_renderer(Format.table), TableRenderer)



def test_missing_version_marker_is_said() -> None:
    out = render(logreg_report(saved={}, installed={}, skew={}), width=120)
    assert "no version marker" in out



def test_no_color_has_no_ansi_codes() -> None:
    assert "\x1b[" not in render(unsafe_report(), width=120)


@pytest.mark.parametrize(("verdict", "code"), [("safe", "\x1b[1;32m"), ("review", "\x1b[1;33m"),
                                               ("unsafe", "\x1b[1;31m")])
def test_verdict_is_coloured(verdict: str, code: str) -> None:
    findings = {"safe": (), "review": (UNKNOWN_CLASS,), "unsafe": (DANGEROUS,)}[verdict]
    report = pipeline_report(verdict=verdict, findings=findings)
    out = TableRenderer().render([report], RenderOptions(color=True, width=120))
    assert f"{code}{verdict}" in out


def test_safe_report_has_no_findings_section() -> None:
    out = render(logreg_report(findings=(KNOWN,)), width=120)
    assert "safe" in lines_with(out, "safety")[0]
    assert "UNSAFE" not in out and "REVIEW" not in out
    assert KNOWN.global_name not in out



def test_review_lists_unknown_class_findings_after_file_info() -> None:
    out = render(review_report(), width=120)
    assert line_of(out, "sha256") < line_of(out, "REVIEW") < line_of(out, "CustomEstimator")
    row = lines_with(out, "mylib.models.CustomEstimator")[0]
    assert "unknown class" in row and "steps[1]" in row
    assert "known estimator class" not in out


def test_findings_are_not_elided_even_when_narrow() -> None:
    long_global = "evil.package." + "very_long_module_name." * 4 + "run"
    finding = Finding(global_name=long_global, severity="unknown call", detail="would be called",
                      path="x", called=True)
    out = render(pipeline_report(verdict="unsafe", findings=(finding,)), width=80)
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("• "))
    # the global is never elided: folded over as many lines as it needs, nothing cut
    joined = "".join(line[2:].rstrip() for line in lines[start:start + 4])
    assert long_global in joined
    assert "unknown call (called)  at x — would be called" in " ".join(lines[start:start + 4])


# ------------------------------------------------------------------------------------- the tree



# ------------------------------------------------------------------------------ the node tables

TITLES = ("Hyperparameters", "Learned parameters", "Auxiliary")



def test_changed_default_is_highlighted() -> None:
    out = TableRenderer().render([logreg_report()], RenderOptions(color=True, width=120))
    assert re.search(r"\x1b\[1;33m1\.0 *\x1b\[0m", out)



def test_groups_hidden_with_only_hyperparameter() -> None:
    assert "Members" not in render(forest_report(), width=120, only="hyperparameter")



def test_markup_in_values_is_not_interpreted() -> None:
    node = logreg_node()
    node = replace(node, attributes=(
        attribute("class_weight", category="hyperparameter", summary="{'[bold]x[/bold]': 1}"),
    ))
    out = render(make_report(node, path="weird[red]/m.pkl"), width=120)
    assert "{'[bold]x[/bold]': 1}" in out
    assert "weird[red]/m.pkl" in out


# --------------------------------------------------------------------------------- the helpers


@pytest.mark.parametrize(("size", "text"), [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"),
                                            (2150, "2.1 KiB"), (5 * 1024**2, "5.0 MiB"),
                                            (3 * 1024**4, "3.0 TiB")])
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(("value", "text"), [(1.0, "1.0"), (0.0001, "0.0001"), (2, "2"),
                                             (1e20, "1e+20"), (float("nan"), "nan"), (None, "None"),
                                             ("lbfgs", "'lbfgs'"), (True, "True"),
                                             ([1, "a"], "[1, 'a']"), ({"a": 2.5}, "{'a': 2.5}")])
def test_format_default(value: Any, text: str) -> None:
    assert format_default(value) == text


def test_classes_text_mixed() -> None:
    group = Group(attribute="estimators_", count=3, classes={"a.X": 2, "b.Y": 1}, stats={})
    assert classes_text(group) == "3 members: 2 × X, 1 × Y"


def test_format_stats() -> None:
    stats = {"depth": {"min": 3, "mean": 3.0, "max": 3}, "leaves": {"min": 4, "mean": 4.5,
                                                                      "max": 7}, "n": 2}
    assert format_stats(stats) == "depth 3; leaves 4–7 (mean 4.5); n 2"


# ----------------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("width", [80, 120, 200])
def test_golden_sample_unsafe_pipeline(width: int) -> None:
    report = pipeline_report(verdict="unsafe", findings=(DANGEROUS, UNKNOWN_CLASS, KNOWN))
    check_golden(f"sample_unsafe_pipeline.w{width}.txt", render(report, width=width))


def test_golden_sample_forest_explain() -> None:
    check_golden("sample_forest_explain.w200.txt", render(forest_report(), width=200,
                                                          explain=True))


# ------------------------------------------------------------------------------------ real files

@pytest.mark.parametrize("width", [120, 200])
def test_golden_real_logreg(real_reports: dict[str, Report], width: int) -> None:
    check_golden(f"logreg.w{width}.txt", render(stable(real_reports["logreg"]), width=width))



def test_several_real_reports(real_reports: dict[str, Report]) -> None:
    out = render(list(real_reports.values()), width=120)
    for path in real_reports.values():
        assert path.file.path in out


def test_a_long_table_shows_its_first_rows_and_counts_the_rest(tmp_path: Any) -> None:
    """A bundle of 130 plain values (a real pickle): the table shows ROWS_SHOWN rows and says
    how many more there are; ``--all`` lists every one; JSON always has them all. Values that
    need escaping are still escaped in the rows shown."""
    import json
    import pickle

    from hpinspect import inspect_file
    from hpinspect.render.table import ROWS_SHOWN

    bundle = {f"key{i:03d}": i * 7 for i in range(130)}
    bundle["key000"] = "bell\x07here"
    path = tmp_path / "bundle.pkl"
    path.write_bytes(pickle.dumps(bundle))
    report = inspect_file(path)
    text = render(report, width=120)
    shown = [f"key{i:03d}" for i in range(130) if f"key{i:03d} " in text]
    assert shown == [f"key{i:03d}" for i in range(ROWS_SHOWN)]
    assert f"auxiliary: {130 - ROWS_SHOWN:,} more rows (--all lists every one)" in text
    assert "bell\\x07here" in text and "\x07" not in text
    every = render(report, width=120, show_all=True)
    assert all(f"key{i:03d} " in every for i in range(130))
    assert "more rows" not in every
    document = json.loads(get_renderer(Format.json).render([report], RenderOptions()))
    assert len(document["model"]["attributes"]) == 130


# ------------------------------------------------- hand-drawn lines and tables against rich's
_WORDS = ("a", "fit", "sklearn.ensemble._forest.RandomForestClassifier", "·", "n_estimators=300",
          "数据集", "x" * 70, "(1×8)", "min=-0.1107", "")
_SGR = re.compile(r"\x1b\[([0-9;]*)m|(.)", re.S)


def _drawn(renderable: Any, width: int) -> tuple[list[str], list[tuple[str, str]]]:
    """What a console of ``width`` columns shows: the lines without trailing blanks, and each
    visible character with the colour codes in force where it is drawn."""
    from hpinspect.render.console import string_console

    plain, color = string_console(width, False), string_console(width, True)
    plain.print(renderable)
    color.print(renderable)
    styled, current = [], ""
    for match in _SGR.finditer(color.text()):
        if match.group(2) is None:
            current = "" if match.group(1) in ("0", "") else match.group(1)
        elif not match.group(2).isspace():
            styled.append((match.group(2), current))
    return [line.rstrip() for line in plain.text().split("\n")], styled


def _text(seed: int, count: int, style: str) -> Any:
    from rich.text import Text

    words = [_WORDS[(seed * 7 + i * i) % len(_WORDS)] for i in range(count)]
    text = Text(" ".join(words), style=style)
    if seed % 3 == 0 and text.plain:
        text.stylize("bold yellow", 0, max(1, len(text.plain) // 3))  # spans over the style
    return text


@pytest.mark.parametrize("width", [1, 5, 12, 20, 33, 40, 61, 80, 100, 157])
@pytest.mark.parametrize("lead", ["• ", "│  ├─ ", "housekeeping: ", "数据 ", "│  " * 20])
def test_hanging_line_lays_out_as_a_two_column_grid(width: int, lead: str) -> None:
    """:class:`Hanging` replaced a ``Table.grid`` per overview line: the same lines, words
    folded the same way, in the same colours, at every width (down to narrower than the lead:
    a deep tree's guide), wide characters and words longer than the line included."""
    from rich.table import Column, Table
    from rich.text import Text

    from hpinspect.render.table import Hanging

    for seed in range(12):
        body = _text(seed, seed * 3, "dim" if seed % 2 else "")
        grid = Table.grid(Column(no_wrap=True), Column(overflow="fold"), padding=0)
        grid.add_row(Text(lead, style="bold"), body.copy())
        assert _drawn(Hanging(Text(lead, style="bold"), body.copy()), width) == \
            _drawn(grid, width), (width, lead, seed)


@pytest.mark.parametrize("widths", [(10, 30, 12), (4, 9, 3), (1, 1, 1), (48, 72, 24), (6, 20)])
def test_attribute_table_draws_what_a_rich_table_draws(widths: tuple[int, ...]) -> None:
    """:class:`AttributeTable` replaced rich's Table for the category tables: the same lines
    and colours for names that are cut (never wrapped), values that wrap, multi-line headers
    (aligned to their last line), cell and column styles, and cells wider than a column."""
    from rich import box
    from rich.table import Column, Table

    from hpinspect.render.table import _DEFAULT, _NAME, _REASON, _ROLE, _VALUE, AttributeTable

    kinds = [replace(_NAME, header="hyperparameter"), _VALUE, _DEFAULT, _ROLE, _REASON][
        :len(widths)] if len(widths) == 3 else [replace(_NAME, header="learned"), _REASON]
    for seed in range(10):
        rows = [tuple(_text(seed + r + c, (seed + r * c) % 6, ("dim", "", "bold")[(r + c) % 3])
                      for c in range(len(kinds))) for r in range(seed % 5)]
        rich_table = Table(*(Column(kind.header, style=kind.style, no_wrap=kind.floor == 0,
                                    overflow="fold", width=width)
                             for kind, width in zip(kinds, widths, strict=True)),
                           box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                           padding=(0, 1, 0, 0), collapse_padding=True, header_style="bold dim")
        for row in rows:
            rich_table.add_row(*(cell.copy() for cell in row))
        mine = AttributeTable(kinds, widths, [tuple(cell.copy() for cell in row) for row in rows])
        assert mine.width == sum(widths) + 2 * (len(widths) - 1)
        for width in (mine.width, 200):
            assert _drawn(mine, width) == _drawn(rich_table, width), (widths, seed, width)


@pytest.mark.parametrize("widths", [(20, 30), (12, 9, 40), (1, 5), (33, 33, 33)])
def test_beside_lays_out_as_a_grid_of_fixed_columns(widths: tuple[int, ...]) -> None:
    """:class:`Beside` replaced the ``Table.grid`` that put tables side by side: the same
    lines and colours, top-aligned, for parts of different heights and a group of two."""
    from rich.console import Group as RichGroup
    from rich.table import Column, Table
    from rich.text import Text

    from hpinspect.render.table import GAP, Beside

    for seed in range(8):
        parts = [_text(seed + k, (seed * (k + 2)) % 9, ("", "dim", "bold")[k % 3])
                 for k in range(len(widths))]
        if seed % 2:
            parts[0] = RichGroup(parts[0], Text(), _text(seed, 4, "italic"))  # type: ignore
        # (the parts it is given fit their width: a word too long for it folds, where rich's
        # grid would cut it with an ellipsis)
        grid = Table.grid(*(Column(vertical="top", width=w, overflow="fold") for w in widths),
                          padding=(0, GAP, 0, 0))
        grid.add_row(*(part.copy() if isinstance(part, Text) else part for part in parts))
        mine = Beside([(part.copy() if isinstance(part, Text) else part, width)
                       for part, width in zip(parts, widths, strict=True)])
        for width in (sum(widths) + GAP * (len(widths) - 1), 250):
            assert _drawn(mine, width) == _drawn(grid, width), (widths, seed, width)
