"""LightGBM's model text (``model_to_string()``, ``save_model`` ``.txt``) to plain values.

The text is a header of ``key=value`` lines, one ``Tree=i`` block per tree, ``end of trees``,
``feature_importances:`` (``name=count`` lines), ``parameters:`` (``[key: value]`` lines) up to
``end of parameters``, and ``pandas_categorical:``. Only what a report needs is kept per tree
(leaf count, depth, shrinkage); every line is bounded by the input, nothing is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hpinspect.decode import DecodeError

MAX_TREE_NODES = 1 << 24
"""A tree declaring more leaves than this is malformed (LightGBM caps num_leaves at 131072)."""


@dataclass(frozen=True)
class LightGBMTree:
    """One ``Tree=i`` block, summarised."""

    leaves: int
    depth: int
    shrinkage: float | None
    categorical_splits: int


@dataclass(frozen=True)
class LightGBMModel:
    """Everything the model text says, as strings except the tree summaries."""

    header: dict[str, str]
    trees: tuple[LightGBMTree, ...]
    feature_importances: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    """Every resolved training parameter (absent from models saved without them)."""
    has_parameters: bool = False
    pandas_categorical: str | None = None


def _depth(left: list[int], right: list[int]) -> int:
    """Depth of a tree from LightGBM's child arrays (negative = leaf ``~index``)."""
    if not left:
        return 0
    deepest = 0
    stack = [(0, 1)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > 2 * len(left) + 1 or not 0 <= node < len(left):
            raise DecodeError("LightGBM text: tree children do not form a tree")
        deepest = max(deepest, depth)
        for child in (left[node], right[node]):
            if child >= 0:
                stack.append((child, depth + 1))
    return deepest


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(x) for x in text.split()]
    except ValueError as exc:
        raise DecodeError(f"LightGBM text: {what} is not a list of integers") from exc


def _tree(block: dict[str, str], index: int) -> LightGBMTree:
    try:
        leaves = int(block.get("num_leaves", "1"))
        shrink = float(block["shrinkage"]) if "shrinkage" in block else None
        cats = int(block.get("num_cat", "0"))
    except ValueError as exc:
        raise DecodeError(f"LightGBM text: Tree={index} has a malformed number") from exc
    if not 1 <= leaves <= MAX_TREE_NODES:
        raise DecodeError(f"LightGBM text: Tree={index} declares {leaves} leaves")
    left = _ints(block.get("left_child", ""), f"Tree={index} left_child")
    right = _ints(block.get("right_child", ""), f"Tree={index} right_child")
    if len(left) != len(right) or (leaves > 1 and len(left) != leaves - 1):
        raise DecodeError(f"LightGBM text: Tree={index} child arrays do not match num_leaves")
    return LightGBMTree(leaves, _depth(left, right), shrink, cats)


def _section_parameters(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        if line.startswith("[") and line.endswith("]") and ": " in line:
            key, _, value = line[1:-1].partition(": ")
            out[key] = value
    return out


def _pairs(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


def parse(data: bytes | bytearray | str) -> LightGBMModel:
    """Parse the model text; raises :class:`DecodeError` when it is not LightGBM's."""
    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("LightGBM text: not UTF-8") from exc
    lines = text.splitlines()
    if not lines or lines[0].strip() != "tree":
        raise DecodeError("LightGBM text: does not start with 'tree'")
    sections: dict[str, list[str]] = {"header": []}
    blocks: list[list[str]] = []
    current = sections["header"]
    for raw in lines[1:]:
        line = raw.strip()
        if line.startswith("Tree="):
            blocks.append([])
            current = blocks[-1]
        elif line in ("end of trees", "feature_importances:", "parameters:",
                      "end of parameters"):
            current = sections.setdefault(line, [])
        elif line.startswith("pandas_categorical:"):
            sections["pandas"] = [line.partition(":")[2]]
        elif line:
            current.append(line)
    header = _pairs(sections["header"])
    if "version" not in header:
        raise DecodeError("LightGBM text: header has no version line")
    trees = tuple(_tree(_pairs(block), i) for i, block in enumerate(blocks))
    return LightGBMModel(
        header=header, trees=trees,
        feature_importances=_pairs(sections.get("feature_importances:", [])),
        parameters=_section_parameters(sections.get("parameters:", [])),
        has_parameters="parameters:" in sections,
        pandas_categorical=sections["pandas"][0] if sections.get("pandas") else None,
    )
