"""JSON renderer: the versioned document of DESIGN §4, strict (no NaN/Infinity literals).

Key order is fixed by construction; non-finite floats become ``null`` with a ``<key>_text``
sibling holding ``"nan"``, ``"inf"`` or ``"-inf"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from hpinspect import __version__
from hpinspect.render import RenderOptions
from hpinspect.render.neutral import cap_strings, json_text
from hpinspect.report import Attribute, Group, Node, Report

SCHEMA_VERSION = "1"


def _clean(value: Any) -> Any:
    """Strict-JSON copy: tuples to lists, non-finite floats to null (+ text in dicts)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[str(key)] = _clean(item)
            if isinstance(item, float) and not math.isfinite(item):
                out[f"{key}_text"] = str(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def attribute_doc(attr: Attribute, explain: bool = True) -> dict[str, Any]:
    """One attribute as a JSON object."""
    doc: dict[str, Any] = {
        "name": attr.name,
        "category": attr.category,
        "role": attr.role,
        "reason": attr.reason,
        "kind": attr.kind,
    }
    doc.update(_clean({"value": attr.value}))
    doc["summary"] = attr.summary
    if attr.stats is not None:
        doc["stats"] = _clean(attr.stats)
    for key in ("items", "item_count", "size", "routing"):
        extra = getattr(attr, key)
        if extra is not None:
            doc[key] = _clean(extra)
    if attr.has_default:
        doc.update(_clean({"default": attr.default}))
        doc["changed"] = attr.changed
    return doc


def group_doc(group: Group) -> dict[str, Any]:
    """An ensemble group as a JSON object."""
    return {"attribute": group.attribute, "count": group.count,
            "classes": dict(group.classes), "stats": _clean(group.stats)}


def node_doc(node: Node, options: RenderOptions) -> dict[str, Any]:
    """A node and its descendants (iteratively built, so deep trees cannot overflow)."""
    def shallow(n: Node) -> dict[str, Any]:
        attrs = [a for a in n.attributes if options.only is None or a.category == options.only]
        return {
            "path": n.path,
            "label": n.label,
            "class": n.class_name,
            "param_prefix": n.param_prefix,
            "known": n.known,
            "fitted": n.fitted,
            "attributes": [attribute_doc(a) for a in attrs],
            "groups": [group_doc(g) for g in n.groups],
            "children": [],
        }

    root = shallow(node)
    stack: list[tuple[Node, dict[str, Any]]] = [(node, root)]
    while stack:
        current, doc = stack.pop()
        for child in current.children:
            child_doc = shallow(child)
            doc["children"].append(child_doc)
            stack.append((child, child_doc))
    return root


def report_doc(report: Report, options: RenderOptions | None = None) -> dict[str, Any]:
    """The whole JSON document of one report."""
    options = options or RenderOptions()
    f = report.file
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "hpinspect", "version": __version__},
        "file": {
            "path": f.path, "size_bytes": f.size_bytes, "sha256": f.sha256,
            "format": f.format, "compression": f.compression,
            "pickle_protocol": f.pickle_protocol,
        },
        "versions": {
            "saved_with": dict(report.versions.saved_with),
            "installed": dict(report.versions.installed),
            "skew": dict(report.versions.skew),
        },
        "safety": {
            "verdict": report.safety.verdict,
            "findings": [
                {"global": x.global_name, "severity": x.severity, "detail": x.detail,
                 "path": x.path, "called": x.called}
                for x in report.safety.findings
            ],
        },
        "model": node_doc(report.model, options),
    }


def report_line(report: Report, options: RenderOptions | None = None) -> str:
    """The report's document on one line with its newline (a ``--format jsonl`` line)."""
    document = cap_strings(report_doc(report, options))
    return json_text(json.dumps(document, allow_nan=False, ensure_ascii=False)) + "\n"


class JsonRenderer:
    """One document for one file, an array for several, or one line each with ``lines``."""

    def __init__(self, lines: bool = False) -> None:
        self.lines = lines

    def render(self, reports: Sequence[Report], options: RenderOptions) -> str:
        if self.lines:
            return "".join(report_line(r, options) for r in reports)
        docs = [cap_strings(report_doc(r, options)) for r in reports]
        payload: Any = docs[0] if len(docs) == 1 and not options.several else docs
        return json_text(json.dumps(payload, allow_nan=False, indent=2, ensure_ascii=False)) + "\n"


class JsonLinesRenderer(JsonRenderer):
    """One compact JSON document per line (``--format jsonl``)."""

    def __init__(self) -> None:
        super().__init__(lines=True)
