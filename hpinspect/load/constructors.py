"""The allow-listed inert constructors a real load calls, evaluated by hpinspect itself.

Each evaluator gets what the real constructor would get and returns hpinspect's own value:
builtins for builtins, and a :class:`~hpinspect.load.standins.Deferred` for anything numpy
(arrays, dtypes, scalars), built by :mod:`hpinspect.load.convert` only after the load has
finished, from validated parts -- so no real numpy object is ever reachable by the file while
it loads. Sizes are charged to the file's byte budget before anything is allocated. A use that
no writer produces returns :data:`~hpinspect.load.unpickler.UNEXPECTED` (reported, fail closed).
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hpinspect.errors import LimitExceededError
from hpinspect.load.policy import LEGACY_JOBLIB_WRAPPERS
from hpinspect.load.standins import is_standin, ref_of

if TYPE_CHECKING:
    from hpinspect.load.unpickler import Evaluator, Session

_CONTAINERS = (list, tuple, set, frozenset, dict, str, bytes, bytearray)
TEXT_CODECS = frozenset({"latin1", "latin-1", "utf-8", "utf8", "ascii", "iso-8859-1"})
"""Codecs that need no import (another name makes ``str.encode`` import ``encodings.<name>``)."""
NDARRAY_NAMES = frozenset({"numpy.ndarray", "numpy.core.multiarray.ndarray",
                           "numpy._core.multiarray.ndarray"})
MAX_DTYPE_TEXT = 64


def _unexpected() -> Any:
    from hpinspect.load.unpickler import UNEXPECTED

    return UNEXPECTED


def _simple(kind: Callable[..., Any], max_args: int) -> Evaluator:
    def run(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
        if kwargs or len(args) > max_args or not all(
                isinstance(a, (*_CONTAINERS, range)) for a in args):
            return _unexpected()
        if args and isinstance(args[0], range):
            allocate(s, len(args[0]) * 8, f"{kind.__name__}(range of {len(args[0]):,})")
        return kind(*args)
    return run


def allocate(s: Session, nbytes: int, what: str) -> None:
    """Charge what a constructor is about to allocate, and hold the total to the growth rule
    of what a load builds (:data:`~hpinspect.load.unpickler.GROWTH_BASE` plus
    ``GROWTH_PER_BYTE`` per byte of pickle data): 3,000 ``bytearray(1 MiB)`` calls in a 27 KB
    file fit the 2 GiB budget but are no model."""
    from hpinspect.load.unpickler import GROWTH_BASE, GROWTH_PER_BYTE

    s.charge(nbytes, what)
    s.constructed += nbytes
    data = s.charged - s.constructed
    if s.constructed > GROWTH_BASE + GROWTH_PER_BYTE * max(data, 0):
        raise LimitExceededError(
            f"{what}: constructors would build {s.constructed:,} bytes from {data:,} bytes "
            "of pickle data (memory limit for what a load builds)", s.path)


def _bytes_like(kind: type) -> Evaluator:
    def run(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
        if kwargs or len(args) > 2:
            return _unexpected()
        if not args:
            return kind()
        first = args[0]
        if isinstance(first, int) and not isinstance(first, bool):
            allocate(s, first, f"{kind.__name__}({first:,})")  # before bytes(n) allocates
            return kind(first)
        if isinstance(first, str):
            if len(args) != 2 or args[1] not in TEXT_CODECS:
                return _unexpected()
            return kind(first, args[1])
        if len(args) == 1 and isinstance(first, (bytes, bytearray, list, tuple)):
            if isinstance(first, (list, tuple)) and not all(
                    isinstance(x, int) for x in first):
                return _unexpected()
            return kind(first)
        return _unexpected()
    return run


def _scalar_ctor(kind: Callable[..., Any]) -> Evaluator:
    def run(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
        if kwargs or len(args) > 2 or not all(
                isinstance(a, (int, float, str, bool, complex, bytes)) for a in args):
            return _unexpected()
        return kind(*args)
    return run


def _codecs_encode(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any],
                   how: str) -> Any:
    if not kwargs and len(args) == 2 and isinstance(args[0], str) and args[1] in TEXT_CODECS:
        return args[0].encode(args[1])
    return _unexpected()  # another codec imports encodings.<name>


def _ordered_dict(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
    if kwargs:
        return _unexpected()
    if not args or how == "newobj":
        return collections.OrderedDict()
    if len(args) == 1 and isinstance(args[0], (list, tuple, dict)):
        return collections.OrderedDict(args[0])
    return _unexpected()


def _slice(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
    if kwargs or len(args) > 3 or not all(a is None or isinstance(a, int) for a in args):
        return _unexpected()
    return slice(*args)


def _range(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
    if kwargs or not 1 <= len(args) <= 3 or not all(isinstance(a, int) for a in args):
        return _unexpected()
    return range(*args)


def _object(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
    return _unexpected() if args or kwargs else NotImplemented


def _reconstructor(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any],
                   how: str) -> Any:
    """``copyreg._reconstructor(cls, base, state)``: ``base.__new__(cls, state)``."""
    if kwargs or len(args) != 3 or ref_of(args[0]) is None:
        return _unexpected()
    cls, base, state = args
    ref = ref_of(cls)
    assert ref is not None
    if ref.dotted in _wrappers():
        s.saw_joblib_wrapper = True
    from hpinspect.load.objects import Stub

    stub = Stub(ref, () if state is None else (state,), "reconstructor")
    obj = s.new_instance(ref.dotted, stub)
    s.note(ref.dotted, "instantiated", stub)
    base_ref = ref_of(base)
    if base_ref is not None and base_ref.dotted != "builtins.object":
        s.note(base_ref.dotted, "called", stub)
    elif base_ref is None:
        return _unexpected()
    return obj


def _wrappers() -> frozenset[str]:
    from hpinspect.load.unpickler import JOBLIB_WRAPPERS

    return JOBLIB_WRAPPERS


def _wrapper(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
    s.saw_joblib_wrapper = True
    if how == "newobj" and not args and not kwargs:
        return NotImplemented  # an ordinary instance; BUILD sets its state
    return _unexpected()  # joblib never calls the wrapper: a reader desync, fail closed


def _np_reconstruct(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any],
                    how: str) -> Any:
    ref = ref_of(args[0]) if args else None
    if kwargs or len(args) != 3 or ref is None:
        return _unexpected()
    if ref.dotted not in NDARRAY_NAMES:
        return NotImplemented  # an ndarray subclass: kept as a Stub, reported as a call
    return s.deferred("numpy.core.multiarray._reconstruct", "ndarray", args, how)


RECORD_TYPES = frozenset({"numpy.record", "numpy.rec.record", "numpy._core.records.record",
                          "numpy.core.records.record"})


def _deferred(kind: str, arity: tuple[int, ...]) -> Evaluator:
    def run(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
        if kwargs or len(args) not in arity:
            return _unexpected()
        first = ref_of(args[0])
        if kind == "dtype" and first is not None and first.dotted in RECORD_TYPES:
            args = ("V", *args[1:])  # a record array's dtype: numpy.dtype(numpy.record, 0, 1)
        if kind == "dtype" and (not isinstance(args[0], str) or len(args[0]) > MAX_DTYPE_TEXT
                                or not all(isinstance(a, (bool, int)) for a in args[1:])):
            return _unexpected()
        if kind in ("scalar", "frombuffer") and not is_standin(args[1 if kind == "frombuffer"
                                                                    else 0]):
            return _unexpected()
        return s.deferred(_NAMES[kind], kind, args, how)
    return run


_NAMES = {"dtype": "numpy.dtype", "scalar": "numpy.core.multiarray.scalar",
          "frombuffer": "numpy.core.numeric._frombuffer"}


def _ndarray_called(s: Session, args: tuple[Any, ...], kwargs: dict[str, Any],
                    how: str) -> Any:
    return _unexpected()  # numpy.ndarray(...) itself: no writer calls it


_SCALAR = _deferred("scalar", (1, 2))
_FROMBUFFER = _deferred("frombuffer", (4,))

EVALUATORS: dict[str, Evaluator] = {
    "builtins.set": _simple(set, 1),
    "builtins.frozenset": _simple(frozenset, 1),
    "builtins.list": _simple(list, 1),
    "builtins.tuple": _simple(tuple, 1),
    "builtins.dict": _simple(dict, 1),
    "builtins.bytearray": _bytes_like(bytearray),
    "builtins.bytes": _bytes_like(bytes),
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
    "numpy.core.multiarray._reconstruct": _np_reconstruct,
    "numpy._core.multiarray._reconstruct": _np_reconstruct,
    "numpy.core.multiarray.scalar": _SCALAR,
    "numpy._core.multiarray.scalar": _SCALAR,
    "numpy.core.numeric._frombuffer": _FROMBUFFER,
    "numpy._core.numeric._frombuffer": _FROMBUFFER,
    "numpy.dtype": _deferred("dtype", (1, 2, 3)),
    "numpy.ndarray": _ndarray_called,
    "joblib.numpy_pickle.NumpyArrayWrapper": _wrapper,
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper": _wrapper,
    **dict.fromkeys(LEGACY_JOBLIB_WRAPPERS, _wrapper),
}
