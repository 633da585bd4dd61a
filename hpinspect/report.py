"""The report model: frozen dataclasses that every renderer, ``diff`` and ``check`` read.

A :class:`Report` is built once per file by :func:`hpinspect.inspect_file`; nothing downstream
looks at the raw object graph again. ``diff`` compares loaded values only through the opaque
:attr:`Attribute.handle` the classifier attaches (outside equality and JSON): it asks the
handle for a :class:`Comparison` and never sees what is inside.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Category(StrEnum):
    """The three categories every attribute is sorted into (DESIGN §1)."""

    HYPERPARAMETER = "hyperparameter"
    LEARNED = "learned"
    AUXILIARY = "auxiliary"


CATEGORIES: tuple[Category, ...] = tuple(Category)


class Severity(StrEnum):
    """How dangerous a real load of a referenced global would be, most severe first."""

    DANGEROUS = "dangerous"
    UNKNOWN_CALL = "unknown call"
    UNKNOWN_CLASS = "unknown class"
    KNOWN = "known"


SEVERITIES: tuple[Severity, ...] = tuple(Severity)
UNSAFE_SEVERITIES: frozenset[Severity] = frozenset({Severity.DANGEROUS, Severity.UNKNOWN_CALL})
"""Severities that make a file unsafe (exit 3)."""


class Verdict(StrEnum):
    """The safety verdict of one file."""

    SAFE = "safe"
    REVIEW = "review"
    UNSAFE = "unsafe"


class SkewLevel(StrEnum):
    """Distance between the library version a file was saved with and the installed one."""

    NONE = "none"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"
    UNKNOWN = "unknown"
    """Not installed here, or a version that does not parse: nothing to compare against."""


Skew = SkewLevel
SKEW_ORDER: tuple[SkewLevel, ...] = (SkewLevel.NONE, SkewLevel.PATCH, SkewLevel.MINOR,
                                     SkewLevel.MAJOR)
"""The ordered levels a limit (``check --max-skew``) can name; ``unknown`` is not one."""


class NodeKind(StrEnum):
    """What a :class:`Node` of the model tree stands for."""

    ESTIMATOR = "estimator"
    """A model or transformer object (known or not)."""
    BUNDLE = "bundle"
    """A top-level dict/list/tuple holding estimators and metadata."""
    VALUE = "value"
    """The file holds no estimator: one node with the value as its only attribute."""
    GROUP = "group"
    """Many homogeneous members shown as one node (a family whose members have no nodes of
    their own); members of an estimator are usually a :class:`Group` on their parent."""


class ValueKind(StrEnum):
    """:attr:`Attribute.kind`: what sort of value an attribute holds."""

    SCALAR = "scalar"
    STRING = "string"
    NONE = "none"
    LIST = "list"
    DICT = "dict"
    ARRAY = "array"
    SPARSE = "sparse"
    TREE = "tree"
    """A fitted tree structure (sklearn ``Tree``)."""
    TREES = "trees"
    """Many tree predictors shown as a :class:`Group` (HistGradientBoosting's ``_predictors``)."""
    ESTIMATOR = "estimator"
    ESTIMATORS = "estimators"
    CALLABLE = "callable"
    RANDOM_STATE = "random_state"
    TABLE = "table"
    """A pandas DataFrame or Series."""
    REFERENCE = "reference"
    """A second place holding an estimator already shown elsewhere (classified once)."""
    OBJECT = "object"


class RuleName(StrEnum):
    """The rules of ``hpinspect check`` (also the SARIF rule ids' suffixes)."""

    EXPECT = "expect"
    RANGE = "range"
    REQUIRE_FITTED = "require-fitted"
    MAX_SKEW = "max-skew"
    STRICT = "strict"
    MAX_SIZE = "max-size"


class DiffStatus(StrEnum):
    """How one compared item of ``hpinspect diff`` differs."""

    CHANGED = "changed"
    ADDED = "added"
    """Only in B."""
    REMOVED = "removed"
    """Only in A."""
    EQUAL = "equal"


class RowCategory(StrEnum):
    """What a diff row compares: an attribute category, or structure / version / safety."""

    HYPERPARAMETER = "hyperparameter"
    LEARNED = "learned"
    AUXILIARY = "auxiliary"
    STRUCTURE = "structure"
    VERSION = "version"
    SAFETY = "safety"


# Output formats per command. Members are named by their value (``InspectFormat.table``), as the
# command line spells them; typer takes these enums directly.


class InspectFormat(StrEnum):
    """Output formats of ``hpinspect inspect`` (``--format``)."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"
    sarif = "sarif"
    html = "html"


class DiffFormat(StrEnum):
    """Output formats of ``hpinspect diff``."""

    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


class CheckFormat(StrEnum):
    """Output formats of ``hpinspect check``."""

    table = "table"
    json = "json"
    sarif = "sarif"


class ScanFormat(StrEnum):
    """Output formats of ``hpinspect scan``."""

    table = "table"
    jsonl = "jsonl"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"
    html = "html"


OUTPUT_FORMATS: dict[str, type[StrEnum]] = {
    "inspect": InspectFormat, "diff": DiffFormat, "check": CheckFormat, "scan": ScanFormat,
}
"""Every command's output-format enum, by command (tests walk every member)."""


class FileFormat(StrEnum):
    """What container a file is, recognised by content (``file.format`` in JSON)."""

    PICKLE = "pickle"
    JOBLIB = "joblib"
    TORCH = "torch"
    """``torch.save`` zip archive (torch >= 1.6)."""
    TORCH_LEGACY = "torch-legacy"
    """Pre-1.6 ``torch.save``: concatenated pickles followed by raw storages."""
    TORCHSCRIPT = "torchscript"
    SAFETENSORS = "safetensors"
    SKOPS = "skops"
    NPY = "npy"
    NPZ = "npz"
    ZIP = "zip"
    """Any other zip archive holding pickles."""
    XGBOOST_JSON = "xgboost-json"
    XGBOOST_UBJ = "xgboost-ubj"
    LIGHTGBM_TEXT = "lightgbm-text"
    CATBOOST_CBM = "catboost-cbm"
    MLFLOW = "mlflow"
    """An MLflow model folder (``MLmodel`` plus the flavor's model file)."""


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
