"""What the xgboost, lightgbm and catboost families share: their knowledge base, the decoded
facts of one booster, and the one function that turns those facts into a :class:`Node`.

A family module (:mod:`.xgboost`, :mod:`.lightgbm`, :mod:`.catboost`) decodes its booster's
bytes into :class:`BoosterFacts`; :func:`assemble` then classifies the wrapper's own state with
the scikit-learn rules (:func:`~hpinspect.classify.sklearn.classify_name`,
``TreeBuilder.attribute``), replaces settings the wrapper left at ``None`` by the value the
booster resolved, adds the booster's other settings, the tree ensemble (learned) and its
diagnostics, schema and provenance (auxiliary).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from hpinspect.classify.compare import handle_for
from hpinspect.classify.kb import EstimatorInfo, decode_default
from hpinspect.classify.values import Described, describe, display_text
from hpinspect.load.objects import GlobalRef, Stub
from hpinspect.report import Attribute, Category, Group, Node

if TYPE_CHECKING:
    from hpinspect.classify.sklearn import TreeBuilder


@lru_cache(maxsize=1)
def boosters_kb() -> dict[str, Any]:
    """The shipped knowledge base of the three libraries (``scripts/gen_boosters_kb.py``)."""
    text = resources.files("hpinspect.classify").joinpath("data/boosters_kb.json").read_text(
        encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def wrapper_info(dotted: str) -> EstimatorInfo | None:
    """Constructor parameters of a wrapper class (XGBClassifier, LGBMRegressor, …)."""
    entry = boosters_kb()["wrappers"].get(dotted)
    if entry is None:
        return None
    params = tuple(entry["order"])
    return EstimatorInfo(dotted, dotted.rsplit(".", 1)[-1], entry.get("kind", "other"), params,
                         {p: decode_default(entry["defaults"][p]) for p in params}, ())


def resolved_defaults(dotted: str) -> dict[str, Any]:
    """Effective value of each constructor parameter when left at its default."""
    entry = boosters_kb()["wrappers"].get(dotted, {})
    return {k: decode_default(v) for k, v in entry.get("resolved", {}).items()}


def setting_defaults(dotted: str, library: str) -> dict[str, Any]:
    """Every resolved training setting of a default-configured ``dotted`` (a wrapper class),
    else of a default raw booster of ``library``."""
    entry = boosters_kb()["wrappers"].get(dotted)
    raw = entry["settings"] if entry and "settings" in entry else \
        boosters_kb()["settings"].get(library, {})
    return {k: decode_default(v) for k, v in raw.items()}


_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|NaN|Inf|-?inf)")


def typed(text: str, float32: bool = False) -> Any:
    """A setting stored as text ("6", "0.300000012", "[5E-1]") as a number when it is one."""
    raw = text.strip()
    if raw.startswith("[") and raw.endswith("]") and "," not in raw and raw[1:-1]:
        inner = typed(raw[1:-1], float32)
        if not isinstance(inner, str):
            return inner
    if _INT.fullmatch(raw):
        return int(raw)
    if _FLOAT.fullmatch(raw):
        value = float(raw)
        if float32 and math.isfinite(value):
            value = float(f"{value:.7g}")  # float32 printed with 9 digits: keep what was set
        return value
    return text


@dataclass(frozen=True)
class TreeStats:
    """The ensemble, summarised like a scikit-learn forest."""

    depths: Sequence[int]
    leaves: Sequence[int]
    per_output: int = 1
    """Trees are built for this many outputs (classes) per round."""
    rounds: int | None = None
    kind: str = "tree"

    @property
    def count(self) -> int:
        return len(self.depths)


@dataclass
class BoosterFacts:
    """What one decoded booster says (every field optional: models differ in what they keep)."""

    library: str
    settings: dict[str, Any] = field(default_factory=dict)
    """Resolved training settings by the library's own names."""
    setting_names: dict[str, str] = field(default_factory=dict)
    """Constructor parameter -> setting name (``learning_rate`` -> ``eta``)."""
    objective: str | None = None
    trees: TreeStats | None = None
    learned: dict[str, Any] = field(default_factory=dict)
    """base_score / initial prediction, class labels."""
    auxiliary: dict[str, tuple[str, Any]] = field(default_factory=dict)
    """name -> (role, value): diagnostics, schema, provenance."""
    version: str | None = None
    notes: list[str] = field(default_factory=list)
    """What the bytes lack or where they broke, said plainly."""
    linear: bool = False
    """A linear booster (xgboost ``gblinear``): fitted by its weights, no trees."""


