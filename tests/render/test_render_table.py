"""The rich table renderer: header panel, safety placement, tree overview, table layout.

Reports are built by hand here (``sample_*`` builders, also used by the Markdown renderer's
tests) so the renderer is tested independently of the loader and the classifier; the real-file
tests and golden files live at the end of this module.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from builders import (
    DANGEROUS,
    KNOWN,
    SHA,
    UNKNOWN_CLASS,
    attribute,
    forest_node,
    forest_report,
    lasso_cv_node,
    logreg_node,
    logreg_report,
    pipeline_node,
    pipeline_report,
    review_report,
    unsafe_report,
)
from builders import report as make_report
from helpers import check_golden, stable

from hpinspect.render import Format, RenderOptions, get_renderer
from hpinspect.render.table import (
    TableRenderer,
    classes_text,
    format_default,
    format_stats,
    human_size,
)
from hpinspect.report import (
    Category,
    Finding,
    Group,
    Node,
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


def test_header_shows_file_facts() -> None:
    out = render(logreg_report(), width=120)
    assert "models/model.joblib" in out
    assert "2.1 KiB" in out
    assert "joblib" in lines_with(out, "format")[0]
    assert "zlib" in lines_with(out, "compression")[0]
    assert lines_with(out, "protocol")[0].split("protocol")[1].split()[0] == "4"
    assert SHA[:12] in out
    assert SHA[:13] not in out  # the short digest only


def test_versions_show_saved_installed_and_skew() -> None:
    out = render(logreg_report(), width=120)
    line = lines_with(out, "scikit-learn")[0]
    assert "1.3.2" in line
    assert "1.9.1" in line
    assert "minor skew" in line


def test_missing_version_marker_is_said() -> None:
    out = render(logreg_report(saved={}, installed={}, skew={}), width=120)
    assert "no version marker" in out


@pytest.mark.parametrize(("skew", "code"), [("major", "\x1b[1;31m"), ("minor", "\x1b[33m"),
                                            ("patch", "\x1b[33m")])
def test_skew_is_coloured(skew: str, code: str) -> None:
    report = logreg_report(skew={"scikit-learn": skew})
    out = TableRenderer().render([report], RenderOptions(color=True, width=120))
    assert f"{code}  ({skew} skew)" in out


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


def test_unsafe_findings_come_before_file_info() -> None:
    out = render(unsafe_report(), width=120)
    banner = line_of(out, "UNSAFE")
    assert banner < line_of(out, "posix.system") < line_of(out, "compression")
    assert line_of(out, "mylib.models.CustomEstimator") < line_of(out, "sha256")
    row = lines_with(out, "posix.system")[0]
    assert "dangerous" in row and "steps[1][1].notes_" in row and "runs a shell command" in row
    # known findings are not listed
    assert "known estimator class" not in out


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
    header = line_of(out, "severity")
    start, stop = lines[header].index("global"), lines[header].index("severity")
    column = [line[start:stop].strip() for line in lines[header + 2:header + 8]]
    assert long_global in "".join(column)


# ------------------------------------------------------------------------------------- the tree


def test_tree_overview_for_nested_models() -> None:
    out = render(pipeline_report(), width=120)
    root = line_of(out, "Pipeline")
    scaler = lines_with(out, "scaler  StandardScaler")
    clf = lines_with(out, "clf  LogisticRegression")
    assert scaler and clf
    assert scaler[0].lstrip().startswith(("├", "└"))
    assert "steps[0]" in scaler[0] and "steps[1]" in clf[0]
    assert root < line_of(out, "scaler  StandardScaler") < line_of(out, "clf  LogisticRegression")


def test_tree_shows_groups() -> None:
    forest = replace(forest_node(), path="steps[0]", label="rf")
    model = replace(pipeline_node(), children=(forest,))
    out = render(make_report(model), width=120)
    group_line = lines_with(out, "estimators_: 100 × DecisionTreeClassifier")
    assert len(group_line) == 1
    assert line_of(out, "rf  RandomForestClassifier") < line_of(out, "estimators_: 100 ×")
    # nested one level below the forest
    assert group_line[0].index("└") > lines_with(out, "rf  RandomForest")[0].index("└")


def test_no_tree_for_a_single_estimator() -> None:
    out = render(logreg_report(), width=120)
    assert not re.search("[├└]── ", out)
    assert re.search("[├└]── ", render(pipeline_report(), width=120))


# ------------------------------------------------------------------------------ the node tables

TITLES = ("Hyperparameters", "Learned parameters", "Auxiliary")


@pytest.mark.parametrize("width", [120, 200])
def test_tables_side_by_side_when_wide(width: int) -> None:
    out = render(logreg_report(), width=width)
    title_lines = {line_of(out, title) for title in TITLES}
    assert len(title_lines) == 1
    assert max(len(line) for line in out.splitlines()) <= width
    # every attribute is on one row, next to the others
    assert line_of(out, "C ") == line_of(out, "coef_") == line_of(out, "random_state")


@pytest.mark.parametrize("width", [60, 80, 119])
def test_tables_stacked_when_narrow(width: int) -> None:
    out = render(logreg_report(), width=width)
    hyper, learned, aux = (line_of(out, title) for title in TITLES)
    assert hyper < line_of(out, "max_iter") < learned < line_of(out, "coef_") < aux
    assert aux < line_of(out, "_sklearn_version")
    assert max(len(line) for line in out.splitlines()) <= width


def test_changed_default_is_shown_unchanged_is_not() -> None:
    out = render(logreg_report(), width=120)
    header = lines_with(out, "default")[0]
    c_row = lines_with(out, "│ C ")[0]
    cells = [cell.strip() for cell in c_row.split("│")]
    assert cells[1:4] == ["C", "0.5", "1.0"]
    assert "default" in header
    max_iter_cells = [cell.strip() for cell in lines_with(out, "max_iter")[0].split("│")]
    assert max_iter_cells[1:4] == ["max_iter", "100", ""]


def test_changed_default_is_highlighted() -> None:
    out = TableRenderer().render([logreg_report()], RenderOptions(color=True, width=120))
    assert re.search(r"\x1b\[1;33m1\.0 *\x1b\[0m", out)


def test_selected_during_fit_is_marked() -> None:
    out = render(make_report(lasso_cv_node()), width=120)
    assert "alpha_ (fit)" in out
    assert "cv (fit)" not in out


def test_title_line_names_path_label_and_class() -> None:
    out = render(pipeline_report(), width=120)
    assert lines_with(out, "(root)  Pipeline")
    assert lines_with(out, "steps[0] (scaler)  StandardScaler")
    assert lines_with(out, "steps[1] (clf)  LogisticRegression")
    assert line_of(out, "(root)  Pipeline") < line_of(out, "steps[0] (scaler)") < line_of(
        out, "steps[1] (clf)")


def test_nodes_without_attributes_are_skipped() -> None:
    empty = Node(path="steps[2]", param_prefix="", class_name="x.Passthrough", known=False,
                 fitted=False, attributes=(), label="noop")
    model = pipeline_node()
    model = replace(model, children=(*model.children, empty))
    out = render(make_report(model), width=120)
    assert lines_with(out, "noop  Passthrough")  # in the tree
    assert not lines_with(out, "steps[2] (noop)")  # but no section


def test_empty_category_shows_none_row() -> None:
    out = render(pipeline_report(), width=200)
    pipeline_tables = out[out.index("(root)  Pipeline"):out.index("steps[0] (scaler)")]
    assert "Learned parameters" in pipeline_tables
    assert "none" in pipeline_tables


def test_explain_adds_reason_column() -> None:
    plain = render(logreg_report(), width=200)
    explained = render(logreg_report(), width=200, explain=True)
    assert "reason" not in plain
    assert "known auxiliary" in explained
    assert "trailing underscore" in explained
    assert line_of(explained, "reason") < line_of(explained, "summary")


@pytest.mark.parametrize("width", [120, 200])
def test_explain_stacks_so_reasons_stay_whole(width: int) -> None:
    out = render(logreg_report(), width=width, explain=True)
    assert len({line_of(out, title) for title in TITLES}) == 3
    assert "known auxiliary: seeds randomness only" in out
    assert "in LogisticRegression.__init__ signature" in out


@pytest.mark.parametrize("only", ["hyperparameter", "learned", "auxiliary"])
def test_only_shows_one_category(only: Category) -> None:
    out = render(logreg_report(), width=200, only=only)
    shown = {"hyperparameter": "Hyperparameters", "learned": "Learned parameters",
             "auxiliary": "Auxiliary"}[only]
    for title in TITLES:
        assert (title in out) == (title == shown)


def test_only_skips_nodes_without_that_category() -> None:
    out = render(pipeline_report(), width=200, only="learned")
    assert not lines_with(out, "(root)  Pipeline")
    assert lines_with(out, "steps[1] (clf)  LogisticRegression")


def test_groups_are_listed_under_the_node() -> None:
    out = render(forest_report(), width=120)
    row = lines_with(out, "│ estimators_")[-1]
    assert "100" in row
    assert "100 × DecisionTreeClassifier" in row
    assert "max_depth 3–5 (mean 4.5)" in row
    assert "node_count 9–31 (mean 17.25)" in row
    assert line_of(out, "Members") > line_of(out, "Auxiliary")


def test_groups_hidden_with_only_hyperparameter() -> None:
    assert "Members" not in render(forest_report(), width=120, only="hyperparameter")


def test_long_values_are_elided_and_never_wrap() -> None:
    long_value = "[" + ", ".join(f"'feature_{i}'" for i in range(60)) + "]"
    node = logreg_node()
    node = replace(node, attributes=(
        *node.attributes,
        attribute("feature_names_in_", category="auxiliary", summary=long_value, role="input schema"),
        attribute("classes_", category="learned", summary=long_value, kind="array"),
    ))
    for width in (80, 120, 200):
        out = render(make_report(node), width=width)
        assert "…" in out
        assert long_value not in out
        assert len(lines_with(out, "feature_names_in_")) == 1
        assert len(lines_with(out, "['feat")) == 2  # one row each, no wrapped tails
        assert not lines_with(out, "'feature_59'")
        assert max(len(line) for line in out.splitlines()) <= width
    wider = render(make_report(node), width=200, show_all=True)
    compact = render(make_report(node), width=200)
    assert len(lines_with(wider, "classes_")[0].rstrip()) > len(
        lines_with(compact, "classes_")[0].rstrip())


def test_several_reports_are_separated_by_a_rule() -> None:
    out = render([logreg_report(path="a.joblib"), forest_report(path="b.joblib")], width=100)
    rule = [i for i, line in enumerate(out.splitlines()) if line and set(line) == {"─"}]
    assert len(rule) == 1
    assert line_of(out, "a.joblib") < rule[0] < line_of(out, "b.joblib")


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


def test_real_logreg_header(real_reports: dict[str, Report], real_files: dict[str, Path]) -> None:
    import hashlib

    data = real_files["logreg"].read_bytes()
    out = render(real_reports["logreg"], width=200)
    assert hashlib.sha256(data).hexdigest()[:12] in lines_with(out, "sha256")[0]
    assert human_size(len(data)) in lines_with(out, "size")[0]
    assert "joblib" in lines_with(out, "format")[0]
    assert "safe" in lines_with(out, "safety")[0]
    assert "scikit-learn saved with" in out


def test_real_logreg_tables(real_reports: dict[str, Report]) -> None:
    out = render(real_reports["logreg"], width=200)
    assert len({line_of(out, title) for title in TITLES}) == 1
    c_cells = [cell.strip() for cell in lines_with(out, "│ C ")[0].split("│")]
    assert c_cells[1:4] == ["C", "0.5", "1.0"]
    max_iter_cells = [cell.strip() for cell in lines_with(out, "│ max_iter ")[0].split("│")]
    assert max_iter_cells[3] == ""
    assert lines_with(out, "coef_") and lines_with(out, "_sklearn_version")
    narrow = render(real_reports["logreg"], width=80)
    assert len({line_of(narrow, title) for title in TITLES}) == 3
    assert max(len(line) for line in narrow.splitlines()) <= 80


def test_real_pipeline_tree(real_reports: dict[str, Report]) -> None:
    out = render(real_reports["pipeline"], width=120)
    assert re.search(r"[├└]── standardscaler +StandardScaler +steps\[0\]", out)
    assert re.search(r"└── logisticregression +LogisticRegression +steps\[1\]", out)
    assert lines_with(out, "steps[1] (logisticregression)  LogisticRegression")


def test_real_forest_group(real_reports: dict[str, Report]) -> None:
    out = render(real_reports["forest"], width=120)
    assert lines_with(out, "estimators_: 12 × DecisionTreeClassifier")
    row = lines_with(out, "│ estimators_ ")[-1]
    assert "12 × DecisionTreeClassifier" in row
    assert line_of(out, "Members") > line_of(out, "(root)  RandomForestClassifier")


def test_real_search_selected_during_fit(real_reports: dict[str, Report]) -> None:
    out = render(real_reports["search"], width=200)
    assert lines_with(out, "best_params_ (fit)")
    assert lines_with(out, "best_estimator_  LogisticRegression")


def test_real_unsafe_file(real_reports: dict[str, Report]) -> None:
    report = real_reports["unsafe"]
    assert report.safety.verdict == "unsafe"
    out = render(report, width=120)
    row = lines_with(out, ".system")[0]
    assert "dangerous" in row and "notes_" in row
    assert line_of(out, "UNSAFE") < line_of(out, ".system") < line_of(out, "format")
    colored = TableRenderer().render([report], RenderOptions(color=True, width=120))
    assert "\x1b[1;31munsafe" in colored


def test_several_real_reports(real_reports: dict[str, Report]) -> None:
    out = render(list(real_reports.values()), width=120)
    for path in real_reports.values():
        assert path.file.path in out
