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
from hpinspect.load.objects import GlobalRef, Stub
from hpinspect.load.standins import Deferred, StandIn, StandInMeta, ref_of
from hpinspect.load.unpickler import Session

_LEAVES = frozenset({str, int, float, bool, type(None), bytes, bytearray, complex, slice,
                     range})
_NODES = (list, dict, set, tuple, frozenset, StandIn, Stub)
_BUILT = (tuple, frozenset, Deferred)
"""Values rebuilt after their children (the rest are fixed in place)."""
_CONTAINERS = (tuple, frozenset, Deferred, list, dict, set, StandIn)
_PLAIN = frozenset({tuple, list, dict, set, frozenset})
"""The builtin containers by exact type: a set lookup instead of isinstance on hot paths."""


def _children(obj: Any) -> list[Any]:
    kind = type(obj)
    if kind is tuple or kind is list:  # the common cases first
        return [x for x in obj if type(x) not in _LEAVES]
    if kind is dict:
        return [x for x in (*obj.keys(), *obj.values()) if type(x) not in _LEAVES]
    if isinstance(obj, dict):
        attrs = _attrs(obj).values()
        return [x for x in (*obj.keys(), *obj.values(), *attrs) if type(x) not in _LEAVES]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [x for x in obj if type(x) not in _LEAVES]
    if isinstance(obj, Deferred):
        return [*obj.args, obj._hp_stub.state]
    if isinstance(obj, StandIn):
        obj = obj._hp_stub
    if isinstance(obj, Stub):
        return [obj.factory, *obj.args, *obj.kwargs.values(), obj.state, *obj.list_items,
                *(x for kv in obj.dict_items for x in kv)]
    return []


