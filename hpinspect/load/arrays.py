"""Streaming statistics for numpy arrays: shape, dtype, min/max/mean/std, zero and NaN counts.

Statistics are accumulated chunk by chunk (Chan et al.'s parallel variance update) so an array
can be summarised while it streams out of a compressed file, without ever holding it whole.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CHUNK_ELEMENTS = 1 << 20
ARRAY_CHUNK = 8 << 20
"""Bytes of streamed array data read (and summarised) at a time."""
BLOCK_ELEMENTS = 1 << 16
"""Elements per statistics block: 512 KiB of float64, which stays in the L2 cache."""
_FLOAT64 = np.dtype(np.float64)


@dataclass(frozen=True)
class ArrayStats:
    """Summary statistics of one numeric array (or one field of a structured array)."""

    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    count: int
    """Number of elements."""
    nans: int = 0
    zeros: int = 0
    negatives: int = 0
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    fields: dict[str, ArrayStats] = field(default_factory=dict)
    """Per-field statistics for structured dtypes (e.g. tree node arrays)."""

    @property
    def numeric(self) -> bool:
        """Whether min/max/mean were computed."""
        return self.min is not None


def _is_numeric(dtype: np.dtype[Any]) -> bool:
    return dtype.kind in "biuf" and dtype.shape == ()


_DTYPE_NAMES: dict[np.dtype[Any], str] = {}


def _dtype_name(dtype: np.dtype[Any]) -> str:
    """``str(dtype)``, cached: it is slow for structured dtypes and asked for every array."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return name


@dataclass(frozen=True)
class _Plan:
    """How a structured dtype's numeric fields fill the rows of one float64 scratch.

    Rows are ordered signed kinds (``i``/``f``, whose negatives are counted) first, then by
    field type and offset, so that fields of one type lying side by side in the record fill
    consecutive rows with one transposing copy from a view of the records as that type (a
    tree's node array: five copies for eight fields, each reading the records once)."""

    names: tuple[str, ...]
    """The field of each scratch row."""
    signed: int
    """Rows ``[0, signed)`` are of kind ``i`` or ``f``."""
    runs: tuple[tuple[int, int, np.dtype[Any], int], ...]
    """``(first row, rows, field type, first column)``: rows filled from the records viewed
    as a 2-D array of that type (columns = record itemsize / type itemsize)."""
    loose: tuple[tuple[int, str], ...]
    """Rows filled field by field (a field not aligned to its own size in the record)."""


_PLANS: dict[np.dtype[Any], _Plan] = {}
_NUMERIC_FIELDS: dict[np.dtype[Any], tuple[tuple[str, np.dtype[Any]], ...]] = {}
MAX_CACHED_DTYPES = 4096
"""Structured dtypes remembered per cache (a file with more distinct ones starts it afresh)."""


def _numeric_fields(dtype: np.dtype[Any]) -> tuple[tuple[str, np.dtype[Any]], ...]:
    """The numeric scalar fields of a structured ``dtype`` in order, cached per dtype."""
    found = _NUMERIC_FIELDS.get(dtype)
    if found is None:
        pairs = [(name, dtype.fields[name][0]) for name in dtype.names or ()
                 if dtype.fields is not None]
        if len(_NUMERIC_FIELDS) >= MAX_CACHED_DTYPES:
            _NUMERIC_FIELDS.clear()
        found = _NUMERIC_FIELDS[dtype] = tuple((n, t) for n, t in pairs if _is_numeric(t))
    return found


def numeric_field(dtype: np.dtype[Any], name: str) -> bool:
    """Whether ``name`` is one of the fields :class:`StatsAccumulator` summarises."""
    return any(field == name for field, _ in _numeric_fields(dtype))


