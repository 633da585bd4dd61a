"""The HTML report in a real headless Chromium (Debian's chromium + chromium-driver, selenium 4).

Asserts on the rendered DOM, not on the markup: the safety banner, the diagram's boxes and
their expansion (mouse and keyboard), the filter box, print media expanding everything, the
page without JavaScript, no network request (Chrome performance log), no console error, the
CSP stopping a spliced-in script, handler, style attribute and remote image, and no
element or dialog injected by a hostile file. Screenshots of a ColumnTransformer pipeline page
and of an unsafe file's page are written to ``$HPINSPECT_ARTIFACTS`` (or the test's tmp_path)
and their paths printed. Load times are measured and printed, never asserted (no timed tests).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from html_fixtures import CLASS_NAME, HOSTILE, write_hostile_names
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from hpinspect import diff_reports, inspect_file
from hpinspect.render.html import render_diff_html, render_report_html
from hpinspect.render.neutral import terminal as neutral

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--no-first-run",
               "--disable-sync", "--window-size=1400,1000")


def make_driver(javascript: bool = True) -> WebDriver:
    """A fresh headless Chromium with performance and console logging."""
    options = webdriver.ChromeOptions()
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='hpinspect-chrome-')}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    browser = make_driver()
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("HPINSPECT_ARTIFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """HTML pages of real fitted models, written by hpinspect: pipeline, unsafe, hostile."""
    root = tmp_path_factory.mktemp("pages")
    rng = np.random.default_rng(1)
    n = 150
    data = pd.DataFrame({"age": rng.integers(18, 80, n).astype(float),
                         "income": rng.normal(50, 10, n), "tenure": rng.normal(5, 2, n),
                         "city": rng.choice(["Oslo", "Rome", "Lima", "Pune"], n),
                         "plan": rng.choice(["basic", "pro"], n)})
    y = (data["income"] + rng.normal(0, 5, n) > 50).astype(int).to_numpy()
    prep = ColumnTransformer([("num", StandardScaler(), ["age", "income", "tenure"]),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"])])
    pipe = Pipeline([("prep", prep), ("clf", SVC(C=2.0, gamma=0.1))]).fit(data, y)
    joblib.dump(pipe, root / "pipeline.joblib")
    forest = RandomForestClassifier(n_estimators=250, max_depth=6, random_state=0).fit(
        data[["age", "income", "tenure"]], y)
    joblib.dump(forest, root / "forest.joblib")
    out: dict[str, Path] = {}
    for name in ("pipeline", "forest"):
        out[name] = root / f"{name}.html"
        out[name].write_text(render_report_html(inspect_file(root / f"{name}.joblib")),
                             encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def unsafe_page(hostile_module: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
                ) -> Path:
    path = tmp_path_factory.mktemp("unsafe") / "unsafe.html"
    path.write_text(render_report_html(inspect_file(hostile_module[0])), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile_module(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The shared os.system-payload model (conftest's ``hostile``), once per module."""
    from hostile_corpus import build_proto0_os_system

    root = tmp_path_factory.mktemp("hostile")
    canary = root / "canary"
    return build_proto0_os_system(root, canary), canary


def load(driver: WebDriver, page: Path) -> float:
    """Open ``page``; drop earlier log entries first. Returns the load time in ms."""
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(page.as_uri())
    return float(driver.execute_script(
        "const t=performance.getEntriesByType('navigation')[0];return t.loadEventEnd||t.duration;"))


