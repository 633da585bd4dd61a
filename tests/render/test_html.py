"""``--format html`` without a browser: structure, escaping, CSP, size, diff and scan pages.

Pages are parsed with the standard library's HTML parser (what a browser tokenises is what it
sees): the tag set, the attributes and the text. Models are real fitted scikit-learn models;
facts on the page are compared with what scikit-learn itself says about the same object.
The browser-level checks (rendered DOM, clicks, network, console) are in test_html_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from helpers import SAMPLES, run_cli
from html_fixtures import CLASS_MODULE, CLASS_NAME, HOSTILE, write_hostile_names
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from hpinspect import diff_reports, inspect_file
from hpinspect.render import Format, RenderOptions, get_renderer
from hpinspect.render.html import (
    bar_chart,
    esc,
    render_diff_html,
    render_report_html,
    render_scan_html,
)
from hpinspect.render.html_assets import CSP, SCRIPT, STYLE
from hpinspect.render.neutral import terminal as neutral

MAX_PAGE_BYTES = 3 * 1024 * 1024
"""'Under a few MB' for the largest pages (a 250-tree forest, a 200-candidate search CV)."""


class Page(HTMLParser):
    """Every start tag with its attributes, and the text, of one HTML document."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.raw else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in].append(data)
        else:
            self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)

    def with_class(self, cls: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.tags if cls in (a.get("class") or "").split()]

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# ----------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def frame() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 120
    data = pd.DataFrame({"age": rng.integers(18, 80, n).astype(float),
                         "income": rng.normal(50, 10, n), "hours": rng.normal(40, 5, n),
                         "city": rng.choice(["Oslo", "Rome", "Lima"], n)})
    target = (data["income"] + rng.normal(0, 5, n) > 50).astype(int).to_numpy()
    return data, target


