"""The one place where text that came from a model file is made safe to show.

Every string a file controls (class and attribute names, keys, values, finding globals and
details, paths) passes through here before a renderer emits it:

* :func:`terminal` — for anything a terminal shows: C0/C1 control characters (so every ANSI
  CSI/OSC sequence), DEL, bidi overrides and isolates, zero-width and invisible format
  characters, line and paragraph separators and lone surrogates (undecodable bytes of a file
  name) are written as visible escapes (``\\x1b[2J``, ``\\u202e``, ``\\udcff``); text longer
  than a display cap is cut with its true length stated. Rich markup is never interpreted
  because renderers hand rich :class:`~rich.text.Text` objects only (never markup strings).
* :func:`neutral_report` — a copy of a whole :class:`~hpinspect.report.Report` whose displayed
  strings went through :func:`terminal` (one call at the entry of a terminal renderer).
* :func:`json_text` — a JSON document in which those characters are ``\\uXXXX`` escapes, so the
  values stay exact for a parser and nothing reaches a terminal raw (also keeps lone surrogates
  from failing the UTF-8 encoding of stdout).
* :func:`md_inline`, :func:`md_cell`, :func:`md_code` — THE Markdown escaper (model cards and
  diff tables): no HTML tag, link, image, emphasis or table break can come from file text.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import re
from collections.abc import Mapping
from typing import Any

from hpinspect.report import Attribute, FileInfo, Finding, Group, Node, Report, Safety, Versions

__all__ = [
    "DISPLAY_CAP",
    "SHOWN_CAP",
    "cap_strings",
    "capped",
    "fit",
    "json_dumps",
    "json_text",
    "md_cell",
    "md_code",
    "md_inline",
    "neutral_report",
    "terminal",
]

DISPLAY_CAP = 4096
"""Longest file-derived string a terminal or Markdown renderer shows whole."""

# Control characters (C0 incl. newline and tab, DEL, C1), bidi embeddings/overrides/isolates and
# marks, zero-width and other invisible format characters, line/paragraph separators, the BOM,
# interlinear annotations, Unicode tag characters ("ASCII smuggling") and lone surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]")

# json.dumps escapes C0 itself; a raw one in its output is structural whitespace (indentation).
_JSON_UNSAFE = re.compile(_UNSAFE.pattern.replace("\x00-\x1f", "", 1))


SHOWN_CAP = 10 * DISPLAY_CAP + 64
"""Longest text :func:`terminal` returns with the default cap (an escape is at most 10
characters, plus the true-length tail): ``terminal(terminal(x), SHOWN_CAP) == terminal(x)``, so
a renderer may pass a neutralised report's strings through :func:`terminal` once more."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def capped(text: str, limit: int = DISPLAY_CAP) -> str:
    """``text``, or its first ``limit`` characters and its true length when it is longer."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (text of {len(text):,} characters)"


_TRUE_LENGTH = re.compile(r"… \(text of ([\d,]+) characters\)\Z")


def fit(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters for a narrow cell, saying its true length
    (the one :func:`capped` recorded, when it was capped before)."""
    if len(text) <= limit:
        return text
    found = _TRUE_LENGTH.search(text)
    tail = f"… ({found.group(1) if found else f'{len(text):,}'} characters)"
    return text[:max(limit - len(tail), 16)] + tail


def terminal(text: Any, limit: int = DISPLAY_CAP) -> str:
    """``text`` as a terminal may show it: invisible and control characters escaped, capped."""
    if not isinstance(text, str):
        text = str(text)
    return _UNSAFE.sub(_escape, capped(text, limit))


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(document: str) -> str:
    """A JSON text from ``json.dumps`` with every unsafe character as a ``\\uXXXX`` escape.

    Outside strings a JSON text is ASCII, so the replacement only touches string contents and
    a parser reads back exactly the same values.
    """
    return _JSON_UNSAFE.sub(_json_escape, document)


JSON_CAP = 1 << 16
"""Longest string a JSON/SARIF document repeats whole; the finding's ``global`` stays exact."""


def cap_strings(document: Any, limit: int = JSON_CAP, exact: frozenset[str] = frozenset(
        {"global"})) -> Any:
    """A copy of a JSON-ready ``document`` whose long strings are :func:`capped` (keys in
    ``exact`` keep their value), so a 16 MiB name costs 16 MiB once, not once per mention."""
    if isinstance(document, str):
        return capped(document, limit)
    if isinstance(document, list):
        return [cap_strings(item, limit, exact) for item in document]
    if isinstance(document, dict):
        return {key: value if key in exact else cap_strings(value, limit, exact)
                for key, value in document.items()}
    return document


