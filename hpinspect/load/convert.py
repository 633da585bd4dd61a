"""Turn the raw graph a real unpickler built (builtins + stand-ins) into the output vocabulary.

Runs once, after the load has finished: stand-in classes become
:class:`~hpinspect.load.objects.GlobalRef`, stand-in instances their
:class:`~hpinspect.load.objects.Stub`, and :class:`~hpinspect.load.standins.Deferred` values
the numpy arrays, dtypes and scalars hpinspect builds itself from validated parts
(:mod:`hpinspect.load.ndbuild`). The walk is iterative, visits each object once (shared and
cyclic references stay shared), and enforces the nesting limit.
"""

from __future__ import annotations

import collections
from collections import deque
from typing import Any

from hpinspect.errors import LimitExceededError
from hpinspect.load.objects import Stub
from hpinspect.load.standins import Deferred, StandIn, StandInMeta, ref_of
from hpinspect.load.unpickler import Session

_MUTABLE = (list, dict, set)
_IMMUTABLE = (tuple, frozenset)


def _children(obj: Any) -> list[Any]:
    if isinstance(obj, dict):
        return [*obj.keys(), *obj.values()]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, Deferred):
        return [*obj.args, obj._hp_stub.state]
    if isinstance(obj, StandIn):
        obj = obj._hp_stub
    if isinstance(obj, Stub):
        return [obj.factory, *obj.args, *obj.kwargs.values(), obj.state, *obj.list_items,
                *(x for kv in obj.dict_items for x in kv)]
    return []


def _is_node(obj: Any) -> bool:
    return isinstance(obj, (list, dict, set, tuple, frozenset, StandIn, Stub))


class Converter:
    """One conversion of one stream's graph."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.done: dict[int, Any] = {}
        self.busy: set[int] = set()
        self.filled: set[int] = set()

    def value(self, obj: Any) -> Any:
        """The converted form of ``obj`` (leaves convert directly)."""
        if isinstance(obj, StandInMeta):
            return ref_of(obj)
        if isinstance(obj, memoryview):
            return obj.tobytes()
        if not _is_node(obj):
            return obj
        return self.done.get(id(obj))

    def run(self, root: Any) -> Any:
        order = self._discover(root)
        for obj in order:
            self._shell(obj)
        for obj in order:
            self._finish(obj)
        for obj in order:
            self._fill(obj)
        return self.value(root)

    def _discover(self, root: Any) -> list[Any]:
        limit = self.s.limits.max_depth
        seen: set[int] = set()
        order: list[Any] = []
        queue: deque[tuple[Any, int]] = deque([(root, 0)])
        while queue:
            obj, depth = queue.popleft()
            if not _is_node(obj) or id(obj) in seen:
                continue
            if depth > limit:
                raise LimitExceededError(
                    f"objects nest deeper than {limit:,} levels (raise it with --max-depth)",
                    self.s.path)
            seen.add(id(obj))
            order.append(obj)
            queue.extend((child, depth + 1) for child in _children(obj))
        return order

    def _shell(self, obj: Any) -> None:
        if isinstance(obj, collections.OrderedDict):
            self.done[id(obj)] = collections.OrderedDict()
        elif isinstance(obj, _MUTABLE):
            self.done[id(obj)] = type(obj)() if type(obj) in _MUTABLE else \
                _MUTABLE[[isinstance(obj, t) for t in _MUTABLE].index(True)]()
        elif isinstance(obj, StandIn) and not isinstance(obj, Deferred):
            self.done[id(obj)] = obj._hp_stub
        elif isinstance(obj, Stub):
            self.done[id(obj)] = obj

    def _finish(self, start: Any) -> None:
        """Build tuples, frozensets and Deferreds after their children (iterative post-order)."""
        stack: list[tuple[Any, bool]] = [(start, False)]
        expanded = self.busy
        while stack:
            obj, post = stack.pop()
            key = id(obj)
            if post:
                if key not in self.done:
                    self.done[key] = self._build(obj)
                continue
            if key in expanded:
                continue
            expanded.add(key)
            if isinstance(obj, (*_IMMUTABLE, Deferred)):
                stack.append((obj, True))
            stack.extend((child, False) for child in _children(obj)
                         if _is_node(child) and id(child) not in expanded)

    def _build(self, obj: Any) -> Any:
        if isinstance(obj, tuple):
            return tuple(self.value(x) for x in obj)
        if isinstance(obj, frozenset):
            return frozenset(self.value(x) for x in obj)
        from hpinspect.load.ndbuild import build_deferred

        return build_deferred(self, obj)

    def _fill(self, obj: Any) -> None:
        target: Any = self.done.get(id(obj))
        if isinstance(obj, dict):
            for k, v in obj.items():
                target[self.value(k)] = self.value(v)
        elif isinstance(obj, list):
            target.extend(self.value(x) for x in obj)
        elif isinstance(obj, set):
            target.update(self.value(x) for x in obj)
        elif isinstance(target, Stub) and id(target) not in self.filled:
            self.filled.add(id(target))
            self._fill_stub(target)

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
    for obj in session.instances:
        if isinstance(obj, Deferred):
            continue
        stub = obj._hp_stub
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
