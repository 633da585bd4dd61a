"""Inert stand-ins handed to CPython's real unpicklers in place of everything a file names.

``find_class`` returns, for each dotted name, a freshly made *class* (NEWOBJ needs a real type)
whose metaclass turns every call into a record. Every method an unpickler calls on an object it
did not build from builtins goes through these classes and only records:

- ``cls(*args, **kwargs)`` (REDUCE, INST/OBJ with arguments) -> :meth:`Recorder.call`;
- ``cls.__new__(cls, *args, **kwargs)`` (NEWOBJ, NEWOBJ_EX, INST/OBJ without arguments);
- ``obj.__setstate__(state)`` (BUILD), ``obj.append``/``obj.extend`` (APPEND/APPENDS),
  ``obj[key] = value`` (SETITEM/SETITEMS), ``obj.add`` (ADDITEMS) -- on instances *and* on the
  stand-in classes themselves (a file may BUILD or APPEND onto a global).

Instances carry a :class:`~hpinspect.load.objects.Stub` (the output vocabulary) and have no
``__dict__``, so nothing the file does can plant a method on them. :mod:`hpinspect.load.convert`
replaces every stand-in by its Stub/GlobalRef/value once the load has finished.
"""

from __future__ import annotations

from typing import Any, Protocol

from hpinspect.load.objects import GlobalRef, Stub

HOOK_OPS = ("__setstate__", "append", "extend", "add")


class Recorder(Protocol):
    """What the stand-ins report to (the reading session)."""

    def call(self, ref: GlobalRef, args: tuple[Any, ...], kwargs: dict[str, Any],
             how: str) -> Any:
        """A real load calls/instantiates ``ref``; return the inert value it becomes."""

    def on_op(self, target: Any, op: str, args: tuple[Any, ...]) -> None:
        """A real load calls method ``op`` of ``target`` (a stand-in) with ``args``."""

    def call_instance(self, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A real load calls an object that a call returned."""


class _Bound:
    """``cls.<op>`` looked up on a stand-in class: calling it records the operation."""

    __slots__ = ("op", "target")

    def __init__(self, target: Any, op: str) -> None:
        self.target = target
        self.op = op

    def __call__(self, *args: Any) -> None:
        recorder_of(self.target).on_op(self.target, self.op, args)


class _ClassHook:
    """``__setstate__``/``append``/``extend``/``add`` of a stand-in *class* (a file may BUILD or
    APPEND onto a global). A data descriptor of the metaclass, so it answers before the
    instances' methods of the same name in the class itself."""

    def __init__(self, op: str) -> None:
        self.op = op

    def __get__(self, cls: Any, owner: type | None = None) -> Any:
        return self if cls is None else _Bound(cls, self.op)

    def __set__(self, cls: Any, value: Any) -> None:
        raise AttributeError(self.op)


class StandInMeta(type):
    """Metaclass of stand-in classes: calling one records a call (REDUCE, INST, OBJ)."""

    _hp_ref: GlobalRef
    _hp_recorder: Recorder

    __setstate__ = _ClassHook("__setstate__")
    append = _ClassHook("append")
    extend = _ClassHook("extend")
    add = _ClassHook("add")

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._hp_recorder.call(cls._hp_ref, args, kwargs, "call")

    def __setitem__(cls, key: Any, value: Any) -> None:
        cls._hp_recorder.on_op(cls, "__setitem__", (key, value))

    def __repr__(cls) -> str:
        return f"<stand-in {cls._hp_ref.dotted}>"


class StandIn(metaclass=StandInMeta):
    """Base of stand-in classes and of the objects made by calling them."""

    __slots__ = ("_hp_stub",)
    _hp_stub: Stub

    def __setstate__(self, *args: Any) -> None:
        type(self)._hp_recorder.on_op(self, "__setstate__", args)

    def append(self, *args: Any) -> None:
        type(self)._hp_recorder.on_op(self, "append", args)

    def extend(self, *args: Any) -> None:
        type(self)._hp_recorder.on_op(self, "extend", args)

    def add(self, *args: Any) -> None:
        type(self)._hp_recorder.on_op(self, "add", args)

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        meta: Any = cls
        return meta._hp_recorder.call(meta._hp_ref, args, kwargs, "newobj")

    def __setitem__(self, key: Any, value: Any) -> None:
        type(self)._hp_recorder.on_op(self, "__setitem__", (key, value))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return type(self)._hp_recorder.call_instance(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<stand-in {self._hp_stub.dotted}(...)>"


class Deferred(StandIn):
    """Something hpinspect builds itself after the load (an array, a dtype, a numpy scalar).

    ``kind`` names the builder in :mod:`hpinspect.load.convert`; ``args`` are what the real
    constructor got; BUILD states land in the Stub as for any other stand-in.
    """

    __slots__ = ("args", "kind")
    args: tuple[Any, ...]
    kind: str


def make_class(ref: GlobalRef, recorder: Recorder) -> type:
    """A new stand-in class for the global ``ref``."""
    # A fixed class name: the file's name may not even be encodable (lone surrogates).
    return StandInMeta("StandIn", (StandIn,),
                       {"__slots__": (), "_hp_ref": ref, "_hp_recorder": recorder})


def make_instance(cls: type, stub: Stub) -> StandIn:
    """An instance of a stand-in class carrying ``stub``."""
    obj: StandIn = object.__new__(cls)
    obj._hp_stub = stub
    return obj


def make_deferred(sub: type, stub: Stub, kind: str, args: tuple[Any, ...]) -> Deferred:
    """A :class:`Deferred` for ``kind`` of class ``sub`` (see :func:`deferred_class`)."""
    obj: Deferred = object.__new__(sub)
    obj._hp_stub = stub
    obj.kind = kind
    obj.args = args
    return obj


def deferred_class(cls: type) -> type:
    """The :class:`Deferred` class tied to the stand-in class ``cls``'s global and recorder."""
    meta: Any = cls
    cached = getattr(meta, "_hp_deferred", None)
    if cached is None:
        cached = StandInMeta("Deferred", (Deferred,),
                             {"__slots__": (), "_hp_ref": meta._hp_ref,
                              "_hp_recorder": meta._hp_recorder})
        type.__setattr__(cls, "_hp_deferred", cached)
    return cached


def recorder_of(obj: Any) -> Recorder:
    """The recorder a stand-in (class or instance) reports to."""
    klass: Any = obj if isinstance(obj, StandInMeta) else type(obj)
    return klass._hp_recorder  # type: ignore[no-any-return]


def is_standin(obj: Any) -> bool:
    """Whether ``obj`` is a stand-in class or a stand-in instance."""
    return isinstance(obj, (StandIn, StandInMeta))


def ref_of(obj: Any) -> GlobalRef | None:
    """The GlobalRef of a stand-in class (``None`` for anything else)."""
    if isinstance(obj, StandInMeta):
        klass: Any = obj
        return klass._hp_ref  # type: ignore[no-any-return]
    return None
