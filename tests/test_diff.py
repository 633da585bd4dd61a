"""Tests for :mod:`hpinspect.diff` and :mod:`hpinspect.render.diff_render`.

Hand-built reports pin each comparison rule; real files written by the installed scikit-learn
check the whole path (loader → classifier → diff) on the cases the issue names.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from builders import aux, hyper, learned, node, report

from hpinspect.diff import DiffResult, DiffRow, diff_reports, json_equal
from hpinspect.render.diff_render import DiffFormat, render_diff
from hpinspect.report import (
    Finding,
)

# --------------------------------------------------------------------------- helpers


def rows_by_name(result: DiffResult) -> dict[str, DiffRow]:
    return {row.location: row for row in result.rows}


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(("a", "b", "equal"), [
    (1.0, 1.0, True),
    (1, 1.0, True),
    (0.1 + 0.2, 0.3, False),  # floats compare exactly in diff
    (math.nan, math.nan, True),
    (True, 1, False),
    ([1, [2, math.nan]], [1, [2, math.nan]], True),
    ([1, 2], (1, 2), True),
    ({"a": 1}, {"a": 2}, False),
    ({"a": 1}, {"b": 1}, False),
    (None, None, True),
    ("x", "y", False),
])
def test_json_equal(a: Any, b: Any, equal: bool) -> None:
    assert json_equal(a, b) is equal


def test_hyperparameter_change_is_reported() -> None:
    a = report(node(attributes=(hyper("C", 1.0), hyper("tol", 1e-4))))
    b = report(node(attributes=(hyper("C", 0.5), hyper("tol", 1e-4))), path="b.pkl")
    result = diff_reports(a, b)
    assert result.has_differences
    assert [r.location for r in result.rows] == ["C"]
    row = result.rows[0]
    assert (row.category, row.a, row.b, row.status) == ("hyperparameter", "1.0", "0.5", "changed")


def test_identical_reports_have_no_differences() -> None:
    model = node(attributes=(hyper("C", 1.0), learned("coef_", loaded=np.arange(3.0))))
    result = diff_reports(report(model), report(model, path="b.pkl"))
    assert not result.has_differences
    assert result.rows == ()
    everything = diff_reports(report(model), report(model), include_equal=True)
    assert not everything.has_differences
    assert {r.location for r in everything.rows} >= {"(root)", "C", "coef_", "scikit-learn",
                                                      "verdict", "findings"}
    assert all(r.status == "equal" for r in everything.rows)


def test_nan_hyperparameters_are_equal() -> None:
    a = report(node(attributes=(hyper("missing_values", math.nan),)))
    assert not diff_reports(a, a).has_differences


def test_summary_fallback_when_no_value() -> None:
    a = report(node(attributes=(hyper("kernel", None, summary="<function rbf>", kind="callable"),)))
    b = report(node(attributes=(hyper("kernel", None, summary="<function poly>", kind="callable"),)))
    assert diff_reports(a, b).rows[0].location == "kernel"
    assert not diff_reports(a, a).has_differences


def test_added_and_removed_attributes() -> None:
    a = report(node(attributes=(hyper("C", 1.0), hyper("old", 1))))
    b = report(node(attributes=(hyper("C", 1.0), hyper("new", 2))))
    rows = rows_by_name(diff_reports(a, b))
    assert rows["old"].status == "removed" and rows["old"].b == ""
    assert rows["new"].status == "added" and rows["new"].a == ""


def test_learned_shape_change() -> None:
    a = report(node(attributes=(learned("coef_", loaded=np.zeros(3)),)))
    b = report(node(attributes=(learned("coef_", loaded=np.zeros(4)),)))
    row = diff_reports(a, b).rows[0]
    assert row.status == "changed"
    assert row.detail == "shape (3,) → (4,)"


def test_learned_dtype_change() -> None:
    a = report(node(attributes=(learned("coef_", loaded=np.zeros((2, 3))),)))
    b = report(node(attributes=(learned("coef_", loaded=np.zeros((2, 3), dtype=np.float32)),)))
    assert diff_reports(a, b).rows[0].detail == "dtype float64 → float32"


def test_learned_values_differ_with_max_abs_and_rel() -> None:
    a = report(node(attributes=(learned("coef_", loaded=np.array([1.0, 2.0, 4.0])),)))
    b = report(node(attributes=(learned("coef_", loaded=np.array([1.0, 2.5, 3.0])),)))
    row = diff_reports(a, b).rows[0]
    # |4-3| = 1 is the largest absolute difference; 0.5/2.5 = 0.2 and 1/4 = 0.25 relative.
    assert row.detail == "values differ: max abs diff 1, max rel diff 0.25"


def test_learned_nan_positions() -> None:
    a = report(node(attributes=(learned("coef_", loaded=np.array([1.0, np.nan])),)))
    b = report(node(attributes=(learned("coef_", loaded=np.array([1.0, np.nan])),)))
    assert not diff_reports(a, b).has_differences
    c = report(node(attributes=(learned("coef_", loaded=np.array([np.nan, 1.0])),)))
    assert "NaN positions differ" in diff_reports(a, c).rows[0].detail


def test_learned_structured_arrays_compare_field_by_field() -> None:
    dtype = np.dtype([("left", np.int64), ("threshold", np.float64)])
    a = np.array([(1, 0.5), (-1, 0.0)], dtype=dtype)
    b = a.copy()
    b["threshold"][0] = 0.75
    ra = report(node(attributes=(learned("nodes", loaded=a),)))
    assert not diff_reports(ra, report(node(attributes=(learned("nodes", loaded=a.copy()),)))).has_differences
    row = diff_reports(ra, report(node(attributes=(learned("nodes", loaded=b),)))).rows[0]
    assert row.detail.startswith("values differ: max abs diff 0.25")


def test_learned_nested_data_in_lists() -> None:
    # MLP-style coefs_: a list of arrays, no top-level statistics.
    a = [np.zeros((2, 2)), np.ones(2)]
    b = [np.zeros((2, 2)), np.array([1.0, 3.0])]
    ra = report(node(attributes=(learned("coefs_", loaded=a, stats=None),)))
    rb = report(node(attributes=(learned("coefs_", loaded=b, stats=None),)))
    assert diff_reports(ra, rb).rows[0].detail == (
        "values differ: max abs diff 2, max rel diff 0.666667")
    assert not diff_reports(ra, ra).has_differences


def test_learned_without_data_compares_statistics() -> None:
    stats = {"shape": [3], "dtype": "float64", "mean": 1.0, "std": 0.5}
    a = report(node(attributes=(learned("coef_", stats=stats),)))
    same = report(node(attributes=(learned("coef_", stats=dict(stats)),)))
    other = report(node(attributes=(learned("coef_", stats={**stats, "mean": 2.0}),)))
    assert not diff_reports(a, same).has_differences
    row = diff_reports(a, other).rows[0]
    assert row.status == "changed"
    assert row.detail == "statistics differ (mean)"


def test_structure_added_removed_and_class_changed() -> None:
    scaler = node(attributes=(hyper("with_mean", True),), path="steps[0]", class_name="sk.StandardScaler",
                  prefix="prep__")
    lr = node(attributes=(hyper("C", 1.0),), path="steps[1]", class_name="sk.LogisticRegression", prefix="clf__")
    svc = node(attributes=(hyper("C", 1.0),), path="steps[1]", class_name="sk.SVC", prefix="clf__")
    extra = node(attributes=(), path="steps[2]", class_name="sk.Extra", prefix="x__")
    a = report(node(attributes=(), class_name="sk.Pipeline", children=(scaler, lr)))
    b = report(node(attributes=(), class_name="sk.Pipeline", children=(scaler, svc, extra)))
    rows = rows_by_name(diff_reports(a, b))
    assert rows["steps[1]"].status == "changed"
    assert rows["steps[1]"].detail == "class sk.LogisticRegression → sk.SVC"
    assert rows["steps[2]"].status == "added"
    back = rows_by_name(diff_reports(b, a))
    assert back["steps[2]"].status == "removed"
    # the unchanged step and its hyperparameter do not show up
    assert "steps[0]" not in rows and "steps[0].with_mean" not in rows


def test_node_order_keeps_b_only_nodes_next_to_their_neighbours() -> None:
    first = node(attributes=(hyper("x", 1),), path="steps[0]")
    only_b = node(attributes=(hyper("x", 1),), path="steps[1]")
    last = node(attributes=(hyper("x", 1),), path="steps[2]")
    a = report(node(attributes=(), children=(first, last)))
    b = report(node(attributes=(), children=(first, only_b, last)))
    paths = [r.path for r in diff_reports(a, b, include_equal=True).rows
             if r.category == "structure"]
    assert paths == ["", "steps[0]", "steps[1]", "steps[2]"]


def test_ignore_categories() -> None:
    a = report(node(attributes=(hyper("C", 1.0), aux("n_jobs", 1), learned("coef_", loaded=np.zeros(3)))),
               saved={"scikit-learn": "1.4.0"})
    b = report(node(attributes=(hyper("C", 1.0), aux("n_jobs", 4), learned("coef_", loaded=np.ones(3)))),
               saved={"scikit-learn": "1.5.0"})
    assert {r.location for r in diff_reports(a, b).rows} == {"n_jobs", "coef_", "scikit-learn"}
    config_only = diff_reports(a, b, ignore=frozenset({"learned", "auxiliary"}))
    assert not config_only.has_differences
    assert config_only.ignored == ("learned", "auxiliary")
    b2 = replace(b, model=node(attributes=(hyper("C", 2.0), aux("n_jobs", 4),
                                learned("coef_", loaded=np.ones(3)))))
    changed = diff_reports(a, b2, ignore=frozenset({"learned", "auxiliary"}))
    assert [r.location for r in changed.rows] == ["C"]


def test_versions_and_safety_differences() -> None:
    payload = Finding("posix.system", "dangerous", "runs a shell command", "x_", True)
    known = Finding("numpy.dtype", "known", "", "", False)
    a = report(node(attributes=(hyper("C", 1.0),)), saved={"scikit-learn": "1.4.0"}, findings=(known,))
    b = report(node(attributes=(hyper("C", 1.0),)), saved={"scikit-learn": "1.5.0"},
               findings=(payload, known), verdict="unsafe")
    rows = rows_by_name(diff_reports(a, b))
    assert rows["scikit-learn"].category == "version"
    assert (rows["scikit-learn"].a, rows["scikit-learn"].b) == ("1.4.0", "1.5.0")
    assert (rows["verdict"].a, rows["verdict"].b) == ("safe", "unsafe")
    assert rows["findings"].detail == "only in B: posix.system (dangerous)"
    # known findings are not differences
    c = report(node(attributes=(hyper("C", 1.0),)), saved={"scikit-learn": "1.4.0"})
    assert not diff_reports(a, c).has_differences


# --------------------------------------------------------------------------- rendering


def _sample_result() -> DiffResult:
    a = report(node(attributes=(hyper("C", 1.0), learned("coef_", loaded=np.array([1.0, 2.0])))), path="a.pkl")
    b = report(node(attributes=(hyper("C", 0.5), learned("coef_", loaded=np.array([1.0, 3.0])))), path="b.pkl")
    return diff_reports(a, b)


def test_render_json_is_strict_and_complete() -> None:
    text = render_diff(_sample_result(), DiffFormat.json)
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert list(doc) == ["schema_version", "a", "b", "ignored", "has_differences",
                         "largest_change", "rows"]
    assert doc["has_differences"] is True
    assert doc["rows"][0] == {"path": "", "name": "C", "category": "hyperparameter",
                              "status": "changed", "a": "1.0", "b": "0.5", "a_value": 1.0,
                              "b_value": 0.5, "detail": "",
                              "param": "", "max_abs_diff": None, "max_rel_diff": None}


def test_render_markdown_escapes_pipes() -> None:
    a = report(node(attributes=(hyper("sep", "a|b"),)))
    b = report(node(attributes=(hyper("sep", "c"),)))
    text = render_diff(diff_reports(a, b), DiffFormat.markdown)
    assert "| ~ | sep | hyperparameter | 'a\\|b' | 'c' |  |" in text
    assert text.startswith("## hpinspect diff: models/model.joblib → models/model.joblib")


def test_render_table_plain_text_has_no_markup_interpretation() -> None:
    a = report(node(attributes=(hyper("steps", None, summary="[bold]x[/bold]", kind="list"),)))
    b = report(node(attributes=(hyper("steps", None, summary="[red]y", kind="list"),)))
    text = render_diff(diff_reports(a, b), DiffFormat.table, color=False)
    assert "[bold]x[/bold]" in text and "[red]y" in text
    assert "\x1b[" not in text


def test_render_no_differences() -> None:
    model = node(attributes=(hyper("C", 1.0),))
    result = diff_reports(report(model, path="a.pkl"), report(model, path="b.pkl"))
    for fmt in DiffFormat:
        text = render_diff(result, fmt, color=False)
        if fmt is DiffFormat.json:
            assert json.loads(text)["rows"] == []
        else:
            assert "No differences between a.pkl and b.pkl." in text


# --------------------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    directory = tmp_path_factory.mktemp("diff-models")
    X, y = make_classification(n_samples=60, random_state=0)
    files = {
        "c1": LogisticRegression(C=1.0).fit(X, y),
        "c1_again": LogisticRegression(C=1.0).fit(X, y),
        "c05": LogisticRegression(C=0.5).fit(X, y),
    }
    paths: dict[str, Path] = {}
    for name, model in files.items():
        paths[name] = directory / f"{name}.joblib"
        joblib.dump(model, paths[name])
    return paths


def test_real_files_c_changed(model_files: dict[str, Path]) -> None:
    from hpinspect import inspect_file

    result = diff_reports(inspect_file(model_files["c1"]), inspect_file(model_files["c05"]))
    rows = rows_by_name(result)
    assert result.has_differences
    assert rows["C"].status == "changed"
    assert rows["C"].category == "hyperparameter"
    assert float(rows["C"].a) == 1.0 and float(rows["C"].b) == 0.5
    assert rows["coef_"].detail.startswith("values differ: max abs diff ")
    config = diff_reports(inspect_file(model_files["c1"]), inspect_file(model_files["c05"]),
                          ignore=frozenset({"learned", "auxiliary"}))
    assert [r.location for r in config.rows] == ["C"]


def test_real_identical_files(model_files: dict[str, Path]) -> None:
    from hpinspect import inspect_file

    result = diff_reports(inspect_file(model_files["c1"]), inspect_file(model_files["c1_again"]))
    assert not result.has_differences


def test_largest_weight_change_matches_torch(tmp_path: Path) -> None:
    """Fine-tuned checkpoint vs base: the diff points at the tensor whose numbers moved most,
    with the same max abs diff torch computes, in every format."""
    import torch
    from helpers import run_cli

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                                torch.nn.Linear(16, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.save(model.state_dict(), tmp_path / "base.pt")
    optimiser = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(5):  # a few optimiser steps: every tensor moves, by different amounts
        optimiser.zero_grad()
        model(torch.randn(32, 8)).pow(2).sum().backward()
        optimiser.step()
    torch.save(model.state_dict(), tmp_path / "tuned.pt")
    moved = {k: float((model.state_dict()[k] - before[k]).abs().max()) for k in before}
    expected = max(moved, key=lambda k: moved[k])

    done = run_cli("diff", str(tmp_path / "base.pt"), str(tmp_path / "tuned.pt"),
                   "--format", "json")
    doc = json.loads(done.stdout)
    assert doc["largest_change"] == expected, (moved, doc["largest_change"])
    rows = {row["param"]: row for row in doc["rows"]}
    for name, value in moved.items():
        assert rows[name]["max_abs_diff"] == pytest.approx(value, rel=1e-6), name
    table = run_cli("diff", str(tmp_path / "base.pt"), str(tmp_path / "tuned.pt"))
    assert f"Largest change: {expected} (max abs diff" in table.stdout
    markdown = run_cli("diff", str(tmp_path / "base.pt"), str(tmp_path / "tuned.pt"),
                       "--format", "markdown")
    assert f"Largest change: {expected} (max abs diff" in markdown.stdout
    page = run_cli("diff", str(tmp_path / "base.pt"), str(tmp_path / "tuned.pt"),
                   "--format", "html")
    assert f"<p>Largest change: {expected} (max abs diff" in page.stdout


def test_largest_change_needs_two_numeric_changes(model_files: dict[str, Path]) -> None:
    """One changed hyperparameter and its learned values: coef_ and intercept_ both move, so
    the larger is named; identical files name nothing."""
    from hpinspect import inspect_file

    result = diff_reports(inspect_file(model_files["c1"]), inspect_file(model_files["c05"]))
    numeric = [r for r in result.rows if r.max_abs_diff is not None]
    assert {r.location for r in numeric} >= {"coef_"}
    largest = result.largest_change
    if len(numeric) >= 2:
        assert largest is not None
        assert largest.max_abs_diff == max(r.max_abs_diff or 0.0 for r in numeric)
    else:
        assert largest is None
    same = diff_reports(inspect_file(model_files["c1"]), inspect_file(model_files["c1_again"]))
    assert same.largest_change is None
