"""numpy values built by hpinspect from validated parts, never by numpy's own ``__setstate__``.

A dtype is rebuilt from its type string plus the checked fields of its pickled state (byte
order, sub-array, named fields with offsets, item size) through ``numpy.dtype``'s public
constructor, which validates layouts itself; ``dtype.__setstate__`` -- which trusts its input
and can flag raw bytes as object pointers -- is never called. An array is built only from a
(dtype, shape, order, byte count) that match; object arrays element by element from values the
restricted reader already made, kept as :class:`~hpinspect.load.objects.ObjectArray` (no numpy
object array is ever built). Large arrays become :class:`~hpinspect.load.objects.ArrayStub`.
"""

from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any

import numpy as np

from hpinspect.errors import CorruptFileError
from hpinspect.load.common import only_types
from hpinspect.load.convert import LEAF_TYPES
from hpinspect.load.objects import ArrayStub, ObjectArray
from hpinspect.load.regions import MemoryRegion
from hpinspect.load.standins import Deferred

if TYPE_CHECKING:
    from hpinspect.load.convert import Converter
    from hpinspect.load.unpickler import Session

MAX_NDIM = 64
MAX_DTYPE_NESTING = 16
DATETIME_UNITS = frozenset({"Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs",
                            "as", "generic"})


def _bad(s: Session, what: str) -> CorruptFileError:
    return s.error(f"malformed numpy {what} (a real load fails here too)")


def check_shape(s: Session, shape: Any) -> tuple[int, ...]:
    if type(shape) is tuple and len(shape) <= MAX_NDIM:
        for d in shape:
            if type(d) is not int or d < 0:
                break
        else:
            return shape  # the common case: a tuple of plain non-negative ints
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or len(shape) > MAX_NDIM or not all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0
            for d in shape):
        raise _bad(s, "array shape")
    return tuple(int(d) for d in shape)


