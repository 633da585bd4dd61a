"""The diff renderers through their interface: Markdown neutralises file text like the cards do."""

from __future__ import annotations

import re

from builders import hyper, node, report

from hpinspect.diff import diff_reports
from hpinspect.render import RenderOptions, get_diff_renderer
from hpinspect.report import DiffFormat


def test_diff_markdown_neutralises_html_and_links() -> None:
    a = report(node(attributes=(hyper("notes", "x", summary="<img src=x onerror=alert(1)>"),)),
               path="a.pkl")
    b = report(node(attributes=(hyper("notes", "y", summary="[click](https://evil.example)"),)),
               path="b.pkl")
    text = get_diff_renderer(DiffFormat.markdown).render(diff_reports(a, b), RenderOptions())
    assert not re.search(r"(?<!\\)[<\[]", text)  # no bare < or [ reaches the Markdown
    assert "\\<img" in text and "\\[click\\](" in text
    assert text.startswith("## hpinspect diff: a.pkl → b.pkl")


def test_every_diff_format_through_the_interface() -> None:
    a = report(node(attributes=(hyper("C", 1.0),)), path="a.pkl")
    b = report(node(attributes=(hyper("C", 0.5),)), path="b.pkl")
    result = diff_reports(a, b)
    for fmt in DiffFormat:
        text = get_diff_renderer(fmt).render(result, RenderOptions(color=False, width=100))
        assert "C" in text and "0.5" in text, fmt
