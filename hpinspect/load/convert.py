"""Turn the raw graph a real unpickler built (builtins + stand-ins) into the output vocabulary.

Runs once, after the load has finished: stand-in classes become
:class:`~hpinspect.load.objects.GlobalRef`, stand-in instances their
:class:`~hpinspect.load.objects.Stub`, and :class:`~hpinspect.load.standins.Deferred` values
the numpy arrays, dtypes and scalars hpinspect builds itself from validated parts
(:mod:`hpinspect.load.ndbuild`). The walk is iterative, visits each object once (shared and
cyclic references stay shared), and enforces the nesting limit.
"""

from __future__ import annotations

from typing import Any

from hpinspect.errors import CorruptFileError, LimitExceededError
from hpinspect.load.common import all_plain
from hpinspect.load.objects import GlobalRef, Stub
from hpinspect.load.standins import Deferred, StandIn, StandInMeta, ref_of
from hpinspect.load.unpickler import Session

LEAF_TYPES: frozenset[type] = frozenset({str, int, float, bool, type(None), bytes, bytearray,
                                         complex, slice, range})
"""Values the conversion leaves as they are (no children, nothing to replace)."""
_NODES = (list, dict, set, tuple, frozenset, StandIn, Stub)
_BUILT = (tuple, frozenset, Deferred)
"""Values rebuilt after their children (the rest are fixed in place)."""
_CONTAINERS = (tuple, frozenset, Deferred, list, dict, set, StandIn)
_PLAIN = frozenset({tuple, list, dict, set, frozenset})
"""The builtin containers by exact type: a set lookup instead of isinstance on hot paths."""


def _children(obj: Any) -> list[Any]:
    """The members of ``obj`` that may change or hold something that does (no leaf, no
    GlobalRef, no stand-in class: none of them is walked)."""
    kind = type(obj)
    if kind is tuple or kind is list:  # the common cases first
        if all_plain(obj, LEAF_TYPES):
            return []  # (the classes, a vocabulary's words)
        return [x for x in obj if type(x) not in LEAF_TYPES]
    if kind is dict:
        if all_plain(obj, LEAF_TYPES):
            return []
        return [*(x for x in obj if type(x) not in LEAF_TYPES),
                *(x for x in obj.values() if type(x) not in LEAF_TYPES)]
    if isinstance(obj, dict):
        attrs = _attrs(obj).values()
        return [x for x in (*obj.keys(), *obj.values(), *attrs) if type(x) not in LEAF_TYPES]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [x for x in obj if type(x) not in LEAF_TYPES]
    if isinstance(obj, Deferred):
        return [x for x in (*obj.args, obj._hp_stub.state) if type(x) not in LEAF_TYPES]
    if isinstance(obj, StandIn):
        obj = obj._hp_stub
    if isinstance(obj, Stub):
        factory = obj.factory
        return [*(() if type(factory) is GlobalRef else (factory,)), *obj.args,
                *obj.kwargs.values(), obj.state, *obj.list_items,
                *(x for kv in obj.dict_items for x in kv)]
    return []


_POST = object()
"""Marks, on :meth:`Converter._finish`'s stack, that the node under it is built next."""


