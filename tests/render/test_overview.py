"""The first screen (issue 14): the overview lines and the compact tables, on committed model
files (tests/data/golden_models, written by scripts/make_golden_models.py) at 80/120/200
columns, plus the facts each overview line must carry, read against the real estimator."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import joblib
import pytest

from hpinspect import inspect_file
from hpinspect.render import RenderOptions
from hpinspect.render.overview import LineKind, overview_lines
from hpinspect.render.table import TableRenderer
from hpinspect.report import Report

MODELS = Path(__file__).resolve().parent.parent / "data" / "golden_models"
GOLDEN = Path(__file__).parent / "golden"
NAMES = ("ct_pipeline", "randomized", "stacking", "calibrated", "bundle", "forest", "search")
WIDTHS = (80, 120, 200)


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {name: inspect_file(MODELS / f"{name}.joblib") for name in NAMES}


def render(report: Report, width: int, **kw: bool) -> str:
    return TableRenderer().render([report], RenderOptions(color=False, width=width, **kw))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", NAMES)
def test_golden_overview_layout(reports: dict[str, Report], name: str, width: int) -> None:
    # the path differs per checkout (and its length moves the wrapping): golden the name only
    report = reports[name]
    report = replace(report, file=replace(report.file, path=Path(report.file.path).name))
    text = render(report, width)
    path = GOLDEN / f"overview_{name}.w{width}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", NAMES)
def test_no_line_exceeds_the_width(reports: dict[str, Report], name: str, width: int) -> None:
    assert max(len(line) for line in render(reports[name], width).splitlines()) <= width


def test_column_routing_classes_and_changed_settings_in_full_at_120(
        reports: dict[str, Report]) -> None:
    model = joblib.load(MODELS / "ct_pipeline.joblib")  # our own committed file
    first = render(reports["ct_pipeline"], 120).split("\n\n")[0]
    flat = re.sub(r"\s+", " ", first)
    for name, _transformer, columns in model.named_steps["prep"].transformers_:
        if name != "remainder":
            assert f"{name}: " in flat and " ← " + ", ".join(columns) in flat
    labels = ", ".join(model.classes_)
    assert f"{len(model.classes_)} classes: {labels}" in flat
    assert "SVC(C=2.0" in flat and "gamma='scale' → " in flat
    assert "handle_unknown='ignore'" in flat
    assert "safety safe" in flat and "versions scikit-learn" in flat


def test_best_params_readable_in_full_at_120(reports: dict[str, Report]) -> None:
    model = joblib.load(MODELS / "randomized.joblib")
    flat = re.sub(r"\s+", " ", render(reports["randomized"], 120))
    for key, value in model.best_params_.items():
        assert f"'{key}': {value}" in flat
    assert f"best_score_ {model.best_score_:.4g}" in flat


def test_templates_collapse_to_one_line(reports: dict[str, Report]) -> None:
    lines = overview_lines(reports["randomized"])
    templates = [line for line in lines if line.kind is LineKind.TEMPLATE]
    assert templates and all("template" in line.text for line in templates)
    # a template's own nested estimators are not listed, and get no tables
    assert not any("scorer_" in line.text and line.kind is LineKind.ESTIMATOR for line in lines)
    text = render(reports["randomized"], 120)
    assert "estimator  template" not in text
    assert sum(1 for line in text.splitlines() if line.startswith("estimator ")) == 0


def test_same_class_members_are_summarised_and_all_expands(reports: dict[str, Report]) -> None:
    model = joblib.load(MODELS / "calibrated.joblib")
    count = len(model.calibrated_classifiers_)
    text = render(reports["calibrated"], 120)
    assert f"calibrated_classifiers_: {count} × _CalibratedClassifier" in text
    assert "calibrated_classifiers_[0]" not in text
    expanded = render(reports["calibrated"], 120, show_all=True)
    assert "calibrated_classifiers_[0]" in expanded


def test_empty_tables_are_not_drawn(reports: dict[str, Report]) -> None:
    text = render(reports["bundle"], 120)
    assert "none" not in text.split()


def test_default_column_legend_and_markers(reports: dict[str, Report]) -> None:
    text = render(reports["stacking"], 120)
    assert "'= default' unchanged" in text and "= default" in text
    assert "(fit)" in text  # stack_method_ resolved by fit


def test_versions_line_says_unsupported_across_versions() -> None:
    from hpinspect.render.overview import skew_text

    text = skew_text("scikit-learn", "1.2.2", "1.9.1", "major")
    assert text == ("saved with 1.2.2, installed 1.9.1: unsupported by scikit-learn across "
                    "versions (7 feature releases apart)")


def test_markdown_is_a_model_card_with_what_the_file_holds(reports: dict[str, Report]) -> None:
    from hpinspect.render.markdown import MarkdownRenderer

    model = joblib.load(MODELS / "randomized.joblib")
    card = MarkdownRenderer().render([reports["randomized"]], RenderOptions(color=False))
    headings = [line for line in card.splitlines() if line.startswith("## ")]
    for section in ("## Model description", "## Intended uses & limitations",
                    "## Training data", "## Evaluation results", "## Citation",
                    "## Model details"):
        assert section in headings
    assert f"`best_score_`: **{model.best_score_:.4g}**" in card
    assert f"- **Features:** {model.n_features_in_}" in card
    assert "[More Information Needed]" in card
