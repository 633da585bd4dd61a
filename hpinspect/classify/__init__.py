"""Object graph -> classified estimator tree (see :mod:`hpinspect.classify.sklearn`)."""

from __future__ import annotations

from typing import Any

from hpinspect.classify.config import Overrides, load_overrides
from hpinspect.classify.sklearn import TreeBuilder
from hpinspect.classify.versions import build_versions
from hpinspect.report import Node, Versions

__all__ = ["Overrides", "classify", "load_overrides"]


def classify(root: Any, overrides: Overrides | None = None,
             expand_members: bool = False) -> tuple[Node, Versions]:
    """Classify every attribute of every estimator in ``root``."""
    builder = TreeBuilder(overrides or Overrides(), expand_members)
    node = builder.build(root)
    return node, build_versions(builder.saved_versions)
