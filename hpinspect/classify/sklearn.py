"""Object graph -> estimator tree with every attribute classified (scikit-learn and fallback).

Classes are recognised by dotted name through the knowledge base; a class it does not know
(a custom estimator, or one another scikit-learn version kept elsewhere) is classified by
scikit-learn's naming convention and says so in every reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpinspect.classify import rules
from hpinspect.classify.compare import handle_for
from hpinspect.classify.config import Overrides
from hpinspect.classify.families import family_for
from hpinspect.classify.kb import (
    REQUIRED,
    DefaultRef,
    DefaultRepr,
    EstimatorInfo,
    KnowledgeBase,
    knowledge_base,
)
from hpinspect.classify.values import (
    Described,
    describe,
    display_text,
    to_json_value,
    tree_facts,
    value_facts,
    values_equal,
)
from hpinspect.classify.versions import MARKERS, marker_versions
from hpinspect.load import short_key
from hpinspect.load.common import only_types, safe_repr
from hpinspect.load.objects import ArrayStub, GlobalRef, ObjectArray, Stub
from hpinspect.report import Attribute, Category, Group, Node, NodeKind, ValueKind

MAX_NESTING = 64
"""Estimators nested deeper than this are not descended into (the classifier recurses)."""
GROUP_THRESHOLD = 10
"""Member lists longer than this are shown as one group (all members with --all)."""
BUNDLE_GROUP_THRESHOLD = 100
"""Top-level bundles with more estimators than this are shown as one group (--all: each)."""

# Template hyperparameter -> the attribute holding its fitted counterpart.
FITTED_COUNTERPART: dict[str, str] = {
    "transformers": "transformers_",
    "estimators": "estimators_",
    "final_estimator": "final_estimator_",
    "transformer": "transformer_",
    "regressor": "regressor_",
}
_VALUE_CLASSES = ("._tree.Tree", "TreePredictor", "._bunch.Bunch")
_DATA_CLASSES = ("._tree.Tree", "TreePredictor", "Booster", "KDTree", "BallTree", "_BinMapper")


@dataclass(frozen=True)
class Decision:
    """Category, role and reason for one attribute."""

    category: Category
    role: str
    reason: str


def classify_name(name: str, value: Any, info: EstimatorInfo | None, short: str,
                  overrides: Overrides) -> Decision:
    """Apply the rule table to one attribute name (see :mod:`hpinspect.classify.rules`)."""
    fixed = _fixed_decision(name, short, overrides)
    if fixed is not None:
        return fixed
    if name in rules.AUXILIARY_PARAMS and (info is None or name in info.params
                                           or not name.endswith("_")):
        role = rules.AUXILIARY_PARAMS[name]
        return Decision(Category.AUXILIARY, role, f"known auxiliary parameter: {role} only")
    if info is not None and name in info.params:
        role = "structure" if name in rules.STRUCTURE_PARAMS and _holds_estimators(value) \
            else "configuration"
        return Decision(Category.HYPERPARAMETER, role, f"in {info.name}.__init__ signature")
    if name in rules.SELECTED_ANYWHERE or (short.endswith("CV") and name in
                                           rules.SELECTED_ON_CV):
        return Decision(Category.HYPERPARAMETER, "selected during fit",
                        "hyperparameter value chosen or resolved by fit")
    auxiliary = _auxiliary_fitted(name, short)
    if auxiliary is not None:
        return auxiliary
    if name in rules.PRIVATE_LEARNED:
        role = rules.PRIVATE_LEARNED[name]
        return Decision(Category.LEARNED, role, "private prediction state set by fit")
    unknown = "" if info is not None else " (class not in knowledge base)"
    if name.endswith("_") and not name.startswith("__"):
        if name.startswith("_"):
            return _private(name, value, unknown)
        role = rules.LEARNED_ROLES.get(name, "fitted state")
        return Decision(Category.LEARNED, role, f"trailing underscore: set by fit{unknown}")
    if name.startswith("_"):
        return _private(name, value, unknown)
    if info is None:
        return Decision(Category.HYPERPARAMETER, "configuration",
                        "by naming convention (class not in knowledge base)")
    if _holds_estimators(value):
        return Decision(Category.HYPERPARAMETER, "structure",
                        f"estimator template set by {info.name}.__init__ (not a parameter)")
    return Decision(Category.AUXILIARY, "extra attribute",
                    f"public attribute outside {info.name}.__init__ signature")


def _fixed_decision(name: str, short: str, overrides: Overrides) -> Decision | None:
    """A user override, a per-class rule or a setting fit resolves, else None."""
    moved = overrides.moves.get(name)
    if moved is not None:
        return Decision(moved, "user override", f"moved to {moved} by {overrides.source}")
    by_class = rules.CLASS_RULES.get(short, {}).get(name)
    if by_class is not None:
        category, role = by_class
        return Decision(category, role, f"{short} rule: {role}")
    if name in rules.RESOLVED_DURING_FIT:
        return Decision(Category.HYPERPARAMETER, "resolved during fit",
                        "setting fit resolves from the given value (auto, None, a default)")
    return None


def _auxiliary_fitted(name: str, short: str) -> Decision | None:
    """A known auxiliary attribute set by fit (diagnostics, provenance ...), else None."""
    aux_role = rules.AUXILIARY_FITTED.get(name) or (
        rules.AUXILIARY_ON_CV.get(name) if short.endswith("CV") else None)
    if aux_role is None:
        return None
    why = "not used to predict" if aux_role in rules.NOT_PREDICTING \
        else "does not configure the model"
    extra = rules.AUXILIARY_WHY.get(name)
    return Decision(Category.AUXILIARY, aux_role, f"known {aux_role} attribute, {why}"
                    + (f" ({extra})" if extra else ""))


NO_OVERRIDES = Overrides()
"""The classifier's own decisions, before any user configuration."""


