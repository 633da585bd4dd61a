"""Walks over the loaded graph are bounded: deep values, shared references, huge collections,
huge integers and huge names end cleanly in every output (issue 11, item 3).

Each file is built here opcode by opcode and inspected by a real ``python -m hpinspect`` child
(:func:`test_robustness.run_hpinspect`: a signal shows as a negative exit code, peak RSS is the
child's own). The timeout there is only a hang guard; no wall-clock time is asserted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_corpus import (  # tests/ is on sys.path
    dag_of_estimators,
    estimator_with,
    long4,
    long_global_name,
    many_estimators,
)
from test_robustness import PEAK_RSS_LIMIT_MIB, assert_clean, run_hpinspect

FORMATS = ("table", "json", "markdown", "sarif")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def inspect_everywhere(path: Path, code: int = 0) -> dict[str, str]:
    """Every format and a diff of the file with itself; returns the outputs by format."""
    out: dict[str, str] = {}
    for fmt in FORMATS:
        run = run_hpinspect("--format", fmt, "--width", "160", str(path))
        assert_clean(run, {code})
        assert run.peak_rss_mib < PEAK_RSS_LIMIT_MIB, run.describe()
        out[fmt] = run.stdout
    for fmt in ("table", "json", "markdown"):
        run = run_hpinspect("diff", "--format", fmt, str(path), str(path))
        assert_clean(run, {0})
    json.loads(out["json"])
    return out


@pytest.mark.parametrize("attribute", ["coef_", "alpha"])
def test_integer_beyond_the_digit_limit(tmp_path: Path, attribute: str) -> None:
    value = 7 * (10**4817 - 1) // 9  # 4,817 sevens (no int-to-text conversion here)
    out = inspect_everywhere(write(tmp_path, "int.pkl", estimator_with(attribute, long4(value))))
    assert "integer of 4,817 digits" in out["table"]
    assert "integer of 4,817 digits" in out["json"]


def test_deep_tuple_key(tmp_path: Path) -> None:
    data = estimator_with("vocabulary_", b"}N" + b"\x85" * 990 + b"Ns")  # {((…(None,)…),): None}
    out = inspect_everywhere(write(tmp_path, "key.pkl", data))
    assert "vocabulary_" in out["table"]


def test_deep_list_under_a_private_attribute(tmp_path: Path) -> None:
    data = estimator_with("_private", b"]" * 700 + b"a" * 699)  # 700 nested lists
    out = inspect_everywhere(write(tmp_path, "deep.pkl", data))
    assert "_private" in out["table"]


def test_dag_of_shared_references_is_linear(tmp_path: Path) -> None:
    levels = 40
    data = dag_of_estimators(levels)
    assert len(data) < 1600
    out = inspect_everywhere(write(tmp_path, "dag.pkl", data))
    doc = json.loads(out["json"])
    nodes, stack = 0, [doc["model"]]
    while stack:
        node = stack.pop()
        nodes += 1
        stack.extend(node["children"])
    assert nodes <= 2 * levels  # each object once, plus one reference per second edge
    assert "same object as a_" in out["table"]


def test_twenty_thousand_estimators_are_grouped(tmp_path: Path) -> None:
    data = many_estimators(20_000)
    out = inspect_everywhere(write(tmp_path, "many.pkl", data))
    doc = json.loads(out["json"])
    (group,) = doc["model"]["groups"]
    assert group["count"] == 20_000
    assert group["classes"] == {"sklearn.linear_model._base.LinearRegression": 20_000}
    assert len(out["table"]) < 20_000  # one Members row, not 20,000 sections


def test_sixteen_mebibyte_global_name(tmp_path: Path) -> None:
    name = "A" * (16 << 20)
    data = long_global_name(len(name))
    path = write(tmp_path, "name.pkl", data)
    for fmt in ("table", "markdown"):
        run = run_hpinspect("--format", fmt, str(path))
        assert_clean(run, {3})
        assert run.stdout_bytes < 1 << 20, run.describe()  # capped, not 16 MiB per mention
        assert "16,777,220 characters" in run.stdout  # "mod." + the name: the true length
        assert "UNSAFE" in run.stdout or "Unsafe" in run.stdout
    run = run_hpinspect("--format", "json", str(path))
    assert_clean(run, {3})
    doc = json.loads(run.stdout)
    assert any(f["global"] == "mod." + name for f in doc["safety"]["findings"])  # exact
