"""The vocabulary: every StrEnum the report model, the renderers and the command line share.

Kept apart from :mod:`hpinspect.report`'s dataclasses so that the command line (``--help``,
option parsing) imports the words without building the report model; ``report`` re-exports
every name here, so either import works.
"""

from __future__ import annotations

from enum import StrEnum


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