class _Hop:
    """A child the breadth-first walk meets one level further down than its parent."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item


def _plain_array_state(obj: Deferred) -> tuple[Any, ...] | None:
    """The BUILD state of an ndarray Deferred that numpy pickled the usual way, or ``None``:
    ``_reconstruct(cls, (ints), bytes|str)`` with the state ``(int, (ints), dtype Deferred,
    bool, bytes)`` (or without the version)."""
    state = obj._hp_stub.state
    if type(state) is not tuple:
        return None
    if len(state) == 5:
        version, shape, dtype, fortran, raw = state
        if type(version) is not int:
            return None
    elif len(state) == 4:
        shape, dtype, fortran, raw = state
    else:
        return None
    args = obj.args
    if type(raw) is not bytes or type(fortran) is not bool or type(shape) is not tuple or \
            not isinstance(dtype, Deferred) or dtype.kind != "dtype" or len(args) != 3 or \
            type(args[1]) is not tuple or type(args[2]) not in (bytes, str) or \
            not isinstance(args[0], StandInMeta):
        return None
    for d in shape:
        if type(d) is not int:
            return None
    for d in args[1]:
        if type(d) is not int:
            return None
    checked: tuple[Any, ...] = state
    return checked


def _is_node(obj: Any) -> bool:
    """Whether :meth:`Converter._discover` walks ``obj`` (a container or a stand-in)."""
    kind = type(obj)
    return kind in _PLAIN or (kind not in LEAF_TYPES and kind is not _Hop and
                              isinstance(obj, _NODES))


def _attrs(obj: dict[Any, Any]) -> dict[Any, Any]:
    """Instance attributes BUILD set on a dict subclass (an OrderedDict's, e.g. torch's
    state_dict ``_metadata``): ``{}`` for a plain dict."""
    if type(obj) is dict:
        return {}
    found = getattr(obj, "__dict__", None)
    return found if isinstance(found, dict) else {}


class Converter:
    """One conversion of one stream's graph: containers are fixed in place (they are the
    unpickler's fresh builtins), tuples rebuilt only when a member changes."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.placed = session.placed_refs
        """Every GlobalRef a converted value is (the only ones reachable from the root: each
        member of the converted graph is what :meth:`value` made of a raw one)."""
        self.done: dict[int, Any] = {}
        self.busy: set[int] = set()
        self.filled: set[int] = set()
        self.kids: dict[int, list[Any]] = {}
        """Children of every discovered node (by id), computed once."""
        self.plain: dict[int, tuple[Any, ...]] = {}
        """The state of every plain array walked past (by the array's id)."""
        from hpinspect.load.ndbuild import build_deferred, plain_array

        self.build_deferred = build_deferred
        self.plain_array = plain_array

    def value(self, obj: Any) -> Any:
        """The converted form of ``obj``."""
        kind = type(obj)
        if kind is tuple:
            return self.done.get(id(obj), obj)
        if kind in LEAF_TYPES or kind in (list, dict, set):
            return obj
        if isinstance(obj, StandInMeta):
            ref = ref_of(obj)
            self.placed.add(id(ref))
            return ref
        if isinstance(obj, memoryview):
            return obj.tobytes()
        if isinstance(obj, (tuple, frozenset, Deferred)):
            return self.done.get(id(obj), obj if not isinstance(obj, Deferred) else None)
        if isinstance(obj, StandIn):
            return obj._hp_stub
        if isinstance(obj, GlobalRef):
            self.placed.add(id(obj))
        return obj

    def run(self, root: Any, *, shortcut: bool = True) -> Any:
        """The converted ``root``; ``shortcut=False`` walks plain arrays' states in full too
        (what the shortcut of :meth:`_discover` must equal)."""
        order = self._discover(root, fast=shortcut)
        self._finish(order)
        fill, fill_dict, fill_list = self._fill, self._fill_dict, self._fill_list
        for obj in order:
            kind = type(obj)
            if kind is dict:
                fill_dict(obj)
            elif kind is list:
                fill_list(obj)
            elif kind is not tuple and kind is not frozenset:
                fill(obj)
        return self.value(root)

    def _discover(self, root: Any, *, fast: bool) -> list[Any]:
        """Every node once, breadth first (the nesting limit counts the shortest path); each
        node's children are kept for :meth:`_finish`.

        ``fast``: a plain array (see :func:`_plain_array_state`) is one node whose only child
        is its dtype, met where the walk through its state tuple would meet it. That tuple,
        the shape in it and the shape argument hold only ints, bytes and the dtype: as nodes
        they change nothing but the count. When one of them is reachable another way too
        (numpy never shares them; a crafted file may), the walk is redone without the
        shortcut, so the nesting limit and every order stay those of the full walk.
        """
        limit = self.s.limits.max_depth
        seen: set[int] = set()
        order: list[Any] = []
        skipped: list[int] = []
        level: list[Any] = [root]
        depth = 0
        while level:
            if depth > limit and any(id(obj) not in seen and _is_node(obj) for obj in level):
                raise LimitExceededError(
                    f"objects nest deeper than {limit:,} levels (raise it with "
                    "--max-depth)", self.s.path)
            level = self._level(level, seen, order, skipped if fast and depth + 2 <= limit
                                else None)
            depth += 1
        if not seen.isdisjoint(skipped):
            self.kids.clear()
            self.plain.clear()
            return self._discover(root, fast=False)
        return order

    def _level(self, level: list[Any], seen: set[int], order: list[Any],
               skipped: list[int] | None) -> list[Any]:
        """One level of :meth:`_discover`: its new nodes go to ``order``, and the next level
        is returned; ``skipped`` (when plain arrays are walked past) gets the ids of the
        tuples walked past."""
        kids, plain = self.kids, self.plain
        below: list[Any] = []
        for obj in level:
            kind = type(obj)
            if kind is _Hop:
                below.append(obj.item)  # a plain array's dtype, one level further
                continue
            key = id(obj)
            if key in seen:
                continue
            if kind not in _PLAIN:
                if kind in LEAF_TYPES or not isinstance(obj, _NODES):
                    continue
                if skipped is not None and isinstance(obj, Deferred) and obj.kind == "ndarray":
                    state = _plain_array_state(obj)
                    if state is not None:
                        seen.add(key)
                        order.append(obj)
                        plain[key] = state
                        skipped += (id(state), id(state[-4]), id(obj.args[1]))
                        kids[key] = [state[-3]]
                        below.append(_Hop(state[-3]))
                        continue
            seen.add(key)
            order.append(obj)
            children = kids[key] = _children(obj)
            below.extend(children)
        return below

    def _finish(self, order: list[Any]) -> None:
        """Build tuples, frozensets and Deferreds after their children: an iterative
        post-order walk from each of them in turn, in ``order``, skipping what an earlier
        walk reached."""
        expanded = self.busy
        stack: list[Any] = []
        for start in order:
            kind = type(start)
            if kind is list or kind is dict or id(start) in expanded or \
                    not isinstance(start, _BUILT):
                continue
            stack.append(start)
            self._walk(stack)

    def _walk(self, stack: list[Any]) -> None:
        """The post-order walk of :meth:`_finish` from the node on ``stack``; a node to build
        later sits on the stack under :data:`_POST`."""
        expanded, kids, done, build = self.busy, self.kids, self.done, self._build
        pop, push = stack.pop, stack.append
        while stack:
            obj = pop()
            if obj is _POST:
                obj = pop()
                if id(obj) not in done:
                    done[id(obj)] = build(obj)
                continue
            key = id(obj)
            if key in expanded:
                continue
            expanded.add(key)
            children = kids.get(key)
            if children is None:
                children = _children(obj)
            built = isinstance(obj, _BUILT)
            if built:
                if not children and not isinstance(obj, Deferred):
                    done.setdefault(key, obj)  # only leaves inside: unchanged
                    continue
                push(obj)
                push(_POST)
            height = len(stack)
            for child in children:
                if id(child) not in expanded and (type(child) in _PLAIN or
                                                  isinstance(child, _CONTAINERS)):
                    push(child)
            if built and len(stack) == height:  # nothing to build first: build it now
                del stack[-2:]
                if key not in done:
                    done[key] = build(obj)

    def _build(self, obj: Any) -> Any:
        if isinstance(obj, (tuple, frozenset)):
            value = self.value
            items = [x if type(x) in LEAF_TYPES else value(x) for x in obj]
            for a, b in zip(items, obj, strict=True):
                if a is not b:
                    return tuple(items) if isinstance(obj, tuple) else frozenset(items)
            return obj
        state = self.plain.get(id(obj))
        if state is not None:
            return self.plain_array(self, state)
        return self.build_deferred(self, obj)

    def _fill(self, obj: Any) -> None:
        if isinstance(obj, StandIn):
            if isinstance(obj, Deferred):
                return  # built by _build
            stub = obj._hp_stub
        elif isinstance(obj, Stub):
            stub = obj
        elif isinstance(obj, dict):
            self._fill_dict(obj)
            return
        elif isinstance(obj, list):
            self._fill_list(obj)
            return
        elif isinstance(obj, set):
            self._fill_set(obj)
            return
        else:
            return  # tuples and frozensets are rebuilt by _build, never changed in place
        if id(stub) not in self.filled:
            self.filled.add(id(stub))
            self._fill_stub(stub)

    def _fill_list(self, obj: list[Any]) -> None:
        if all_plain(obj, LEAF_TYPES):
            return
        value = self.value
        for i, x in enumerate(obj):
            if type(x) not in LEAF_TYPES:
                new = value(x)
                if new is not x:
                    obj[i] = new

    def _fill_set(self, obj: set[Any]) -> None:
        value = self.value
        new_items = {value(x) for x in obj}
        if new_items != obj:
            obj.clear()
            obj.update(new_items)

    def _fill_dict(self, obj: dict[Any, Any]) -> None:
        value = self.value
        if type(obj) is not dict:
            self._fill_attrs(obj)
        if all_plain(obj, LEAF_TYPES):
            return
        for k, v in obj.items():
            if type(k) not in LEAF_TYPES and value(k) is not k:
                # a key changes: the dict is rebuilt (values already converted stay so:
                # value() of a converted value is that value)
                items = [(value(k), value(v)) for k, v in obj.items()]
                obj.clear()
                obj.update(items)
                return
            if type(v) not in LEAF_TYPES:
                new = value(v)
                if new is not v:
                    obj[k] = new

    def _fill_attrs(self, obj: dict[Any, Any]) -> None:
        value = self.value
        attrs = _attrs(obj)
        for k, v in attrs.items():
            if not isinstance(k, str) or not k.isidentifier() or k.startswith("__"):
                raise CorruptFileError(f"malformed {type(obj).__name__} attribute state",
                                       self.s.path)
            attrs[k] = value(v)

    def _fill_stub(self, stub: Stub) -> None:
        value = self.value
        stub.factory = value(stub.factory)
        stub.state = value(stub.state)
        # (the rest are the Stub's own containers: an empty one stays as it is)
        if stub.args:
            stub.args = tuple([value(a) for a in stub.args])
        if stub.kwargs:
            stub.kwargs = {k: value(v) for k, v in stub.kwargs.items()}
        if stub.list_items:
            stub.list_items = [value(x) for x in stub.list_items]
        if stub.dict_items:
            stub.dict_items = [(value(k), value(v)) for k, v in stub.dict_items]