def _dec(category: str, role: str, reason: str) -> Any:
    from hpinspect.classify.sklearn import Decision

    return Decision(Category(category), role, reason)


def tree_group(name: str, trees: TreeStats) -> Group:
    """The ensemble as a :class:`Group` (shown in the overview and the Members table)."""
    stats: dict[str, Any] = {}
    if trees.per_output > 1:
        stats["per_class"] = trees.count // trees.per_output
    if trees.rounds is not None:
        stats["rounds"] = trees.rounds
    for label, values in (("depth", trees.depths), ("leaves", trees.leaves)):
        if values:
            stats[label] = {"min": min(values), "mean": round(sum(values) / len(values), 2),
                            "max": max(values), "total": sum(values)}
    stats["splits"] = sum(trees.leaves) - trees.count if trees.leaves else 0
    return Group(name, trees.count, {trees.kind: trees.count}, stats)


def _trees_attribute(name: str, trees: TreeStats, value: Any) -> Attribute:
    group = tree_group(name, trees)
    parts = [f"{trees.count} trees"]
    if trees.per_output > 1:
        parts[0] += f" ({trees.count // trees.per_output} per class × {trees.per_output})"
    if trees.depths:
        parts.append(f"depth {min(trees.depths)}–{max(trees.depths)}"
                     if min(trees.depths) != max(trees.depths) else f"depth {trees.depths[0]}")
    if trees.leaves:
        parts.append(f"{sum(trees.leaves)} leaves")
    summary = ", ".join(parts)
    stats = {"shape": [trees.count], "dtype": "tree", **dict(group.stats)}
    return Attribute(name, Category("learned"), "tree ensemble",
                     "the boosted trees: fitted by training", "trees", None, summary, stats,
                     handle=None)


def _json_value(value: Any) -> Described:
    return describe(value)