def _plan_of(dtype: np.dtype[Any]) -> _Plan:
    """The :class:`_Plan` of a structured ``dtype`` (cached)."""
    plan = _PLANS.get(dtype)
    if plan is not None:
        return plan
    assert dtype.fields is not None
    fields = [(name, sub, int(dtype.fields[name][1])) for name, sub in _numeric_fields(dtype)]

    def aligned(sub: np.dtype[Any], offset: int) -> bool:
        return offset % sub.itemsize == 0 and dtype.itemsize % sub.itemsize == 0

    fields.sort(key=lambda f: (f[1].kind not in "if", not aligned(f[1], f[2]), f[1].str,
                               f[2]))
    runs: list[tuple[int, int, np.dtype[Any], int]] = []
    loose: list[tuple[int, str]] = []
    for row, (name, sub, offset) in enumerate(fields):
        if not aligned(sub, offset):
            loose.append((row, name))
        elif runs and runs[-1][2] == sub and runs[-1][0] + runs[-1][1] == row and \
                runs[-1][3] + runs[-1][1] == offset // sub.itemsize:
            first, count, _, column = runs[-1]
            runs[-1] = (first, count + 1, sub, column)
        else:
            runs.append((row, 1, sub, offset // sub.itemsize))
    if len(_PLANS) >= MAX_CACHED_DTYPES:
        _PLANS.clear()
    plan = _PLANS[dtype] = _Plan(tuple(f[0] for f in fields),
                                 sum(f[1].kind in "if" for f in fields), tuple(runs),
                                 tuple(loose))
    return plan


def _fill(values: np.ndarray[Any, Any], chunk: np.ndarray[Any, Any], plan: _Plan) -> None:
    """Every numeric field of ``chunk`` cast to float64 into its row of ``values``."""
    if plan.runs and chunk.flags.c_contiguous:
        records = chunk.view(np.uint8)
        for first, count, sub, column in plan.runs:
            table = records.view(sub).reshape(chunk.size, -1)
            np.copyto(values[first : first + count], table[:, column : column + count].T,
                      casting="unsafe")
        for row, name in plan.loose:
            np.copyto(values[row], chunk[name], casting="unsafe")
        return
    for row, name in enumerate(plan.names):
        np.copyto(values[row], chunk[name], casting="unsafe")


_SCRATCH = threading.local()


def _scratch(rows: int, size: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """This thread's float64 scratch of ``rows`` x ``size`` and a boolean mask as large,
    reused from chunk to chunk (at most :data:`BLOCK_ELEMENTS` elements: a fresh one per
    tree cost more in page faults than the statistics themselves)."""
    held: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = getattr(
        _SCRATCH, "held", None)
    if held is None:
        held = _SCRATCH.held = (np.empty(BLOCK_ELEMENTS), np.empty(BLOCK_ELEMENTS, bool))
    count = rows * size
    return held[0][:count].reshape(rows, size), held[1][:count].reshape(rows, size)


def _counts(values: np.ndarray[Any, Any], mask: np.ndarray[Any, Any],
            signed: int) -> tuple[list[int], list[int]]:
    """Per row of ``values``: the zeros, and the negatives of rows ``[0, signed)`` (else 0).

    One comparison over all rows into ``mask``, then a count per mask row (numpy's count of
    a boolean row is vectorised; ``count_nonzero(axis=1)`` casts and sums instead)."""
    np.equal(values, 0, out=mask)
    zeros = [int(np.count_nonzero(row)) for row in mask]
    np.less(values[:signed], 0, out=mask[:signed])
    negatives = [int(np.count_nonzero(mask[row])) for row in range(signed)]
    return zeros, negatives + [0] * (len(values) - signed)


class StatsAccumulator:
    """Accumulates :class:`ArrayStats` over successive 1-D chunks of one array."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        self.shape = shape
        self.dtype = dtype
        self.count = 0
        self.numeric = _is_numeric(dtype)
        self.n = 0  # non-NaN values seen
        self.mean = 0.0
        self.m2 = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.nans = 0
        self.zeros = 0
        self.negatives = 0
        self.fields: dict[str, StatsAccumulator] = {}
        if dtype.names:
            self.fields = {name: StatsAccumulator((), sub)
                           for name, sub in _numeric_fields(dtype)}

    def update(self, chunk: np.ndarray[Any, Any]) -> None:
        """Add a 1-D chunk of elements."""
        size = int(chunk.size)
        if size == 0 or not (self.numeric or self.fields):
            self.count += size
            return
        # Cache-sized blocks through one float64 scratch buffer: every reduction below then
        # reads data already in the CPU cache (3-4x faster than whole-chunk temporaries, which
        # make each pass a trip to memory). Fields of structured arrays are strided views;
        # the copy into the buffer makes them contiguous. One scratch and one error state
        # serve every field (a tree's node array has seven).
        with np.errstate(all="ignore"):
            self._update(chunk, size, None)

    def _update(self, chunk: np.ndarray[Any, Any], size: int,
                scratch: np.ndarray[Any, Any] | None) -> None:
        self.count += size
        if self.fields and len(self.fields) * size <= BLOCK_ELEMENTS:
            self._fields_together(chunk, size)
        elif self.fields:
            scratch = np.empty(min(size, BLOCK_ELEMENTS)) if scratch is None else scratch
            for name, acc in self.fields.items():
                acc._update(chunk[name], size, scratch)
        if not self.numeric:
            return
        kind = chunk.dtype.kind
        # float64 in native order, contiguous: reduced where it lies (no copy into scratch)
        direct = chunk.dtype == _FLOAT64 and chunk.flags.c_contiguous
        if scratch is None:
            scratch = np.empty(min(size, BLOCK_ELEMENTS))
        for start in range(0, size, BLOCK_ELEMENTS):
            block = chunk[start : start + BLOCK_ELEMENTS]
            values = scratch[: block.size]
            if direct:
                self._add_block(block, values, kind)
            else:
                np.copyto(values, block, casting="unsafe")
                self._add_block(values, values, kind)

    def _fields_together(self, chunk: np.ndarray[Any, Any], size: int) -> None:
        """A small structured chunk (one block per field, as :meth:`_add_block` would take
        it): every field cast into one row of a float64 scratch (see :class:`_Plan`) and each
        statistic taken for all rows in one call, then folded per field exactly as
        :meth:`_add_block` folds (a tree's node array: a dozen numpy calls instead of a dozen
        per field)."""
        plan = _plan_of(chunk.dtype)
        accs = [self.fields[name] for name in plan.names]
        values, mask = _scratch(len(accs), size)
        _fill(values, chunk, plan)
        sums = np.add.reduce(values, axis=1)
        odd = sums != sums  # NaN (or opposite infinities): alone
        for row in np.flatnonzero(odd).tolist():
            accs[row]._add_block(values[row].copy(), values[row], accs[row].dtype.kind)
        zeros, negatives = _counts(values, mask, plan.signed)
        lows, highs = values.min(axis=1).tolist(), values.max(axis=1).tolist()
        means = sums / size
        np.subtract(values, np.where(np.abs(means) > 1e-12, means, 0.0)[:, None], out=values)
        for row, (acc, skip, mean) in enumerate(zip(accs, odd.tolist(), means.tolist(),
                                                    strict=True)):
            acc.count += size
            if not skip:
                acc._fold(size, mean, float(np.dot(values[row], values[row])), zeros[row],
                          negatives[row], lows[row], highs[row])

    def _add_block(self, source: np.ndarray[Any, Any], scratch: np.ndarray[Any, Any],
                   kind: str) -> None:
        """Fold one float64 block into the statistics; ``scratch`` (as long, possibly
        ``source`` itself) takes the centred values (numpy's floating-point errors are off:
        the caller's error state)."""
        total_sum = float(np.add.reduce(source))
        if total_sum != total_sum and kind == "f":  # NaN somewhere
            nan_mask = np.isnan(source)
            self.nans += int(np.count_nonzero(nan_mask))
            source = scratch = source[~nan_mask]  # a fresh copy: may be overwritten
            total_sum = float(np.add.reduce(source))
        if source.size == 0:
            return
        n = int(source.size)
        zeros = int(np.count_nonzero(source == 0))
        negatives = int(np.count_nonzero(source < 0)) if kind in "if" else 0
        low, high = float(source.min()), float(source.max())
        cmean = total_sum / n
        if cmean != cmean:  # opposite infinities: no spread either (numpy's std is NaN)
            self._fold(n, cmean, cmean, zeros, negatives, low, high)
            return
        if abs(cmean) > 1e-12:
            source = np.subtract(source, cmean, out=scratch)
        self._fold(n, cmean, float(np.dot(source, source)), zeros, negatives, low, high)

    def _fold(self, n: int, cmean: float, cm2: float, zeros: int, negatives: int,
              low: float, high: float) -> None:
        """Chan et al.'s update with a block of ``n`` NaN-free values."""
        self.zeros += zeros
        self.negatives += negatives
        self.min = min(self.min, low)
        self.max = max(self.max, high)
        if self.n == 0:
            self.n, self.mean, self.m2 = n, cmean, cm2
            return
        total = self.n + n
        delta = cmean - self.mean
        self.mean += delta * n / total
        self.m2 += cm2 + delta * delta * self.n * n / total
        self.n = total

    def result(self) -> ArrayStats:
        """The accumulated statistics."""
        nbytes = math.prod(self.shape) * self.dtype.itemsize
        fields = {name: acc.result() for name, acc in self.fields.items()}
        if not self.numeric or self.n == 0:
            return ArrayStats(self.shape, _dtype_name(self.dtype), nbytes, self.count,
                              self.nans, self.zeros, self.negatives, fields=fields)
        std = math.sqrt(self.m2 / self.n) if self.m2 >= 0 else float("nan")
        return ArrayStats(self.shape, _dtype_name(self.dtype), nbytes, self.count, self.nans,
                          self.zeros, self.negatives, self.min, self.max, self.mean, std,
                          fields)


def compute_stats(array: np.ndarray[Any, Any]) -> ArrayStats:
    """Statistics of an in-memory array, computed in bounded chunks."""
    shape = tuple(int(d) for d in array.shape)
    if array.dtype.hasobject:
        acc = StatsAccumulator(shape, array.dtype)
        acc.count = int(array.size)
        return acc.result()
    return summarise(array_chunks(array), shape, array.dtype)


def array_chunks(array: np.ndarray[Any, Any]) -> Iterator[np.ndarray[Any, Any]]:
    """An in-memory array as the 1-D chunks :func:`compute_stats` summarises, in memory
    order."""
    flat = array.ravel(order="K")
    for start in range(0, flat.size, CHUNK_ELEMENTS):
        yield flat[start : start + CHUNK_ELEMENTS]


def summarise(chunks: Iterable[np.ndarray[Any, Any]], shape: tuple[int, ...],
              dtype: np.dtype[Any]) -> ArrayStats:
    """The statistics of an array of ``shape``/``dtype`` given as successive 1-D chunks."""
    acc = StatsAccumulator(shape, dtype)
    for chunk in chunks:
        acc.update(chunk)
    if not dtype.itemsize:
        acc.count = math.prod(shape)  # zero-size items: counted, never read
    return acc.result()


def summarise_field(chunks: Iterable[np.ndarray[Any, Any]], dtype: np.dtype[Any],
                    name: str) -> ArrayStats:
    """The statistics of numeric field ``name`` of a structured array given as chunks: the
    same numbers as that field's in :func:`summarise` (it folds each field on its own too)."""
    acc = StatsAccumulator((), dtype).fields[name]
    for chunk in chunks:
        acc.update(chunk[name])
    return acc.result()

_BUFFERS = threading.local()


def _read_buffer(size: int) -> memoryview:
    """This thread's read buffer, at least ``size`` bytes: one per thread, reused from array
    to array (a fresh zeroed ``bytearray`` per array cost a page fault per 4 KiB of data)."""
    buffer: bytearray | None = getattr(_BUFFERS, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = _BUFFERS.buffer = bytearray(max(size, 1 << 16))
    return memoryview(buffer)


SHORT_DATA = "EOF: reading array data"
"""What :func:`read_chunks` (and ``joblib_arrays.skip_region``) raise when the data ends early;
``joblib_arrays.joblib_eof`` gives joblib's own message, with its numbers."""


def read_chunks(readinto: Any, dtype: np.dtype[Any],
                nbytes: int) -> Iterator[np.ndarray[Any, Any]]:
    """``nbytes`` of array data from ``readinto`` as 1-D chunks of whole items (at most
    :data:`ARRAY_CHUNK` bytes each, all in this thread's one buffer: each is overwritten by
    the next). ValueError, as joblib raises, when the data ends early."""
    itemsize = max(dtype.itemsize, 1)
    chunk_bytes = max(ARRAY_CHUNK // itemsize, 1) * itemsize
    view = _read_buffer(min(chunk_bytes, nbytes))
    left = nbytes
    while left:
        size = min(chunk_bytes, left)
        got = 0
        while got < size:
            n = readinto(view[got:size])
            if not n:
                raise ValueError(SHORT_DATA)
            got += n
        yield np.frombuffer(view[:size], dtype=dtype)
        left -= size


def stream_stats(readinto: Any, shape: tuple[int, ...], dtype: np.dtype[Any],
                 nbytes: int) -> ArrayStats:
    """Statistics of ``nbytes`` of array data read in bounded chunks, never held whole."""
    return summarise(read_chunks(readinto, dtype, nbytes), shape, dtype)