def learned_names(dotted: str, state: Mapping[Any, Any]) -> list[str]:
    """The names in an estimator's ``state`` the classifier puts in the learned category."""
    info, _how = knowledge_base().estimator(dotted)
    short = dotted.rsplit(".", 1)[-1]
    return [name for name, value in state.items()
            if isinstance(name, str) and name not in MARKERS
            and classify_name(name, value, info, short, NO_OVERRIDES).category
            == Category.LEARNED]


def _private(name: str, value: Any, unknown: str) -> Decision:
    """Private attributes: classified by what they hold, not by the underscore."""
    if _holds_data(value):
        return Decision(Category.LEARNED, "private state",
                        f"private attribute holding fitted data{unknown}")
    kind = describe(value).kind
    if kind == "random_state":
        return Decision(Category.AUXILIARY, "randomness",
                        f"private random state: seeds randomness only{unknown}")
    what = {"object": "helper object", "list": "list", "dict": "mapping",
            "callable": "callable"}.get(kind, "scalar")
    return Decision(Category.AUXILIARY, "bookkeeping",
                    f"private {what} that holds no fitted data{unknown}")


def _holds_data(value: Any, depth: int = 0) -> bool:
    from hpinspect.load.objects import ArrayStub, ObjectArray

    if isinstance(value, (np.ndarray, ArrayStub, ObjectArray)):
        return True
    if isinstance(value, Stub):
        dotted = value.dotted
        return "_sklearn_version" in value.attrs or dotted.endswith(_DATA_CLASSES) or \
            dotted.startswith("scipy.sparse.")
    if isinstance(value, (list, tuple)) and value and depth < 3:  # bounded on deep or DAG lists
        return any(_holds_data(v, depth + 1) for v in value[:8])
    return False


def _default_text(default: Any) -> str:
    if isinstance(default, DefaultRef):
        return default.dotted
    if isinstance(default, DefaultRepr):
        return default.text
    return display_text(default)


def _tree_predictors(value: Any) -> list[Stub]:
    """HistGradientBoosting's ``_predictors``: a list (per iteration) of lists of trees."""
    if not isinstance(value, list) or not value:
        return []
    flat: list[Stub] = []
    for row in value:
        for v in row if isinstance(row, list) else (row,):
            if not (isinstance(v, Stub) and v.dotted.endswith("TreePredictor")):
                return []  # at the first other value: a long list of strings is not walked
            flat.append(v)
    return flat