def json_dumps(document: Any, indent: int | None = 2) -> str:
    """Strict JSON (no NaN/Infinity) of ``document``, neutralised, with a final newline."""
    return json_text(json.dumps(document, indent=indent, ensure_ascii=False,
                                allow_nan=False)) + "\n"


# ------------------------------------------------------------------------------ whole reports
def _attribute(attr: Attribute) -> Attribute:
    shown = (terminal(attr.name), terminal(attr.role), terminal(attr.reason),
             terminal(attr.summary), terminal(attr.default_summary))
    if all(map(operator.is_, shown, (attr.name, attr.role, attr.reason, attr.summary,
                                     attr.default_summary))):
        return attr  # nothing to escape or cap (the common case): no copy
    name, role, reason, summary, default_summary = shown
    return dataclasses.replace(attr, name=name, role=role, reason=reason, summary=summary,
                               default_summary=default_summary)


def _group(group: Group) -> Group:
    classes: dict[str, int] = {}
    for name, count in group.classes.items():
        key = terminal(name)
        classes[key] = classes.get(key, 0) + count
    return dataclasses.replace(group, attribute=terminal(group.attribute), classes=classes)


def _shallow(node: Node, children: tuple[Node, ...]) -> Node:
    return dataclasses.replace(
        node, path=terminal(node.path), param_prefix=terminal(node.param_prefix),
        class_name=terminal(node.class_name), label=terminal(node.label),
        attributes=tuple(_attribute(a) for a in node.attributes),
        groups=tuple(_group(g) for g in node.groups), children=children)


def _node(root: Node) -> Node:
    """The node tree rebuilt bottom-up without recursion."""
    order: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.children)
    built: dict[int, Node] = {}
    for node in reversed(order):
        kids = tuple(built.pop(id(child)) for child in node.children)
        built[id(node)] = _shallow(node, kids)
    return built[id(root)]


def _mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    return {terminal(k): terminal(v) if isinstance(v, str) else v for k, v in values.items()}


def neutral_report(report: Report) -> Report:
    """A copy of ``report`` whose displayed strings went through :func:`terminal`."""
    file: FileInfo = dataclasses.replace(report.file, path=terminal(report.file.path))
    findings = tuple(
        dataclasses.replace(f, global_name=terminal(f.global_name), detail=terminal(f.detail),
                            path=terminal(f.path))
        for f in report.safety.findings)
    versions = Versions(_mapping(report.versions.saved_with),
                        _mapping(report.versions.installed), _mapping(report.versions.skew))
    return Report(file=file, versions=versions,
                  safety=Safety(report.safety.verdict, findings), model=_node(report.model))


def neutral_finding(finding: Finding) -> Finding:
    """One finding with its displayed strings neutralised (check output, annotations)."""
    return dataclasses.replace(finding, global_name=terminal(finding.global_name),
                               detail=terminal(finding.detail), path=terminal(finding.path))


# ---------------------------------------------------------------------------------- Markdown
# Characters with a Markdown or HTML meaning in running text. ``_`` is handled apart: inside a
# word (``n_features_in_``) it cannot start emphasis and is left alone for readability.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~#&])")
_UNDERSCORE_AT_EDGE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md_inline(text: Any) -> str:
    """``text`` as literal running Markdown: line breaks become spaces, the rest is neutralised
    for a terminal, then every character with a Markdown/HTML meaning is backslash-escaped, so
    no HTML tag, link, image, emphasis or table break can be made from it."""
    text = terminal(" ".join(str(text).splitlines()))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _UNDERSCORE_AT_EDGE.sub(r"\\_", text)


def md_cell(text: Any) -> str:
    """``text`` as the literal content of one GFM table cell (line breaks become ``<br>``, which
    hpinspect writes itself; nothing in ``text`` can add a column or a row)."""
    return "<br>".join(md_inline(line) for line in str(text).splitlines())


def md_code(text: Any) -> str:
    """``text`` as inline code that is safe in a table cell, one code span per line.

    A code span shows its content verbatim (no HTML, no links), except that the table parser
    still splits on a bare ``|``; GFM lets ``\\|`` stand for a pipe even inside code. The fence
    is one backtick longer than the longest run of backticks in the line.
    """
    spans = []
    for raw in str(text).splitlines():
        line = terminal(raw)
        if not line.strip():
            continue
        longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
        fence = "`" * (longest + 1)
        # a code span drops one space at each end when both are there; a backtick at an end
        # needs a space to stay apart from the fence
        pad = " " if line.startswith(("`", " ")) or line.endswith(("`", " ")) else ""
        spans.append(f"{fence}{pad}{line.replace('|', chr(92) + '|')}{pad}{fence}")
    return "<br>".join(spans)