def nbytes_of(shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    return math.prod(shape) * dtype.itemsize


def _datetime_text(s: Session, text: str, meta: Any) -> str:
    """``M8[ns]``-style text from the datetime metadata: ``(metadata, (unit, num, den, ev))``
    (numpy >= 1.7) or ``(unit, num, den, ev)``."""
    if isinstance(meta, tuple) and len(meta) == 2 and isinstance(meta[1], tuple):
        meta = meta[1]
    if not (isinstance(meta, tuple) and len(meta) >= 2):
        raise _bad(s, "datetime dtype")
    unit, num = meta[0], meta[1]
    unit = unit.decode("ascii", "replace") if isinstance(unit, bytes) else unit
    if unit not in DATETIME_UNITS or not isinstance(num, int) or not 0 < num < 1 << 31:
        raise _bad(s, "datetime dtype")
    return f"{text}[{num if num != 1 else ''}{unit}]"


def dtype_of(s: Session, value: Any, level: int = 0) -> np.dtype[Any]:
    """The validated dtype a deferred ``numpy.dtype(...)`` (+ BUILD) stands for."""
    if not isinstance(value, Deferred) or value.kind != "dtype" or level > MAX_DTYPE_NESTING:
        raise _bad(s, "dtype state")
    text = value.args[0]
    state = value._hp_stub.state
    parts = _made_of(value) if level == 0 else None
    known = s.dtypes.get(id(value))
    if parts is not None and known is not None and known[0] is value and _same_parts(
            known[1], parts):
        again: np.dtype[Any] = known[2]  # the same memoised dtype (a forest's, per tree)
        return again
    try:
        made: np.dtype[Any] = np.dtype(text) if state is None else \
            _dtype_from_state(s, text, state, level)
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
        raise _bad(s, f"dtype state ({exc})") from exc
    if parts is not None:
        s.dtypes[id(value)] = (value, parts, made)
    return made


def _made_of(value: Deferred) -> tuple[Any, ...] | None:
    """Every object a deferred dtype is built from that the file can still replace: its
    state, each field's name and entry, and the same of the dtypes those name (None past
    :data:`MAX_DTYPE_NESTING`: not cached). A later SETITEM on a fields dict or BUILD on a
    nested dtype changes one of them, so the cached dtype is not used again; held, so their
    ids cannot be reused."""
    flat = _flat_parts(value)
    return flat if flat is not None else _walked_parts(value)


_FIRST = operator.itemgetter(0)
_STATE = operator.attrgetter("_hp_stub.state")
_SUB_AND_FIELDS = operator.itemgetter(2, 4)
_PLAIN = {(None, None)}


def _flat_parts(value: Deferred) -> tuple[Any, ...] | None:
    """:func:`_made_of` of a dtype with no sub-array whose fields' dtypes have neither fields
    nor a sub-array (a tree's nodes), gathered by C loops; ``None`` for any other dtype. The
    fields' dtypes are taken as they come (any object with a state, not only deferred
    dtypes): a part more only makes the cache stricter."""
    state = value._hp_stub.state
    if not isinstance(state, tuple) or len(state) not in (8, 9):
        return (state,)
    sub, fields = state[2], state[4]
    if isinstance(sub, tuple) and sub:
        return None
    if not isinstance(fields, dict):
        return (state,)
    try:
        entries = tuple(fields.values())
        nested = tuple(map(_STATE, map(_FIRST, entries)))
        if set(map(_SUB_AND_FIELDS, nested)) - _PLAIN:
            return None
    except (TypeError, IndexError, KeyError, AttributeError):
        return None
    return (state, *fields, *entries, *nested)


def _walked_parts(value: Deferred) -> tuple[Any, ...] | None:
    """:func:`_made_of` of any dtype, depth first."""
    out: list[Any] = []
    todo: list[tuple[Any, int]] = [(value, 0)]
    while todo:
        item, depth = todo.pop()
        if not isinstance(item, Deferred):
            continue
        if depth > MAX_DTYPE_NESTING:
            return None
        state = item._hp_stub.state
        out.append(state)
        if not isinstance(state, tuple) or len(state) not in (8, 9):
            continue
        sub, fields = state[2], state[4]
        if isinstance(sub, tuple) and sub:
            todo.append((sub[0], depth + 1))
        for name, entry in fields.items() if isinstance(fields, dict) else ():
            out += (name, entry)
            if isinstance(entry, tuple) and entry:
                todo.append((entry[0], depth + 1))
    return tuple(out)


def _same_parts(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(map(operator.is_, a, b))


def _dtype_from_state(s: Session, text: str, state: Any, level: int) -> np.dtype[Any]:
    if not isinstance(state, tuple) or len(state) not in (8, 9):
        raise _bad(s, "dtype state")
    _version, order, sub, names, fields, elsize, _align, _flags = state[:8]
    if order not in ("<", ">", "|", "="):
        raise _bad(s, "dtype byte order")
    if text[:2] in ("M8", "m8") and len(state) == 9:
        text = _datetime_text(s, text, state[8])
    if sub is not None:
        if not isinstance(sub, tuple) or len(sub) != 2:
            raise _bad(s, "sub-array dtype")
        return np.dtype((dtype_of(s, sub[0], level + 1), check_shape(s, sub[1])))
    if names is not None:
        return _structured(s, names, fields, elsize, level)
    base = np.dtype(text)
    if base.kind in "USV" and isinstance(elsize, int) and elsize > 0:
        per = 4 if base.kind == "U" else 1
        base = np.dtype(f"{base.kind}{elsize // per}")
    if order in "<>" and base.itemsize > 1:
        base = base.newbyteorder(order)
    return base


def _structured(s: Session, names: Any, fields: Any, elsize: Any,
                level: int) -> np.dtype[Any]:
    if not isinstance(names, tuple) or not isinstance(fields, dict) or not all(
            isinstance(n, str) and n in fields for n in names) or not isinstance(elsize, int):
        raise _bad(s, "structured dtype")
    formats, offsets, titles = [], [], []
    for name in names:
        entry = fields[name]
        if not isinstance(entry, tuple) or len(entry) not in (2, 3) or not isinstance(
                entry[1], int):
            raise _bad(s, "structured dtype field")
        formats.append(dtype_of(s, entry[0], level + 1))
        offsets.append(entry[1])
        titles.append(entry[2] if len(entry) == 3 and isinstance(entry[2], str) else None)
    spec: dict[str, Any] = {"names": list(names), "formats": formats, "offsets": offsets,
                            "itemsize": elsize}
    if any(titles):
        spec["titles"] = titles
    made: np.dtype[Any] = np.dtype(spec)  # type: ignore[call-overload]
    return made


def keep_or_summarise(s: Session, array: np.ndarray[Any, Any]) -> Any:
    """Keep a materialised array, or stand it in by an :class:`ArrayStub` when it is large
    (summarised when first asked, from the bytes the reading holds anyway)."""
    nbytes = int(array.nbytes)
    if s.limits.keeps(nbytes, s.kept_bytes):
        s.kept_bytes += nbytes
        return array
    return ArrayStub(tuple(int(d) for d in array.shape), array.dtype,
                     bool(array.flags.f_contiguous and not array.flags.c_contiguous),
                     MemoryRegion(array))


def array_from_parts(s: Session, shape: Any, dtype: np.dtype[Any], fortran: bool,
                     raw: Any) -> Any:
    """An array from a validated (shape, dtype, order, data); an object array (a list of
    elements the restricted reader made) becomes an :class:`ObjectArray`."""
    shape = check_shape(s, shape)
    order = "F" if fortran else "C"
    if dtype.hasobject:
        if not isinstance(raw, list) or nbytes_of(shape, dtype) // max(dtype.itemsize, 1) \
                != len(raw):
            raise _bad(s, "object array state")
        return ObjectArray(shape, tuple(raw), fortran)  # the elements, never a numpy array
    if isinstance(raw, str):
        raw = raw.encode("latin-1")  # Python 2 pickles
    if not isinstance(raw, (bytes, bytearray)) or len(raw) != nbytes_of(shape, dtype):
        raise _bad(s, "array data (does not match its shape and dtype)")
    # The array is a view of the data, as numpy's own ``_frombuffer`` makes it: a protocol-5
    # bytearray is shared, not copied (copying every kept array's bytes was a fifth of a
    # GradientBoosting model's conversion), and read-only here, as it is an object of the
    # file's graph too.
    flat = np.frombuffer(raw, dtype=dtype)
    if isinstance(raw, bytearray):
        flat.flags.writeable = False
    return keep_or_summarise(s, flat.reshape(shape, order=order))  # type: ignore[call-overload]


def _ndarray(conv: Converter, d: Deferred) -> Any:
    s = conv.s
    given = d._hp_stub.state
    state = conv.value(given)
    if isinstance(state, tuple) and len(state) == 5:
        state = state[1:]
    if not isinstance(state, tuple) or len(state) != 4:
        raise _bad(s, "array state")
    shape, _dtype, fortran, raw = state
    if not isinstance(fortran, (bool, int)):
        raise _bad(s, "array state")
    # The dtype and the object elements as the unpickler left them (a tuple of the same
    # length as ``state``, or no tuple at all): the dtype Deferred, not the (unfilled) copy.
    given_dtype = items = None
    if isinstance(given, tuple):
        given_dtype, items = given[-3], given[-1]
    if isinstance(items, list):
        raw = items if only_types(items, LEAF_TYPES) else [conv.value(x) for x in items]
    return array_from_parts(s, shape, _built_dtype(conv, given_dtype), bool(fortran), raw)


def plain_array(conv: Converter, state: tuple[Any, ...]) -> Any:
    """What :func:`_ndarray` builds from the state of a plain array, whose members the
    converter checked already (``convert._plain_array_state``: exact ints, bool, bytes and a
    dtype Deferred; the state tuple itself reached by no other way, so unconverted)."""
    return array_from_parts(conv.s, state[-4], _built_dtype(conv, state[-3]), state[-2],
                            state[-1])


def _built_dtype(conv: Converter, value: Any) -> np.dtype[Any]:
    """``dtype_of(value)``, reusing the dtype the conversion already built for that very
    Deferred (a tree ensemble's node dtype is one object shared by every tree)."""
    if isinstance(value, Deferred) and value.kind == "dtype":
        made = conv.done.get(id(value))
        if isinstance(made, np.dtype):
            return made
    return dtype_of(conv.s, value)


def _scalar(conv: Converter, d: Deferred) -> Any:
    s = conv.s
    dtype = _built_dtype(conv, d.args[0])
    if dtype.itemsize > 1 << 20:
        raise _bad(s, "scalar (larger than 1 MiB)")
    if dtype.hasobject:
        return conv.value(d.args[1]) if len(d.args) == 2 else None
    data = conv.value(d.args[1]) if len(d.args) == 2 else b"\x00" * dtype.itemsize
    if isinstance(data, str):
        data = data.encode("latin-1")
    if not isinstance(data, (bytes, bytearray)) or len(data) != dtype.itemsize:
        raise _bad(s, "scalar data")
    return np.frombuffer(bytes(data), dtype=dtype, count=1)[0]


def _frombuffer(conv: Converter, d: Deferred) -> Any:
    s = conv.s
    buf, _dtype, shape, order = (conv.value(a) for a in d.args)
    dtype = _built_dtype(conv, d.args[1])
    if dtype.hasobject or order not in ("C", "F"):
        raise _bad(s, "buffer array")
    return array_from_parts(s, shape, dtype, order == "F", buf)


def _value(conv: Converter, d: Deferred) -> Any:
    """An array joblib read from the file; a later BUILD replaces it as ndarray's would."""
    if d._hp_stub.state is not None:
        return _ndarray(conv, d)
    return conv.value(d.args[0])


BUILDERS = {"dtype": lambda conv, d: dtype_of(conv.s, d), "ndarray": _ndarray,
            "scalar": _scalar, "frombuffer": _frombuffer, "value": _value}


def build_deferred(conv: Converter, d: Any) -> Any:
    """The value hpinspect builds for a :class:`Deferred`."""
    return BUILDERS[d.kind](conv, d)
