"""The Markdown model card: structure, valid GFM tables, escaping, ``only`` and ``explain``.

Tables are checked twice: on the raw text (a header separator row with the header's column
count, the same number of unescaped pipes on every row) and through a real GFM-table parser
(markdown-it-py, which rich already depends on), so a value can be shown to stay in its cell.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from builders import (
    DANGEROUS,
    KNOWN,
    SHA,
    UNKNOWN_CLASS,
    attribute,
    forest_report,
    lasso_cv_node,
    logreg_node,
    logreg_report,
    pipeline_report,
    review_report,
    unsafe_report,
)
from builders import report as make_report
from helpers import check_golden, stable
from markdown_it import MarkdownIt
from markdown_it.token import Token

from hpinspect.render import Format, RenderOptions, get_renderer
from hpinspect.render.markdown import MarkdownRenderer, cell, code, inline
from hpinspect.report import Category, Finding, Report

GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def render(report: Report | list[Report], **options: Any) -> str:
    reports = report if isinstance(report, list) else [report]
    return MarkdownRenderer().render(reports, RenderOptions(color=False, **options))


def raw_tables(text: str) -> list[list[str]]:
    """Every block of consecutive lines starting with ``|``."""
    tables: list[list[str]] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def parsed_tables(text: str) -> list[list[list[str]]]:
    """Each table as rows of cell texts (header row first), as a GFM parser sees them."""
    tables: list[list[list[str]]] = []
    row: list[str] = []
    in_table = False
    for token in GFM.parse(text):
        if token.type in ("table_open", "table_close"):
            in_table = token.type == "table_open"
            if in_table:
                tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and in_table:
            row.append(_plain(token))
        elif token.type == "tr_close":
            tables[-1].append(row)
    return tables


def _plain(token: Token) -> str:
    """The text a reader sees in an inline token (code spans and text, ``<br>`` as newline)."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "html_inline" and child.content == "<br>":
            parts.append("\n")
    return "".join(parts)


def table_after(text: str, heading: str) -> list[list[str]]:
    """The first parsed table after the line ``heading``."""
    return parsed_tables(text[text.index(heading + "\n"):])[0]


def test_get_renderer_returns_markdown_renderer() -> None:
    assert isinstance(get_renderer(Format.markdown), MarkdownRenderer)


def test_card_title_and_facts() -> None:
    out = render(logreg_report())
    lines = out.splitlines()
    assert lines[0] == "# Model card: model.joblib"
    facts = {line.split(":**")[0][4:]: line.split(":**")[1].strip()
             for line in lines if line.startswith("- **")}
    assert facts["Format"] == "joblib"
    assert facts["Compression"] == "zlib"
    assert facts["Pickle protocol"] == "4"
    assert facts["SHA-256"] == f"`{SHA}`"
    assert facts["Saved with"] == "scikit-learn 1.3.2 (installed 1.9.1, **minor skew**)"
    assert facts["Verdict"].endswith("safe")
    assert "Findings" not in facts
    assert out.endswith("|\n")


def test_file_name_from_windows_path() -> None:
    out = render(logreg_report(path=r"C:\models\clf.pkl"))
    assert out.startswith("# Model card: clf.pkl\n")


def test_node_sections_in_walk_order() -> None:
    out = render(pipeline_report())
    headings = [line for line in out.splitlines() if line.startswith("## ") and " — " in line]
    assert headings == [
        "## (root) — Pipeline",
        r"## steps\[0\] — StandardScaler",
        r"## steps\[1\] — LogisticRegression",
    ]
    assert [h.content for h in GFM.parse(out) if h.type == "inline" and h.map and
            out.splitlines()[h.map[0]].startswith("## ") and " — " in h.content] == [
        "(root) — Pipeline", r"steps\[0\] — StandardScaler", r"steps\[1\] — LogisticRegression"]
    rendered = GFM.render(out)
    assert "<h2>steps[0] — StandardScaler</h2>" in rendered


def test_every_table_has_a_matching_separator_row() -> None:
    out = render([unsafe_report(), forest_report()], explain=True)
    tables = raw_tables(out)
    assert len(tables) >= 10
    for lines in tables:
        columns = len(UNESCAPED_PIPE.findall(lines[0])) - 1
        assert lines[1] == "| " + " | ".join(["---"] * columns) + " |"
        for line in lines:
            assert len(UNESCAPED_PIPE.findall(line)) == columns + 1, line
    assert len(parsed_tables(out)) == len(tables)


def test_hyperparameter_table() -> None:
    out = render(logreg_report())
    rows = table_after(out, "`sklearn.linear_model._logistic.LogisticRegression` · fitted")
    assert rows[0] == ["Hyperparameter", "Value", "Default", "Changed"]
    assert rows[1] == ["C", "0.5", "1.0", "yes"]
    assert rows[2] == ["max_iter", "100", "100", "no"]
    assert rows[3] == ["solver", "'lbfgs'", "'lbfgs'", "no"]
    assert "| `C` | `0.5` | `1.0` | **yes** |" in out