class _Hop:
    """A child the breadth-first walk meets one level further down than its parent."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item


def _plain_array_dtype(obj: Any) -> Any:
    """The dtype Deferred of ``obj`` when it is an array numpy pickled the usual way:
    ``_reconstruct(cls, (ints), bytes|str)`` with the BUILD state ``(int, (ints), dtype, bool,
    bytes)`` (or without the version); else ``None``."""
    if not isinstance(obj, Deferred) or obj.kind != "ndarray":
        return None
    state = obj._hp_stub.state
    if type(state) is not tuple or len(state) not in (4, 5) or (
            len(state) == 5 and type(state[0]) is not int):
        return None
    shape, dtype, fortran, raw = state[-4:]
    args = obj.args
    if type(shape) is not tuple or type(fortran) is not bool or type(raw) is not bytes or \
            not isinstance(dtype, Deferred) or dtype.kind != "dtype" or len(args) != 3 or \
            type(args[1]) is not tuple or type(args[2]) not in (bytes, str):
        return None
    for d in (*shape, *args[1]):
        if type(d) is not int:
            return None
    return dtype if isinstance(args[0], StandInMeta) else None


def _parts(array: Any) -> tuple[Any, Any, Any]:
    """The tuples :meth:`Converter._discover` walks past for a plain array."""
    state = array._hp_stub.state
    return state, state[-4], array.args[1]


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
        self.done: dict[int, Any] = {}
        self.busy: set[int] = set()
        self.filled: set[int] = set()
        self.kids: dict[int, list[Any]] = {}
        """Children of every discovered node (by id), computed once."""

    def value(self, obj: Any) -> Any:
        """The converted form of ``obj``."""
        kind = type(obj)
        if kind is tuple:
            return self.done.get(id(obj), obj)
        if kind in _LEAVES or kind in (list, dict, set):
            return obj
        if isinstance(obj, StandInMeta):
            return ref_of(obj)
        if isinstance(obj, memoryview):
            return obj.tobytes()
        if isinstance(obj, (tuple, frozenset, Deferred)):
            return self.done.get(id(obj), obj if not isinstance(obj, Deferred) else None)
        if isinstance(obj, StandIn):
            return obj._hp_stub
        return obj

    def run(self, root: Any) -> Any:
        order = self._discover(root, fast=True)
        self._finish(order)
        fill = self._fill
        for obj in order:
            kind = type(obj)
            if kind is dict:
                self._fill_dict(obj)
            elif kind is not tuple and kind is not frozenset:
                fill(obj)
        return self.value(root)

    def _discover(self, root: Any, *, fast: bool) -> list[Any]:
        """Every node once, breadth first (the nesting limit counts the shortest path); each
        node's children are kept for :meth:`_finish`.

        ``fast``: a plain array (see :func:`_plain_array_dtype`) is one node whose only child
        is its dtype, met where the walk through its state tuple would meet it. That tuple,
        the shape in it and the shape argument hold only ints, bytes and the dtype: as nodes
        they change nothing but the count. When one of them is reachable another way too
        (numpy never shares them; a crafted file may), the walk is redone without the
        shortcut, so the nesting limit and every order stay those of the full walk.
        """
        limit = self.s.limits.max_depth
        seen: set[int] = set()
        order: list[Any] = []
        kids = self.kids
        skipped: list[Any] = []
        level: list[Any] = [root]
        depth = 0
        while level:
            below: list[Any] = []
            for obj in level:
                kind = type(obj)
                if kind is _Hop:
                    below.append(obj.item)  # a plain array's dtype, one level further
                    continue
                key = id(obj)
                if key in seen:
                    continue
                if kind not in _PLAIN and (kind in _LEAVES or not isinstance(obj, _NODES)):
                    continue
                if depth > limit:
                    raise LimitExceededError(
                        f"objects nest deeper than {limit:,} levels (raise it with "
                        "--max-depth)", self.s.path)
                seen.add(key)
                order.append(obj)
                dtype = None if kind in _PLAIN or not fast or depth + 2 > limit else \
                    _plain_array_dtype(obj)
                if dtype is not None:
                    skipped.append(obj)
                    kids[key] = [dtype]
                    below.append(_Hop(dtype))
                    continue
                children = kids[key] = _children(obj)
                below.extend(children)
            level = below
            depth += 1
        if any(id(part) in seen for array in skipped for part in _parts(array)):
            kids.clear()
            return self._discover(root, fast=False)
        return order

    def _finish(self, order: list[Any]) -> None:
        """Build tuples, frozensets and Deferreds after their children: an iterative
        post-order walk from each of them in turn, in ``order``, skipping what an earlier
        walk reached."""
        expanded, kids, done, build = self.busy, self.kids, self.done, self._build
        stack: list[tuple[Any, bool]] = []
        for start in order:
            kind = type(start)
            if kind is list or kind is dict or not isinstance(start, _BUILT) or \
                    id(start) in expanded:
                continue
            stack.append((start, False))
            while stack:
                obj, post = stack.pop()
                key = id(obj)
                if post:
                    if key not in done:
                        done[key] = build(obj)
                    continue
                if key in expanded:
                    continue
                expanded.add(key)
                children = kids.get(key)
                if children is None:
                    children = _children(obj)
                if isinstance(obj, _BUILT):
                    if not children and not isinstance(obj, Deferred):
                        done.setdefault(key, obj)  # only leaves inside: unchanged
                        continue
                    stack.append((obj, True))
                for child in children:
                    if id(child) not in expanded and (type(child) in _PLAIN or
                                                      isinstance(child, _CONTAINERS)):
                        stack.append((child, False))

    def _build(self, obj: Any) -> Any:
        if isinstance(obj, (tuple, frozenset)):
            value = self.value
            items = [x if type(x) in _LEAVES else value(x) for x in obj]
            if all(a is b for a, b in zip(items, obj, strict=False)):
                return obj
            return tuple(items) if isinstance(obj, tuple) else frozenset(items)
        from hpinspect.load.ndbuild import build_deferred

        return build_deferred(self, obj)

    def _fill(self, obj: Any) -> None:
        kind = type(obj)
        if kind is tuple or kind is frozenset:
            return  # rebuilt by _build, never changed in place
        value = self.value
        if isinstance(obj, dict):
            self._fill_dict(obj)
        elif isinstance(obj, list):
            for i, x in enumerate(obj):
                if type(x) not in _LEAVES:
                    new = value(x)
                    if new is not x:
                        obj[i] = new
        elif isinstance(obj, set):
            new_items = {value(x) for x in obj}
            if new_items != obj:
                obj.clear()
                obj.update(new_items)
        elif isinstance(obj, (StandIn, Stub)) and not isinstance(obj, Deferred):
            stub = obj._hp_stub if isinstance(obj, StandIn) else obj
            if id(stub) not in self.filled:
                self.filled.add(id(stub))
                self._fill_stub(stub)

    def _fill_dict(self, obj: dict[Any, Any]) -> None:
        value = self.value
        if type(obj) is not dict:
            self._fill_attrs(obj)
        for k, v in obj.items():
            if type(k) not in _LEAVES and value(k) is not k:
                # a key changes: the dict is rebuilt (values already converted stay so:
                # value() of a converted value is that value)
                items = [(value(k), value(v)) for k, v in obj.items()]
                obj.clear()
                obj.update(items)
                return
            if type(v) not in _LEAVES:
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
        stub.args = tuple(value(a) for a in stub.args)
        stub.kwargs = {k: value(v) for k, v in stub.kwargs.items()}
        stub.state = value(stub.state)
        stub.list_items = [value(x) for x in stub.list_items]
        stub.dict_items = [(value(k), value(v)) for k, v in stub.dict_items]


HOOK_KEYS = frozenset({"__setstate__", "append", "extend", "add", "__setitem__", "__class__",
                       "__dict__", "__getattr__", "__getattribute__", "__reduce__",
                       "__reduce_ex__"})


def convert(root: Any, session: Session) -> Any:
    """The output-vocabulary form of ``root`` (a graph a reader of this session built)."""
    value = Converter(session).run(root)
    planted_hooks(session)
    return value


def _hook_dicts(stub: Stub) -> list[dict[Any, Any]]:
    state = stub.state
    parts = [state] if isinstance(state, dict) else [
        p for p in state if isinstance(p, dict)] if isinstance(state, tuple) else []
    more = [v for p in parts for k, v in p.items() if k == "__dict__" and isinstance(v, dict)]
    items = dict(stub.dict_items) if stub.dict_items and all(
        isinstance(k, str) for k, _ in stub.dict_items) else {}
    return [*parts, *more, items]


def planted_hooks(session: Session) -> None:
    """Methods the file plants where an unpickler looks them up, judged as called.

    A BUILD state (or a ``__dict__`` swapped in through slot state, or items set on a dict
    subclass with ``__getattr__`` routing such as scikit-learn's Bunch) can put a callable
    under ``__setstate__``/``append``/``extend``/``add``/...; a later BUILD/APPEND(S)/ADDITEMS
    then calls it. Every non-inert value under such a key is reported as called.
    """
    from hpinspect.load.allowlist import arguments_inert

    for obj in session.instances:
        if isinstance(obj, Deferred):
            continue
        stub = obj._hp_stub
        factory = stub.factory
        if isinstance(factory, GlobalRef) and factory.dotted in session.globals and \
                not arguments_inert(factory.dotted, stub.args, stub.kwargs):
            session.globals[factory.dotted].unvetted = True  # load/allowlist.py argument rules
        for mapping in _hook_dicts(stub):
            for key, value in mapping.items():
                if not isinstance(key, str) or not (key in HOOK_KEYS or (
                        key.startswith("__") and key.endswith("__"))):
                    continue
                _judge_called(session, value, stub)


def _judge_called(session: Session, value: Any, owner: Stub) -> None:
    target = value
    while isinstance(target, Stub) and isinstance(target.factory, Stub):
        target = target.factory
    if isinstance(target, Stub):
        session.note(target.dotted, "called", owner).result_called = True
    elif hasattr(target, "dotted") and hasattr(target, "module"):
        session.note(target.dotted, "called", owner)