HOOK_KEYS = frozenset({"__setstate__", "append", "extend", "add", "__setitem__", "__class__",
                       "__dict__", "__getattr__", "__getattribute__", "__reduce__",
                       "__reduce_ex__"})


def convert(root: Any, session: Session, *, shortcut: bool = True) -> Any:
    """The output-vocabulary form of ``root`` (a graph a reader of this session built);
    ``shortcut``: see :meth:`Converter.run`."""
    value = Converter(session).run(root, shortcut=shortcut)
    planted_hooks(session)
    return value


def _hook_dicts(stub: Stub) -> list[dict[Any, Any]]:
    state = stub.state
    if type(state) is dict and not stub.dict_items and "__dict__" not in state:
        return [state] if state else []  # (the common case: a plain state dict alone)
    parts = [state] if isinstance(state, dict) else [
        p for p in state if isinstance(p, dict)] if isinstance(state, tuple) else []
    more = [v for v in (p.get("__dict__") for p in parts) if isinstance(v, dict)]
    if stub.dict_items and all(isinstance(k, str) for k, _ in stub.dict_items):
        more.append(dict(stub.dict_items))
    return [p for p in (*parts, *more) if p]  # (an empty one plants nothing)


_PLAIN_HOOKS = frozenset(k for k in HOOK_KEYS if not k.startswith("__"))


