"""Issue 14's smaller CLI points, in real processes: subcommand "did you mean", --width
validation, the width of piped output, --only prefixes, the --range message, check messages
that name the rules that ran, and diff's tree statistics and typed JSON values."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pytest
from sklearn.tree import DecisionTreeClassifier

from tests.helpers import run_cli

MODELS = Path(__file__).resolve().parent.parent / "data" / "golden_models"
LOGREG = str(MODELS / "logreg.joblib")


def test_subcommand_typo_suggests_the_command() -> None:
    result = run_cli("inspct", LOGREG)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == ("hpinspect: error: inspct: no such command or file; did "
                                     "you mean 'inspect'?")


@pytest.mark.parametrize("width", ["0", "-5", "20", "5000"])
def test_width_is_validated(width: str) -> None:
    result = run_cli(LOGREG, "--width", width)
    assert result.returncode == 2 and result.stdout == ""
    assert "--width must be between 40 and 1000" in result.stderr


@pytest.mark.parametrize("columns", [80, 200])
def test_piped_output_takes_columns(columns: int) -> None:
    result = run_cli(str(MODELS / "ct_pipeline.joblib"), "--no-color",
                     env={"COLUMNS": str(columns)})
    assert result.returncode == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= columns
    explicit = run_cli(str(MODELS / "ct_pipeline.joblib"), "--no-color", "--width",
                       str(columns))
    assert result.stdout == explicit.stdout  # laid out for COLUMNS, not 120 regardless


def test_only_accepts_a_prefix() -> None:
    short = run_cli(LOGREG, "--only", "hyper", "--no-color", "--width", "120")
    full = run_cli(LOGREG, "--only", "hyperparameter", "--no-color", "--width", "120")
    assert short.returncode == 0 and short.stdout == full.stdout
    assert "hyperparameter" in short.stdout and "learned " not in short.stdout


def test_range_message_names_low_high() -> None:
    result = run_cli("check", LOGREG, "--range", "C=1")
    assert result.returncode == 2
    assert "expected PATH=LOW:HIGH" in result.stderr


def test_check_says_which_rules_ran() -> None:
    model = joblib.load(LOGREG)  # our committed file
    result = run_cli("check", LOGREG, "--expect", f"C={model.C}", "--max-skew", "none")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"ok (safe; 2 rules ran and passed: expect C = "
                                          f"{model.C}, max-skew none)")


def test_diff_trees_by_statistics_and_typed_json(tmp_path: Path) -> None:
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=120, n_features=4, random_state=0)
    shallow = DecisionTreeClassifier(max_depth=2, random_state=0).fit(x, y)
    deep = DecisionTreeClassifier(max_depth=4, random_state=0).fit(x, y)
    joblib.dump(shallow, tmp_path / "a.joblib")
    joblib.dump(deep, tmp_path / "b.joblib")
    result = run_cli("diff", str(tmp_path / "a.joblib"), str(tmp_path / "b.joblib"),
                     "--format", "json")
    rows = {row["name"]: row for row in json.loads(result.stdout)["rows"]}
    assert rows["max_depth"]["a_value"] == 2 and rows["max_depth"]["b_value"] == 4
    detail = rows["tree_"]["detail"]
    assert f"nodes {shallow.tree_.node_count} → {deep.tree_.node_count}" in detail
    assert f"max depth {shallow.tree_.max_depth} → {deep.tree_.max_depth}" in detail
    assert "max abs diff" not in detail


@pytest.mark.parametrize(("env", "expected"), [
    ({"_HPINSPECT_COMPLETE": "complete_bash", "COMP_WORDS": "hpinspect --fo",
      "COMP_CWORD": "1"}, "--format"),
    ({"_HPINSPECT_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "hpinspect --on"},
     "--only"),
    ({"_HPINSPECT_COMPLETE": "complete_bash", "COMP_WORDS": "hpinspect ch",
      "COMP_CWORD": "1"}, "check"),
])
def test_completion_of_the_default_command(env: dict[str, str], expected: str) -> None:
    result = run_cli(env=env)
    assert result.returncode == 0
    assert expected in result.stdout