def test_learned_and_auxiliary_tables() -> None:
    out = render(logreg_report())
    learned = table_after(out, "### Learned parameters")
    assert learned[0] == ["Name", "Summary"]
    assert learned[1] == ["coef_", "float64 (1×4) min=-0.8 max=1.2 mean=0.1"]
    aux = table_after(out, "### Auxiliary")
    assert aux[0] == ["Name", "Value", "Role"]
    assert ["random_state", "42", "randomness"] in aux
    assert ["_sklearn_version", "'1.3.2'", "provenance"] in aux


def test_selected_during_fit_is_marked() -> None:
    out = render(make_report(lasso_cv_node()))
    assert "| `alpha_` *(selected during fit)* | `0.01` |" in out
    assert "`cv` *(selected" not in out


def test_explain_adds_reason_column() -> None:
    out = render(logreg_report(), explain=True)
    hyper = table_after(out, "`sklearn.linear_model._logistic.LogisticRegression` · fitted")
    assert hyper[0][-1] == "Reason"
    assert hyper[1][-1] == "in LogisticRegression.__init__ signature"
    aux = table_after(out, "### Auxiliary")
    assert aux[1] == ["random_state", "42", "randomness", "known auxiliary: seeds randomness only"]
    assert "Reason" not in render(logreg_report())


@pytest.mark.parametrize("only", ["hyperparameter", "learned", "auxiliary"])
def test_only_shows_one_category(only: Category) -> None:
    out = render(logreg_report(), only=only)
    assert ("| Hyperparameter |" in out) == (only == "hyperparameter")
    assert ("### Learned parameters" in out) == (only == "learned")
    assert ("### Auxiliary" in out) == (only == "auxiliary")
    assert len(raw_tables(out)) == 1


def test_only_skips_nodes_without_that_category() -> None:
    out = render(pipeline_report(), only="learned")
    assert "## (root) — Pipeline" not in out
    assert "## steps\\[0\\] — StandardScaler" in out


def test_empty_category_is_said() -> None:
    out = render(pipeline_report())
    root = out[out.index("## (root)"):out.index("## steps")]
    assert "*No learned parameters.*" in root


def test_groups_table() -> None:
    out = render(forest_report())
    rows = table_after(out, "### Members")
    assert rows[0] == ["Attribute", "Count", "Classes", "Stats"]
    assert rows[1] == ["estimators_", "100", "100 × DecisionTreeClassifier",
                       "max_depth 3–5 (mean 4.5); node_count 9–31 (mean 17.25)"]
    assert "### Members" not in render(forest_report(), only="hyperparameter")


def test_unsafe_card_lists_findings() -> None:
    out = render(unsafe_report())
    assert "- **Verdict:** ⛔ unsafe" in out
    assert "- **Findings:** 1 dangerous, 1 unknown class" in out
    assert out.index("> **⛔ Unsafe:**") < out.index("## Safety findings") < out.index("## (root)")
    rows = table_after(out, "## Safety findings")
    assert rows[0] == ["Global", "Severity", "Path", "Detail"]
    assert rows[1] == ["posix.system", "dangerous (called)", "steps[1][1].notes_",
                       "runs a shell command"]
    assert rows[2][0] == UNKNOWN_CLASS.global_name
    assert len(rows) == 3  # the known finding is not listed
    assert KNOWN.detail not in out


def test_review_card_lists_unknown_classes_without_warning() -> None:
    out = render(review_report())
    assert "- **Verdict:** ⚠️ review" in out
    assert "Unsafe" not in out
    assert table_after(out, "## Safety findings")[1][:2] == [UNKNOWN_CLASS.global_name,
                                                           "unknown class"]


def test_safe_card_has_no_findings_section() -> None:
    out = render(logreg_report(findings=(KNOWN,)))
    assert "Safety findings" not in out


def test_pipes_and_newlines_in_values_stay_in_their_cell() -> None:
    node = replace(logreg_node(), attributes=(
        attribute("tokenizer", category="hyperparameter", summary="'a|b'"),
        attribute("vocabulary_", category="learned", summary="{'x|y': 0,\n'z': 1}"),
        attribute("notes", category="auxiliary", summary="line one\nline | two", role="a|role"),
        attribute("weird", category="auxiliary", summary="`tick` and \\| and ``double``", role="x"),
    ))
    finding = replace(DANGEROUS, detail="calls os.system('a | b')")
    out = render(make_report(node, verdict="unsafe", findings=(finding,)), explain=True)
    for lines in raw_tables(out):
        columns = len(UNESCAPED_PIPE.findall(lines[0]))
        assert all(len(UNESCAPED_PIPE.findall(line)) == columns for line in lines), lines
    assert "'a\\|b'" in out
    assert ["tokenizer", "'a|b'", "", "", "rule for tokenizer"] in table_after(
        out, "`sklearn.linear_model._logistic.LogisticRegression` · fitted")
    assert ["vocabulary_", "{'x|y': 0,\n'z': 1}", "rule for vocabulary_"] in table_after(
        out, "### Learned parameters")
    aux = table_after(out, "### Auxiliary")
    assert ["notes", "line one\nline | two", "a|role", "rule for notes"] in aux
    assert ["weird", "`tick` and \\| and ``double``", "x", "rule for weird"] in aux
    assert table_after(out, "## Safety findings")[1][3] == "calls os.system('a | b')"


