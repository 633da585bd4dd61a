"""Markdown renderer: a GitHub-flavoured Markdown model card per file.

One card per report: a ``# Model card: <file name>`` title, a short list of facts (format,
compression, protocol, sha256, saved-with versions, safety verdict), the safety findings when
there are any, then the sections of the Hugging Face / skops model-card convention filled with
what the file holds (model description from the overview, training data shape, the evaluation
metrics the file carries, ``[More Information Needed]`` for intended use and citation), then
under ``## Model details`` one ``## <path> — <Class>`` section per estimator with its
hyperparameter, learned-parameter and auxiliary tables, and the aggregated member groups.

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
from hpinspect.render.overview import LineKind, overview_lines, readable_value
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
    blocks.extend(_card_sections(report))
    blocks.append("## Model details")
    for node in report.nodes():
        blocks.extend(_node_blocks(node, options))
    return "\n\n".join(blocks) + "\n"


MORE_INFORMATION = "[More Information Needed]"
"""The Hugging Face / skops card placeholder for what a file cannot tell."""


def _card_sections(report: Report) -> Iterator[str]:
    """The model-card sections of the Hugging Face / skops convention, filled with what the
    file holds: description (the overview), training data shape, evaluation results, and
    placeholders for intended use, limitations and citation."""
    yield "## Model description"
    yield "\n".join(f"{'  ' * line.depth}- "
                    f"{inline(line.text[len(line.guide):].replace('  (--all expands)', ''))}"
                    for line in overview_lines(report) if line.kind in
                    (LineKind.ESTIMATOR, LineKind.TEMPLATE, LineKind.GROUP))
    yield "## Intended uses & limitations"
    yield MORE_INFORMATION
    yield "## Training data"
    yield "\n".join(_training_data(report)) or "The file records nothing about its training data."
    yield "## Evaluation results"
    yield "\n".join(_metrics(report)) or "The file holds no evaluation metric."
    yield "## How to get started with the model"
    yield (f"hpinspect's verdict is **{inline(report.safety.verdict)}**; load the file only in "
           "an environment with the library versions it was saved with (see above).")
    yield "## Citation"
    yield MORE_INFORMATION


TRAINING_FACTS: tuple[tuple[str, str], ...] = (
    ("n_features_in_", "features"), ("feature_names_in_", "feature names"),
    ("n_samples_seen_", "samples seen"), ("n_samples_fit_", "samples"),
    ("shape_fit_", "training matrix shape"), ("classes_", "classes"),
)
METRICS = ("best_score_", "oob_score_", "best_validation_score_", "validation_score_")


def _facts_of(report: Report, names: Sequence[str]) -> Iterator[tuple[Node, Attribute]]:
    for node in report.nodes():
        for name in names:
            attr = node.attribute(name)
            if attr is not None and (attr.value is not None or attr.kind == "array"):
                yield node, attr


def _training_data(report: Report) -> Iterator[str]:
    labels = dict(TRAINING_FACTS)
    seen: set[str] = set()
    for node, attr in _facts_of(report, list(labels)):  # the outermost estimator's, once
        text = readable_value(attr)
        if attr.name in seen:
            continue
        seen.add(attr.name)
        where = f" ({code(node.path)})" if node.path else ""
        yield f"- **{labels[attr.name].capitalize()}:** {inline(text)}{where}"


def _metrics(report: Report) -> Iterator[str]:
    for node, attr in _facts_of(report, METRICS):
        where = f" of {code(node.path)}" if node.path else ""
        yield f"- {code(attr.name)}{where}: **{inline(readable_value(attr))}**"


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