@dataclass(frozen=True)
class Layout:
    """How a family names things: the attribute holding the booster, aux settings, aliases."""

    booster_attr: str
    """Wrapper attribute that holds the booster (``_Booster``, ``__model``)."""
    auxiliary: Mapping[str, str]
    """Setting name -> role for settings that do not configure the model."""
    always: frozenset[str] = frozenset()
    """Settings shown on a wrapper even when they keep their library default."""
    handle_keys: frozenset[str] = frozenset({"handle", "_handle"})
    """Booster state keys holding the model bytes."""
    wrapper_roles: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Wrapper state outside the constructor whose place the naming rules would miss."""


def _setting_attribute(builder: TreeBuilder, name: str, value: Any, default: Any,
                       has_default: bool, layout: Layout, origin: str) -> Attribute:
    from hpinspect.classify.rules import AUXILIARY_PARAMS

    moved = builder.overrides.moves.get(name)
    role = layout.auxiliary.get(name) or AUXILIARY_PARAMS.get(name)
    if moved is not None:
        decision = _dec(moved, "user override", f"moved to {moved} by "
                        f"{builder.overrides.source}")
    elif role is not None:
        decision = _dec("auxiliary", role, f"known auxiliary setting: {role} only")
    else:
        decision = _dec("hyperparameter", "training setting", origin)
    desc = describe(value)
    changed = None
    if has_default:
        from hpinspect.classify.values import values_equal
        changed = not values_equal(value, default)
    return Attribute(name, decision.category, decision.role, decision.reason, desc.kind,
                     desc.value, desc.summary, desc.stats, default if has_default else None,
                     has_default, changed, display_text(default) if has_default else "",
                     handle=handle_for(value))


def assemble(builder: TreeBuilder, stub: Stub, path: str, prefix: str, label: str,
             facts: BoosterFacts | None, layout: Layout, wrapper: bool) -> Node:
    """The node of a wrapper (``wrapper=True``) or raw booster, from its decoded facts."""
    attributes: list[Attribute] = []
    groups: list[Group] = []
    info = wrapper_info(stub.dotted) if wrapper else None
    shown: set[str] = set()
    if wrapper:
        attributes.extend(_wrapper_attributes(builder, stub, info, facts, layout, shown))
    else:
        attributes.extend(_booster_state(stub, layout))
    if facts is not None:
        attributes.extend(_settings(builder, facts, layout, shown, wrapper,
                                    setting_defaults(stub.dotted, facts.library)))
        if facts.trees is not None and facts.trees.count:
            groups.append(tree_group(layout.booster_attr if wrapper else "trees", facts.trees))
        attributes.extend(_facts_attributes(facts))
        if facts.version:
            builder.saved_versions.setdefault(facts.library, facts.version)
    unique: dict[str, Attribute] = {}
    for attr in attributes:  # first of a name wins (a wrapper's own parameter)
        unique.setdefault(attr.name, attr)
    attributes = list(unique.values())
    fitted = facts is not None and (facts.linear or (facts.trees is not None and
                                                     facts.trees.count > 0))
    known = info is not None or not wrapper
    return Node(path, prefix, stub.dotted, known, fitted, tuple(attributes), (),
                tuple(groups), label=label)


def _wrapper_attributes(builder: TreeBuilder, stub: Stub, info: EstimatorInfo | None,
                        facts: BoosterFacts | None, layout: Layout,
                        shown: set[str]) -> list[Attribute]:
    from hpinspect.classify.sklearn import classify_name
    from hpinspect.classify.versions import marker_versions

    state = {k if isinstance(k, str) else repr(k): v for k, v in stub.attrs.items()}
    marker_versions(state, builder.saved_versions)
    resolved = resolved_defaults(stub.dotted)
    order = {p: i for i, p in enumerate(info.params)} if info else {}
    short = stub.dotted.rsplit(".", 1)[-1]
    out: list[Attribute] = []
    for name in sorted(state, key=lambda n: order.get(n, len(order))):
        value = state[name]
        if name == layout.booster_attr:
            out.append(_booster_attribute(name, value, facts))
            continue
        decision = classify_name(name, value, info, short, builder.overrides)
        aux_role = layout.auxiliary.get(name) or layout.auxiliary.get(
            facts.setting_names.get(name, name) if facts else name)
        if aux_role is not None and name not in builder.overrides.moves and \
                decision.category == "hyperparameter":
            decision = _dec("auxiliary", aux_role, f"known auxiliary setting: {aux_role} only")
        if name in layout.wrapper_roles and name not in builder.overrides.moves:
            category, role = layout.wrapper_roles[name]
            decision = _dec(category, role, f"known {short} attribute: {role}")
        if info is not None and name in info.params:
            out.append(_param_attribute(builder, name, value, decision, info, facts,
                                        resolved, layout))
            shown.add(facts.setting_names.get(name, name) if facts else name)
            shown.add(name)
            continue
        out.append(builder.attribute(name, value, decision, builder.describe_value(value),
                                     info, False))
    return out


def _booster_state(stub: Stub, layout: Layout) -> list[Attribute]:
    """A raw booster's Python-side state beside its model bytes (best_iteration, params …)."""
    out = []
    for key, value in stub.attrs.items():
        name = key if isinstance(key, str) else repr(key)
        if name in layout.handle_keys:
            continue
        category, role = layout.wrapper_roles.get(name, ("auxiliary", "bookkeeping"))
        desc = describe(value)
        out.append(Attribute(name, Category(category), role, f"booster attribute outside the model "
                             f"bytes: {role}", desc.kind, desc.value, desc.summary, desc.stats,
                             handle=handle_for(value)))
    return out