def test_markup_in_values_is_not_interpreted() -> None:
    node = replace(logreg_node(), attributes=(
        attribute("x", category="learned", summary="<script>alert(1)</script> *not bold* [link](http://e)"),
    ))
    out = render(make_report(node, path="dir/<b>_model_.pkl"))
    html = GFM.render(out)
    assert "<script>" not in html
    assert "<em>not bold</em>" not in html and "<a " not in html
    assert "<h1>Model card: &lt;b&gt;_model_.pkl</h1>" in html
    assert table_after(out, "### Learned parameters")[1][1] == (
        "<script>alert(1)</script> *not bold* [link](http://e)")


def test_several_reports_are_separate_cards() -> None:
    out = render([logreg_report(path="a.joblib"), forest_report(path="b.joblib")])
    cards = out.split("\n---\n\n")
    assert len(cards) == 2
    assert cards[0].startswith("# Model card: a.joblib")
    assert cards[1].startswith("# Model card: b.joblib")
    assert [t.type for t in GFM.parse(out)].count("hr") == 1


def test_missing_version_marker() -> None:
    out = render(logreg_report(saved={}, installed={}, skew={}))
    assert "- **Saved with:** unknown (no version marker in the file)" in out


@pytest.mark.parametrize("text", ["a|b", "x\\|y", "`a``b`", "`", "a\nb", "  |  ", "_x_ *y*"])
def test_escaping_round_trips_through_a_gfm_parser(text: str) -> None:
    src = "| A | B |\n| --- | --- |\n| " + code(text) + " | " + cell(text) + " |\n"
    ((header, row),) = parsed_tables(src)
    assert header == ["A", "B"]
    code_text, cell_text = row
    assert code_text.split("\n") == [line for line in text.splitlines() if line.strip()]
    assert cell_text == "\n".join(text.splitlines()).strip()


def test_inline_escapes_heading_text() -> None:
    html = GFM.render("# " + inline("my_model [v2] #1 `x` <y> ~z~ a_b_c"))
    assert html == "<h1>my_model [v2] #1 `x` &lt;y&gt; ~z~ a_b_c</h1>\n"


def test_findings_escape_detail() -> None:
    finding = Finding(global_name="a.b", severity="unknown call", detail="x | y", path="",
                      called=True)
    out = render(pipeline_report(verdict="unsafe", findings=(finding,)))
    assert table_after(out, "## Safety findings")[1] == ["a.b", "unknown call (called)",
                                                         "(root)", "x | y"]


# ------------------------------------------------------------------------ goldens and real files



def test_golden_sample_cards() -> None:
    check_golden("sample_unsafe_pipeline.md", render(unsafe_report()))
    check_golden("sample_forest_explain.md", render(forest_report(), explain=True))


def test_golden_real_logreg(real_reports: dict[str, Report]) -> None:
    check_golden("logreg.md", render(stable(real_reports["logreg"])))


@pytest.mark.parametrize("name", ["logreg", "pipeline", "forest", "search", "unsafe"])
def test_real_cards_are_valid_gfm(real_reports: dict[str, Report], name: str) -> None:
    report = real_reports[name]
    out = render(report, explain=True)
    assert out.startswith(f"# Model card: {inline(Path(report.file.path).name)}\n")
    for lines in raw_tables(out):
        columns = len(UNESCAPED_PIPE.findall(lines[0])) - 1
        assert lines[1] == "| " + " | ".join(["---"] * columns) + " |"
        assert all(len(UNESCAPED_PIPE.findall(line)) == columns + 1 for line in lines), lines
    shown = [node for node in report.nodes() if node.attributes or node.groups]
    node_headings = [line for line in out.splitlines() if line.startswith("## ") and " — " in line]
    assert len(node_headings) == len(shown)
    for table in parsed_tables(out):
        assert all(len(row) == len(table[0]) for row in table)


def test_real_logreg_card(real_reports: dict[str, Report],
                          real_files: dict[str, Path]) -> None:
    import hashlib

    out = render(real_reports["logreg"])
    digest = hashlib.sha256(real_files["logreg"].read_bytes()).hexdigest()
    assert f"- **SHA-256:** `{digest}`" in out
    hyper = table_after(out, "`sklearn.linear_model._logistic.LogisticRegression` · fitted")
    assert ["C", "0.5", "1.0", "yes"] in hyper
    assert ["max_iter", "100", "100", "no"] in hyper
    learned = {row[0]: row[1] for row in table_after(out, "### Learned parameters")}
    assert learned["coef_"].startswith("float64 (1×4)")


def test_real_unsafe_card(real_reports: dict[str, Report]) -> None:
    out = render(real_reports["unsafe"])
    assert "- **Verdict:** ⛔ unsafe" in out
    rows = table_after(out, "## Safety findings")
    assert any(row[0].endswith(".system") and row[1].startswith("dangerous")
               and row[2] == "notes_" for row in rows[1:])
