"""Read pickles with CPython's own unpicklers, handing them inert stand-ins instead of globals.

Two readers, one per real loader:

- :class:`CReader` subclasses the C ``pickle.Unpickler``: what ``pickle.load`` does.
- :class:`JoblibReader` subclasses the pure-Python ``pickle._Unpickler`` exactly as joblib's
  ``NumpyUnpickler`` does (same BUILD hook replacing a ``NumpyArrayWrapper`` on the stack by
  the array read from the *file handle*, same nested object-array reader on the same handle,
  whose ``find_class`` is the outer one): what ``joblib.load`` does.

Frames, INT/LONG forms, EXT codes, protocol name mappings, memo and stack rules are therefore
CPython's. ``find_class`` returns a stand-in class (:mod:`hpinspect.load.standins`) and every
call or method a real load would make on it lands in :class:`Session`, which evaluates only the
allow-listed inert constructors (:mod:`hpinspect.load.constructors`) and records everything else.

Use :func:`read_pickle` (one pickle) or :func:`read_streams` (every pickle in a file). Both
take the two hooks other readers need: ``persistent_load`` (persistent id -> inert value) and
``constructors`` (dotted name -> evaluator of extra inert constructors).
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import struct
import sys
import types
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from hpinspect.errors import CorruptFileError, HpinspectError, LimitExceededError
from hpinspect.load.limits import Limits
from hpinspect.load.objects import GlobalRef, Stub
from hpinspect.load.opscan import GuardedInput, OpWalker, bytearrays_fit
from hpinspect.load.policy import LEGACY_JOBLIB_WRAPPERS, Use
from hpinspect.load.regions import SourceFile
from hpinspect.load.standins import (
    Deferred,
    StandIn,
    StandInMeta,
    deferred_class,
    make_class,
    make_deferred,
    make_instance,
    ref_of,
)
from hpinspect.report import Finding

Evaluator = Callable[["Session", tuple[Any, ...], dict[str, Any], str], Any]
"""An inert constructor: (session, args, kwargs, how) -> inert value, ``NotImplemented`` to
leave the call a Stub, or :data:`UNEXPECTED` for a use hpinspect does not vouch for."""
PersistentLoad = Callable[[Any], Any]

UNEXPECTED = object()

JOBLIB_WRAPPERS = frozenset({"joblib.numpy_pickle.NumpyArrayWrapper",
                             "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
                             *LEGACY_JOBLIB_WRAPPERS})
"""Objects joblib's BUILD hook replaces by the array they stand for (load/joblib_arrays.py)."""


class Diverged(Exception):
    """The C reader standing in for the pure-Python one cannot vouch for what it read (see
    :func:`c_inner_load`): the file is read again with the pure-Python reader alone."""


NESTED_LOADS = frozenset({"pickle.loads", "_pickle.loads", "cPickle.loads", "dill.loads",
                          "cloudpickle.loads", "pickle._loads"})


@dataclass
class GlobalUse:
    """How the file used one global."""

    dotted: str
    uses: set[Use] = field(default_factory=set)
    plain_only: bool = False
    """Seen only when the file is read by plain ``pickle.load`` (not by joblib)."""
    joblib_only: bool = False
    """Seen only when the file is read by ``joblib.load`` (not by plain pickle)."""
    unvetted: bool = False
    """An inert constructor called in a way hpinspect does not evaluate (fail closed)."""
    result_called: bool = False
    """Whether the object a call of it returned was itself called."""
    traversal: str | None = None
    """The name part when it is itself dotted (protocol 4 attribute traversal)."""
    methods: set[str] = field(default_factory=set)
    """Methods a real load calls on its instances (``__setstate__``, ``extend``, ...)."""
    class_ops: set[str] = field(default_factory=set)
    """Methods a real load calls on the class/function object itself (it mutates it)."""
    stream: int = 0
    """Index of the first pickle stream of the file that reaches it."""
    objects: list[Any] = field(default_factory=list)
    """The GlobalRefs and Stubs for it (to locate it in the object graph)."""


