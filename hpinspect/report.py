"""The report model: frozen dataclasses that every renderer, ``diff`` and ``check`` read.

A :class:`Report` is built once per file by :func:`hpinspect.inspect_file`; nothing downstream
looks at the raw object graph again. ``diff`` compares loaded values only through the opaque
:attr:`Attribute.handle` the classifier attaches (outside equality and JSON): it asks the
handle for a :class:`Comparison` and never sees what is inside.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hpinspect.vocab import (
    CATEGORIES,
    OUTPUT_FORMATS,
    SEVERITIES,
    SKEW_ORDER,
    UNSAFE_SEVERITIES,
    Category,
    CheckFormat,
    DiffFormat,
    DiffStatus,
    FileFormat,
    InspectFormat,
    NodeKind,
    RowCategory,
    RuleName,
    ScanFormat,
    Severity,
    Skew,
    SkewLevel,
    ValueKind,
    Verdict,
)

__all__ = [  # the vocabulary is re-exported: ``from hpinspect.report import Category``
    "CATEGORIES",
    "OUTPUT_FORMATS",
    "SEVERITIES",
    "SKEW_ORDER",
    "UNSAFE_SEVERITIES",
    "Attribute",
    "Category",
    "CheckFormat",
    "Comparison",
    "DiffFormat",
    "DiffStatus",
    "FileFormat",
    "FileInfo",
    "Finding",
    "Group",
    "InspectFormat",
    "Node",
    "NodeKind",
    "Report",
    "RowCategory",
    "RuleName",
    "Safety",
    "ScanFormat",
    "Severity",
    "Skew",
    "SkewLevel",
    "ValueHandle",
    "ValueKind",
    "Verdict",
    "Versions",
]


@dataclass(frozen=True)
class FileInfo:
    """What the file is, independent of its content."""

    path: str
    """The path as given by the user."""
    size_bytes: int
    """Size on disk."""
    sha256: str
    """Hex digest of the bytes on disk."""
    format: FileFormat
    """The container; ``joblib`` when the stream carries joblib's array wrapper or a joblib
    compression."""
    compression: str | None
    """``None`` or one of zlib, gzip, bz2, xz, lzma, lz4, zf (joblib's legacy container)."""
    pickle_protocol: int
    """Highest pickle protocol the stream uses (0-5)."""


@dataclass(frozen=True)
class Finding:
    """One global the file references, with how dangerous a real load of it would be."""

    global_name: str
    """Dotted name, e.g. ``posix.system``."""
    severity: Severity
    """dangerous, unknown call, unknown class or known (DESIGN §3)."""
    detail: str
    """One line explaining the severity."""
    path: str
    """Where in the object the global sits, e.g. ``steps[1][1].calibration_notes_``."""
    called: bool
    """Whether a real ``pickle.load`` would call it (REDUCE, NEWOBJ, INST, OBJ)."""


@dataclass(frozen=True)
class Safety:
    """The verdict and every finding behind it."""

    verdict: Verdict
    """unsafe (dangerous or unknown call), review (unknown class) or safe."""
    findings: tuple[Finding, ...]
    """Every referenced global, most severe first."""

    @property
    def unsafe(self) -> bool:
        """True when a real load would run code hpinspect cannot vouch for."""
        return self.verdict == Verdict.UNSAFE


@dataclass(frozen=True)
class Versions:
    """Library versions the file was saved with, against the ones installed here."""

    saved_with: Mapping[str, str]
    """E.g. ``{"scikit-learn": "1.3.2"}``, from ``_sklearn_version`` and similar markers."""
    installed: Mapping[str, str]
    """Installed versions of the same libraries (``importlib.metadata``, nothing imported)."""
    skew: Mapping[str, Skew]
    """Per library: none, patch, minor, major, or unknown when not installed."""


@dataclass(frozen=True)
class Comparison:
    """How two loaded values compare, as the layer that loaded them judges it."""

    equal: bool
    """No difference was found."""
    undetermined: bool = False
    """Part of a value was kept as statistics only: "equal" means as far as can be told."""
    detail: str = ""
    """What differs (``values differ: max abs diff 1, max rel diff 0.25`` …), or ``""``."""
    max_abs_diff: float | None = None
    """The largest absolute difference between numbers of the two values, when numbers differ."""
    max_rel_diff: float | None = None
    """The largest relative difference (``|a - b| / max(|a|, |b|)``), when numbers differ."""


class ValueHandle(Protocol):
    """An opaque handle on a loaded value: all a report consumer can do is compare two."""

    def compare(self, other: ValueHandle) -> Comparison:
        """Compare this value with ``other`` (a handle made by the same classifier)."""
        ...


@dataclass(frozen=True)
class Attribute:
    """One classified attribute of an estimator."""

    name: str
    """Attribute name as stored in the object's ``__dict__``."""
    category: Category
    """hyperparameter, learned or auxiliary."""
    role: str
    """What the attribute is for, e.g. "weights", "randomness", "selected during fit"."""
    reason: str
    """The rule that placed it, in one line."""
    kind: str
    """Value kind: scalar, string, none, list, dict, array, sparse, tree, estimator, estimators,
    callable, random_state, object."""
    value: Any
    """JSON-safe small value, or ``None`` when only a summary makes sense."""
    summary: str
    """Short human text for the value (always set)."""
    stats: Mapping[str, Any] | None = None
    """For arrays: shape, dtype, nbytes, min, max, mean, std, zeros, nans (JSON-safe)."""
    default: Any = None
    """JSON-safe class default, for hyperparameters of known classes."""
    has_default: bool = False
    """Whether :attr:`default` is meaningful."""
    changed: bool | None = None
    """For hyperparameters with a default: whether the value differs from it."""
    default_summary: str = ""
    """The default as display text, in the same style as :attr:`summary`."""
    items: list[Any] | None = None
    """The elements of a 1-D array of labels, names or integers (``classes_``,
    ``feature_names_in_``), or one such list per array of a list of arrays (``categories_``):
    JSON-safe, at most :data:`~hpinspect.classify.values.ITEMS_CAP` per list; the true length is
    :attr:`item_count`. ``None`` for other values."""
    item_count: int | None = None
    """How many elements (or arrays) the value really has, when :attr:`items` is set."""
    size: int | None = None
    """Number of elements of a list of arrays (an MLP's ``coefs_``), else ``None`` (an array's
    size is the product of ``stats["shape"]``)."""
    routing: list[dict[str, Any]] | None = None
    """A ColumnTransformer's ``transformers``/``transformers_``: one entry per step, ``name``,
    ``transformer`` (class name, ``drop`` or ``passthrough``), ``columns`` (a list of names or
    indices, or the selector's text) and ``column_count``."""
    handle: ValueHandle | None = field(default=None, compare=False, repr=False)
    """Opaque handle on the loaded value, for ``diff`` (never rendered, never in JSON)."""


@dataclass(frozen=True)
class Group:
    """Aggregate view of many homogeneous fitted members (e.g. a forest's trees)."""

    attribute: str
    """The attribute holding the members, e.g. ``estimators_``."""
    count: int
    """Number of members."""
    classes: Mapping[str, int]
    """Member class name -> count."""
    stats: Mapping[str, Any]
    """Aggregates such as depth and node-count min/mean/max (JSON-safe)."""


@dataclass(frozen=True)
class Node:
    """An estimator (or a bundle) in the model tree."""

    path: str
    """Location in the object: ``""``, ``steps[0]``, ``best_estimator_``, ``['model']``."""
    param_prefix: str
    """get_params-style prefix for this node's hyperparameters: ``""``, ``clf__``."""
    class_name: str
    """Dotted class name as stored in the file."""
    known: bool
    """Whether the class is in the knowledge base."""
    fitted: bool
    """Whether fit has run (any learned attribute present)."""
    attributes: tuple[Attribute, ...]
    """Classified attributes, hyperparameters first in signature order."""
    children: tuple[Node, ...] = ()
    """Nested estimators (pipeline steps, best_estimator_, members ...)."""
    groups: tuple[Group, ...] = ()
    """Aggregates for large member lists (shown instead of every member)."""
    label: str = ""
    """Short display label, e.g. the step name (``bundle`` for a bundle, as JSON shows it)."""
    kind: NodeKind = NodeKind.ESTIMATOR
    """What the node stands for; renderers test this, never the label."""

    @property
    def short_class(self) -> str:
        """Class name without its module."""
        return self.class_name.rsplit(".", 1)[-1]

    def by_category(self, category: Category) -> tuple[Attribute, ...]:
        """Attributes of one category, in order."""
        return tuple(a for a in self.attributes if a.category == category)

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called ``name``, if any."""
        for attr in self.attributes:
            if attr.name == name:
                return attr
        return None

    def walk(self) -> Iterator[Node]:
        """This node and every descendant, depth first, parents before children."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass(frozen=True)
class Report:
    """Everything hpinspect knows about one model file."""

    file: FileInfo
    """Format facts."""
    versions: Versions
    """Saved-with and installed library versions."""
    safety: Safety
    """Verdict and findings."""
    model: Node
    """The root node of the model tree."""

    def nodes(self) -> Iterator[Node]:
        """Every node, parents first."""
        return self.model.walk()
