"""The report model: frozen dataclasses that every renderer, ``diff`` and ``check`` read.

A :class:`Report` is built once per file by :func:`hpinspect.inspect_file`; nothing downstream
looks at the raw object graph again, except ``diff`` which may compare the kept array values
carried (outside equality and JSON) in :attr:`Attribute.data`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Category = Literal["hyperparameter", "learned", "auxiliary"]
CATEGORIES: tuple[Category, ...] = ("hyperparameter", "learned", "auxiliary")
Severity = Literal["dangerous", "unknown call", "unknown class", "known"]
SEVERITIES: tuple[Severity, ...] = ("dangerous", "unknown call", "unknown class", "known")
Verdict = Literal["safe", "review", "unsafe"]
Skew = Literal["none", "patch", "minor", "major", "unknown"]


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
        return self.verdict == "unsafe"


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
    data: Any = field(default=None, compare=False, repr=False)
    """The loaded value itself, for ``diff`` (never rendered, never in JSON)."""


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
    """Short display label, e.g. the step name."""

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
