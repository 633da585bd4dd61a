"""Text from a model file never reaches a terminal raw, and never forges a finding or a row.

One real file is built here: a fitted LogisticRegression whose attribute names and values are
the hostile strings below (ANSI/OSC sequences that clear the screen, bidi overrides, rich
markup, HTML, Markdown links, pipes and newlines, lone surrogates ...), one attribute calling a
global whose module and name are hostile too, and an ``os.system`` payload (proved real with a
canary under a plain ``pickle.load`` in a child process). The same file goes through every
output: each :class:`~hpinspect.render.Format`, ``diff`` (table, JSON, Markdown) and ``check``
(text, JSON, SARIF). Every output must be free of raw control, bidi, invisible and surrogate
characters; JSON must parse and give back the exact strings, SARIF must validate, Markdown
tables must keep their column count and contain no HTML or link, and what a terminal emulator
(pyte) finally shows of the coloured table still starts with the UNSAFE banner.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pyte
import pytest
from hostile_corpus import HOSTILE_TEXT, build_hostile_text, fresh_model  # tests/ is on sys.path
from markdown_it import MarkdownIt

from hpinspect import diff_reports, inspect_file
from hpinspect.render import Format, RenderOptions, get_renderer
from hpinspect.render.diff_render import DiffFormat, render_diff
from hpinspect.render.neutral import md_cell, md_code, md_inline, terminal

HOSTILE = HOSTILE_TEXT
RAW_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
                        "\u2066-\u2069\ufeff\ud800-\udfff\U000e0000-\U000e007f]")
SGR = re.compile("\x1b\\[[0-9;]*m")
SCHEMA = Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json"
GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("neutral")
    return build_hostile_text(directory, directory / "canary"), directory / "canary"


def assert_neutral(text: str, what: str) -> None:
    raw = RAW_UNSAFE.search(SGR.sub("", text))
    assert raw is None, f"{what}: raw {raw.group()!r} at {raw.start()}" if raw else ""
    text.encode("utf-8")  # no lone surrogate: stdout can always encode it


def run(*args: str, color: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    if color:
        env["FORCE_COLOR"] = "1"
    return subprocess.run([sys.executable, "-m", "hpinspect", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def test_payload_is_real(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    path, canary = hostile
    code = ("import pickle, sys\ntry:\n    pickle.load(open(sys.argv[1], 'rb'))\n"
            "except Exception:\n    pass\n")  # the hostile class fails to import after the call
    subprocess.run([sys.executable, "-c", code, str(path)], check=False, timeout=120,
                   cwd=tmp_path)
    assert canary.exists()
    canary.unlink()
    result = run("--format", "json", str(path))
    assert result.returncode == 3
    assert not canary.exists()


def _markdown_ok(text: str, what: str) -> None:
    tokens = [t for block in GFM.parse(text) for t in [block, *(block.children or [])]]
    ours = [t for t in tokens if t.type in ("html_inline", "html_block", "link_open", "image")]
    # hpinspect's own line breaks in a cell and its one in-page link, nothing from the file
    assert all(t.content == "<br>" or t.attrs.get("href") == "#safety-findings"
               for t in ours), (what, ours)
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if start + 1 < len(lines) and re.fullmatch(r"\|( *-+ *\|)+", lines[start + 1].strip()):
            columns = len(UNESCAPED_PIPE.findall(line))
            for row in lines[start + 2:]:
                if not row.startswith("|"):
                    break
                assert len(UNESCAPED_PIPE.findall(row)) == columns, (what, row)


def test_every_inspect_format_is_neutral(hostile: tuple[Path, Path]) -> None:
    path, _ = hostile
    report = inspect_file(path)
    assert report.safety.verdict == "unsafe"
    names = {a.name for a in report.model.attributes}
    assert set(HOSTILE) <= names  # the loader keeps the real names; only display escapes
    for fmt in Format:
        for color in (False, True):
            text = get_renderer(fmt).render([report], RenderOptions(color=color, width=160))
            assert_neutral(text, f"{fmt.value} color={color}")
            if fmt is Format.markdown:
                _markdown_ok(text, fmt.value)
            if fmt in (Format.json, Format.sarif):
                doc = json.loads(text)
            if fmt is Format.json:
                got = {a["name"] for a in doc["model"]["attributes"]}
                assert set(HOSTILE) <= got  # exact strings back from the parser
                assert doc["safety"]["verdict"] == "unsafe"
            if fmt is Format.jsonl:
                assert len(text.splitlines()) == 1
                json.loads(text)
            if fmt is Format.sarif:
                schema = json.loads(SCHEMA.read_text("utf-8"))
                jsonschema.validators.validator_for(schema)(schema).validate(doc)
                rules = [r["ruleId"] for r in doc["runs"][0]["results"]]
                assert "HPI001" in rules


def test_diff_outputs_are_neutral(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    path, _ = hostile
    clean = tmp_path / "clean.pkl"
    clean.write_bytes(pickle.dumps(fresh_model("logreg"), protocol=2))
    result = diff_reports(inspect_file(path), inspect_file(clean))
    for fmt in DiffFormat:
        for color in (False, True):
            text = render_diff(result, fmt, color=color, width=160)
            assert_neutral(text, f"diff {fmt.value}")
            if fmt is DiffFormat.json:
                json.loads(text)
            if fmt is DiffFormat.markdown:
                _markdown_ok(text, "diff markdown")


@pytest.mark.parametrize("fmt", ["table", "json", "sarif"])
def test_check_outputs_are_neutral(hostile: tuple[Path, Path], fmt: str) -> None:
    path, _ = hostile
    result = run("check", "--format", fmt, str(path))
    assert result.returncode == 3, result.stderr
    assert_neutral(result.stdout, f"check {fmt}")
    if fmt != "table":
        json.loads(result.stdout)
    else:
        assert "UNSAFE" in result.stdout


def test_the_screen_keeps_the_unsafe_banner(hostile: tuple[Path, Path]) -> None:
    """What an emulated 200×400 terminal shows of the coloured table."""
    path, _ = hostile
    result = run("--width", "200", str(path), color=True)
    assert result.returncode == 3, result.stderr
    assert_neutral(result.stdout, "coloured table")
    screen = pyte.Screen(200, 400)
    stream = pyte.Stream(screen)
    stream.feed(result.stdout.replace("\n", "\r\n"))
    shown = [line.rstrip() for line in screen.display]
    banner = next(i for i, line in enumerate(shown) if "UNSAFE: a real pickle/joblib" in line)
    plain = run("--width", "200", str(path)).stdout.splitlines()
    # where the plain output has it (under the overview): nothing cleared the screen or moved it
    assert banner == next(i for i, line in enumerate(plain) if "UNSAFE: a real pickle" in line)
    assert shown[0] == plain[0]
    assert screen.title == ""  # no OSC title was set
    text = "\n".join(shown)
    assert "\\x1b[2J" in text and "\\u202e" in text and "\\ud800" in text


def test_surrogate_and_control_names_in_stderr(tmp_path: Path) -> None:
    """An error line names the file; a hostile file name is escaped there too."""
    path = tmp_path / "bad\x1b[2J\u202e.pkl"
    path.write_bytes(b"\x80\x02}q\x00")  # truncated
    result = run(str(path))
    assert result.returncode == 2
    assert_neutral(result.stderr, "stderr")
    assert "\\x1b[2J\\u202e" in result.stderr


@pytest.mark.parametrize("text", HOSTILE)
def test_each_escaper(text: str) -> None:
    for escaped in (terminal(text), md_inline(text), md_cell(text), md_code(text)):
        assert_neutral(escaped, repr(text))
    assert "\n" not in terminal(text) and "\n" not in md_inline(text)
    html = GFM.render("| A |\n| --- |\n| " + md_cell(text) + " |\n")
    assert "<script" not in html and "<a " not in html and "<img" not in html


def test_display_cap_keeps_true_length() -> None:
    text = "x" * (16 << 20)
    shown = terminal(text)
    assert len(shown) < 5000
    assert "16,777,216 characters" in shown


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "sarif"])
def test_undecodable_file_name(tmp_path: Path, fmt: str) -> None:
    """A file name with bytes that are not UTF-8 (argv carries them as lone surrogates)."""
    path = tmp_path / os.fsdecode(b"model\xff\x1b[2J.pkl")
    path.write_bytes(pickle.dumps(fresh_model("logreg"), protocol=4))
    result = subprocess.run([sys.executable, "-m", "hpinspect", "--format", fmt, str(path)],
                            capture_output=True, env={**os.environ, "NO_COLOR": "1"},
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("utf-8")  # strict: nothing undecodable was written
    assert_neutral(text, fmt)
    if fmt in ("json", "sarif"):
        json.loads(text)
    if fmt == "table":
        assert "model\\udcff\\x1b[2J.pkl" in text