def _holds_estimators(value: Any) -> bool:
    if isinstance(value, Stub):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, Stub) or (isinstance(v, tuple) and len(v) >= 2 and
                                            isinstance(v[1], Stub)) for v in value[:50])
    return False


PLAIN_VALUES = (str, bytes, bytearray, int, float, complex, type(None), np.generic,
                np.ndarray, ArrayStub)
"""Element types that are never an estimator nor hold one (no family claims them either)."""
PLAIN_TYPES: frozenset[type] = frozenset({str, bytes, bytearray, int, float, complex, bool,
                                          type(None)})
"""The exact types among them that most long lists hold (checked for a whole list at once)."""


def _members(value: Any, here: str) -> list[tuple[str, Any]] | None:
    """``(path, element)`` for the elements of a list, tuple or object array that may be (or
    name) an estimator, in order; ``None`` for any other value. Plain scalars and arrays are
    passed over without a path: a 500,000-string ``classes_`` costs one type check each."""
    if isinstance(value, ObjectArray):
        items: Any = value.items
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    if only_types(items, PLAIN_TYPES):
        return []
    picks = [i for i, v in enumerate(items) if not isinstance(v, PLAIN_VALUES)]
    if isinstance(value, ObjectArray):
        return [(f"{here}[{', '.join(map(str, value.index_of(i)))}]", items[i]) for i in picks]
    return [(f"{here}[{i}]", items[i]) for i in picks]


def _reference(first: Node, path: str, prefix: str, label: str) -> Node:
    """A second place holding an estimator already shown at ``first.path``."""
    where = first.path or "(root)"
    note = Attribute("same object as", Category.AUXILIARY, "shared reference",
                     f"the file stores one object here and at {where}; it is classified once",
                     "reference", where, f"same object as {where}")
    return Node(path, prefix, first.class_name, first.known, first.fitted, (note,), label=label)