def _hook_keys(mapping: dict[Any, Any]) -> list[Any]:
    """The keys of ``mapping`` an unpickler may look a method up by, in order."""
    try:
        names = "\0".join(mapping)
    except TypeError:
        names = "__"  # a key is no text: look at each
    if not names.startswith("__") and "\0__" not in names and \
            mapping.keys().isdisjoint(_PLAIN_HOOKS):
        return []  # no key starts with "__", none is append/extend/add
    return [key for key in mapping if isinstance(key, str) and (
        key in HOOK_KEYS or (key.startswith("__") and key.endswith("__")))]


def planted_hooks(session: Session) -> None:
    """Methods the file plants where an unpickler looks them up, judged as called.

    A BUILD state (or a ``__dict__`` swapped in through slot state, or items set on a dict
    subclass with ``__getattr__`` routing such as scikit-learn's Bunch) can put a callable
    under ``__setstate__``/``append``/``extend``/``add``/...; a later BUILD/APPEND(S)/ADDITEMS
    then calls it. Every non-inert value under such a key is reported as called.
    """
    from hpinspect.load.allowlist import arguments_inert

    for obj in session.instances:
        stub = obj._hp_stub
        factory = stub.factory
        if isinstance(factory, GlobalRef) and factory.dotted in session.globals and \
                not arguments_inert(factory.dotted, stub.args, stub.kwargs):
            session.globals[factory.dotted].unvetted = True  # load/allowlist.py argument rules
        for mapping in _hook_dicts(stub):
            for key in _hook_keys(mapping):
                _judge_called(session, mapping[key], stub)


def _judge_called(session: Session, value: Any, owner: Stub) -> None:
    target = value
    while isinstance(target, Stub) and isinstance(target.factory, Stub):
        target = target.factory
    if isinstance(target, Stub):
        session.note(target.dotted, "called", owner).result_called = True
    elif hasattr(target, "dotted") and hasattr(target, "module"):
        session.note(target.dotted, "called", owner)
