"""A restricted pickle reader: it evaluates only inert data constructors, nothing else.

Every pickle opcode (protocols 0-5) is implemented here from the format specification rather than
by subclassing :mod:`pickle`, so no code path can reach ``find_class``'s import, a ``__reduce__``
callable, ``__setstate__`` or ``extend``/``append`` of an object the file made. Globals become
:class:`~hpinspect.load.objects.GlobalRef`; calling or instantiating them makes a
:class:`~hpinspect.load.objects.Stub` recording the arguments and the BUILD state. joblib's
``NumpyArrayWrapper`` is understood natively: the raw array bytes that follow its BUILD are
streamed through :class:`~hpinspect.load.arrays.StatsAccumulator` and kept only when small.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import struct
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from hpinspect.errors import CorruptFileError, HpinspectError, LimitExceededError
from hpinspect.load.allowlist import arguments_inert
from hpinspect.load.arrays import StatsAccumulator
from hpinspect.load.limits import Limits
from hpinspect.load.objects import ArrayStub, GlobalRef, Stub
from hpinspect.load.policy import INERT_CONSTRUCTORS, Use

BIG_READ = 64 << 20
MAX_LINE = 64 << 20
ARRAY_CHUNK = 8 << 20


@dataclass
class GlobalUse:
    """How the stream used one global."""

    dotted: str
    uses: set[Use] = field(default_factory=set)
    plain_only: bool = False
    """Seen only when the file is read by plain ``pickle.load`` (not by joblib)."""
    unvetted: bool = False
    """An inert constructor called in a way hpinspect does not evaluate (fail closed)."""
    result_called: bool = False
    """Whether the object a call of it returned was itself called."""
    traversal: str | None = None
    """The name part when it is itself dotted (protocol 4 attribute traversal)."""
    objects: list[Any] = field(default_factory=list)
    """The GlobalRefs and Stubs for it (to locate it in the object graph)."""


PersistentLoad = Callable[[Any], Any]
"""Hook: persistent id (BINPERSID/PERSID) -> inert value. Without it, persistent ids are an
error, as they are for pickle.load and joblib.load."""
Evaluators = dict[str, Callable[[tuple[Any, ...]], Any]]
"""Hook: extra inert constructors, dotted name -> evaluator(args) -> inert value. An evaluator
returns ``NotImplemented`` to refuse a use it does not vouch for: the call then stays a Stub
and its global is flagged unvetted (an unknown call, fail closed)."""

JOBLIB_WRAPPERS = frozenset({"joblib.numpy_pickle.NumpyArrayWrapper",
                             "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"})
_UNEXPECTED = object()
_HOOK_KEYS = frozenset({"__setstate__", "append", "extend", "add", "__class__"})
"""Returned by an evaluator for a use of an inert constructor it does not vouch for."""

NESTED_LOADS = frozenset({"pickle.loads", "_pickle.loads", "cPickle.loads", "dill.loads",
                          "cloudpickle.loads", "pickle._loads"})


class _Mark:
    """Sentinel for the MARK opcode on the stack."""


class _Stop(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _PendingArray:
    """``numpy.core.multiarray._reconstruct(...)`` result, waiting for its BUILD state."""

    __slots__ = ("memo_keys",)

    def __init__(self) -> None:
        self.memo_keys: list[int] = []


class _PendingWrapper:
    """joblib ``NumpyArrayWrapper`` instance, waiting for its BUILD state."""

    __slots__ = ("memo_keys",)

    def __init__(self) -> None:
        self.memo_keys: list[int] = []


_OPCODE_PROTO: dict[int, int] = {}


def _init_proto_table() -> None:
    import pickletools

    for op in pickletools.opcodes:
        _OPCODE_PROTO[op.code.encode("latin-1")[0]] = op.proto


_init_proto_table()


class Session:
    """State shared by the top-level pickle and the nested ones (joblib object arrays)."""

    def __init__(self, limits: Limits, path: str, max_bytes: int) -> None:
        self.limits = limits
        self.path = path
        self.max_bytes = max_bytes
        self.opcodes = 0
        self.globals: dict[str, GlobalUse] = {}
        self.kept_bytes = 0
        self.saw_joblib_wrapper = False
        self.max_proto = 0
        self.declared_proto: int | None = None

    def error(self, message: str) -> CorruptFileError:
        return CorruptFileError(message, self.path)


class RestrictedUnpickler:
    """Reads one pickle from ``stream``; :meth:`load` returns the inert object graph."""

    def __init__(self, stream: BinaryIO, session: Session, joblib_arrays: bool = True,
                 persistent_load: PersistentLoad | None = None,
                 evaluators: Evaluators | None = None) -> None:
        self.stream = stream
        # --- hooks for container formats (torch); see PersistentLoad and Evaluators
        self.persistent_load = persistent_load
        self.evaluators = evaluators
        self.s = session
        self.joblib_arrays = joblib_arrays
        """Read raw array bytes after a NumpyArrayWrapper's BUILD, as joblib's own unpickler
        does. Plain ``pickle`` (and joblib's reader of object-array pickles) does not."""
        self.proto = 0
        """The protocol of the last PROTO opcode, as pickle tracks it (name mapping uses it)."""
        self.stack: list[Any] = []
        self.metastack: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        self.depths: dict[int, tuple[Any, int]] = {}
        """Nesting depth of tuples/frozensets holding tuples (hashing them recurses in C)."""

    # ----------------------------------------------------------------- reading primitives
    def read(self, n: int) -> bytes:
        if n < 0:
            raise self.s.error("negative length in pickle stream")
        if n > self.s.max_bytes:
            raise LimitExceededError(
                f"a {n:,}-byte value exceeds the limit of {self.s.max_bytes:,} bytes "
                "(raise it with --max-bytes)", self.s.path)
        if n <= BIG_READ:
            data = self.stream.read(n)
        else:
            parts = []
            left = n
            while left:
                part = self.stream.read(min(left, BIG_READ))
                if not part:
                    break
                parts.append(part)
                left -= len(part)
            data = b"".join(parts)
        if len(data) != n:
            raise self.s.error("truncated pickle stream (data ends early)")
        return data

    def readline(self) -> bytes:
        line = self.stream.readline(MAX_LINE)
        if not line.endswith(b"\n"):
            raise self.s.error("truncated pickle stream (unterminated text line)")
        return line[:-1]

    # ----------------------------------------------------------------- main loop
    def load(self) -> Any:
        read = self.stream.read
        dispatch = DISPATCH
        s = self.s
        limit = s.limits.max_opcodes
        while True:
            key = read(1)
            if not key:
                raise s.error("truncated pickle stream (no STOP opcode)")
            op = key[0]
            handler = dispatch.get(op)
            if handler is None:
                raise s.error(f"invalid pickle opcode {key!r} after {s.opcodes:,} opcodes")
            s.opcodes += 1
            if s.opcodes > limit:
                raise LimitExceededError(
                    f"more than {limit:,} pickle opcodes (raise it with --max-opcodes)", s.path)
            proto = _OPCODE_PROTO[op]
            if proto > s.max_proto:
                s.max_proto = proto
            try:
                handler(self)
            except _Stop as stop:
                return stop.value
            except (IndexError, KeyError) as exc:
                name = _OPCODE_NAMES.get(op, repr(key))
                raise s.error(f"malformed pickle at opcode {name}: stack or memo underflow"
                              ) from exc
            except (HpinspectError, MemoryError, RecursionError):
                raise
            except Exception as exc:  # numpy and struct raise many types on malformed input
                name = _OPCODE_NAMES.get(op, repr(key))
                raise s.error(f"malformed pickle at opcode {name}: {exc}") from exc

    # ----------------------------------------------------------------- stack helpers
    def pop_mark(self) -> list[Any]:
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def push(self, value: Any) -> None:
        stack = self.stack
        stack.append(value)
        if len(stack) > self.s.limits.max_stack:
            raise LimitExceededError(
                f"more than {self.s.limits.max_stack:,} items on the pickle stack", self.s.path)

    # ----------------------------------------------------------------- globals and calls
    def make_global(self, module: str, name: str) -> GlobalRef:
        if self.proto < 3:  # exactly when pickle's find_class applies _compat_pickle
            if (module, name) in NAME_MAPPING:
                module, name = NAME_MAPPING[(module, name)]
            elif module in IMPORT_MAPPING:
                module = IMPORT_MAPPING[module]
        ref = GlobalRef(module, name)
        self.note(ref.dotted, "referenced", ref)
        if "." in name:
            self.s.globals[ref.dotted].traversal = name
        return ref

    def note(self, dotted: str, use: Use, obj: Any) -> None:
        entry = self.s.globals.get(dotted)
        if entry is None:
            entry = self.s.globals[dotted] = GlobalUse(dotted)
        entry.uses.add(use)
        if len(entry.objects) < 8:
            entry.objects.append(obj)

    def call(self, func: Any, args: tuple[Any, ...], how: str,
             kwargs: dict[str, Any] | None = None) -> Any:
        """What a real load's call of ``func(*args, **kwargs)`` becomes here."""
        if isinstance(func, GlobalRef):
            dotted = func.dotted
            value = self.inert_value(dotted, args, how, kwargs)
            if value is not NotImplemented:
                return value
            use: Use = "instantiated" if how == "newobj" and not args and not kwargs \
                else "called"
            if dotted in NESTED_LOADS and args and isinstance(args[0], (bytes, bytearray)):
                self.scan_nested(bytes(args[0]))
            stub = Stub(func, args, how)
            if kwargs:
                stub.kwargs = kwargs
            self.note(dotted, use, stub)
            if not arguments_inert(dotted, args, kwargs):  # load/allowlist.py argument rules
                self.s.globals[dotted].unvetted = True
            for arg in (*args, *(kwargs or {}).values()):
                if isinstance(arg, GlobalRef):
                    # A class or function handed to a call may be instantiated or called by it
                    # (e.g. newObj(cls) runs cls.__new__): judge it as called, fail closed.
                    self.note(arg.dotted, "called", stub)
            return stub
        if isinstance(func, Stub):
            # Calling the result of another call (e.g. getattr(__import__('os'), 'system')).
            stub = Stub(func, args, how)
            root = func
            while isinstance(root.factory, Stub):
                root = root.factory
            self.note(root.dotted, "called", stub)
            self.s.globals[root.dotted].result_called = True
            return stub
        raise self.s.error(f"pickle calls a non-callable {type(func).__name__} value")

    def inert_value(self, dotted: str, args: tuple[Any, ...], how: str,
                    kwargs: dict[str, Any] | None) -> Any:
        """The value of an inert constructor's call, or NotImplemented (then a Stub)."""
        if self.evaluators is not None and dotted in self.evaluators:
            # hook: an extra evaluator's refusal (NotImplemented) leaves the global unvetted
            value = self.evaluators[dotted](args) if not kwargs else NotImplemented
            if value is NotImplemented:
                self.s.globals[dotted].unvetted = True
                return NotImplemented
        elif dotted in INERT_CONSTRUCTORS:
            value = evaluate(self, dotted, args, how) if not kwargs else _UNEXPECTED
            if value is _UNEXPECTED:
                self.s.globals[dotted].unvetted = True
                return NotImplemented
            if value is NotImplemented:
                return NotImplemented
        else:
            return NotImplemented
        self.note(dotted, "called", None)
        return value

    def scan_nested(self, data: bytes) -> None:
        """Read a pickle embedded as bytes (an inner `loads` call in the file) for its globals."""
        import io

        # A broken inner pickle is fine: the outer call is already reported as dangerous.
        with contextlib.suppress(CorruptFileError):
            RestrictedUnpickler(io.BytesIO(data), self.s).load()

    def build(self, obj: Any, state: Any) -> Any:
        """Apply BUILD; returns the object that replaces ``obj`` on the stack."""
        if isinstance(obj, Stub):
            self._check_hooks(obj, state)
            if isinstance(obj.state, dict) and isinstance(state, dict):
                obj.state.update(state)
            else:
                obj.state = state
            if isinstance(obj.factory, Stub):
                self.note(obj.dotted.split("(")[0], "called", obj)
            return obj
        if isinstance(obj, _PendingArray):
            return self.replace(obj, build_ndarray(self, state))
        if isinstance(obj, _PendingWrapper):
            return self.replace(obj, read_wrapped_array(self, state))
        if isinstance(obj, collections.OrderedDict) and isinstance(state, dict):
            # OrderedDict has no __setstate__: pickle sets instance attributes, as torch's
            # state_dict ``_metadata`` (only identifier names, never dunders).
            for key, value in state.items():
                if not isinstance(key, str) or not key.isidentifier() or key.startswith("__"):
                    raise self.s.error("malformed OrderedDict attribute state")
                obj.__dict__[key] = value
            return obj
        if isinstance(obj, np.dtype):
            if not isinstance(state, tuple):
                raise self.s.error("malformed numpy dtype state")
            obj.__setstate__(state)  # type: ignore[attr-defined]
            _check_dtype(self, obj)
            return obj
        raise self.s.error(f"BUILD on a {type(obj).__name__} value")

    def depth_of(self, items: Any) -> int:
        """Nesting depth a tuple/frozenset of ``items`` would have; refuse beyond max_depth.

        Hashing (a dict key, a set member) recurses in C without a guard: a tuple nested a
        million levels deep would crash the interpreter before any later check could run, so
        every tuple and frozenset is measured when it is made.
        """
        depth = 1
        for item in items:
            if isinstance(item, (tuple, frozenset)):
                known = self.depths.get(id(item))
                inner = known[1] if known is not None and known[0] is item else 1
                depth = max(depth, inner + 1)
        if depth > self.s.limits.max_depth:
            raise LimitExceededError(
                f"objects nest deeper than {self.s.limits.max_depth:,} levels "
                "(raise it with --max-depth)", self.s.path)
        return depth

    def record_depth(self, value: Any, depth: int) -> Any:
        """Remember the depth of a tuple/frozenset that holds other tuples."""
        if depth > 1:
            self.depths[id(value)] = (value, depth)
        return value

    def nested(self, value: Any) -> Any:
        """Measure and record a new tuple (see :meth:`depth_of`)."""
        return self.record_depth(value, self.depth_of(value))

    def _check_hooks(self, obj: Stub, state: Any) -> None:
        """State that plants a method the unpickler itself calls (a later BUILD calls an
        instance ``__setstate__``, APPEND(S) ``append``/``extend``, ADDITEMS ``add``; a slot
        state ``__class__`` swaps the class): judge what it plants as called."""
        dicts = [state] if isinstance(state, dict) else [
            part for part in state if isinstance(part, dict)] if isinstance(state, tuple) else []
        for mapping in dicts:
            for key, value in mapping.items():
                if not isinstance(key, str) or not (key in _HOOK_KEYS or (
                        key.startswith("__") and key.endswith("__"))):
                    continue
                target = value
                while isinstance(target, Stub) and isinstance(target.factory, Stub):
                    target = target.factory
                if isinstance(target, Stub):
                    self.note(target.dotted, "called", obj)
                    self.s.globals[target.dotted].result_called = True
                elif isinstance(target, GlobalRef):
                    self.note(target.dotted, "called", obj)

    def replace(self, old: _PendingArray | _PendingWrapper, new: Any) -> Any:
        for key in old.memo_keys:
            if self.memo.get(key) is old:
                self.memo[key] = new
        return new

    def memo_put(self, key: int, value: Any) -> None:
        if len(self.memo) >= self.s.limits.max_memo and key not in self.memo:
            raise LimitExceededError(
                f"pickle memo holds more than {self.s.limits.max_memo:,} entries", self.s.path)
        self.memo[key] = value
        if isinstance(value, (_PendingArray, _PendingWrapper)):
            value.memo_keys.append(key)


# --------------------------------------------------------------------- inert constructors
def _check_container(u: RestrictedUnpickler, value: Any) -> Any:
    if not isinstance(value, (list, tuple, set, frozenset, dict, str, bytes, bytearray)):
        raise u.s.error(f"inert constructor given a {type(value).__name__}")
    return value


def _bytes_like(u: RestrictedUnpickler, args: tuple[Any, ...]) -> bytes:
    if not args:
        return b""
    first = args[0]
    if isinstance(first, (bytes, bytearray)):
        return bytes(first)
    if isinstance(first, str) and len(args) >= 2 and isinstance(args[1], str):
        return first.encode(args[1])
    if isinstance(first, (list, tuple)) and all(isinstance(x, int) for x in first):
        return bytes(first)
    if isinstance(first, int) and 0 <= first <= 1 << 20:
        return bytes(first)
    raise u.s.error("unsupported bytes/bytearray constructor arguments")


def _scalar(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
    if len(args) not in (1, 2) or not isinstance(args[0], np.dtype):
        raise u.s.error("malformed numpy scalar")
    dtype = args[0]
    if dtype.itemsize > 1 << 20:
        raise u.s.error("numpy scalar larger than 1 MiB")
    if dtype.hasobject:
        return args[1] if len(args) == 2 else None
    data = args[1] if len(args) == 2 else b"\x00" * dtype.itemsize
    if isinstance(data, str):
        data = data.encode("latin-1")  # Python 2 pickles
    if not isinstance(data, (bytes, bytearray)) or len(data) != dtype.itemsize:
        raise u.s.error("malformed numpy scalar data")
    return np.frombuffer(bytes(data), dtype=dtype, count=1)[0]


RECORD_TYPES = frozenset({"numpy.record", "numpy.rec.record", "numpy._core.records.record",
                          "numpy.core.records.record"})


def _dtype(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
    if args and isinstance(args[0], GlobalRef) and args[0].dotted in RECORD_TYPES:
        args = ("V", *args[1:])  # a record array's dtype: numpy.dtype(numpy.record, 0, 1)
    if not args or not isinstance(args[0], str) or len(args[0]) > 64:
        raise u.s.error("malformed numpy dtype arguments")
    if not all(isinstance(a, (bool, int)) for a in args[1:3]):
        raise u.s.error("malformed numpy dtype arguments")
    return np.dtype(args[0], bool(args[1]) if len(args) > 1 else False, True)


def _frombuffer(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
    if len(args) != 4 or not isinstance(args[1], np.dtype) or args[1].hasobject:
        raise u.s.error("malformed numpy buffer array")
    buf, dtype, shape, order = args
    if not isinstance(buf, (bytes, bytearray)) or order not in ("C", "F"):
        raise u.s.error("malformed numpy buffer array")
    shape = _check_shape(u, shape)
    array = np.frombuffer(bytes(buf), dtype=dtype)
    return finish_array(u, array.reshape(shape, order=order))


def _reconstructor(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
    if len(args) != 3 or not isinstance(args[0], GlobalRef):
        raise u.s.error("malformed copyreg._reconstructor call")
    cls, base, state = args
    if cls.dotted in JOBLIB_WRAPPERS:
        u.s.saw_joblib_wrapper = True
        if u.joblib_arrays:
            return _PendingWrapper()
    stub = Stub(cls, () if state is None else (state,), "reconstructor")
    u.note(cls.dotted, "instantiated", stub)
    if isinstance(base, GlobalRef) and base.dotted != "builtins.object":
        u.note(base.dotted, "called", stub)
    return stub


def evaluate(u: RestrictedUnpickler, dotted: str, args: tuple[Any, ...], how: str) -> Any:
    """Evaluate an allow-listed constructor; ``NotImplemented`` leaves it as a Stub."""
    if dotted in ("numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"):
        if len(args) == 3 and isinstance(args[0], GlobalRef) and args[0].dotted in (
                "numpy.ndarray", "numpy.core.multiarray.ndarray"):
            return _PendingArray()
        return NotImplemented  # an ndarray subclass: keep as a Stub, reported as a call
    if dotted in JOBLIB_WRAPPERS:
        u.s.saw_joblib_wrapper = True
        if how == "newobj" and not args and u.joblib_arrays:
            return _PendingWrapper()
        if how == "newobj" and not args:
            return NotImplemented  # plain pickle: an ordinary object, BUILD sets its __dict__
        return _UNEXPECTED  # joblib never calls the wrapper: a reader desync, fail closed
    handler = _EVALUATORS.get(dotted)
    if handler is None:
        return NotImplemented
    return handler(u, args)


def _simple(kind: Callable[..., Any], max_args: int) -> Callable[[RestrictedUnpickler,
                                                                   tuple[Any, ...]], Any]:
    def run(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
        if len(args) > max_args:
            raise u.s.error(f"too many arguments for {kind.__name__}")
        items = [_check_container(u, a) for a in args]
        if kind in (tuple, frozenset) and items:
            depth = u.depth_of(items[0])  # measured before frozenset() hashes them
            return u.record_depth(kind(items[0]), depth)
        return kind(*items)
    return run


def _scalar_ctor(kind: Callable[..., Any]) -> Callable[[RestrictedUnpickler, tuple[Any, ...]],
                                                         Any]:
    def run(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
        if len(args) > 2 or not all(isinstance(a, (int, float, str, bool, complex))
                                    and not (isinstance(a, str) and len(a) > 10_000)
                                    for a in args):
            raise u.s.error(f"unsupported arguments for {kind.__name__}")
        return kind(*args)
    return run


def _codecs_encode(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
    if len(args) == 2 and isinstance(args[0], str) and args[1] in ("latin1", "latin-1"):
        return args[0].encode("latin-1")
    return _UNEXPECTED  # another codec imports encodings.<name>


def _ordered_dict(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
    if not args:
        return collections.OrderedDict()
    if len(args) == 1 and isinstance(args[0], (list, tuple, dict)):
        return collections.OrderedDict(args[0])
    raise u.s.error("unsupported OrderedDict arguments")


def _slice(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
    if len(args) > 3 or not all(a is None or isinstance(a, int) for a in args):
        raise u.s.error("unsupported slice arguments")
    return slice(*args)


def _range(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
    if not 1 <= len(args) <= 3 or not all(isinstance(a, int) for a in args):
        raise u.s.error("unsupported range arguments")
    return range(*args)


def _object(u: RestrictedUnpickler, args: tuple[Any, ...]) -> Any:
    return _UNEXPECTED if args else NotImplemented


_EVALUATORS: dict[str, Callable[[RestrictedUnpickler, tuple[Any, ...]], Any]] = {
    "builtins.set": _simple(set, 1),
    "builtins.frozenset": _simple(frozenset, 1),
    "builtins.list": _simple(list, 1),
    "builtins.tuple": _simple(tuple, 1),
    "builtins.dict": _simple(dict, 1),
    "builtins.bytearray": lambda u, a: bytearray(_bytes_like(u, a)),
    "builtins.bytes": _bytes_like,
    "builtins.slice": _slice,
    "builtins.range": _range,
    "builtins.complex": _scalar_ctor(complex),
    "builtins.int": _scalar_ctor(int),
    "builtins.float": _scalar_ctor(float),
    "builtins.bool": _scalar_ctor(bool),
    "builtins.str": _scalar_ctor(str),
    "builtins.object": _object,
    "collections.OrderedDict": _ordered_dict,
    "copyreg._reconstructor": _reconstructor,
    "_codecs.encode": _codecs_encode,
    "numpy.core.multiarray.scalar": _scalar,
    "numpy._core.multiarray.scalar": _scalar,
    "numpy.core.numeric._frombuffer": _frombuffer,
    "numpy._core.numeric._frombuffer": _frombuffer,
    "numpy.dtype": _dtype,
}


def _check_dtype(u: RestrictedUnpickler, dtype: np.dtype[Any]) -> None:
    """Refuse dtype states numpy accepts but that would read memory out of bounds.

    ``dtype.__setstate__`` trusts its input: a field of object type in a dtype not flagged as
    holding objects turns array bytes into pointers, and a field past the item size reads
    beyond the buffer.
    """
    stack = [dtype]
    while stack:
        current = stack.pop()
        parts: list[tuple[np.dtype[Any], int, int]] = []
        if current.fields:
            for value in current.fields.values():
                sub, offset = value[0], value[1]
                parts.append((sub, int(offset), int(sub.itemsize)))
        if current.subdtype is not None:
            base, shape = current.subdtype
            count = 1
            for d in shape:
                count *= int(d)
            parts.append((base, 0, int(base.itemsize) * count))
        for sub, offset, size in parts:
            if offset < 0 or offset + size > current.itemsize:
                raise u.s.error("malformed numpy dtype state (field outside the item)")
            if sub.hasobject and not current.hasobject:
                raise u.s.error("malformed numpy dtype state (object field not flagged)")
            stack.append(sub)


# --------------------------------------------------------------------- arrays
def _check_shape(u: RestrictedUnpickler, shape: Any) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or len(shape) > 64 or not all(
            isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
        raise u.s.error("malformed array shape")
    return tuple(int(d) for d in shape)


def _nbytes(shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    count = 1
    for d in shape:
        count *= d
    return count * dtype.itemsize


def finish_array(u: RestrictedUnpickler, array: np.ndarray[Any, Any]) -> Any:
    """Keep a materialised array, or replace it by its statistics when it is large."""
    if array.dtype.hasobject:
        return array
    nbytes = int(array.nbytes)
    lim = u.s.limits
    if nbytes <= lim.keep_array_bytes and u.s.kept_bytes + nbytes <= lim.keep_total_bytes:
        u.s.kept_bytes += nbytes
        return array
    from hpinspect.load.arrays import compute_stats

    return ArrayStub(tuple(int(d) for d in array.shape), array.dtype,
                     bool(array.flags.f_contiguous and not array.flags.c_contiguous),
                     compute_stats(array))


def build_ndarray(u: RestrictedUnpickler, state: Any) -> Any:
    """``ndarray.__setstate__`` for the states numpy writes (versions 0 and 1)."""
    if not isinstance(state, tuple) or len(state) not in (4, 5):
        raise u.s.error("malformed numpy array state")
    if len(state) == 5:
        state = state[1:]
    shape, dtype, fortran, raw = state
    if not isinstance(dtype, np.dtype) or not isinstance(fortran, (bool, int)):
        raise u.s.error("malformed numpy array state")
    shape = _check_shape(u, shape)
    order = "F" if fortran else "C"
    if dtype.hasobject:
        if not isinstance(raw, list):
            raise u.s.error("malformed object array state")
        array = np.empty(len(raw), dtype=object)
        for i, item in enumerate(raw):
            array[i] = item
        if _nbytes(shape, dtype) // max(dtype.itemsize, 1) != len(raw):
            raise u.s.error("object array state does not match its shape")
        return array.reshape(shape, order=order)  # type: ignore[call-overload]
    if isinstance(raw, str):
        raw = raw.encode("latin-1")  # Python 2 pickles
    if not isinstance(raw, (bytes, bytearray)) or len(raw) != _nbytes(shape, dtype):
        raise u.s.error("numpy array data does not match its shape and dtype")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape, order=order)  # type: ignore[call-overload]
    return finish_array(u, array)


def read_wrapped_array(u: RestrictedUnpickler, state: Any) -> Any:
    """Read the array joblib writes right after a ``NumpyArrayWrapper``'s BUILD."""
    if not isinstance(state, dict):
        raise u.s.error("malformed joblib array wrapper")
    dtype = state.get("dtype")
    order = state.get("order", "C")
    if not isinstance(dtype, np.dtype) or order not in ("C", "F"):
        raise u.s.error("malformed joblib array wrapper (dtype/order)")
    shape = _check_shape(u, state.get("shape"))
    subclass = state.get("subclass")
    if isinstance(subclass, GlobalRef) and subclass.dotted not in (
            "numpy.ndarray", "numpy.memmap", "numpy.core.memmap.memmap",
            "numpy._core.memmap.memmap"):
        u.note(subclass.dotted, "called", subclass)
    if dtype.hasobject:
        # joblib pickles object arrays as a nested pickle in the same stream.
        inner = RestrictedUnpickler(u.stream, u.s, joblib_arrays=False)
        value = inner.load()
        if not isinstance(value, (np.ndarray, ArrayStub, Stub)):
            raise u.s.error("joblib object array holds a non-array value")
        return value
    if state.get("numpy_array_alignment_bytes") is not None:
        pad = u.read(1)[0]
        if pad:
            u.read(pad)
    nbytes = _nbytes(shape, dtype)
    lim = u.s.limits
    if nbytes <= lim.keep_array_bytes and u.s.kept_bytes + nbytes <= lim.keep_total_bytes:
        u.s.kept_bytes += nbytes
        flat = np.frombuffer(u.read(nbytes), dtype=dtype)
        if order == "F":
            return flat.reshape(shape[::-1]).transpose()
        return flat.reshape(shape)
    return ArrayStub(shape, dtype, order == "F", stream_stats(u, shape, dtype, nbytes))


def stream_stats(u: RestrictedUnpickler, shape: tuple[int, ...], dtype: np.dtype[Any],
                 nbytes: int) -> Any:
    """Statistics of ``nbytes`` of array data read in bounded chunks, never held whole."""
    acc = StatsAccumulator(shape, dtype)
    itemsize = max(dtype.itemsize, 1)
    chunk_bytes = max(ARRAY_CHUNK // itemsize, 1) * itemsize
    buffer = bytearray(min(chunk_bytes, nbytes))
    view = memoryview(buffer)
    left = nbytes
    readinto = getattr(u.stream, "readinto", None)
    while left:
        size = min(chunk_bytes, left)
        if readinto is not None:
            got = 0
            while got < size:
                n = readinto(view[got:size])
                if not n:
                    raise u.s.error("truncated joblib array data")
                got += n
            data: Any = view[:size]
        else:
            data = u.read(size)
        if dtype.itemsize:
            acc.update(np.frombuffer(data, dtype=dtype))
        left -= size
    return acc.result()


# --------------------------------------------------------------------- opcode handlers
def _unpack(fmt: str, data: bytes) -> Any:
    return struct.unpack(fmt, data)[0]


def op_proto(u: RestrictedUnpickler) -> None:
    proto = u.read(1)[0]
    if proto > 5:
        raise u.s.error(f"unsupported pickle protocol {proto}")
    u.proto = proto
    if u.s.declared_proto is None:
        u.s.declared_proto = proto


def op_frame(u: RestrictedUnpickler) -> None:
    u.read(8)  # frame length: a read-ahead hint only


def op_stop(u: RestrictedUnpickler) -> None:
    raise _Stop(u.stack.pop())


def op_mark(u: RestrictedUnpickler) -> None:
    if len(u.metastack) >= u.s.limits.max_depth:
        raise LimitExceededError(
            f"pickle nests MARKs deeper than {u.s.limits.max_depth:,} levels (--max-depth)",
            u.s.path)
    u.metastack.append(u.stack)
    u.stack = []


def op_pop(u: RestrictedUnpickler) -> None:
    if u.stack:
        u.stack.pop()
    else:
        u.pop_mark()


def op_pop_mark(u: RestrictedUnpickler) -> None:
    u.pop_mark()


def op_dup(u: RestrictedUnpickler) -> None:
    u.push(u.stack[-1])


def _int_text(u: RestrictedUnpickler) -> None:
    line = u.readline()
    if line == b"00":
        u.push(False)
    elif line == b"01":
        u.push(True)
    else:
        u.push(int(line, 0) if line[:2] in (b"0x", b"0o") else int(line))


def op_long(u: RestrictedUnpickler) -> None:
    line = u.readline()
    if line.endswith(b"L"):
        line = line[:-1]
    u.push(int(line))


def op_float(u: RestrictedUnpickler) -> None:
    u.push(float(u.readline()))


def op_string(u: RestrictedUnpickler) -> None:
    data = u.readline()
    if len(data) < 2 or data[0] != data[-1] or data[0] not in b"\"'":
        raise u.s.error("malformed STRING opcode argument")
    u.push(codecs.escape_decode(data[1:-1])[0].decode("latin-1"))


def op_unicode(u: RestrictedUnpickler) -> None:
    u.push(u.readline().decode("raw-unicode-escape"))


def op_get(u: RestrictedUnpickler) -> None:
    u.push(u.memo[int(u.readline())])


def op_put(u: RestrictedUnpickler) -> None:
    u.memo_put(int(u.readline()), u.stack[-1])


def op_global(u: RestrictedUnpickler) -> None:
    module = u.readline().decode("utf-8")
    name = u.readline().decode("utf-8")
    u.push(u.make_global(module, name))


def op_stack_global(u: RestrictedUnpickler) -> None:
    name = u.stack.pop()
    module = u.stack.pop()
    if not isinstance(name, str) or not isinstance(module, str):
        raise u.s.error("STACK_GLOBAL requires two strings")
    u.push(u.make_global(module, name))


def op_inst(u: RestrictedUnpickler) -> None:
    module = u.readline().decode("ascii")
    name = u.readline().decode("ascii")
    args = tuple(u.pop_mark())
    u.push(u.call(u.make_global(module, name), args, "inst"))


def op_obj(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    cls = items.pop(0)
    u.push(u.call(cls, tuple(items), "obj"))


def op_reduce(u: RestrictedUnpickler) -> None:
    args = u.stack.pop()
    func = u.stack[-1]
    if not isinstance(args, tuple):
        raise u.s.error("REDUCE arguments are not a tuple")
    u.stack[-1] = u.call(func, args, "reduce")


def op_newobj(u: RestrictedUnpickler) -> None:
    args = u.stack.pop()
    cls = u.stack.pop()
    if not isinstance(args, tuple):
        raise u.s.error("NEWOBJ arguments are not a tuple")
    u.push(u.call(cls, args, "newobj"))


def op_newobj_ex(u: RestrictedUnpickler) -> None:
    kwargs = u.stack.pop()
    args = u.stack.pop()
    cls = u.stack.pop()
    if not isinstance(args, tuple) or not isinstance(kwargs, dict):
        raise u.s.error("NEWOBJ_EX arguments are malformed")
    u.push(u.call(cls, args, "newobj_ex", kwargs or None))


def op_build(u: RestrictedUnpickler) -> None:
    state = u.stack.pop()
    u.stack[-1] = u.build(u.stack[-1], state)


def op_persid(u: RestrictedUnpickler) -> None:
    if u.persistent_load is None:
        raise u.s.error("persistent IDs (PERSID) cannot be loaded by pickle or joblib")
    u.push(u.persistent_load(u.readline().decode("ascii")))


def op_binpersid(u: RestrictedUnpickler) -> None:
    if u.persistent_load is None:
        raise u.s.error("persistent IDs (PERSID) cannot be loaded by pickle or joblib")
    u.stack[-1] = u.persistent_load(u.stack[-1])


def op_ext(u: RestrictedUnpickler) -> None:
    raise u.s.error("extension-registry opcodes (EXT1/2/4) are not used by model files")


def op_next_buffer(u: RestrictedUnpickler) -> None:
    raise u.s.error("out-of-band buffers (NEXT_BUFFER) are not stored in the file")


def op_noop(u: RestrictedUnpickler) -> None:
    return None


def op_append(u: RestrictedUnpickler) -> None:
    value = u.stack.pop()
    _extend(u, u.stack[-1], [value])


def op_appends(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    _extend(u, u.stack[-1], items)


def _extend(u: RestrictedUnpickler, target: Any, items: list[Any]) -> None:
    if isinstance(target, list):
        target.extend(items)
    elif isinstance(target, Stub):
        target.list_items.extend(items)
    else:
        raise u.s.error(f"APPEND to a {type(target).__name__} value")


def op_setitem(u: RestrictedUnpickler) -> None:
    value = u.stack.pop()
    key = u.stack.pop()
    _setitems(u, u.stack[-1], [key, value])


def op_setitems(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    _setitems(u, u.stack[-1], items)


def _setitems(u: RestrictedUnpickler, target: Any, items: list[Any]) -> None:
    if len(items) % 2:
        raise u.s.error("SETITEMS with an odd number of items")
    if isinstance(target, dict):
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]
    elif isinstance(target, Stub):
        target.dict_items.extend(zip(items[::2], items[1::2], strict=True))
    else:
        raise u.s.error(f"SETITEM on a {type(target).__name__} value")


def op_additems(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    target = u.stack[-1]
    if isinstance(target, set):
        target.update(items)
    elif isinstance(target, Stub):
        target.list_items.extend(items)
    else:
        raise u.s.error(f"ADDITEMS on a {type(target).__name__} value")


def op_frozenset(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    depth = u.depth_of(items)  # before frozenset() hashes the members
    u.push(u.record_depth(frozenset(items), depth))


def op_tuple(u: RestrictedUnpickler) -> None:
    u.push(u.nested(tuple(u.pop_mark())))


def op_list(u: RestrictedUnpickler) -> None:
    u.push(u.pop_mark())


def op_dict(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    if len(items) % 2:
        raise u.s.error("DICT with an odd number of items")
    u.push({items[i]: items[i + 1] for i in range(0, len(items), 2)})


def _tuple_n(n: int) -> Callable[[RestrictedUnpickler], None]:
    def run(u: RestrictedUnpickler) -> None:
        if n:
            if len(u.stack) < n:
                raise IndexError
            values = tuple(u.stack[-n:])
            del u.stack[-n:]
        else:
            values = ()
        u.push(u.nested(values))
    return run


def _const(value: Any) -> Callable[[RestrictedUnpickler], None]:
    def run(u: RestrictedUnpickler) -> None:
        u.push(value)
    return run


def _empty(factory: Callable[[], Any]) -> Callable[[RestrictedUnpickler], None]:
    def run(u: RestrictedUnpickler) -> None:
        u.push(factory())
    return run


def _fixed(fmt: str, size: int) -> Callable[[RestrictedUnpickler], None]:
    def run(u: RestrictedUnpickler) -> None:
        u.push(_unpack(fmt, u.read(size)))
    return run


def _long_n(size_fmt: str, size: int) -> Callable[[RestrictedUnpickler], None]:
    def run(u: RestrictedUnpickler) -> None:
        n = _unpack(size_fmt, u.read(size))
        if n > 1 << 16:
            raise u.s.error("integer literal too long")
        u.push(int.from_bytes(u.read(n), "little", signed=True))
    return run


def _sized(size_fmt: str, size: int, kind: str) -> Callable[[RestrictedUnpickler], None]:
    def run(u: RestrictedUnpickler) -> None:
        n = _unpack(size_fmt, u.read(size))
        data = u.read(n)
        if kind == "bytes":
            u.push(data)
        elif kind == "bytearray":
            u.push(bytearray(data))
        elif kind == "str":
            u.push(data.decode("utf-8", "surrogatepass"))
        else:  # py2 str
            u.push(data.decode("latin-1"))
    return run


def _get_fixed(fmt: str, size: int) -> Callable[[RestrictedUnpickler], None]:
    def run(u: RestrictedUnpickler) -> None:
        u.push(u.memo[_unpack(fmt, u.read(size))])
    return run


def _put_fixed(fmt: str, size: int) -> Callable[[RestrictedUnpickler], None]:
    def run(u: RestrictedUnpickler) -> None:
        u.memo_put(_unpack(fmt, u.read(size)), u.stack[-1])
    return run


def op_memoize(u: RestrictedUnpickler) -> None:
    u.memo_put(len(u.memo), u.stack[-1])


_HANDLERS: dict[str, Callable[[RestrictedUnpickler], None]] = {
    "PROTO": op_proto, "FRAME": op_frame, "STOP": op_stop, "MARK": op_mark, "POP": op_pop,
    "POP_MARK": op_pop_mark, "DUP": op_dup, "INT": _int_text, "LONG": op_long,
    "FLOAT": op_float, "STRING": op_string, "UNICODE": op_unicode, "GET": op_get,
    "PUT": op_put, "GLOBAL": op_global, "STACK_GLOBAL": op_stack_global, "INST": op_inst,
    "OBJ": op_obj, "REDUCE": op_reduce, "NEWOBJ": op_newobj, "NEWOBJ_EX": op_newobj_ex,
    "BUILD": op_build, "PERSID": op_persid, "BINPERSID": op_binpersid, "EXT1": op_ext,
    "EXT2": op_ext, "EXT4": op_ext, "NEXT_BUFFER": op_next_buffer,
    "READONLY_BUFFER": op_noop, "APPEND": op_append, "APPENDS": op_appends,
    "SETITEM": op_setitem, "SETITEMS": op_setitems, "ADDITEMS": op_additems,
    "FROZENSET": op_frozenset, "TUPLE": op_tuple, "LIST": op_list, "DICT": op_dict,
    "EMPTY_TUPLE": _tuple_n(0), "TUPLE1": _tuple_n(1), "TUPLE2": _tuple_n(2),
    "TUPLE3": _tuple_n(3), "NONE": _const(None), "NEWTRUE": _const(True),
    "NEWFALSE": _const(False), "EMPTY_LIST": _empty(list), "EMPTY_DICT": _empty(dict),
    "EMPTY_SET": _empty(set), "BININT": _fixed("<i", 4), "BININT1": _fixed("<B", 1),
    "BININT2": _fixed("<H", 2), "BINFLOAT": _fixed(">d", 8), "LONG1": _long_n("<B", 1),
    "LONG4": _long_n("<i", 4), "BINSTRING": _sized("<i", 4, "str2"),
    "SHORT_BINSTRING": _sized("<B", 1, "str2"), "BINBYTES": _sized("<I", 4, "bytes"),
    "SHORT_BINBYTES": _sized("<B", 1, "bytes"), "BINBYTES8": _sized("<Q", 8, "bytes"),
    "BINUNICODE": _sized("<I", 4, "str"), "SHORT_BINUNICODE": _sized("<B", 1, "str"),
    "BINUNICODE8": _sized("<Q", 8, "str"), "BYTEARRAY8": _sized("<Q", 8, "bytearray"),
    "BINGET": _get_fixed("<B", 1), "LONG_BINGET": _get_fixed("<I", 4),
    "BINPUT": _put_fixed("<B", 1), "LONG_BINPUT": _put_fixed("<I", 4),
    "MEMOIZE": op_memoize,
}


def _build_dispatch() -> tuple[dict[int, Callable[[RestrictedUnpickler], None]], dict[int, str]]:
    import pickletools

    dispatch: dict[int, Callable[[RestrictedUnpickler], None]] = {}
    names: dict[int, str] = {}
    for op in pickletools.opcodes:
        code = op.code.encode("latin-1")[0]
        dispatch[code] = _HANDLERS[op.name]
        names[code] = op.name
    return dispatch, names


DISPATCH, _OPCODE_NAMES = _build_dispatch()