class Session:
    """Everything one file's readings record; the stand-ins' :class:`Recorder`."""

    def __init__(self, limits: Limits, path: str, max_bytes: int,
                 constructors: dict[str, Evaluator] | None = None) -> None:
        self.limits = limits
        self.path = path
        self.max_bytes = max_bytes
        self.opcodes = 0
        """Stand-in operations so far (the C reader's opcodes are not observable one by one)."""
        self.charged = 0
        """Bytes charged to the file's one budget (read, decompressed, allocated)."""
        self.constructed = 0
        """Bytes allowlisted constructors allocated (``bytes(n)``, ``list(range(n))``)."""
        self.globals: dict[str, GlobalUse] = {}
        self.kept_bytes = 0
        self.dtypes: dict[int, tuple[Any, Any, Any]] = {}
        """Per deferred ``numpy.dtype`` (by id, with it and what it is made of, which pin the
        ids): the dtype validated for it. A file's arrays share a few (a forest's trees one);
        see ``ndbuild.dtype_of``."""
        self.source: SourceFile | None = None
        """The plain file being read from its start, when it is one: large joblib arrays
        are then skipped and read again only if their statistics are asked for."""
        self.saw_joblib_wrapper = False
        self.c_nested = False
        """Whether an object array's nested pickle in a joblib file may be read by the C
        reader (:func:`c_inner_load`): set where a :class:`Diverged` reading is redone."""
        self.in_c_nested = False
        """Whether such a C reading is under way (see :meth:`on_op`)."""
        self.c_outer: Any = None
        """The C reading of a whole joblib stream under way (``joblib_c.WholeStream``): it
        makes the array wrappers and reads each one's array at its BUILD."""
        self.max_proto = 0
        self.declared_proto: int | None = None
        self.stream = 0
        self.classes: dict[str, type] = {}
        self.placed_refs: set[int] = set()
        """Ids of the GlobalRefs this session's conversions put in their graphs (no other
        GlobalRef is reachable from a root: see ``pickle_file.wanted_ids``)."""
        self.deferred_classes: dict[str, tuple[type, GlobalRef]] = {}
        """Per dotted name: the Deferred class of its stand-in class, and its GlobalRef."""
        self.instances: list[StandIn] = []
        """The stand-in instances calls made (no Deferred: hpinspect builds those itself)."""
        self.tensor_builds = 0
        """BUILDs on hpinspect's own tensor values (see ``tensors.TensorStub.__setstate__``)."""
        self.side_findings: list[tuple[Finding, Any]] = []
        """Findings that are no global (a refused joblib sidecar), each with the object to
        locate it by (or ``None``)."""
        from hpinspect.load.constructors import EVALUATORS

        self.constructors: dict[str, Evaluator] = {**EVALUATORS, **(constructors or {})}

    def error(self, message: str) -> CorruptFileError:
        return CorruptFileError(message, self.path)

    # ------------------------------------------------------------------ budgets
    def charge(self, nbytes: int, what: str) -> None:
        """Charge ``nbytes`` to the per-file budget *before* they are read or allocated."""
        if nbytes < 0:
            raise self.error(f"negative size for {what}")
        self.charged += nbytes
        if self.charged > self.max_bytes:
            raise LimitExceededError(
                f"{what} exceeds the limit of {self.max_bytes:,} bytes (raise it with "
                "--max-bytes)", self.path)

    def budget_left(self) -> int:
        """Bytes the file's budget still allows."""
        return self.max_bytes - self.charged

    def tick(self) -> None:
        self.opcodes += 1
        if self.opcodes > self.limits.max_opcodes:
            raise LimitExceededError(
                f"more than {self.limits.max_opcodes:,} pickle operations on objects (calls, "
                "BUILD, APPEND, SETITEM; raise it with --max-opcodes)", self.path)

    def check_memo(self, size: int) -> None:
        if size > self.limits.max_memo:
            raise LimitExceededError(
                f"pickle memo holds more than {self.limits.max_memo:,} entries", self.path)

    # ------------------------------------------------------------------ recording
    def note(self, dotted: str, use: Use, obj: Any) -> GlobalUse:
        entry = self.globals.get(dotted)
        if entry is None:
            entry = self.globals[dotted] = GlobalUse(dotted, stream=self.stream)
        entry.uses.add(use)
        if obj is not None and len(entry.objects) < 8:
            entry.objects.append(obj)
        return entry

    def find_class(self, module: str, name: str, proto: int, *,
                   old_names: bool | None = None) -> type:
        """The stand-in for ``module.name``, mapped as pickle's own ``find_class`` maps it.

        ``old_names`` says whether the reader maps Python 2 names now (the C reader's own
        answer, see :func:`c_maps_old_names`); by default it is ``proto < 3``, the pure-Python
        reader's rule for its current protocol.
        """
        self.tick()
        if proto < 3 if old_names is None else old_names:
            if (module, name) in NAME_MAPPING:
                module, name = NAME_MAPPING[(module, name)]
            elif module in IMPORT_MAPPING:
                module = IMPORT_MAPPING[module]
        self.max_proto = max(self.max_proto, proto)
        ref = GlobalRef(module, name)
        cls = self.classes.get(ref.dotted)
        if cls is None:
            cls = self.classes[ref.dotted] = make_class(ref, self)
        entry = self.note(ref.dotted, "referenced", ref)
        if "." in name:
            entry.traversal = name
        return cls

    def call(self, ref: GlobalRef, args: tuple[Any, ...], kwargs: dict[str, Any],
             how: str) -> Any:
        """What a real load's call of ``ref(*args, **kwargs)`` becomes here."""
        self.tick()
        dotted = ref.dotted
        evaluator = self.constructors.get(dotted)
        if evaluator is not None:
            value = evaluator(self, args, kwargs, how)
            if value is UNEXPECTED:
                self.globals[dotted].unvetted = True
            elif value is not NotImplemented:
                self.note(dotted, "called", None)
                return value
        use: Use = "instantiated" if how == "newobj" and not args and not kwargs else "called"
        if dotted in NESTED_LOADS and args and isinstance(args[0], (bytes, bytearray)):
            self.scan_nested(bytes(args[0]))
        stub = Stub(ref, args, how)
        if kwargs:
            stub.kwargs = dict(kwargs)
        obj = self.new_instance(dotted, stub)
        entry = self.note(dotted, use, stub)
        if how == "newobj":
            entry.methods.add("__new__")  # NEWOBJ/NEWOBJ_EX run cls.__new__ (load/policy.py)
        for arg in (*args, *kwargs.values()) if kwargs else args:
            if isinstance(arg, StandInMeta):
                # A class or function handed to a call may be instantiated or called by it
                # (e.g. newObj(cls) runs cls.__new__): judge it as called, fail closed.
                self.note(arg._hp_ref.dotted, "called", stub)
        return obj

    def class_for(self, dotted: str) -> type:
        """The stand-in class of ``dotted`` (made without noting a reference)."""
        cls = self.classes.get(dotted)
        if cls is None:
            module, _, name = dotted.rpartition(".")
            cls = self.classes[dotted] = make_class(GlobalRef(module, name), self)
        return cls

    def new_instance(self, dotted: str, stub: Stub) -> StandIn:
        if self.c_outer is not None and dotted in JOBLIB_WRAPPERS:
            return self.c_outer.new_wrapper(dotted, stub)  # type: ignore[no-any-return]
        obj = make_instance(self.class_for(dotted), stub)
        self.instances.append(obj)
        return obj

    def deferred(self, dotted: str, kind: str, args: tuple[Any, ...], how: str) -> Deferred:
        """A stand-in hpinspect turns into its own value after the load (arrays, dtypes)."""
        made = self.deferred_classes.get(dotted)
        if made is None:
            cls = self.class_for(dotted)
            made = self.deferred_classes[dotted] = (deferred_class(cls),
                                                    ref_of(cls) or GlobalRef("", dotted))
        sub, ref = made
        return make_deferred(sub, Stub(ref, args, how), kind, args)

    def call_instance(self, target: StandIn, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        """A real load calls an object a call returned (a call chain, never inert)."""
        self.tick()
        stub = Stub(target._hp_stub, args, "reduce")
        stub.kwargs = dict(kwargs)
        root = target._hp_stub
        while isinstance(root.factory, Stub):
            root = root.factory
        entry = self.note(root.dotted, "called", stub)
        entry.result_called = True
        return make_instance(type(target), stub)

    def on_op(self, target: Any, op: str, args: tuple[Any, ...]) -> None:
        """Record method ``op`` that a real load calls on a stand-in (BUILD, APPEND, ...)."""
        self.tick()
        if self.in_c_nested and op == "extend" and len(args) == 1 and type(
                args[0]) is list and len(args[0]) == 1:
            # The C reader's APPEND onto anything but a list calls extend([item]) where the
            # pure-Python one calls append(item); a one-item APPENDS is rare enough to redo.
            raise Diverged("a one-item extend")
        if isinstance(target, StandInMeta):
            ref = ref_of(target)
            assert ref is not None
            entry = self.note(ref.dotted, "called", ref)
            entry.class_ops.add(op)
            return
        stub: Stub = target._hp_stub
        stub.ops.append(op)
        _RECORD[op](stub, args)
        if isinstance(target, Deferred) or not isinstance(stub.factory, GlobalRef):
            return
        entry = self.globals[stub.factory.dotted]
        entry.methods.add(op)
        if self.c_outer is not None and op == "__setstate__" and \
                stub.factory.dotted in JOBLIB_WRAPPERS:
            self.c_outer.built(target)  # (JoblibReader.load_build's hook, at the same point)

    def scan_nested(self, data: bytes) -> None:
        """Read a pickle embedded as bytes (an inner ``loads`` in the file) for its globals."""
        inside = self.reading_apart(c_nested=False)  # pickle.loads: C's own reading
        try:
            read_pickle(io.BytesIO(data), self, kind="pickle")
        except (HpinspectError, pickle.UnpicklingError, Exception):
            return  # a broken inner pickle: the outer call is already reported
        finally:
            self.in_c_nested, self.c_outer = inside

    def reading_apart(self, *, c_nested: bool) -> tuple[bool, Any]:
        """Start a reading of another pickle inside this one (no joblib BUILD hook there);
        returns what to restore after it (``in_c_nested``, ``c_outer``)."""
        inside = (self.in_c_nested, self.c_outer)
        self.in_c_nested, self.c_outer = c_nested, None
        return inside


def _record_state(stub: Stub, args: tuple[Any, ...]) -> None:
    (state,) = args
    stub.builds += 1
    if isinstance(stub.state, dict) and isinstance(state, dict):
        stub.state.update(state)
    else:
        stub.state = state


_RECORD: dict[str, Callable[[Stub, tuple[Any, ...]], None]] = {
    "__setstate__": _record_state,
    "append": lambda stub, args: stub.list_items.append(args[0]),
    "extend": lambda stub, args: stub.list_items.extend(args[0]),
    "add": lambda stub, args: stub.list_items.append(args[0]),
    "__setitem__": lambda stub, args: stub.dict_items.append((args[0], args[1])),
}


# ---------------------------------------------------------------------- the file object
GROWTH_BASE = 256 << 20
GROWTH_PER_BYTE = 32
"""Objects built may take GROWTH_BASE + GROWTH_PER_BYTE x the pickle bytes read so far: real
model files stay far below (about 8x for a 200k-word vocabulary), while opcodes that make an
object per byte (EMPTY_SET, TUPLE1 chains) are stopped long before they exhaust memory."""


_STATUS: list[int] = []
"""``[pid, fd]`` of this process's ``/proc/self/status``, opened once (a forked child, whose
``/proc/self`` is another file, opens its own)."""


def _status_fd() -> int:
    pid = os.getpid()
    if not _STATUS or _STATUS[0] != pid:
        _STATUS[:] = [pid, os.open("/proc/self/status", os.O_RDONLY | os.O_CLOEXEC)]
    return _STATUS[1]


def _peak_rss() -> int:
    """This process's peak resident memory in bytes: ``VmHWM`` where Linux has it, since
    ``ru_maxrss`` carries the peak of the process that spawned this one over the exec (a
    child of a 1 GiB parent would see no growth until it passed 1 GiB itself). One ``pread``
    of the file kept open: each system call lets another thread take the GIL, which the
    reading thread then waits to get back (the hash thread, on a busy machine)."""
    try:
        status = os.pread(_status_fd(), 1 << 16, 0)  # the whole file (about 1.5 KB)
        at = status.index(b"VmHWM:")
        return int(status[at + 6 : status.index(b"\n", at)].split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return _ru_maxrss()


def _ru_maxrss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


RU_SLACK = 8 << 20
"""How far ``ru_maxrss`` may sit from ``VmHWM`` and still be this process's own peak: the
kernel's per-CPU counters make it lag by a few hundred KiB."""


def peak_reader() -> Callable[[], int]:
    """The cheapest exact enough reading of this process's peak memory, for repeated checks.

    ``ru_maxrss`` holds the GIL (no wait for another thread to hand it back, as each
    ``/proc`` read has) but is ``max(peak carried over the exec, own peak)``. When it is
    within :data:`RU_SLACK` of ``VmHWM`` now, it follows this process's own peak from here on;
    otherwise (a child of a larger parent) ``VmHWM`` is read every time.
    """
    own = _peak_rss()
    return _ru_maxrss if abs(_ru_maxrss() - own) <= RU_SLACK else _peak_rss


class BudgetRaw(io.RawIOBase):
    """The bytes of ``source``, refusing to deliver more than the session's byte budget.

    Each refill (every 1 MiB) also checks how much memory the unpickler's objects took since
    the read began: the C unpickler builds containers with no callback hpinspect could count.
    """

    def __init__(self, source: BinaryIO, session: Session) -> None:
        self._source = source
        self._readinto: Callable[[Any], int | None] = getattr(source, "readinto")  # noqa: B009
        self._session = session
        self.position = 0
        self._peak = peak_reader()
        self._rss0 = self._peak()

    def _check_growth(self) -> None:
        growth = self._peak() - self._rss0
        if growth > GROWTH_BASE + GROWTH_PER_BYTE * self.position:
            raise LimitExceededError(
                f"the objects this pickle builds take {growth >> 20:,} MiB after "
                f"{self.position:,} bytes (memory limit for what a load builds)",
                self._session.path)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._check_growth()
        n = self._readinto(buffer)  # straight into the caller's buffer: no copy
        if n:
            self._session.charge(n, "pickle data")
            self.position += n
        return n or 0

    def tell(self) -> int:
        return self.position

    def seekable(self) -> bool:
        return bool(self._source.seekable())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset`` (from the start of this stream, or from here): the bytes passed
        over are not delivered, so not charged (a joblib array whose bytes are read again
        only if needed, see :mod:`hpinspect.load.regions`)."""
        if whence not in (io.SEEK_SET, io.SEEK_CUR):
            raise io.UnsupportedOperation("seek from the end")
        target = offset + (self.position if whence == io.SEEK_CUR else 0)
        self._source.seek(target - self.position, io.SEEK_CUR)
        self.position = target
        return target


READ_AHEAD = 1 << 20
SKIPPING_READ_AHEAD = 64 << 10
"""Read-ahead while large arrays are skipped (see :mod:`hpinspect.load.regions`): a forest's
arrays are a few hundred KiB apart, and a MiB read ahead would read every one of them."""


def budget_stream(source: BinaryIO, session: Session) -> io.BufferedReader:
    """A buffered reader over ``source`` that counts every byte against the budget."""
    return io.BufferedReader(BudgetRaw(source, session), SKIPPING_READ_AHEAD
                             if session.source is not None else READ_AHEAD)


# ---------------------------------------------------------------------- the readers
def _no_persistent_load(pid: Any) -> Any:
    raise pickle.UnpicklingError("A load persistent id instruction was encountered, "
                                 "but no persistent_load function was specified.")


class _Imported(Exception):
    """What the import function seen by :func:`c_maps_old_names` raises instead of importing."""


def _no_import(name: str, *args: Any, **kwargs: Any) -> Any:
    raise _Imported(name)


def _probe(reader: pickle.Unpickler) -> bool:
    try:
        C_FIND_CLASS(reader, "__builtin__", "object")  # type: ignore[name-defined]  # noqa: F821
    except IMPORTED as probe:  # type: ignore[name-defined]  # noqa: F821
        return bool(probe.args[0] == "builtins")
    return False


c_maps_old_names: Callable[[pickle.Unpickler], bool] = types.FunctionType(
    _probe.__code__, {"__builtins__": {"__import__": _no_import, "bool": bool},
                      "C_FIND_CLASS": pickle.Unpickler.find_class, "IMPORTED": _Imported})
"""Whether the C unpickler maps Python 2 names *now* (its protocol below 3, which a PROTO
opcode in mid-stream changes, and which C keeps private). Asked of the C ``find_class``
itself: it maps the probe name ``__builtin__`` or not, then imports through the
``__import__`` of the calling function's globals -- here one that raises with the name it
was given. Nothing is imported; the mapping rule is CPython's own."""


class CReader(pickle.Unpickler):
    """``pickle.load``'s C unpickler; every global is a stand-in."""

    def __init__(self, file: BinaryIO, session: Session, proto: int) -> None:
        super().__init__(file, encoding="latin1")
        self.hp = session
        self.hp_proto = proto

    def find_class(self, module: str, name: str) -> Any:
        return self.hp.find_class(module, name, self.hp_proto,
                                  old_names=c_maps_old_names(self))


class _CReaderPersistent(CReader):
    hp_persistent: PersistentLoad

    def persistent_load(self, pid: Any) -> Any:
        self.hp.tick()
        return self.hp_persistent(pid)


def _load_bytearray8(self: Any) -> None:
    """``pickle._Unpickler.load_bytearray8`` without ``bytearray(length)`` first.

    The original zeroes a buffer of the declared length (16 GiB for a 20-byte file), then
    reads into it: ``buf[:] = read(n)`` shrinks it when the data ends early, and a frame
    that holds fewer bytes raises -- exactly what ``bytearray(self.read(n))`` does, with
    memory for the bytes that are really there. A length over the budget is refused first.
    """
    (size,) = struct.unpack("<Q", self.read(8))
    if size > sys.maxsize:
        raise pickle.UnpicklingError(
            f"BYTEARRAY8 exceeds system's maximum size of {sys.maxsize} bytes")
    left = self.hp.budget_left()
    if size > left:
        raise LimitExceededError(
            f"BYTEARRAY8 declares {size:,} bytes, more than the {max(left, 0):,} left of the "
            "file's budget", self.hp.path)
    self.append(bytearray(self.read(size)))


class JoblibReader(pickle._Unpickler):
    """joblib's ``NumpyUnpickler`` with stand-ins: the pure-Python unpickler, BUILD hooked."""

    dispatch = pickle._Unpickler.dispatch.copy()
    stack: list[Any]
    proto: int
    memo: dict[int, Any]

    def __init__(self, file: BinaryIO, session: Session,
                 persistent_load: PersistentLoad | None = None) -> None:
        super().__init__(file, encoding="latin1")
        self.file_handle = file
        self.hp = session
        if persistent_load is not None:
            setattr(self, "persistent_load", persistent_load)  # noqa: B010

    def find_class(self, module: str, name: str) -> Any:
        return self.hp.find_class(module, name, self.proto)

    def load_build(self) -> None:
        pickle._Unpickler.load_build(self)  # type: ignore[attr-defined]
        top = self.stack[-1]
        if isinstance(top, StandIn) and not isinstance(top, Deferred) and isinstance(
                top._hp_stub.factory, GlobalRef) and top._hp_stub.factory.dotted in \
                JOBLIB_WRAPPERS:
            from hpinspect.load.joblib_arrays import read_wrapped_array

            self.stack.pop()
            self.stack.append(read_wrapped_array(self, top))

    dispatch[pickle.BUILD[0]] = load_build  # type: ignore[assignment]
    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8


class InnerReader(pickle._Unpickler):
    """The fresh ``pickle._Unpickler`` joblib reads an object array's nested pickle with."""

    dispatch = pickle._Unpickler.dispatch.copy()
    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8

    def __init__(self, file: BinaryIO, session: Session) -> None:
        super().__init__(file, encoding="latin1")
        self.hp = session


class CInnerReader(CReader):
    """The C unpickler in place of joblib's fresh pure-Python one (:class:`InnerReader`):
    names map by the outer reader's protocol, as joblib routes the inner ``find_class``
    through the outer unpickler's."""

    def find_class(self, module: str, name: str) -> Any:
        return self.hp.find_class(module, name, self.hp_proto)


def c_inner_load(outer: Any) -> Any:
    """An object array's nested pickle, read by the C reader where it provably reads as the
    pure-Python reader joblib runs: a strict walk (:mod:`hpinspect.load.opscan`) stops it
    before any opcode the two may read differently, a one-item ``extend`` stops it
    (:meth:`Session.on_op`), and any error of the C reading is :class:`Diverged` -- the file
    is then read again by the pure-Python reader, which finds the real outcome -- except the
    session's own limits, which both readings meet on the same objects. Both readers
    make the same calls on the stand-ins in the same order otherwise (CPython's
    ``_pickle.c`` and ``pickle.py``), and both stop right after the STOP opcode."""
    s = outer.hp
    walker = OpWalker(s.limits.max_memo, s.budget_left, strict=True)
    reader = CInnerReader(GuardedInput(outer.file_handle, walker, s.path), s,  # type: ignore[arg-type]
                          outer.proto)
    inside = s.reading_apart(c_nested=True)
    try:
        value = reader.load()
    except LimitExceededError:
        if walker.hazard is None:
            raise  # the session's own limits (budget, growth, operations) hold for both
        raise Diverged(f"the C reading stopped: {walker.why}") from None
    except Exception as exc:
        # (no cause kept: its traceback would hold what the reading built)
        raise Diverged(f"the C reading stopped: {walker.why or exc}") from None
    finally:
        s.in_c_nested, s.c_outer = inside
    if walker.hazard is not None or not walker.done or not bytearrays_fit(
            walker, s.budget_left(), READ_AHEAD):
        raise Diverged("the walk did not vouch for the whole pickle")
    return value


def _c_load(stream: BinaryIO, session: Session, persistent_load: PersistentLoad | None) -> Any:
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    proto = head[1] if len(head) == 2 and head[0] == 0x80 else 0
    if session.declared_proto is None and len(head) == 2 and head[0] == 0x80:
        session.declared_proto = proto
    guarded = GuardedInput(stream, OpWalker(session.limits.max_memo, session.budget_left),
                                session.path)
    if persistent_load is None:
        reader = CReader(guarded, session, proto)  # type: ignore[arg-type]
    else:
        reader = _CReaderPersistent(guarded, session, proto)  # type: ignore[arg-type]
        reader.hp_persistent = persistent_load
    try:
        value = reader.load()
    except pickle.UnpicklingError as exc:
        refused = guarded.refusal(exc)
        if refused is exc:
            raise
        raise refused from None
    if session.charged > session.limits.max_memo and \
            memo_slots(reader) > session.limits.max_memo:  # (each entry takes one byte)
        session.check_memo(len(reader.memo.copy()))
    return value


def memo_slots(reader: pickle.Unpickler) -> int:
    """At least the number of entries in the C reader's memo, without copying it.

    ``reader.memo.copy()`` is the only count the C reader gives, a dict of every entry (20-42 ms
    for a 200k-500k-word vocabulary). Its ``__sizeof__`` counts the memo array, one pointer per
    slot, beside the marks and the last text line; a fresh reader's holds 32 slots. So the
    slots, and the entries, are at most 32 plus the difference in pointers.
    """
    fresh = pickle.Unpickler(io.BytesIO(b""))
    return 32 + (sys.getsizeof(reader) - sys.getsizeof(fresh)) // struct.calcsize("P")


WHOLE_STREAM_MIN = 1 << 16
"""A joblib stream is read by the C reader (``joblib_c``) when its reader's buffer holds at
least this much of it (a buffered reader's ``peek`` gives all it holds): below, the pure-Python
reading takes less than the whole-stream walk's regexes take to compile (2-3 ms)."""


def _joblib_load(stream: BinaryIO, session: Session,
                 persistent_load: PersistentLoad | None) -> Any:
    held = stream.peek(2) if hasattr(stream, "peek") else b""  # (all the buffer holds)
    head = held[:2]
    if session.declared_proto is None and len(head) == 2 and head[0] == 0x80:
        session.declared_proto = head[1]
    if session.c_nested and persistent_load is None and len(head) == 2 and \
            head[0] == 0x80 and 4 <= head[1] <= pickle.HIGHEST_PROTOCOL and \
            len(held) >= WHOLE_STREAM_MIN:
        from hpinspect.load.joblib_c import whole_stream_load

        return whole_stream_load(stream, session, head[1])  # (or Diverged: read again)
    reader = JoblibReader(stream, session, persistent_load)
    value = reader.load()
    session.max_proto = max(session.max_proto, reader.proto)
    session.check_memo(len(reader.memo))
    return value


LOADERS: dict[str, Callable[[BinaryIO, Session, PersistentLoad | None], Any]] = {
    "pickle": _c_load,
    "joblib": _joblib_load,
}


def read_pickle(stream: BinaryIO, session: Session, *, kind: str = "pickle",
                persistent_load: PersistentLoad | None = None) -> Any:
    """Read ONE pickle from ``stream`` the way ``kind`` ("pickle" or "joblib") loads it.

    Returns the raw graph (stand-ins included); :func:`hpinspect.load.convert.convert` turns
    it into the output vocabulary. Errors of the real unpickler propagate unchanged
    (``pickle.UnpicklingError`` and friends); hpinspect's own limits raise
    :class:`~hpinspect.errors.LimitExceededError`. ``persistent_load`` maps a persistent id
    to an inert value (default: the real loaders' error); extra inert constructors are given
    to :class:`Session` (``constructors=``).
    """
    _forget_extension_cache()
    try:
        return LOADERS[kind](stream, session, persistent_load)
    finally:
        _forget_extension_cache()


def _forget_extension_cache() -> None:
    """Empty ``copyreg._extension_cache``, which both unpicklers consult before ``find_class``.

    An EXT code resolved once is cached process-wide with what ``find_class`` returned: a
    stand-in of an earlier reading (whose session would record this file's calls), or a real
    object from a real unpickling in this process. Either would skip this reading's
    ``find_class``; emptying the cache (only a cache: the registry stays) makes every EXT code
    of the file reach it, as in a fresh process.
    """
    copyreg._extension_cache.clear()  # type: ignore[attr-defined]
