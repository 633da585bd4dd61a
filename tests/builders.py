"""The one builder kit for synthetic reports: Attributes, Nodes, Reports, and sample models.

Every argument after the first is keyword-only, so a test reads as what it sets. Defaults are
placeholders a test does not care about (stable file facts, a plausible role and reason). The
sample reports (``logreg_node`` … ``unsafe_report``) are shared by the renderer tests; tests
that pin a golden file use them, so changing a default here changes those goldens.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hpinspect.classify.compare import handle_for
from hpinspect.report import (
    Attribute,
    Category,
    FileFormat,
    FileInfo,
    Finding,
    Group,
    Node,
    NodeKind,
    Report,
    Safety,
    Severity,
    Verdict,
    Versions,
)

SHA = "0123456789abcdef" * 4
_DEFAULT_ROLES = {Category.HYPERPARAMETER: "model", Category.LEARNED: "weights"}


def attribute(name: str, *, category: Category | str, summary: str | None = None,
              role: str = "", reason: str = "", kind: str = "scalar", value: Any = None,
              stats: dict[str, Any] | None = None, default: Any = None,
              has_default: bool = False, changed: bool | None = None,
              default_summary: str = "", loaded: Any = None) -> Attribute:
    """An :class:`Attribute`; ``loaded`` is the loaded value diff may compare (a handle)."""
    category = Category(category)
    return Attribute(
        name=name, category=category,
        role=role or _DEFAULT_ROLES.get(category, "other"),
        reason=reason or f"rule for {name}", kind=kind, value=value,
        summary=summary if summary is not None else repr(value), stats=stats,
        default=default, has_default=has_default, changed=changed,
        default_summary=default_summary, handle=handle_for(loaded),
    )


def hyper(name: str, value: Any = None, **fields: Any) -> Attribute:
    """A hyperparameter (summary ``repr(value)`` unless given)."""
    return attribute(name, category=Category.HYPERPARAMETER, value=value, **fields)


def aux(name: str, value: Any = None, **fields: Any) -> Attribute:
    """An auxiliary attribute."""
    return attribute(name, category=Category.AUXILIARY, value=value, **fields)


def array_stats(array: np.ndarray[Any, Any]) -> dict[str, Any]:
    """The layout statistics a real report carries for ``array`` (exact values, no fit)."""
    stats: dict[str, Any] = {"shape": list(array.shape), "dtype": str(array.dtype),
                             "nbytes": array.nbytes}
    if not array.dtype.names:
        stats.update(min=float(array.min()), max=float(array.max()))
    return stats


def learned(name: str, *, loaded: Any = None, stats: dict[str, Any] | None = None,
            **fields: Any) -> Attribute:
    """A learned array: statistics from ``loaded`` when it is an ndarray and none are given."""
    if stats is None and isinstance(loaded, np.ndarray):
        stats = array_stats(loaded)
    fields.setdefault("kind", "array")
    fields.setdefault("summary", f"array {stats.get('shape') if stats else '?'}")
    return attribute(name, category=Category.LEARNED, loaded=loaded, stats=stats, **fields)


def node(*, attributes: tuple[Attribute, ...] = (), path: str = "", prefix: str = "",
         class_name: str = "sklearn.linear_model.LR", known: bool = True, fitted: bool = True,
         children: tuple[Node, ...] = (), groups: tuple[Group, ...] = (), label: str = "",
         kind: NodeKind = NodeKind.ESTIMATOR) -> Node:
    """A :class:`Node`."""
    return Node(path=path, param_prefix=prefix, class_name=class_name, known=known,
                fitted=fitted, attributes=attributes, children=children, groups=groups,
                label=label, kind=kind)


def report(model: Node, *, path: str = "models/model.joblib", size: int = 2150,
           sha256: str = SHA, file_format: FileFormat = FileFormat.JOBLIB,
           compression: str | None = "zlib", protocol: int = 4,
           saved: dict[str, str] | None = None, installed: dict[str, str] | None = None,
           skew: dict[str, Any] | None = None, verdict: Verdict | str = Verdict.SAFE,
           findings: tuple[Finding, ...] = ()) -> Report:
    """A :class:`Report` around ``model`` with stable file facts."""
    return Report(
        file=FileInfo(path=path, size_bytes=size, sha256=sha256, format=file_format,
                      compression=compression, pickle_protocol=protocol),
        versions=Versions(
            saved_with=saved if saved is not None else {"scikit-learn": "1.3.2"},
            installed=installed if installed is not None else {"scikit-learn": "1.9.1"},
            skew=skew if skew is not None else {"scikit-learn": "minor"},
        ),
        safety=Safety(verdict=Verdict(verdict), findings=findings),
        model=model,
    )


def finding(global_name: str, *, severity: Severity | str, detail: str = "", path: str = "",
            called: bool = False) -> Finding:
    """A :class:`Finding`."""
    return Finding(global_name=global_name, severity=Severity(severity),
                   detail=detail or f"{severity} global", path=path, called=called)


# ------------------------------------------------------------------------------- sample reports


def logreg_node(path: str = "", label: str = "") -> Node:
    """A fitted LogisticRegression: C changed from its default, max_iter unchanged."""
    signature = "in LogisticRegression.__init__ signature"
    return node(
        path=path, label=label,
        class_name="sklearn.linear_model._logistic.LogisticRegression",
        attributes=(
            hyper("C", 0.5, summary="0.5", default=1.0, has_default=True, changed=True,
                  reason=signature),
            hyper("max_iter", 100, summary="100", default=100, has_default=True,
                  changed=False, reason=signature),
            hyper("solver", "lbfgs", summary="'lbfgs'", kind="string", default="lbfgs",
                  has_default=True, changed=False),
            learned("coef_", summary="float64 (1×4) min=-0.8 max=1.2 mean=0.1",
                    stats={"shape": [1, 4], "dtype": "float64", "nbytes": 32, "min": -0.8,
                           "max": 1.2, "mean": 0.1, "std": 0.7, "zeros": 0, "nans": 0},
                    reason="trailing underscore: set by fit"),
            learned("intercept_", summary="float64 (1) min=0.3 max=0.3 mean=0.3"),
            aux("random_state", 42, summary="42", role="randomness",
                reason="known auxiliary: seeds randomness only"),
            aux("n_jobs", summary="None", role="parallelism", kind="none"),
            aux("_sklearn_version", "1.3.2", summary="'1.3.2'", role="provenance",
                kind="string"),
        ),
    )


def scaler_node() -> Node:
    """A fitted StandardScaler (pipeline step ``scaler``)."""
    return node(
        path="steps[0]", prefix="scaler__", label="scaler",
        class_name="sklearn.preprocessing._data.StandardScaler",
        attributes=(
            hyper("with_mean", True, summary="True", default=True, has_default=True,
                  changed=False),
            learned("mean_", summary="float64 (4) min=-1 max=2 mean=0.4"),
            aux("n_features_in_", 4, summary="4", role="input schema"),
        ),
    )


def pipeline_node() -> Node:
    """A Pipeline with two children: a scaler and a LogisticRegression."""
    return node(
        class_name="sklearn.pipeline.Pipeline",
        attributes=(
            hyper("steps", summary="[('scaler', StandardScaler), ('clf', LogisticRegression)]",
                  kind="list"),
            aux("memory", summary="None", role="caching", kind="none"),
        ),
        children=(scaler_node(), logreg_node(path="steps[1]", label="clf")),
    )


def forest_node() -> Node:
    """A RandomForestClassifier whose 100 trees are summarised as a :class:`Group`."""
    return node(
        class_name="sklearn.ensemble._forest.RandomForestClassifier",
        attributes=(
            hyper("n_estimators", 100, summary="100", default=100, has_default=True,
                  changed=False),
            hyper("max_depth", 5, summary="5", default=None, has_default=True, changed=True),
            learned("estimators_", summary="100 × DecisionTreeClassifier", kind="estimators"),
            aux("oob_score", False, summary="False", role="diagnostics"),
        ),
        groups=(
            Group(
                attribute="estimators_",
                count=100,
                classes={"sklearn.tree._classes.DecisionTreeClassifier": 100},
                stats={"max_depth": {"min": 3, "mean": 4.5, "max": 5},
                       "node_count": {"min": 9, "mean": 17.25, "max": 31}},
            ),
        ),
    )


def lasso_cv_node() -> Node:
    """A LassoCV whose ``alpha_`` is a hyperparameter value selected during fit."""
    return node(
        class_name="sklearn.linear_model._coordinate_descent.LassoCV",
        attributes=(
            hyper("cv", 5, summary="5", default=None, has_default=True, changed=True),
            hyper("alpha_", 0.01, summary="0.01", role="selected during fit",
                  reason="selected during fit: chosen by cross-validation"),
            learned("coef_", summary="float64 (4) min=0 max=1 mean=0.5"),
        ),
    )


def logreg_report(**fields: Any) -> Report:
    return report(logreg_node(), **fields)


def pipeline_report(**fields: Any) -> Report:
    return report(pipeline_node(), **fields)


def forest_report(**fields: Any) -> Report:
    return report(forest_node(), **fields)


DANGEROUS = finding("posix.system", severity=Severity.DANGEROUS,
                    detail="runs a shell command", path="steps[1][1].notes_", called=True)
UNKNOWN_CLASS = finding("mylib.models.CustomEstimator", severity=Severity.UNKNOWN_CLASS,
                        detail="class not in the knowledge base", path="steps[1]")
KNOWN = finding("sklearn.pipeline.Pipeline", severity=Severity.KNOWN,
                detail="known estimator class")


def unsafe_report() -> Report:
    return pipeline_report(verdict=Verdict.UNSAFE, findings=(DANGEROUS, UNKNOWN_CLASS, KNOWN))


def review_report() -> Report:
    return pipeline_report(verdict=Verdict.REVIEW, findings=(UNKNOWN_CLASS, KNOWN))
