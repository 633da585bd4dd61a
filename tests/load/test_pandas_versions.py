"""Bundles pickled by older pandas releases read as benign, summarised as pandas says (issue 11).

pandas 1.1, 1.5, 2.0 and 2.2 each pickle DataFrames, Series, indexes, Categoricals and
Timestamps through different reconstruction paths (a ``BlockManager`` state tuple with the
"0.14.1" layout, ``_unpickle_block``, ``Int64Index``, ``__pyx_unpickle_PeriodMixin`` or
``__pyx_unpickle_NDArrayBacked``, ``Timestamp(value, None, pytz._UTC())`` or
``_unpickle_timestamp``, date offsets as frequencies). The files under
``tests/data/pandas/<version>/`` were written by those releases
(``scripts/make_pandas_fixtures.py``) next to ``expected.json``, that pandas' own answer for
every entry. The test extras install only today's pandas, so the old releases' answers are
committed with the files they describe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli  # tests/ is on sys.path

from hpinspect import inspect_file

DATA = Path(__file__).resolve().parents[1] / "data" / "pandas"
VERSIONS = sorted(p.name for p in DATA.iterdir() if p.is_dir())
FILES = [(v, p) for v in VERSIONS for p in ("bundle_p2.pkl", "bundle_p4.pkl")]
EXTENSION_CLASSES = {"category": "Categorical", "Int64": "IntegerArray"}
"""pandas' dtype names -> the extension array class hpinspect names for a block."""


def _dtype_shown(dtype: str) -> str:
    if dtype.startswith("datetime64[") and "," in dtype:
        return "DatetimeArray"  # tz-aware: an extension array
    return EXTENSION_CLASSES.get(dtype, dtype)


def _expected(version: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / version / "expected.json").read_text("utf-8"))
    return doc


def summaries(version: str, name: str) -> dict[str, str]:
    report = inspect_file(DATA / version / name)
    findings = [(f.global_name, f.severity) for f in report.safety.findings
                if f.severity != "known"]
    assert findings == [], findings
    assert report.safety.verdict == "safe"
    return {a.name: a.summary for a in report.model.attributes}


def test_the_fixtures_span_the_reconstruction_paths() -> None:
    pandas = [_expected(v)["pandas"] for v in VERSIONS]
    assert [p.split(".")[0] for p in pandas].count("1") >= 2 and "2.2.3" in pandas
    total = sum(f.stat().st_size for f in DATA.rglob("*") if f.is_file())
    assert total < 300_000


@pytest.mark.parametrize(("version", "name"), FILES)
def test_exit_code_is_zero(version: str, name: str) -> None:
    result = run_cli("--format", "json", str(DATA / version / name))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["safety"]["verdict"] == "safe"


def _frame_text(entry: dict[str, Any]) -> str:
    rows, cols = entry["shape"]
    dtypes = ", ".join(dict.fromkeys(_dtype_shown(d) for d in entry["dtypes"]))
    return f"DataFrame {rows}×{cols}, columns {', '.join(entry['columns'])}; dtypes {dtypes}"


def _expected_text(entry: dict[str, Any]) -> str:
    kind = entry["class"]
    if kind == "DataFrame":
        return _frame_text(entry)
    if kind == "Series":
        return f"Series {entry['shape'][0]} rows, dtype {_dtype_shown(entry['dtype'])}"
    if kind == "Categorical":
        return f"Categorical ({entry['shape'][0]})"
    if kind == "Timestamp":
        return f"Timestamp {entry['iso'][:19]}"  # shown in UTC, to the second at least
    return f"{kind} ({entry['shape'][0]} entries)"  # every Index kind


@pytest.mark.parametrize(("version", "name"), FILES)
def test_summaries_say_what_pandas_says(version: str, name: str) -> None:
    shown = summaries(version, name)
    entries = _expected(version)["entries"]
    assert shown.keys() == entries.keys()
    for key, entry in entries.items():
        expected = _expected_text(entry)
        if entry["class"] == "Timestamp":
            assert shown[key].startswith(expected), (version, key, shown[key])
        else:
            assert shown[key] == expected, (version, key)
