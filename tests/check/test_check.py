"""Tests for :mod:`hpinspect.check` and the ``hpinspect check`` / ``hpinspect diff`` commands.

Rule semantics are pinned on hand-built reports; the issue's acceptance cases run on real
files written by the installed scikit-learn, through typer's CliRunner.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from builders import hyper, learned, node, report
from typer.testing import CliRunner

from hpinspect.check import (
    CheckFailure,
    CheckResult,
    Rules,
    find_pyproject_rules,
    github_annotations,
    is_unsafe,
    load_rules_file,
    merge_rules,
    param_map,
    parse_expect,
    parse_range,
    run_check,
    values_match,
)
from hpinspect.cli import app
from hpinspect.errors import UsageError
from hpinspect.report import (
    Finding,
    Report,
)

runner = CliRunner()

# --------------------------------------------------------------------------- builders


def pipeline_report(fitted: bool = True, size: int = 1000, skew: str = "none",
                    findings: tuple[Finding, ...] = (), verdict: str = "safe",
                    known: bool = True) -> Report:
    """Pipeline(prep=ColumnTransformer(num=StandardScaler), clf=LogisticRegression)."""
    scaler = node(path="steps[0].transformers[0]", prefix="prep__num__",
                  class_name="sk.StandardScaler", fitted=fitted, label="num",
                  attributes=(hyper("with_mean", True), hyper("with_std", False)))
    prep = node(path="steps[0]", prefix="prep__", class_name="sk.ColumnTransformer",
                fitted=fitted, label="prep", children=(scaler,),
                attributes=(hyper("remainder", "drop", kind="string"),))
    coef = learned("coef_", summary="float64 (3)")
    clf = node(path="steps[1]", prefix="clf__", class_name="custom.MyLogReg", known=known,
               fitted=fitted, label="clf",
               attributes=(hyper("C", 0.5), hyper("max_iter", 100),
                           hyper("hidden", [10, 5], kind="list"),
                           hyper("kernel", None, kind="callable", summary="my_module.kernel"),
                           hyper("class_weight", None, kind="none", summary="None"),
                           hyper("tol", math.nan))
               + ((coef,) if fitted else ()))
    root = node(class_name="sklearn.pipeline.Pipeline", fitted=fitted, children=(prep, clf),
                attributes=(hyper("steps", None, kind="estimators", summary="prep → clf"),))
    installed = {"none": "1.5.0", "patch": "1.5.2", "minor": "1.6.0", "major": "2.0.0"}
    return report(root, path="models/pipe.joblib", size=size, sha256="ab" * 32,
                  compression=None, saved={"scikit-learn": "1.5.0"},
                  installed={"scikit-learn": installed[skew]} if skew != "unknown" else {},
                  skew={"scikit-learn": skew}, verdict=verdict, findings=findings)


def rules(**kwargs: Any) -> Rules:
    return Rules(**kwargs)


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(("text", "expected"), [
    ("C=0.5", ("C", 0.5)),
    ("n=30", ("n", 30)),
    ("solver=lbfgs", ("solver", "lbfgs")),
    ("solver='lbfgs'", ("solver", "lbfgs")),
    ('solver="lbfgs"', ("solver", "lbfgs")),
    ("fit_intercept=true", ("fit_intercept", True)),
    ("fit_intercept=True", ("fit_intercept", True)),
    ("max_depth=None", ("max_depth", None)),
    ("max_depth=null", ("max_depth", None)),
    ("sizes=(10, 5)", ("sizes", (10, 5))),
    ("sizes=[10, 5]", ("sizes", [10, 5])),
    ("weights={'a': 1}", ("weights", {"a": 1})),
    ("expr=a=b", ("expr", "a=b")),
    (" C = 1e-3 ", ("C", 0.001)),
    ("empty=", ("empty", "")),
])
def test_parse_expect(text: str, expected: tuple[str, Any]) -> None:
    path, value = parse_expect(text)
    assert (path, value) == expected
    assert type(value) is type(expected[1])


@pytest.mark.parametrize("text", ["C", "=0.5", "  =1"])
def test_parse_expect_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="PATH=VALUE"):
        parse_expect(text)


def test_parse_range() -> None:
    assert parse_range("lr=0.01:0.3") == ("lr", (0.01, 0.3))
    assert parse_range("lr=[1, 2]") == ("lr", (1.0, 2.0))
    with pytest.raises(UsageError, match="above high"):
        parse_range("lr=2:1")
    with pytest.raises(UsageError, match="two numbers"):
        parse_range("lr=abc")


@pytest.mark.parametrize(("expected", "actual", "match"), [
    (0.3, 0.1 + 0.2, True),          # tolerance
    (0.3, 0.30001, False),
    (30, 30.0, True),
    (30, 31, False),
    (1e-12, 0.0, True),              # abs tolerance near zero
    (True, 1, False),
    (1, True, False),
    ((10, 5), [10, 5], True),
    ([10, 5], [10, 6], False),
    ([10], [10, 5], False),
    (math.nan, math.nan, True),
    (math.nan, 1.0, False),
    ("lbfgs", "lbfgs", True),
    ("1", 1, False),
    (None, None, True),
    ({"a": 1.0}, {"a": 1}, True),
])
def test_values_match(expected: Any, actual: Any, match: bool) -> None:
    assert values_match(expected, actual) is match


# --------------------------------------------------------------------------- rules


def test_param_map_uses_get_params_paths() -> None:
    params = param_map(pipeline_report())
    assert params["clf__C"].value == 0.5
    assert params["prep__num__with_mean"].value is True
    assert params["prep__remainder"].value == "drop"
    assert "steps" in params
    # steps are reachable by name, like get_params()["clf"]
    assert params["clf"].kind == "estimator"


def test_expect_pass_and_fail() -> None:
    report = pipeline_report()
    ok = run_check(report, rules(expect={"clf__C": 0.5, "prep__num__with_mean": True,
                                         "clf__hidden": (10, 5), "clf__tol": math.nan,
                                         "clf__class_weight": None,
                                         "clf__kernel": "my_module.kernel",
                                         "clf": "MyLogReg"}))
    assert ok.ok, ok.failures
    assert len(ok.passed) == 7
    bad = run_check(report, rules(expect={"clf__C": 1.0, "prep__num__with_std": True}))
    assert not bad.ok
    assert [(f.rule, f.subject, f.expected, f.actual) for f in bad.failures] == [
        ("expect", "clf__C", "1.0", "0.5"),
        ("expect", "prep__num__with_std", "true", "false"),
    ]
    assert bad.failures[0].line == "models/pipe.joblib: expect clf__C: expected 1.0, got 0.5"


def test_expect_unknown_path_suggests() -> None:
    result = run_check(pipeline_report(), rules(expect={"clf__c": 0.5}))
    (failure,) = result.failures
    assert failure.actual == "no such parameter"
    assert failure.hint == "did you mean 'clf__C'?"
    assert "did you mean 'clf__C'?" in failure.line
    nothing_close = run_check(pipeline_report(), rules(expect={"zzzz": 1})).failures[0]
    assert nothing_close.hint == ""


def test_ranges_inclusive() -> None:
    report = pipeline_report()
    assert run_check(report, rules(ranges={"clf__C": (0.5, 1.0)})).ok
    assert run_check(report, rules(ranges={"clf__C": (0.1, 0.5)})).ok
    out = run_check(report, rules(ranges={"clf__C": (0.6, 1.0)}))
    assert [(f.rule, f.actual) for f in out.failures] == [("range", "0.5")]
    not_number = run_check(report, rules(ranges={"prep__remainder": (0.0, 1.0)}))
    assert not_number.failures[0].message == "prep__remainder is not a number"
    nan = run_check(report, rules(ranges={"clf__tol": (0.0, 1.0)}))
    assert not nan.ok


def test_require_fitted() -> None:
    assert run_check(pipeline_report(fitted=True), rules(require_fitted=True)).ok
    result = run_check(pipeline_report(fitted=False), rules(require_fitted=True))
    assert [(f.rule, f.actual) for f in result.failures] == [("require-fitted", "not fitted")]
    # not asked for: an unfitted model passes
    assert run_check(pipeline_report(fitted=False), rules()).ok


@pytest.mark.parametrize(("skew", "limit", "ok"), [
    ("none", "none", True),
    ("patch", "none", False),
    ("patch", "patch", True),
    ("minor", "patch", False),
    ("minor", "minor", True),
    ("major", "minor", False),
    ("major", "major", True),
])
def test_max_skew(skew: str, limit: str, ok: bool) -> None:
    result = run_check(pipeline_report(skew=skew), rules(max_skew=limit))
    assert result.ok is ok
    if not ok:
        assert result.failures[0].subject == "scikit-learn"
        assert result.failures[0].actual.startswith(skew)


def test_max_skew_unknown_passes_with_note() -> None:
    result = run_check(pipeline_report(skew="unknown"), rules(max_skew="none"))
    assert result.ok
    assert result.notes == ("max-skew: scikit-learn 1.5.0 saved, not installed here; "
                            "skew unknown",)


def test_strict() -> None:
    custom = Finding("custom.MyLogReg", "unknown class", "not in the knowledge base",
                     "steps[1][1]", False)
    report = pipeline_report(findings=(custom,), verdict="review", known=False)
    assert run_check(report, rules()).ok
    result = run_check(report, rules(strict=True))
    assert [(f.rule, f.subject) for f in result.failures] == [("strict", "custom.MyLogReg")]
    assert run_check(pipeline_report(), rules(strict=True)).ok


def test_max_size() -> None:
    assert run_check(pipeline_report(size=1000), rules(max_size=1000)).ok
    result = run_check(pipeline_report(size=1001), rules(max_size=1000))
    assert [(f.rule, f.actual) for f in result.failures] == [("max-size", "1001 bytes")]


def test_is_unsafe() -> None:
    payload = Finding("posix.system", "dangerous", "runs a shell command", "x_", True)
    assert is_unsafe(pipeline_report(findings=(payload,), verdict="unsafe"))
    assert not is_unsafe(pipeline_report())


# --------------------------------------------------------------------------- rules files


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


RULES_TOML = """\
require_fitted = true
max_skew = "minor"
strict = false
max_size = 1000000
[expect]
C = 0.5
"clf__n_estimators" = 30
[range]
"clf__learning_rate" = [0.01, 0.3]
"""


def test_load_rules_file(tmp_path: Path) -> None:
    loaded = load_rules_file(write(tmp_path / "rules.toml", RULES_TOML))
    assert loaded.require_fitted is True
    assert loaded.max_skew == "minor"
    assert loaded.max_size == 1_000_000
    assert dict(loaded.expect) == {"C": 0.5, "clf__n_estimators": 30}
    assert dict(loaded.ranges) == {"clf__learning_rate": (0.01, 0.3)}


@pytest.mark.parametrize(("text", "match"), [
    ("require-fitted = true\n", r"unknown key 'require-fitted'; did you mean 'require_fitted'"),
    ("colour = 1\n", r"unknown key 'colour' \(known keys: require_fitted"),
    ("require_fitted = \n", "invalid TOML"),
    ("max_skew = 'huge'\n", "max_skew must be one of none, patch, minor, major"),
    ("require_fitted = 'yes'\n", "require_fitted must be true or false"),
    ("max_size = -1\n", "max_size must be a number of bytes"),
    ("[range]\nC = [1]\n", r"range 'C' must be \[low, high\]"),
    ("[range]\nC = [2, 1]\n", "above high"),
    ("expect = 3\n", "expect must be a table"),
    ("[expect]\nwhen = 1979-05-27\n", "unsupported value"),
])
def test_load_rules_file_errors(tmp_path: Path, text: str, match: str) -> None:
    path = write(tmp_path / "rules.toml", text)
    with pytest.raises(UsageError, match=match) as info:
        load_rules_file(path)
    assert str(path) in str(info.value)


def test_load_rules_file_missing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="rules file not found"):
        load_rules_file(tmp_path / "nope.toml")


def test_toml_dotted_key_gets_a_hint(tmp_path: Path) -> None:
    loaded = load_rules_file(write(tmp_path / "r.toml", "[expect]\nbest_estimator_.C = 1\n"))
    assert dict(loaded.expect) == {"best_estimator_": {"C": 1}}
    (failure,) = run_check(pipeline_report(), loaded).failures
    assert failure.hint.startswith('in TOML, quote a dotted path')


def test_find_pyproject_rules(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.hpinspect.check]\nrequire_fitted = true\n"
          "[tool.hpinspect.check.expect]\nC = 0.5\n")
    write(tmp_path / "sub" / "pyproject.toml", "[project]\nname = 'x'\n")
    deep = tmp_path / "sub" / "deeper"
    deep.mkdir()
    found = find_pyproject_rules(deep)
    assert found is not None
    assert found.require_fitted and dict(found.expect) == {"C": 0.5}
    assert "[tool.hpinspect.check]" in found.source
    # the nearest file with the table wins
    write(tmp_path / "sub" / "pyproject.toml", "[tool.hpinspect.check]\nstrict = true\n")
    nearer = find_pyproject_rules(deep)
    assert nearer is not None and nearer.strict and not nearer.require_fitted


def test_find_pyproject_rules_bad_key(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.hpinspect.check]\nrequired_fitted = true\n")
    with pytest.raises(UsageError, match="did you mean 'require_fitted'"):
        find_pyproject_rules(tmp_path)


def test_merge_rules() -> None:
    base = Rules(expect={"C": 1.0, "tol": 0.1}, require_fitted=True, max_skew="major",
                 max_size=10, source="pyproject")
    cli = Rules(expect={"C": 0.5}, max_skew="minor", strict=True, source="command line")
    merged = merge_rules(None, base, cli)
    assert dict(merged.expect) == {"C": 0.5, "tol": 0.1}
    assert merged.require_fitted and merged.strict
    assert merged.max_skew == "minor" and merged.max_size == 10
    assert merged.source == "pyproject + command line"
    assert merge_rules().empty


# --------------------------------------------------------------------------- annotations


def test_github_annotations_escape() -> None:
    failure = CheckFailure("dir,a:b/m%.pkl", "expect", "C", "'50%\nmore'", "0.5",
                           "C is 0.5", "did you mean 'C'?")
    (line,) = github_annotations([CheckResult(failure.file, (failure,))])
    assert line == ("::error file=dir%2Ca%3Ab/m%25.pkl,title=hpinspect expect::"
                    "expect C: expected '50%25%0Amore', got 0.5; did you mean 'C'?")
    assert github_annotations([CheckResult("m.pkl", ())]) == []


# --------------------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    directory = tmp_path_factory.mktemp("check-models")
    X, y = make_classification(n_samples=60, random_state=0)
    objects = {
        "c1": LogisticRegression(C=1.0).fit(X, y),
        "c1_again": LogisticRegression(C=1.0).fit(X, y),
        "c05": LogisticRegression(C=0.5).fit(X, y),
        "unfitted": LogisticRegression(),
        "pipe": Pipeline([("scale", StandardScaler()),
                          ("clf", RandomForestClassifier(n_estimators=30, random_state=0))]
                         ).fit(X, y),
    }
    paths = {}
    for name, obj in objects.items():
        paths[name] = directory / f"{name}.joblib"
        joblib.dump(obj, paths[name])
    return paths


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty directory (no pyproject.toml rules) without GitHub's environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env)


def test_cli_diff_identical_exit_code(models: dict[str, Path], isolated: Path) -> None:
    result = invoke("diff", "--exit-code", str(models["c1"]), str(models["c1_again"]))
    assert result.exit_code == 0, result.output
    assert "No differences" in result.stdout


def test_cli_diff_c_changed(models: dict[str, Path], isolated: Path) -> None:
    result = invoke("diff", "--exit-code", "--no-color", str(models["c1"]), str(models["c05"]))
    assert result.exit_code == 1, result.output
    assert any(line.split("│")[2].strip() == "C" for line in result.stdout.splitlines()
               if line.count("│") > 3)
    without = invoke("diff", str(models["c1"]), str(models["c05"]))
    assert without.exit_code == 0, without.output
    assert " C " in without.stdout


def test_cli_diff_formats_and_ignore(models: dict[str, Path], isolated: Path) -> None:
    result = invoke("diff", "--format", "json", "--ignore", "learned", "--ignore", "auxiliary",
                    str(models["c1"]), str(models["c05"]))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["ignored"] == ["learned", "auxiliary"]
    assert [(r["name"], r["a"], r["b"]) for r in doc["rows"]] == [("C", "1.0", "0.5")]
    md = invoke("diff", "--format", "markdown", "--all", str(models["c1"]), str(models["c05"]))
    assert md.exit_code == 0
    assert "| ~ | C | hyperparameter |" in md.stdout
    assert "| = | penalty |" in md.stdout or "| = | tol |" in md.stdout


def test_cli_diff_missing_file(models: dict[str, Path], isolated: Path) -> None:
    result = invoke("diff", str(models["c1"]), str(isolated / "missing.joblib"))
    assert result.exit_code == 2
    assert "missing.joblib" in result.stderr


def test_cli_check_expect_c(models: dict[str, Path], isolated: Path) -> None:
    ok = invoke("check", str(models["c05"]), "--expect", "C=0.5")
    assert ok.exit_code == 0, ok.output
    assert "ok (safe; 1 rule ran and passed: expect C = 0.5)" in ok.stdout
    bad = invoke("check", str(models["c05"]), "--expect", "C=1.0")
    assert bad.exit_code == 1, bad.output
    (line,) = [ln for ln in bad.stdout.splitlines() if ln.startswith("FAIL")]
    assert line == f"FAIL {models['c05']}: expect C: expected 1.0, got 0.5"


def test_cli_check_pipeline_step(models: dict[str, Path], isolated: Path) -> None:
    ok = invoke("check", str(models["pipe"]), "--expect", "clf__n_estimators=30")
    assert ok.exit_code == 0, ok.output
    bad = invoke("check", str(models["pipe"]), "--expect", "clf__n_estimators=31")
    assert bad.exit_code == 1, bad.output
    assert "expected 31, got 30" in bad.stdout
    typo = invoke("check", str(models["pipe"]), "--expect", "clf__n_estimator=30")
    assert typo.exit_code == 1
    assert "did you mean 'clf__n_estimators'" in typo.stdout


def test_cli_check_require_fitted(models: dict[str, Path], isolated: Path) -> None:
    assert invoke("check", str(models["c1"]), "--require-fitted").exit_code == 0
    result = invoke("check", str(models["unfitted"]), "--require-fitted")
    assert result.exit_code == 1, result.output
    assert "require-fitted" in result.stdout and "not fitted" in result.stdout


def test_cli_check_rules_files(models: dict[str, Path], isolated: Path) -> None:
    passing = write(isolated / "pass.toml", "require_fitted = true\n[expect]\nC = 0.5\n")
    failing = write(isolated / "fail.toml", "[expect]\nC = 1.0\n")
    assert invoke("check", str(models["c05"]), "--rules", str(passing)).exit_code == 0
    assert invoke("check", str(models["c05"]), "--rules", str(failing)).exit_code == 1
    missing = invoke("check", str(models["c05"]), "--rules", str(isolated / "nope.toml"))
    assert missing.exit_code == 2
    assert "rules file not found" in missing.stderr
    bad = write(isolated / "bad.toml", "expekt = 1\n")
    unknown = invoke("check", str(models["c05"]), "--rules", str(bad))
    assert unknown.exit_code == 2
    assert "unknown key 'expekt'" in unknown.stderr


def test_cli_check_pyproject_rules(models: dict[str, Path], isolated: Path) -> None:
    write(isolated / "pyproject.toml", "[tool.hpinspect.check.expect]\nC = 1.0\n")
    result = invoke("check", str(models["c05"]))
    assert result.exit_code == 1, result.output
    # command-line expectations override the file's for the same path
    assert invoke("check", str(models["c05"]), "--expect", "C=0.5").exit_code == 0


def test_cli_check_json(models: dict[str, Path], isolated: Path) -> None:
    result = invoke("check", "--format", "json", str(models["c05"]), str(models["c1"]),
                    "--expect", "C=0.5")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    assert [f["ok"] for f in doc["files"]] == [True, False]
    assert doc["files"][1]["failures"][0]["actual"] == "1.0"


def test_cli_check_github_annotations(models: dict[str, Path], isolated: Path) -> None:
    result = invoke("check", str(models["c05"]), "--expect", "C=1.0",
                    env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    annotations = [ln for ln in result.stdout.splitlines() if ln.startswith("::error ")]
    assert len(annotations) == 1
    assert annotations[0].startswith(f"::error file={models['c05']},title=hpinspect expect::")
    quiet = invoke("check", str(models["c05"]), "--expect", "C=1.0")
    assert "::error" not in quiet.stdout


def test_cli_check_unsafe_first(hostile: tuple[Path, Path], isolated: Path) -> None:
    path, canary = hostile
    # a rule that would pass and one that would fail: neither matters, safety comes first
    result = invoke("check", str(path), "--expect", "C=1.0", "--require-fitted",
                    env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 3, result.output
    assert "UNSAFE" in result.stdout and "system" in result.stdout
    assert "expect" not in result.stdout.replace("::error", "")
    assert any(ln.startswith("::error file=") and "dangerous" in ln
               for ln in result.stdout.splitlines())
    assert not canary.exists()
    as_json = invoke("check", "--format", "json", str(path))
    assert as_json.exit_code == 3
    assert json.loads(as_json.stdout)["files"][0]["unsafe"] is True
    assert not canary.exists()


def test_cli_diff_unsafe_exits_3(models: dict[str, Path], hostile: tuple[Path, Path],
                                 isolated: Path) -> None:
    path, canary = hostile
    result = invoke("diff", "--format", "json", str(models["c1"]), str(path))
    assert result.exit_code == 3, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)["rows"]
            if r["category"] == "safety"}
    assert (rows["verdict"]["a"], rows["verdict"]["b"]) == ("safe", "unsafe")
    assert "system" in rows["findings"]["detail"]
    assert not canary.exists()
