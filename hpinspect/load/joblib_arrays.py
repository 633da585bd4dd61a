"""What joblib's ``NumpyArrayWrapper.read`` does, with hpinspect's own array values.

Called from :class:`~hpinspect.load.unpickler.JoblibReader`'s BUILD hook exactly where joblib
calls ``array_wrapper.read(unpickler, ...)``: the raw array bytes are read from the unpickler's
*file handle* (not through its frame buffer, as joblib does), after the optional alignment
padding; object arrays are a nested pickle read by a fresh pure-Python unpickler on the same
handle whose ``find_class`` is the outer one (so names map by the *outer* protocol). The byte
count (itemsize x shape) is charged to the budget before anything is read; large arrays are
streamed through statistics and never held.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hpinspect.load.arrays import StatsAccumulator
from hpinspect.load.ndbuild import check_shape, dtype_of, nbytes_of
from hpinspect.load.objects import ArrayStub

if TYPE_CHECKING:
    from hpinspect.load.standins import StandIn
    from hpinspect.load.unpickler import JoblibReader

ARRAY_CHUNK = 8 << 20


def read_wrapped_array(reader: JoblibReader, wrapper: StandIn) -> Any:
    """The value joblib puts on the stack in place of ``wrapper`` (a Deferred "value")."""
    from hpinspect.load.unpickler import InnerReader

    s = reader.hp
    attrs = wrapper._hp_stub.attrs
    dtype = dtype_of(s, attrs.get("dtype"))
    order = attrs.get("order", "C")
    if order not in ("C", "F"):
        raise s.error("malformed joblib array wrapper (order)")
    shape = check_shape(s, attrs.get("shape"))
    if dtype.hasobject:
        inner = InnerReader(reader.file_handle, s)
        setattr(inner, "find_class", reader.find_class)  # noqa: B010 - as joblib does
        value = inner.load()
    else:
        if attrs.get("numpy_array_alignment_bytes") is not None:
            pad = _read_exact(reader, 1)[0]
            if pad:
                _read_exact(reader, pad)
        value = _read_data(reader, shape, dtype, order)
    return s.deferred("numpy.ndarray", "value", (value,), "joblib")


def _read_exact(reader: JoblibReader, n: int) -> bytes:
    data = reader.file_handle.read(n)
    if len(data) != n:
        raise ValueError(f"EOF: reading array data, expected {n} bytes got {len(data)}")
    return bytes(data)


def _read_data(reader: JoblibReader, shape: tuple[int, ...], dtype: np.dtype[Any],
               order: str) -> Any:
    s = reader.hp
    nbytes = nbytes_of(shape, dtype)
    lim = s.limits
    if nbytes <= lim.keep_array_bytes and s.kept_bytes + nbytes <= lim.keep_total_bytes:
        s.kept_bytes += nbytes
        flat = np.frombuffer(_read_exact(reader, nbytes), dtype=dtype)
        if order == "F":
            return flat.reshape(shape[::-1]).transpose()
        return flat.reshape(shape)
    if nbytes > s.max_bytes:
        s.charge(nbytes, f"a {nbytes:,}-byte array")
    return ArrayStub(shape, dtype, order == "F", _stream_stats(reader, shape, dtype, nbytes))


def _stream_stats(reader: JoblibReader, shape: tuple[int, ...], dtype: np.dtype[Any],
                  nbytes: int) -> Any:
    """Statistics of ``nbytes`` of array data read in bounded chunks, never held whole."""
    acc = StatsAccumulator(shape, dtype)
    itemsize = max(dtype.itemsize, 1)
    chunk_bytes = max(ARRAY_CHUNK // itemsize, 1) * itemsize
    buffer = bytearray(min(chunk_bytes, nbytes))
    view = memoryview(buffer)
    left = nbytes
    handle: Any = reader.file_handle
    while left:
        size = min(chunk_bytes, left)
        got = 0
        while got < size:
            n = handle.readinto(view[got:size])
            if not n:
                raise ValueError("EOF: reading array data")
            got += n
        if dtype.itemsize:
            acc.update(np.frombuffer(view[:size], dtype=dtype))
        left -= size
    return acc.result()
