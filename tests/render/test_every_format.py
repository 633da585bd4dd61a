"""Every member of every command's output-format enum produces a valid document.

The enums are :data:`hpinspect.report.OUTPUT_FORMATS`; the renderers come from the per-result
registries in :mod:`hpinspect.render`. Inputs are the committed golden models (plus one hostile
file, so findings and SARIF results are not empty). Validators are keyed by format value: a new
format member fails here until it has one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import REPO

from hpinspect.check import CheckRun, Rules, run_check
from hpinspect.diff import diff_reports
from hpinspect.render import (
    RenderOptions,
    get_check_renderer,
    get_diff_renderer,
    get_renderer,
)
from hpinspect.report import OUTPUT_FORMATS, Report

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
OPTIONS = RenderOptions(color=False, width=120, several=True)


def report_schema() -> dict[str, Any]:
    text = resources.files("hpinspect").joinpath("schema/report.schema.json").read_text(
        encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return schema


def validate_table(command: str, text: str) -> None:
    assert text.strip(), "empty terminal output"
    assert "\x1b" not in text  # no colours were asked for


def validate_markdown(command: str, text: str) -> None:
    """Every GFM table has a separator row and the header's column count on every row."""
    lines = text.splitlines()
    tables = 0
    for index, line in enumerate(lines):
        if line.startswith("|") and index + 1 < len(lines) and re.match(
                r"^\|\s*-{3}", lines[index + 1]):
            tables += 1
            columns = len(UNESCAPED_PIPE.findall(line))
            for row in lines[index + 1:]:
                if not row.startswith("|"):
                    break
                assert len(UNESCAPED_PIPE.findall(row)) == columns, row
    assert tables, "no Markdown table"


_REQUIRED_KEYS = {
    "inspect": {"schema_version", "file", "versions", "safety", "model"},
    "scan": {"schema_version", "counts", "reports", "broken", "other", "skipped"},
    "diff": {"schema_version", "a", "b", "ignored", "has_differences", "rows"},
    "check": {"schema_version", "ok", "files"},
}


def _check_document(command: str, document: Any) -> None:
    if command == "inspect" or (command == "scan" and "model" in document):  # scan jsonl
        jsonschema.validate(document, report_schema())
        return
    assert _REQUIRED_KEYS[command] <= document.keys()


def validate_json(command: str, text: str) -> None:
    document = json.loads(text)
    documents = document if isinstance(document, list) else [document]
    assert documents
    for item in documents:
        _check_document(command, item)


def validate_jsonl(command: str, text: str) -> None:
    lines = text.splitlines()
    assert lines
    for line in lines:
        _check_document(command, json.loads(line))


def validate_sarif(command: str, text: str) -> None:
    document = json.loads(text)
    jsonschema.validate(document, sarif_schema())
    assert document["runs"][0]["results"], "no SARIF results for a file with findings"


def validate_html(command: str, text: str) -> None:
    """One self-contained page: the CSP, exactly hpinspect's own style and script blocks,
    nothing that fetches (the browser-level checks are in tests/render/test_html_browser.py)."""
    from html.parser import HTMLParser

    from hpinspect.render.html_assets import CSP

    tags: list[tuple[str, dict[str, str | None]]] = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: tags.append((tag, dict(attrs)))  # type: ignore[method-assign]
    parser.feed(text)
    assert text.startswith("<!DOCTYPE html>")
    assert [a.get("content") for t, a in tags if t == "meta" and a.get("http-equiv")] == [CSP]
    assert [t for t, _ in tags].count("script") == 1 and [t for t, _ in tags].count("style") == 1
    assert not any("src" in a or (a.get("href") or "#")[0] != "#" for _, a in tags)


VALIDATORS: dict[str, Callable[[str, str], None]] = {
    "table": validate_table,
    "json": validate_json,
    "jsonl": validate_jsonl,
    "markdown": validate_markdown,
    "sarif": validate_sarif,
    "html": validate_html,
}


@pytest.fixture(scope="module")
def reports(real_reports: dict[str, Report]) -> list[Report]:
    return [real_reports["pipeline"], real_reports["unsafe"]]


def render(command: str, fmt: Any, reports: list[Report]) -> str:
    if command == "inspect":
        return get_renderer(fmt).render(reports, OPTIONS)
    if command == "diff":
        result = diff_reports(reports[0], reports[1])
        return get_diff_renderer(fmt).render(result, OPTIONS)
    if command == "scan":
        from hpinspect.render.scan import ScanView, render_scan
        from hpinspect.scan import Entry, Kind, ScanResult

        entries = [Entry(r.file.path, Kind.MODEL, r) for r in reports]
        entries.append(Entry("notes.txt", Kind.OTHER, None, "not a model file"))
        return render_scan(ScanResult(tuple(entries)), fmt, ScanView(verbose=True))
    rules = Rules(expect={"C": 2.0}, require_fitted=True)
    run = CheckRun(tuple(reports[:1]), (run_check(reports[0], rules),))
    if fmt.value == "sarif":  # SARIF results need a finding or a failure: give it both
        run = CheckRun(tuple(reports), ())
    return get_check_renderer(fmt).render(run, OPTIONS)


CASES = [(command, fmt) for command, enum in OUTPUT_FORMATS.items() for fmt in enum]


@pytest.mark.parametrize(("command", "fmt"), CASES, ids=[f"{c}-{f}" for c, f in CASES])
def test_every_output_format_is_valid(command: str, fmt: Any, reports: list[Report],
                                      tmp_path: Path) -> None:
    assert fmt.value in VALIDATORS, f"{command} --format {fmt}: add a validator here"
    VALIDATORS[fmt.value](command, render(command, fmt, reports))