def requests_made(driver: WebDriver) -> list[str]:
    """URLs of every Network.requestWillBeSent since the last :func:`load`."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def assert_no_network_and_no_errors(driver: WebDriver, page: Path) -> None:
    urls = requests_made(driver)
    assert page.as_uri() in urls
    assert all(url == page.as_uri() or url.startswith("data:") for url in urls), urls
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


def box(driver: WebDriver, cls: str) -> WebElement:
    """The diagram box (``details.est``) of the estimator class ``cls``."""
    return driver.find_element(By.CSS_SELECTOR, f"details.est[data-cls='{cls}']")


def inner_table(details: WebElement) -> WebElement:
    return details.find_element(By.CSS_SELECTOR, ":scope > .body table")


def screenshot(driver: WebDriver, path: Path) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(int(height) + 120, 4000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    print(f"screenshot: {path}")


# ------------------------------------------------------------------------------------- tests


def test_pipeline_page_diagram_expands_and_filters(driver: WebDriver, pages: dict[str, Path],
                                                   artifacts: Path) -> None:
    ms = load(driver, pages["pipeline"])
    print(f"pipeline page: {pages['pipeline'].stat().st_size} bytes, loaded in {ms:.0f} ms")
    banner = driver.find_element(By.CSS_SELECTOR, ".banner")
    assert banner.is_displayed() and "Safety: SAFE" in banner.text
    classes = [e.get_attribute("data-cls") for e in
               driver.find_elements(By.CSS_SELECTOR, "details.est")]
    assert classes == ["Pipeline", "ColumnTransformer", "StandardScaler", "OneHotEncoder", "SVC"]
    diagram = driver.find_element(By.CSS_SELECTOR, ".diagram").text
    assert "columns: age, income, tenure" in diagram and "columns: city, plan" in diagram
    assert "SVC(C=2.0, gamma=0.1)" in diagram
    # the two ColumnTransformer branches are side by side, the steps one under the other
    num, cat = box(driver, "StandardScaler"), box(driver, "OneHotEncoder")
    assert num.rect["y"] == cat.rect["y"] and num.rect["x"] < cat.rect["x"]
    assert box(driver, "ColumnTransformer").rect["y"] < box(driver, "SVC").rect["y"]
    # click a box open: its three tables become visible
    svc = box(driver, "SVC")
    assert not inner_table(svc).is_displayed()
    svc.find_element(By.TAG_NAME, "summary").click()
    assert inner_table(svc).is_displayed()
    headings = [h.text for h in svc.find_elements(By.CSS_SELECTOR, ".cat h3")]
    assert [h.split(" (")[0] for h in headings] == ["HYPERPARAMETERS", "LEARNED", "AUXILIARY"]
    assert svc.find_element(By.CSS_SELECTOR, "tr[data-name='C']").text.startswith("C 2.0")
    # keyboard: focus a summary, Enter opens it
    scaler = box(driver, "StandardScaler")
    scaler.find_element(By.TAG_NAME, "summary").send_keys(Keys.ENTER)
    assert inner_table(scaler).is_displayed()
    screenshot(driver, artifacts / "pipeline_columntransformer.png")
    # the filter: type, and rows that do not match hide
    search = driver.find_element(By.CSS_SELECTOR, ".toolbar input")
    assert search.is_displayed()
    search.send_keys("support")
    rows = driver.find_elements(By.CSS_SELECTOR, "tr[data-name]")
    shown = {r.get_attribute("data-name") for r in rows if r.is_displayed()}
    assert shown == {"support_", "support_vectors_", "_n_support"}
    assert "3 attributes match" in driver.find_element(By.CSS_SELECTOR, ".toolbar output").text
    search.clear()
    search.send_keys(Keys.BACK_SPACE)
    category = driver.find_element(By.CSS_SELECTOR, ".toolbar select")
    category.send_keys("Learned")
    assert not svc.find_element(By.CSS_SELECTOR, "section.cat[data-cat='auxiliary']").is_displayed()
    assert svc.find_element(By.CSS_SELECTOR, "section.cat[data-cat='learned']").is_displayed()
    assert_no_network_and_no_errors(driver, pages["pipeline"])


def test_print_media_expands_every_box(driver: WebDriver, pages: dict[str, Path]) -> None:
    load(driver, pages["pipeline"])
    svc = box(driver, "SVC")
    assert not inner_table(svc).is_displayed()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        # selenium's is_displayed() treats a closed <details> as hidden whatever the CSS says;
        # the browser's own checkVisibility() follows the print stylesheet
        visible = "return arguments[0].checkVisibility()"
        assert driver.execute_script(visible, inner_table(svc)) is True
        assert all(driver.execute_script(visible, inner_table(d)) for d in
                   driver.find_elements(By.CSS_SELECTOR, "details.est"))
        assert not driver.find_element(By.CSS_SELECTOR, ".toolbar").is_displayed()
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_unsafe_page_banner_lists_every_finding(driver: WebDriver, unsafe_page: Path,
                                                hostile_module: tuple[Path, Path],
                                                artifacts: Path) -> None:
    load(driver, unsafe_page)
    report = inspect_file(hostile_module[0])
    banner = driver.find_element(By.CSS_SELECTOR, ".banner.unsafe[role='alert']")
    assert banner.is_displayed() and banner.text.startswith("Safety: UNSAFE")
    assert banner.value_of_css_property("color") != box(driver, "LogisticRegression"
                                                        ).value_of_css_property("color")
    rows = banner.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == [
        f.global_name for f in report.safety.findings]
    assert "dangerous" in rows[0].text and "posix.system" in rows[0].text
    # the banner comes first
    first = driver.find_element(By.CSS_SELECTOR, "article > :nth-child(2)")
    assert first == banner
    # the attribute holding the payload is flagged in its box (opened, to be seen)
    model = box(driver, "LogisticRegression")
    assert "UNSAFE content in 1 attribute(s)" in model.find_element(By.TAG_NAME, "summary").text
    model.find_element(By.TAG_NAME, "summary").click()
    row = model.find_element(By.CSS_SELECTOR, "tr.alert-row")
    assert row.get_attribute("data-name") == "calibration_notes_" and row.is_displayed()
    assert f"UNSAFE: {report.safety.findings[0].global_name}" in row.text
    assert hostile_module[1].exists() is False
    screenshot(driver, artifacts / "unsafe_file.png")
    assert_no_network_and_no_errors(driver, unsafe_page)


def test_hostile_names_inject_nothing(driver: WebDriver, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    page = tmp_path / "hostile.html"
    page.write_text(render_report_html(inspect_file(write_hostile_names(tmp_path, canary))),
                    encoding="utf-8")
    assert not canary.exists()
    load(driver, page)
    driver.find_element(By.CSS_SELECTOR, ".toolbar button[data-open='1']").click()
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    counts = driver.execute_script(
        "return [document.scripts.length, document.images.length,"
        " document.querySelectorAll('style').length, document.querySelectorAll('b').length,"
        " Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes)"
        ".some(a => a.name.startsWith('on') || a.name === 'autofocus')).length]")
    assert counts == [1, 0, 1, 0, 0]
    body = driver.find_element(By.TAG_NAME, "body")
    assert body.is_displayed() and body.value_of_css_property("display") == "block"
    text = body.text
    for hostile in HOSTILE:
        # visible as text (lines are trimmed; ANSI/bidi/surrogates as \\uXXXX escapes)
        assert neutral(hostile).strip() in text, hostile
    assert CLASS_NAME in text
    assert_no_network_and_no_errors(driver, page)


def test_page_without_javascript_keeps_all_content(pages: dict[str, Path]) -> None:
    browser = make_driver(javascript=False)
    try:
        browser.get(pages["pipeline"].as_uri())
        assert not browser.find_element(By.CSS_SELECTOR, ".toolbar").is_displayed()
        svc = box(browser, "SVC")
        svc.find_element(By.TAG_NAME, "summary").click()  # <details> needs no script
        assert inner_table(svc).is_displayed()
        rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-name]")
        report = inspect_file(pages["pipeline"].with_suffix(".joblib"))
        assert len(rows) == sum(len(n.attributes) for n in report.nodes())
    finally:
        browser.quit()


def test_forest_and_diff_pages_load_cleanly(driver: WebDriver, pages: dict[str, Path],
                                            tmp_path: Path, xy: tuple[Any, Any]) -> None:
    ms = load(driver, pages["forest"])
    print(f"250-tree forest page: {pages['forest'].stat().st_size} bytes, loaded in {ms:.0f} ms")
    group = box(driver, "estimators_")
    assert "250 × DecisionTreeClassifier" in group.text
    assert_no_network_and_no_errors(driver, pages["forest"])
    a, b = tmp_path / "a.joblib", tmp_path / "b.joblib"
    joblib.dump(SVC(C=1.0).fit(*xy), a)
    joblib.dump(SVC(C=3.0).fit(*xy), b)
    ra, rb = inspect_file(a), inspect_file(b)
    page = tmp_path / "diff.html"
    page.write_text(render_diff_html(diff_reports(ra, rb), ra, rb), encoding="utf-8")
    load(driver, page)
    row = driver.find_element(By.CSS_SELECTOR, "#d tr.st-changed[data-name='C']")
    assert "changed" in row.text and "1.0" in row.text and "3.0" in row.text
    left, right = driver.find_elements(By.CSS_SELECTOR, ".diffgrid > article")
    for side in (left, right):
        assert "changed" in side.find_element(By.CSS_SELECTOR, ".node.diff-mark summary").text
    assert left.rect["y"] == right.rect["y"] and left.rect["x"] < right.rect["x"]
    assert_no_network_and_no_errors(driver, page)


def test_csp_blocks_what_escaping_would_have_let_through(driver: WebDriver,
                                                         pages: dict[str, Path],
                                                         tmp_path: Path) -> None:
    """Defence in depth: splice a script, an inline handler, a style attribute and a remote
    image into a real page; the page's own policy stops all four (and says so)."""
    text = pages["pipeline"].read_text(encoding="utf-8")
    injected = ("<script>document.title='pwned'</script>"
                "<img id=\"x\" src=\"http://127.0.0.1:9/pixel.png\" onerror=\"document.title='e'\">"
                "<p id=\"styled\" style=\"display:none\">styled</p>")
    page = tmp_path / "tampered.html"
    page.write_text(text.replace("</main>", injected + "</main>", 1), encoding="utf-8")
    load(driver, page)
    assert driver.title.startswith("hpinspect: ")
    assert driver.find_element(By.ID, "styled").is_displayed()  # style attribute not applied
    # Chrome announces the image request, then fails it with blockedReason "csp" before any
    # connection is made
    sent: dict[str, str] = {}
    blocked: dict[str, str] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed":
            blocked[params["requestId"]] = params.get("blockedReason", "")
    remote = [rid for rid, url in sent.items() if url.startswith("http")]
    assert remote and all(blocked.get(rid) == "csp" for rid in remote), (sent, blocked)
    violations = [e["message"] for e in driver.get_log("browser")
                  if "Content Security Policy" in e["message"]]
    assert any("script" in v for v in violations) and any("img-src" in v for v in violations)
