"""Markdown renderer: a GitHub-flavoured Markdown model card per file.

One card per report: a ``# Model card: <file name>`` title, a short list of facts (format,
compression, protocol, sha256, saved-with versions, safety verdict), the safety findings when
there are any, then one ``## <path> — <Class>`` section per estimator with its hyperparameter,
learned-parameter and auxiliary tables, and the aggregated member groups.

Everything that comes from the file goes through :func:`cell` (table cells), :func:`inline`
(running text) or :func:`code` — the escapers of :mod:`hpinspect.render.neutral` — so a pipe,
a newline, a backtick, a control sequence or an HTML tag in a value can neither break a table
nor inject markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from hpinspect.render import RenderOptions
from hpinspect.render.neutral import md_cell, md_code, md_inline
from hpinspect.render.table import SELECTED_DURING_FIT, classes_text
from hpinspect.render.text import format_default, format_stats, human_size
from hpinspect.report import (
    CATEGORIES,
    Attribute,
    Category,
    Finding,
    Group,
    Node,
    NodeKind,
    Report,
    Versions,
)

__all__ = ["MarkdownRenderer", "cell", "code", "inline"]

CARD_SEPARATOR = "\n---\n\n"
"""Between the cards of several reports (a thematic break)."""

VERDICT_MARKS = {"safe": "✅ safe", "review": "⚠️ review", "unsafe": "⛔ unsafe"}

SECTION_TITLES: dict[Category, str] = {
    Category.HYPERPARAMETER: "Hyperparameters",
    Category.LEARNED: "Learned parameters",
    Category.AUXILIARY: "Auxiliary",
}


class MarkdownRenderer:
    """Renders reports as GitHub-flavoured Markdown model cards."""

    def render(self, reports: Sequence[Report], options: RenderOptions) -> str:
        """One card per report, separated by horizontal rules; ends with a newline."""
        return CARD_SEPARATOR.join(render_card(report, options) for report in reports)


def render_card(report: Report, options: RenderOptions) -> str:
    """The model card of one report."""
    blocks: list[str] = [f"# Model card: {inline(_file_name(report.file.path))}"]
    blocks.append("\n".join(_facts(report)))
    problems = [f for f in report.safety.findings if f.severity != "known"]
    if report.safety.verdict == "unsafe":
        blocks.append(
            "> **⛔ Unsafe:** loading this file with `pickle` or `joblib` would run code "
            "hpinspect cannot vouch for. Do not load it."
        )
    if problems:
        blocks.append("## Safety findings")
        blocks.append(_findings_table(problems))
    for node in report.nodes():
        blocks.extend(_node_blocks(node, options))
    return "\n\n".join(blocks) + "\n"


# ----------------------------------------------------------------------------------------- facts


def _file_name(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1] or path


def _facts(report: Report) -> Iterator[str]:
    file = report.file
    yield f"- **Path:** {code(file.path)}"
    yield f"- **Size:** {human_size(file.size_bytes)} ({file.size_bytes:,} bytes)"
    yield f"- **Format:** {file.format}"
    yield f"- **Compression:** {inline(file.compression or 'none')}"
    yield f"- **Pickle protocol:** {file.pickle_protocol}"
    yield f"- **SHA-256:** {code(file.sha256)}"
    yield f"- **Saved with:** {_saved_with(report.versions)}"
    verdict = report.safety.verdict
    yield f"- **Verdict:** {VERDICT_MARKS.get(verdict, inline(verdict))}"
    problems = [f for f in report.safety.findings if f.severity != "known"]
    if problems:
        counts: dict[str, int] = {}
        for finding in problems:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        listed = ", ".join(f"{count} {severity}" for severity, count in counts.items())
        yield f"- **Findings:** {listed} (see [Safety findings](#safety-findings))"


def _saved_with(versions: Versions) -> str:
    if not versions.saved_with:
        return "unknown (no version marker in the file)"
    parts: list[str] = []
    for library, saved in versions.saved_with.items():
        installed = versions.installed.get(library)
        skew = versions.skew.get(library, "unknown")
        here = f"installed {inline(installed)}" if installed else "not installed here"
        if skew in ("patch", "minor", "major"):
            here += f", **{skew} skew**"
        parts.append(f"{inline(library)} {inline(saved)} ({here})")
    return "; ".join(parts)


def _findings_table(findings: Sequence[Finding]) -> str:
    rows = [
        [code(f.global_name), f.severity + (" (called)" if f.called else ""),
         code(f.path) if f.path else "(root)", cell(f.detail)]
        for f in findings
    ]
    return table(["Global", "Severity", "Path", "Detail"], rows)


# ----------------------------------------------------------------------------------------- nodes


def _node_blocks(node: Node, options: RenderOptions) -> Iterator[str]:
    """The section of one node, or nothing when it has nothing to show."""
    categories: tuple[Category, ...] = CATEGORIES if options.only is None else (options.only,)
    show_groups = bool(node.groups) and options.only in (None, "learned")
    if not show_groups and not any(node.by_category(c) for c in categories):
        return
    yield f"## {inline(node.path or '(root)')} — {inline(node.short_class)}"
    yield _node_meta(node)
    for category in categories:
        attributes = node.by_category(category)
        if category != "hyperparameter":
            yield f"### {SECTION_TITLES[category]}"
        if not attributes:
            yield f"*No {SECTION_TITLES[category].lower()}.*"
            continue
        yield _attribute_table(category, attributes, options)
    if show_groups:
        yield "### Members"
        yield _groups_table(node.groups)


def _node_meta(node: Node) -> str:
    parts = [code(node.class_name)]
    if node.label and node.label != node.path:
        parts.append(f"step {code(node.label)}")
    if node.param_prefix:
        parts.append(f"parameters {code(node.param_prefix + '*')}")
    if node.kind is not NodeKind.BUNDLE:
        parts.append("fitted" if node.fitted else "**not fitted**")
    if not node.known:
        parts.append("**unknown class**")
    return " · ".join(parts)


def _attribute_table(
    category: Category, attributes: Sequence[Attribute], options: RenderOptions
) -> str:
    if category == "hyperparameter":
        headers = ["Hyperparameter", "Value", "Default", "Changed"]
    elif category == "learned":
        headers = ["Name", "Summary"]
    else:
        headers = ["Name", "Value", "Role"]
    if options.explain:
        headers.append("Reason")
    rows: list[list[str]] = []
    for attribute in attributes:
        name = code(attribute.name)
        if category == "hyperparameter":
            if attribute.role == SELECTED_DURING_FIT:
                name += " *(selected during fit)*"
            default = code(attribute.default_summary or format_default(attribute.default)) \
                if attribute.has_default else ""
            changed = {True: "**yes**", False: "no", None: ""}[attribute.changed]
            row = [name, code(attribute.summary), default, changed]
        elif category == "learned":
            row = [name, cell(attribute.summary)]
        else:
            row = [name, code(attribute.summary), cell(attribute.role)]
        if options.explain:
            row.append(cell(attribute.reason))
        rows.append(row)
    return table(headers, rows)


def _groups_table(groups: Sequence[Group]) -> str:
    rows = [[code(g.attribute), str(g.count), cell(classes_text(g)), cell(format_stats(g.stats))]
            for g in groups]
    return table(["Attribute", "Count", "Classes", "Stats"], rows)


# -------------------------------------------------------------------------------------- escaping


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GFM pipe table; ``headers`` and the cells must already be escaped."""
    lines = [_row(headers), _row(["---"] * len(headers))]
    lines += [_row(row) for row in rows]
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


inline = md_inline
"""Literal running Markdown (the one escaper: :func:`hpinspect.render.neutral.md_inline`)."""
cell = md_cell
"""Literal content of one table cell (:func:`hpinspect.render.neutral.md_cell`)."""
code = md_code
"""Inline code that is safe in a table cell (:func:`hpinspect.render.neutral.md_code`)."""