def _booster_attribute(name: str, value: Any, facts: BoosterFacts | None) -> Attribute:
    if facts is not None and facts.linear:
        return Attribute(name, Category("learned"), "weights",
                         "the linear booster: fitted by training", "object", None,
                         "gblinear booster (see weights)", None, handle=None)
    if facts is not None and facts.trees is not None:
        return _trees_attribute(name, facts.trees, value)
    desc = describe(value)
    note = "; ".join(facts.notes) if facts and facts.notes else "no trees"
    return Attribute(name, Category("learned"), "tree ensemble", f"the booster: {note}", desc.kind,
                     None, f"{desc.summary} ({note})", None, handle=None)


def _param_attribute(builder: TreeBuilder, name: str, value: Any, decision: Any,
                     info: EstimatorInfo, facts: BoosterFacts | None,
                     resolved: dict[str, Any], layout: Layout) -> Attribute:
    """A constructor parameter; ``None`` replaced by what the booster resolved."""
    setting = facts.setting_names.get(name, name) if facts else name
    effective = value
    note = ""
    if value is None and facts is not None and setting in facts.settings:
        effective = facts.settings[setting]
        note = "; None here, value resolved by the booster"
    default = resolved.get(name, info.defaults.get(name))
    has_default = name in resolved or name in info.defaults
    desc = describe(effective)
    changed = None
    if has_default:
        from hpinspect.classify.values import values_equal
        # Left at None, the parameter is the library default whatever the booster resolved
        # it to (gblinear's eta is 0.5, gbtree's 0.3).
        changed = value is not None and not values_equal(effective, default)
    return Attribute(name, decision.category, decision.role, decision.reason + note, desc.kind,
                     desc.value, desc.summary, desc.stats, default if has_default else None,
                     has_default, changed, display_text(default) if has_default else "",
                     handle=handle_for(effective))


def _settings(builder: TreeBuilder, facts: BoosterFacts, layout: Layout, shown: set[str],
              wrapper: bool, defaults: dict[str, Any]) -> list[Attribute]:
    out = []
    origin = f"resolved training setting stored in the {facts.library} booster"
    for name, value in facts.settings.items():
        if name in shown:
            continue
        has_default = name in defaults
        default = defaults.get(name)
        if wrapper and name not in layout.always and has_default and _same(value, default):
            continue  # the wrapper shows its own parameters; unchanged extras stay quiet
        out.append(_setting_attribute(builder, name, value, default, has_default, layout,
                                      origin))
    return out


def _same(a: Any, b: Any) -> bool:
    from hpinspect.classify.values import values_equal

    return values_equal(a, b)


_LEARNED_ROLES = {"intercept_": "bias", "weights": "weights", "classes_": "label set",
                  "leaf_values": "tree structure"}


def _facts_attributes(facts: BoosterFacts) -> list[Attribute]:
    out = []
    for name, value in facts.learned.items():
        desc = describe(value)
        out.append(Attribute(name, Category("learned"), _LEARNED_ROLES.get(name, "fitted state"),
                             f"learned by {facts.library} training, stored in the model",
                             desc.kind, desc.value, desc.summary, desc.stats,
                             handle=handle_for(value)))
    for name, (role, value) in facts.auxiliary.items():
        desc = describe(value)
        out.append(Attribute(name, Category("auxiliary"), role,
                             f"{role} stored in the {facts.library} model, not used to predict",
                             desc.kind, desc.value, desc.summary,
                             desc.stats, handle=handle_for(value)))
    if facts.notes:
        text = "; ".join(facts.notes)
        out.append(Attribute("notes", Category("auxiliary"), "decoder note", "what the model bytes "
                             "lack or where they broke", "string", text, text, handle=None))
    return out


def stub_named(value: Any, names: tuple[str, ...]) -> bool:
    """Whether ``value`` is a Stub (or a global) of one of the dotted ``names``."""
    if isinstance(value, Stub) and isinstance(value.factory, GlobalRef):
        return value.dotted in names
    return False


Decoder = Callable[[Any], BoosterFacts]