@pytest.fixture(scope="module")
def ct_pipeline(frame: tuple[pd.DataFrame, np.ndarray]) -> Pipeline:
    """A fitted ColumnTransformer -> SVC pipeline on named pandas columns."""
    prep = ColumnTransformer([("num", StandardScaler(), ["age", "income", "hours"]),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"])])
    return Pipeline([("prep", prep), ("clf", SVC(C=2.0))]).fit(*frame)


@pytest.fixture(scope="module")
def ct_file(ct_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ct") / "pipeline.joblib"
    joblib.dump(ct_pipeline, path)
    return path


def _page_of(path: Path, expand: bool = False) -> str:
    return render_report_html(inspect_file(path, expand_members=expand))


# ------------------------------------------------------------------------------ page structure


def test_page_is_self_contained_with_a_csp_allowing_only_its_own_blocks(ct_file: Path) -> None:
    text = _page_of(ct_file)
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>")
    metas = [a for tag, a in page.tags if tag == "meta" and a.get("http-equiv")]
    assert [m["content"] for m in metas] == [CSP]
    assert "default-src 'none'" in CSP and "'unsafe-inline'" not in CSP
    assert f"style-src {_sha(STYLE)}" in CSP and f"script-src {_sha(SCRIPT)}" in CSP
    assert page.raw["style"] == [STYLE] and page.raw["script"] == [SCRIPT]
    # nothing that could fetch: no src, no external href, no link/img/iframe/object elements
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "base", "form"), tag
        assert "src" not in attrs, (tag, attrs)
        assert (attrs.get("href") or "#").startswith("#"), (tag, attrs)
    assert not re.search(r"https?://|url\(|@import", STYLE + SCRIPT)


def test_pipeline_page_shows_routing_changed_settings_and_learned_facts(
        ct_file: Path, ct_pipeline: Pipeline) -> None:
    page = Page(_page_of(ct_file))
    text = page.all_text
    assert "Safety: SAFE" in text
    # one diagram box per estimator, with the step names and classes scikit-learn reports
    boxes = [a["data-cls"] for a in page.with_class("est")]
    assert boxes == ["Pipeline", "ColumnTransformer", "StandardScaler", "OneHotEncoder", "SVC"]
    prep = ct_pipeline.named_steps["prep"]
    for name, _, columns in prep.transformers_:
        if name != "remainder":
            assert f"columns: {', '.join(columns)}" in text, name  # in the diagram
            assert f"← {', '.join(columns)}" in text, name  # in the overview
    # changed hyperparameters inline, as scikit-learn's repr shows them
    assert "(C=2.0" in text and "(handle_unknown='ignore')" in text
    classes = ", ".join(str(c) for c in ct_pipeline.classes_)
    assert f"{len(ct_pipeline.classes_)} classes: {classes}" in text
    n_sv = ct_pipeline.named_steps["clf"].support_vectors_.shape[0]
    assert f"{n_sv} support vectors" in text
    # the three tables of every estimator, with a row per attribute
    svc = inspect_file(ct_file).model.children[1]
    rows = {a["data-name"]: a["data-cat"] for _, a in page.tags if "data-name" in a}
    for attr in svc.attributes:
        assert rows[attr.name] == attr.category
    assert {a["data-cat"] for a in page.with_class("cat")} == {
        "hyperparameter", "learned", "auxiliary"}
    assert "File and versions" in text and "scikit-learn" in text


def test_learned_arrays_get_charts_from_the_values_the_report_keeps(logreg: Any,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "lr.joblib"
    joblib.dump(logreg, path)
    text = _page_of(path)
    coef = logreg.coef_.ravel()
    title = f"coef_: {coef.size} values, {coef.min():.4g} to {coef.max():.4g}"
    assert title in Page(text).all_text
    chart = text[text.index(title):text.index("</svg>", text.index(title))]
    assert chart.count("<rect") == coef.size


def test_bar_chart_is_one_rect_per_value_and_signed_about_zero() -> None:
    svg = bar_chart([1.0, -1.0, 0.5], "t")
    heights = [float(h) for h in re.findall(r'height="([\d.]+)"/>', svg)]
    assert len(heights) == 3 and heights[0] == heights[1] == 2 * heights[2]


def test_every_sample_model_renders_through_the_cli(tmp_path: Path) -> None:
    for sample in SAMPLES:
        out = tmp_path / f"{sample.stem}.html"
        result = run_cli("inspect", "--format", "html", "--output", str(out), str(sample))
        assert result.returncode == 0, result.stderr
        page = Page(out.read_text(encoding="utf-8"))
        report = inspect_file(sample)
        assert len(page.with_class("est")) == sum(1 for _ in report.nodes()) + sum(
            len(n.groups) for n in report.nodes()), sample.name
        assert page.count("script") == 1


# ------------------------------------------------------------------------------------ escaping


def test_neutral_and_esc() -> None:
    assert esc("a\u202eb\u2066c\ud800d\x1b[0m\u200b<") == (
        "a\\u202eb\\u2066c\\ud800d\\x1b[0m\\u200b&lt;")
    assert esc("x" * 10_000).endswith("… (text of 10,000 characters)")
    assert esc("<a href='x' title=\"y\">&</a>") == (
        "&lt;a href=&#x27;x&#x27; title=&quot;y&quot;&gt;&amp;&lt;/a&gt;")
    esc("\udfff").encode("utf-8")  # encodable: --output never fails on a lone surrogate


def test_hostile_names_cannot_inject_markup(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = write_hostile_names(tmp_path, canary)
    # the payload is real: a plain pickle.load runs it (and then fails on the fake module)
    subprocess.run([sys.executable, "-c", "import pickle,sys; pickle.load(open(sys.argv[1],'rb'))",
                    str(path)], capture_output=True, timeout=120, check=False)
    assert canary.exists(), "the plain load did not fire the payload"
    canary.unlink()
    out = tmp_path / "hostile.html"
    result = run_cli("--format", "html", "--output", str(out), str(path))
    assert result.returncode == 3, result.stderr
    assert not canary.exists(), "hpinspect ran the payload"
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert page.count("script") == 1 and page.count("style") == 1
    assert page.raw["script"] == [SCRIPT] and page.raw["style"] == [STYLE]
    allowed = {"html", "head", "meta", "title", "style", "body", "main", "article", "section",
               "h1", "h2", "h3", "h4", "p", "wbr", "ul", "li", "span", "strong", "code", "div",
               "details", "summary", "table", "caption", "thead", "tbody", "tr", "th", "td",
               "label", "input", "select", "option", "button", "output", "script", "svg", "rect",
               "line", "circle"}
    assert {tag for tag, _ in page.tags} <= allowed
    for _, attrs in page.tags:
        assert not any(name.startswith("on") or name == "autofocus" for name in attrs), attrs
    shown = page.all_text
    for hostile in HOSTILE:
        assert neutral(hostile) in shown, hostile
    assert neutral(f"{CLASS_MODULE}.{CLASS_NAME}") in shown
    assert "\u202e" not in text and "\x1b" not in text
    # file text only ever sits in double-quoted attributes, escaped
    for match in re.finditer(r'(data-name|data-cls|title)="([^"]*)"', text):
        assert "<" not in match.group(2) and "'" not in match.group(2)


# -------------------------------------------------------------------------- size of big pages


def test_250_tree_forest_page_stays_small(xy: tuple[Any, Any], tmp_path: Path) -> None:
    forest = RandomForestClassifier(n_estimators=250, max_depth=8, random_state=0).fit(*xy)
    path = tmp_path / "forest.joblib"
    joblib.dump(forest, path)
    for expand in (False, True):
        report = inspect_file(path, expand_members=expand)
        text = render_report_html(report)
        size = len(text.encode("utf-8"))
        print(f"250-tree forest page (expand_members={expand}): {size} bytes")
        assert size < MAX_PAGE_BYTES
        boxes = len(Page(text).with_class("est"))
        nodes = list(report.nodes())
        assert boxes == len(nodes) + sum(len(n.groups) for n in nodes)
        assert boxes >= (251 if expand else 2)  # every tree, or the group of 250


def test_200_candidate_search_cv_page_stays_small(frame: tuple[pd.DataFrame, np.ndarray],
                                                  tmp_path: Path) -> None:
    prep = ColumnTransformer([("num", StandardScaler(), ["age", "income", "hours"]),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"])])
    pipe = Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=500))])
    grid = {"clf__C": np.logspace(-3, 3, 50), "clf__tol": [1e-4, 1e-3, 1e-2, 1e-1]}
    search = RandomizedSearchCV(pipe, grid, n_iter=200, cv=2, random_state=0).fit(*frame)
    path = tmp_path / "search.joblib"
    joblib.dump(search, path)
    report = inspect_file(path)
    text = render_report_html(report)
    size = len(text.encode("utf-8"))
    print(f"200-candidate RandomizedSearchCV page: {size} bytes, "
          f"{sum(1 for _ in report.nodes())} nodes")
    assert size < MAX_PAGE_BYTES
    assert f"best score {search.best_score_:.4g}"[:14] in Page(text).all_text


# ------------------------------------------------------------------------------- diff and scan


def test_diff_page_puts_a_and_b_side_by_side_with_changes_marked(
        xy: tuple[Any, Any], tmp_path: Path) -> None:
    a, b = tmp_path / "a.joblib", tmp_path / "b.joblib"
    joblib.dump(LogisticRegression(C=0.5).fit(*xy), a)
    joblib.dump(LogisticRegression(C=2.0).fit(*xy), b)
    out = tmp_path / "diff.html"
    result = run_cli("diff", "--format", "html", "--output", str(out), str(a), str(b))
    assert result.returncode == 0, result.stderr
    page = Page(out.read_text(encoding="utf-8"))
    rows = page.with_class("st-changed")
    assert "C" in [r["data-name"] for r in rows]
    assert [a_["id"] for a_ in page.with_class("report")] == ["ra", "rb"]
    assert len(page.with_class("diffgrid")) == 1
    marked = [r for r in page.with_class("diff-row") if r.get("data-name") == "C"]
    assert len(marked) == 2  # C highlighted in both A's and B's box
    # the same result the library computes
    result_obj = diff_reports(inspect_file(a), inspect_file(b))
    assert len(rows) == sum(r.status == "changed" for r in result_obj.rows)


def test_diff_page_without_differences(logreg: Any, tmp_path: Path) -> None:
    path = tmp_path / "m.joblib"
    joblib.dump(logreg, path)
    report = inspect_file(path)
    text = render_diff_html(diff_reports(report, report), report, report)
    assert "the files do not differ" in Page(text).all_text


def test_scan_page_links_each_file_to_its_section(tmp_path: Path) -> None:
    reports = [inspect_file(p) for p in SAMPLES]
    problems = [("notes/readme.txt", "not a model file"), ("<b>bad</b>.pkl", "truncated")]
    text = render_scan_html(reports, problems)
    page = Page(text)
    links = [a["href"] for tag, a in page.tags if tag == "a"]
    ids = {a["id"] for a in page.with_class("report")}
    assert links == [f"#r{i}" for i in range(1, len(reports) + 1)] and set(links) == {
        f"#{i}" for i in ids}
    assert "<b>bad</b>.pkl" in page.all_text and page.count("b") == 0
    assert f"{len(reports)} inspected" in page.all_text
    # ids stay unique across sections
    all_ids = [a["id"] for _, a in page.tags if "id" in a]
    assert len(all_ids) == len(set(all_ids))


def test_inspect_several_files_gives_the_scan_layout() -> None:
    reports = [inspect_file(p) for p in SAMPLES[:2]]
    text = get_renderer(Format.html).render(reports, RenderOptions())
    assert text == render_scan_html(reports)

