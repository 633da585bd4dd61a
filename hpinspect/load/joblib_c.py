"""A whole joblib stream read by CPython's C unpickler, exactly as joblib's own reader reads it.

``joblib.load`` runs the pure-Python unpickler with a BUILD hook that pops each array wrapper
and pushes the array it reads from the file (:class:`~hpinspect.load.unpickler.JoblibReader`).
Most of a large model's reading time is that reader's per-opcode Python loop; the C reader does
the same work about ten times faster. This module lets it stand in, where it provably reads the
same:

- **the same bytes in the same places.** :class:`~hpinspect.load.opscan.FramedInput` has no
  ``peek``, so the C reader reads a FRAME whole and otherwise only the bytes it parses: at a
  wrapper's BUILD the file is where joblib's ``_Unframer`` leaves it (past the frame), and the
  array is read from there (:func:`~hpinspect.load.joblib_arrays.read_wrapped_array`, the very
  code of the pure-Python reading); the walk is moved past those bytes.
- **the same objects.** C's BUILD cannot change its stack, so each wrapper is made as an
  instance of a stand-in class with :class:`~hpinspect.load.standins.Deferred`'s layout and
  *becomes* the array at its BUILD (``__class__`` assignment, the array's stub and arguments).
  That differs from joblib's reading only where a reference to the wrapper made before its
  BUILD is used -- a DUP, or a GET of the memo slot the wrapper was put in. The walk refuses
  DUP, BINPUT/LONG_BINPUT and a PROTO past byte 0 (:data:`~hpinspect.load.opscan.WHOLE_STREAM`:
  with MEMOIZE alone a memo slot is written once) and collects every GET's index; after the
  load, one look at the memo says whether any GET read a wrapper's slot.
- **the same calls.** Everything else is the strict walk of the nested C reading
  (:func:`~hpinspect.load.unpickler.c_inner_load`): the opcodes the two unpicklers read
  differently are refused, as is a one-item ``extend`` (C's APPEND on a stand-in).

Whatever the walk refuses, and every error of this reading (the session's limits included), is
:class:`~hpinspect.load.unpickler.Diverged`: the file is then read again, from its start, by the
pure-Python reader alone, whose outcome is the real one. Only protocol 4 and 5 streams without
persistent ids are read this way (older ones write BINPUT, which would always be refused).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from hpinspect.load.joblib_arrays import read_wrapped_array
from hpinspect.load.objects import Stub
from hpinspect.load.opscan import WHOLE_STREAM, FramedInput, OpWalker, bytearrays_fit
from hpinspect.load.policy import LEGACY_JOBLIB_WRAPPERS
from hpinspect.load.standins import StandIn, StandInMeta, make_instance, ref_of
from hpinspect.load.unpickler import READ_AHEAD, CReader, Diverged, Session


class _Wrapper(StandIn):
    """Base of the wrapper stand-ins of this reading: :class:`Deferred`'s slots, so that an
    instance can become the array joblib puts in its place."""

    __slots__ = ("args", "kind")


class WholeStream(CReader):
    """The C reader of one joblib stream, with joblib's BUILD hook (see the module)."""

    def __init__(self, stream: BinaryIO, session: Session, proto: int) -> None:
        self.walker = OpWalker(session.limits.max_memo, session.budget_left, strict=True,
                               refuse=WHOLE_STREAM)
        self.input = FramedInput(stream, self.walker, session.path)
        super().__init__(self.input, session, proto)  # type: ignore[arg-type]
        self.file_handle = stream
        """What the arrays are read from (as joblib's ``unpickler.file_handle``)."""
        self.proto = proto
        """The stream's protocol: a PROTO past byte 0 is refused, so it is also what the
        pure-Python reader's ``proto`` is at every ``find_class``."""
        self.replaced: list[StandIn] = []
        self._classes: dict[str, type] = {}

    def find_class(self, module: str, name: str) -> Any:
        return self.hp.find_class(module, name, self.proto)  # JoblibReader's rule

    def new_wrapper(self, dotted: str, stub: Stub) -> StandIn:
        """An instance of the array wrapper ``dotted`` (:meth:`Session.new_instance`)."""
        base = self.hp.class_for(dotted)
        cls = self._classes.get(dotted)
        if cls is None:
            cls = self._classes[dotted] = StandInMeta(
                "StandIn", (_Wrapper,), {"__slots__": (), "_hp_ref": ref_of(base),
                                         "_hp_recorder": self.hp})
        # what the pure-Python reading keeps of the wrapper (planted_hooks reads its stub)
        self.hp.instances.append(make_instance(base, stub))
        return make_instance(cls, stub)

    def built(self, wrapper: StandIn) -> None:
        """A BUILD on an array wrapper: it becomes the array joblib reads in its place."""
        if type(wrapper).__base__ is not _Wrapper or \
                wrapper._hp_stub.dotted in LEGACY_JOBLIB_WRAPPERS:
            raise Diverged("an array wrapper made outside this reading, or a joblib <= 0.9 one")
        handle = self.file_handle
        start = handle.tell()
        value = read_wrapped_array(self, wrapper)  # type: ignore[arg-type]
        if not self.input.skip(handle.tell() - start):
            raise Diverged("an array read where the walk has bytes pending")
        target: Any = wrapper
        target.__class__ = type(value)
        target._hp_stub, target.kind, target.args = value._hp_stub, value.kind, value.args
        self.replaced.append(wrapper)


def whole_stream_load(stream: BinaryIO, session: Session, proto: int) -> Any:
    """The first pickle of ``stream`` (a protocol ``proto`` joblib stream), as ``joblib.load``
    reads it, or :class:`Diverged`."""
    reader = WholeStream(stream, session, proto)
    inside = (session.in_c_nested, session.c_outer)
    session.in_c_nested, session.c_outer = True, reader
    try:
        value = reader.load()
    except Exception as exc:
        # (no cause kept: its traceback would hold what the reading built)
        raise Diverged(f"the C reading stopped: {reader.walker.why or exc}") from None
    finally:
        session.in_c_nested, session.c_outer = inside
    walker = reader.walker
    if walker.hazard is not None or not walker.done or walker.tail or \
            walker.fed != reader.input.position or not bytearrays_fit(
                walker, session.budget_left(), READ_AHEAD):
        raise Diverged(f"the walk did not vouch for the whole stream {walker.why}")
    memo = reader.memo.copy()
    replaced = {id(obj) for obj in reader.replaced}
    if replaced and any(id(memo.get(index)) in replaced for index in walker.get_indices()):
        raise Diverged("a GET of an array wrapper's memo slot")
    session.max_proto = max(session.max_proto, proto)
    session.check_memo(len(memo))
    return value