class TreeBuilder:
    """Builds the :class:`Node` tree of one loaded object graph."""

    def __init__(self, overrides: Overrides, expand_members: bool = False,
                 kb: KnowledgeBase | None = None) -> None:
        self.overrides = overrides
        self.expand = expand_members
        self.kb = kb or knowledge_base()
        self.saved_versions: dict[str, str] = {}
        self._active: set[int] = set()
        self._built: dict[int, Node] = {}
        """Estimators already classified (by id): a shared one is shown once, then referenced,
        so a DAG of shared references costs linear work, not one walk per path."""

    # ------------------------------------------------------------------ recognition
    def is_estimator(self, value: Any) -> bool:
        """Whether ``value`` is an estimator node rather than a plain value."""
        if family_for(value) is not None:
            return True
        if not isinstance(value, Stub) or not isinstance(value.factory, GlobalRef):
            return False
        dotted = value.dotted
        if self.kb.estimator(dotted)[0] is not None:
            return True
        state = value.attrs
        if "_sklearn_version" in state:
            return True
        if dotted.endswith(_VALUE_CLASSES):
            return False
        if dotted in self.kb.known_classes:
            # scikit-learn helpers that wrap fitted estimators (_CalibratedClassifier)
            return dotted.startswith("sklearn.") and isinstance(value.state, dict) and any(
                isinstance(v, Stub) and "_sklearn_version" in v.attrs
                for v in value.state.values())
        if dotted.startswith(("numpy.", "scipy.", "builtins.", "collections.", "datetime.",
                              "pandas.", "random.")):
            return False
        return value.how in ("newobj", "reconstructor") and isinstance(value.state, dict)

    # ------------------------------------------------------------------ entry point
    def build(self, root: Any) -> Node:
        """The root node: an estimator, a bundle of estimators, or a plain value."""
        if (family := family_for(root)) is not None:
            node: Node = family.build(self, root, "", "", "")
            return node
        if self.is_estimator(root):
            return self.node(root, "", "", "")
        if isinstance(root, (dict, list, tuple)):
            return self.bundle(root)
        desc = describe(root)
        array = isinstance(root, (np.ndarray, ArrayStub, ObjectArray))  # e.g. a .npy file
        cls = root.dotted if isinstance(root, Stub) else "numpy.ndarray" if array \
            else f"builtins.{type(root).__name__}"
        attr = Attribute("value", Category.AUXILIARY, "content", "the file holds no estimator",
                         desc.kind, desc.value, desc.summary, desc.stats,
                         handle=handle_for(root))
        return Node("", "", cls, array, False, (attr,), kind=NodeKind.VALUE)

    def bundle(self, root: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> Node:
        """A top-level dict/list/tuple: estimators become children, the rest metadata."""
        items = list(root.items()) if isinstance(root, dict) else list(enumerate(root))
        attributes: list[Attribute] = []
        children: list[Node] = []
        groups: tuple[Group, ...] = ()
        estimator = [self.is_estimator(v) for _, v in items]
        members = [v for (_, v), flag in zip(items, estimator, strict=True) if flag]
        if len(members) > BUNDLE_GROUP_THRESHOLD and not self.expand:
            # thousands of estimators: one aggregate instead of a node each (all with --all)
            groups = (self.group("(entries)", members),)
            items = [kv for kv, flag in zip(items, estimator, strict=True) if not flag]
            estimator = [False] * len(items)
        for (key, value), flag in zip(items, estimator, strict=True):
            if flag:
                path = f"[{short_key(safe_repr(key))}]"
                children.append(self.node(value, path, f"{short_key(str(key))}__", str(key)))
                continue
            desc = describe(value)
            attributes.append(Attribute(str(key), Category.AUXILIARY, "bundle metadata",
                                        "entry of a top-level bundle, not an estimator",
                                        desc.kind, desc.value, desc.summary, desc.stats,
                                        handle=handle_for(value)))
        cls = f"builtins.{type(root).__name__}"
        return Node("", "", cls, True, any(c.fitted for c in children), tuple(attributes),
                    tuple(children), groups, label="bundle", kind=NodeKind.BUNDLE)

    # ------------------------------------------------------------------ estimators
    def node(self, stub: Stub, path: str, prefix: str, label: str) -> Node:
        """Classify one estimator and, recursively, the estimators inside it."""
        if id(stub) in self._active or len(self._active) >= MAX_NESTING:
            # A cycle in the object graph, or nesting no real model has: stop descending.
            note = Attribute("nesting", Category.AUXILIARY, "structure",
                             f"estimators nested deeper than {MAX_NESTING} levels (or a "
                             "cycle): not descended", "object", None, stub.dotted)
            return Node(path, prefix, stub.dotted, False, False, (note,), label=label)
        first = self._built.get(id(stub))
        if first is not None:
            return _reference(first, path, prefix, label)
        self._active.add(id(stub))
        try:
            if (family := family_for(stub)) is not None:
                node: Node = family.build(self, stub, path, prefix, label)
            else:
                node = self._node(stub, path, prefix, label)
        finally:
            self._active.discard(id(stub))
        self._built[id(stub)] = node
        return node

    def _node(self, stub: Stub, path: str, prefix: str, label: str) -> Node:
        info, _how = self.kb.estimator(stub.dotted)
        short = stub.dotted.rsplit(".", 1)[-1]
        # A real __dict__ has string keys; a crafted state may not (shown by their repr).
        state = {k if isinstance(k, str) else safe_repr(k): v for k, v in stub.attrs.items()}
        marker_versions(state, self.saved_versions)
        attributes: list[Attribute] = []
        children: list[Node] = []
        groups: list[Group] = []
        names = list(state)
        if info is not None:  # hyperparameters in signature order, then the rest
            order = {p: i for i, p in enumerate(info.params)}
            names.sort(key=lambda n: (order.get(n, len(order)),))
        template_names = self._template_names(state)
        for name in names:
            value = state[name]
            decision = classify_name(name, value, info, short, self.overrides)
            in_params = info is not None and name in info.params
            counterpart = FITTED_COUNTERPART.get(name)
            summarize_only = counterpart is not None and counterpart in state and in_params
            # diagnostic objects (a search's scorer_) stay attributes, never nodes
            summarize_only = summarize_only or (decision.category == Category.AUXILIARY
                                                and decision.role == "diagnostic")
            nested = None if summarize_only else self.nested(
                name, value, path, prefix, in_params, template_names.get(name))
            if nested is not None:
                kids, group, desc = nested
                children.extend(kids)
                if group is not None:
                    groups.append(group)
                if decision.category == "learned" and kids and all(
                        k.known and not k.fitted for k in kids):
                    decision = Decision(Category.AUXILIARY, "template",
                                        "set by fit but holds an unfitted estimator (a "
                                        "validated copy of the template)")
            elif (predictors := _tree_predictors(value)):
                group = self.group(name, predictors)
                groups.append(group)
                desc = Described(ValueKind.TREES, None, f"{group.count} × TreePredictor")
            else:
                desc = self.describe_value(value)
            attributes.append(self.attribute(name, value, decision, desc, info, in_params))
        fitted = any(a.category == "learned" or (a.name.endswith("_") and not
                                                  a.name.startswith("_"))
                     for a in attributes)
        steps = [c for c in children if c.path.split(".")[-1].startswith(
            ("steps[", "transformer_list["))]
        if not fitted and steps:
            fitted = all(c.fitted for c in steps)
        return Node(path, prefix, stub.dotted, info is not None, fitted, tuple(attributes),
                    tuple(children), tuple(groups), label=label)

    def _template_names(self, state: dict[str, Any]) -> dict[str, list[str]]:
        """Names of the templates a fitted list pairs with (Voting/Stacking estimators_)."""
        out: dict[str, list[str]] = {}
        for template, fitted in FITTED_COUNTERPART.items():
            value = state.get(template)
            if fitted in state and isinstance(value, list):
                names = [v[0] for v in value if isinstance(v, tuple) and len(v) >= 2
                         and isinstance(v[0], str) and v[1] not in ("drop", None)]
                if names:
                    out[fitted] = names
            elif fitted in state and isinstance(value, Stub):
                out[fitted] = [template]
        return out

    def describe_value(self, value: Any) -> Described:
        """Describe a non-nested value, naming estimators hidden inside it."""
        if self.is_estimator(value):
            return Described("estimator", value.dotted, f"{value.dotted.rsplit('.', 1)[-1]}")
        return describe(value)

    def attribute(self, name: str, value: Any, decision: Decision, desc: Described,
                  info: EstimatorInfo | None, in_params: bool) -> Attribute:
        """Build the Attribute, with the class default and ``changed`` for parameters."""
        default: Any = None
        has_default = False
        changed: bool | None = None
        default_text = ""
        if info is not None and in_params:
            raw_default = info.defaults.get(name, REQUIRED)
            if raw_default is not REQUIRED:
                has_default = True
                default, changed = self._default(value, raw_default)
                default_text = _default_text(raw_default)
        facts = value_facts(name, value)
        return Attribute(name, decision.category, decision.role, decision.reason, desc.kind,
                         desc.value, desc.summary, desc.stats, default, has_default, changed,
                         default_text, items=facts.items, item_count=facts.item_count,
                         size=facts.size, routing=facts.routing, handle=handle_for(value))

    def _default(self, value: Any, default: Any) -> tuple[Any, bool | None]:
        if isinstance(default, DefaultRef):
            dotted = value.dotted if isinstance(value, (GlobalRef, Stub)) else None
            same = dotted is not None and (dotted == default.dotted or dotted.rsplit(".", 1)[-1]
                                           == default.dotted.rsplit(".", 1)[-1])
            return default.dotted, not same
        if isinstance(default, DefaultRepr):
            same_class = isinstance(value, Stub) and value.dotted.rsplit(".", 1)[-1] == \
                default.class_name.rsplit(".", 1)[-1]
            return default.text, None if same_class else True
        json_default, _ = to_json_value(default)
        if isinstance(value, Stub) or (isinstance(value, list) and default is None):
            return json_default, value is not None
        return json_default, not values_equal(value, default)

    # ------------------------------------------------------------------ nesting
    def nested(self, name: str, value: Any, path: str, prefix: str, in_params: bool,
               template_names: list[str] | None
               ) -> tuple[list[Node], Group | None, Described] | None:
        """Children (or a group) for an attribute that holds estimators, else None."""
        key = short_key(name)
        here = f"{path}.{key}" if path else key
        if self.is_estimator(value):
            sep = "__" if in_params or template_names else "."
            child_prefix = prefix + (f"{short_key(template_names[0])}__" if template_names
                                     else f"{key}{sep}")
            child = self.node(value, here, child_prefix, name)
            state = "fitted" if child.fitted else "unfitted"
            text = f"{child.short_class} ({state})" if child.known else child.short_class
            return [child], None, Described("estimator", value.dotted, text)
        members = _members(value, here)
        if members is None:
            return None
        named = [(p, v) for p, v in members if isinstance(v, tuple) and len(v) >= 2
                 and isinstance(v[0], str) and self.is_estimator(v[1])]
        if named:
            return self._named_members(named, prefix)
        estimators = [(p, v) for p, v in members if self.is_estimator(v)]
        if not estimators:
            return None
        if template_names and len(template_names) == len(estimators):
            kids = [self.node(v, p, f"{prefix}{short_key(n)}__", n)
                    for (p, v), n in zip(estimators, template_names, strict=True)]
            return kids, None, Described("estimators", None, self._list_text(kids))
        if len(estimators) > GROUP_THRESHOLD and not self.expand:
            group = self.group(name, [v for _, v in estimators])
            text = ", ".join(f"{n} × {c.rsplit('.', 1)[-1]}" for c, n in group.classes.items())
            return [], group, Described("estimators", None, text)
        kids = [self.node(v, p, f"{prefix}{p[len(path) + 1 if path else 0:]}.",
                          p.rsplit(".", 1)[-1]) for p, v in estimators]
        big = self.group(name, [v for _, v in estimators]) if len(estimators) > \
            GROUP_THRESHOLD else None
        return kids, big, Described("estimators", None, self._list_text(kids))

    def _named_members(self, named: list[tuple[str, Any]], prefix: str
                       ) -> tuple[list[Node], Group | None, Described]:
        kids = []
        for p, (step, est, *_rest) in named:
            kids.append(self.node(est, p, f"{prefix}{short_key(step)}__", step))
        return kids, None, Described("estimators", [[k.label, k.short_class] for k in kids],
                                     self._list_text(kids))

    @staticmethod
    def _list_text(kids: Iterable[Node]) -> str:
        return " → ".join(f"{k.label}: {k.short_class}" if k.label else k.short_class
                          for k in kids)

    def group(self, name: str, members: list[Stub]) -> Group:
        """Aggregate statistics of many fitted members (trees: depth, node count, leaves)."""
        classes: dict[str, int] = {}
        depths: list[int] = []
        nodes: list[int] = []
        leaves: list[int] = []
        for member in members:
            classes[member.dotted] = classes.get(member.dotted, 0) + 1
            tree = member if member.dotted.endswith("TreePredictor") else member.attrs.get("tree_")
            facts = tree_facts(tree) if isinstance(tree, Stub) else None
            if facts is not None:
                if facts["max_depth"] is not None:
                    depths.append(facts["max_depth"])
                nodes.append(facts["node_count"])
                if facts["leaves"] is not None:
                    leaves.append(facts["leaves"])
            marker_versions(member.attrs, self.saved_versions)
        stats: dict[str, Any] = {}
        for label, values in (("depth", depths), ("node_count", nodes), ("leaves", leaves)):
            if values:
                stats[label] = {"min": min(values), "mean": round(sum(values) / len(values), 2),
                                "max": max(values), "total": sum(values)}
        return Group(name, len(members), classes, stats)
