"""``hpinspect scan`` as a user runs it: exit code of the worst file, every format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, run_cli
from mixed_folder import Mixed, build_mixed_in_subprocess


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Mixed:
    from hostile_corpus import build_proto0_os_system

    base = tmp_path_factory.mktemp("scan-cli")
    corpus = base / "corpus"
    corpus.mkdir()
    canary = base / "canary"
    return build_mixed_in_subprocess(base, (build_proto0_os_system(corpus, canary), canary))


def _schema() -> dict[str, Any]:
    return json.loads((REPO / "hpinspect" / "schema" / "report.schema.json").read_text())


def test_jsonl_one_valid_report_per_model(mixed: Mixed) -> None:
    import jsonschema

    result = run_cli("scan", "--format", "jsonl", "--jobs", "2", str(mixed.root))
    assert result.returncode == 3, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(mixed.models)
    schema = _schema()
    paths = set()
    for line in lines:
        doc = json.loads(line)
        jsonschema.validate(doc, schema)
        paths.add(str(Path(doc["file"]["path"]).relative_to(mixed.root)))
        expected = mixed.models[str(Path(doc["file"]["path"]).relative_to(mixed.root))]
        assert doc["safety"]["verdict"] == expected
    assert paths == set(mixed.models)
    errors = result.stderr.splitlines()
    assert len(errors) == len(mixed.broken)
    assert all(line.startswith("hpinspect: error: ") for line in errors)
    assert "Traceback" not in result.stderr
    assert not mixed.canary.exists()


def test_table_summary_and_verbose(mixed: Mixed) -> None:
    result = run_cli("scan", "--width", "200", str(mixed.root))
    assert result.returncode == 3
    out = result.stdout
    assert "LogisticRegression " in out and "C=0.5" in out  # the class, its settings below
    assert "posix.system" in out or "os.system" in out
    total = len(mixed.models) + len(mixed.others) + len(mixed.broken) + len(mixed.skipped)
    verdicts = list(mixed.models.values())
    detail = ", ".join(f"{verdicts.count(v)} {v}" for v in ("safe", "review", "unsafe"))
    assert (f"{total} paths: {len(mixed.models)} models ({detail}), "
            f"{len(mixed.others)} other files, {len(mixed.broken)} broken, "
            f"{len(mixed.skipped)} skipped") in out
    assert "README.md" not in out
    verbose = run_cli("scan", "--verbose", "--width", "200", str(mixed.root)).stdout
    assert "README.md: not a model" in verbose
    assert "escape.joblib: skipped: symlink out of the scanned folder" in verbose


def test_json_sarif_markdown(mixed: Mixed) -> None:
    doc = json.loads(run_cli("scan", "--format", "json", str(mixed.root)).stdout)
    assert doc["counts"] == {"model": len(mixed.models), "other": len(mixed.others),
                             "broken": len(mixed.broken), "skipped": len(mixed.skipped)}
    assert len(doc["reports"]) == len(mixed.models)
    sarif = json.loads(run_cli("scan", "--format", "sarif", str(mixed.root)).stdout)
    assert len(sarif["runs"]) == 1
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"HPI001", "HPI003", "HPI020"}
    assert sum(r["ruleId"] == "HPI020" for r in results) == len(mixed.broken)
    markdown = run_cli("scan", "--format", "markdown", str(mixed.root)).stdout
    assert markdown.startswith("# hpinspect scan")
    assert "| File | Format | Model | Fitted | Verdict | Findings |" in markdown


def test_exit_codes(tmp_path: Path, logreg: Any) -> None:
    import joblib

    joblib.dump(logreg, tmp_path / "a.joblib")
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    assert run_cli("scan", str(tmp_path)).returncode == 0
    (tmp_path / "bad.pkl").write_bytes((tmp_path / "a.joblib").read_bytes()[:100])
    result = run_cli("scan", "--jobs", "1", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().endswith("truncated pickle stream (no STOP opcode)") or \
        "bad.pkl" in result.stderr
    assert run_cli("scan", "--format", "nope", str(tmp_path)).returncode == 2


def test_file_names_cannot_inject_terminal_codes(tmp_path: Path, logreg: Any) -> None:
    import joblib

    joblib.dump(logreg, tmp_path / "evil\x1b[2J\u202e.joblib")
    result = run_cli("scan", "--width", "200", str(tmp_path))
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\x1b[2J" in result.stdout


def test_help_has_an_example() -> None:
    result = run_cli("scan", "--help")
    assert result.returncode == 0
    assert "Example: hpinspect scan" in result.stdout
    for option in ("--jobs", "--exclude", "--max-files", "--verbose", "--format"):
        assert option in result.stdout


def test_pre_commit_hook_uses_scan() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    scan = next(h for h in hooks if h["id"] == "hpinspect-scan")
    assert scan["entry"] == "hpinspect scan"
    assert scan["pass_filenames"] is True and "types" in scan
