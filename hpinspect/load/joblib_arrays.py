"""What joblib's array wrappers' ``read`` does, with hpinspect's own array values.

Called from :class:`~hpinspect.load.unpickler.JoblibReader`'s BUILD hook exactly where joblib
calls ``array_wrapper.read(unpickler, ...)``.

``NumpyArrayWrapper`` (joblib >= 0.10): the raw array bytes are read from the unpickler's
*file handle* (not through its frame buffer, as joblib does), after the optional alignment
padding; object arrays are a nested pickle read by a fresh pure-Python unpickler on the same
handle whose ``find_class`` is the outer one (so names map by the *outer* protocol) -- here by
the C reader where it provably reads the same (``unpickler.c_inner_load``; a GradientBoosting
model's trees are such an array), else by that pure-Python reader.

``NDArrayWrapper``/``ZNDArrayWrapper`` (joblib <= 0.9, multi-file pickles): the state names a
sidecar file that joblib opens next to the pickle -- ``np.load(sidecar, allow_pickle=True)``
(which unpickles anything that is not a ``.npy``/``.npz``) or ``read_zfile`` plus
``ndarray.__setstate__``. The state is read as data; the sidecar is read only when its name is
a bare ``<pickle>_NN.npy`` (``.npy.z``) of a regular file in the pickle's own folder, through
:mod:`hpinspect.load.npy` or the restricted unpickler. Any other name is a finding (see
:func:`sidecar_path`) and the wrapper stays in the graph as the object it is.

The byte count (itemsize x shape) is charged to the budget before anything is read; large
arrays are streamed through statistics and never held.
"""

from __future__ import annotations

import os
import re
import zlib
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from hpinspect.errors import CorruptFileError
from hpinspect.load.arrays import SHORT_DATA, stream_stats
from hpinspect.load.ndbuild import check_shape, dtype_of, nbytes_of
from hpinspect.load.objects import ArrayStub
from hpinspect.load.regions import FileRegion, SourceFile
from hpinspect.load.standins import ref_of
from hpinspect.load.stream import ZF_HEADER
from hpinspect.load.unpickler import InnerReader, c_inner_load
from hpinspect.report import Finding, Severity

if TYPE_CHECKING:
    from hpinspect.load.standins import StandIn
    from hpinspect.load.unpickler import JoblibReader, Session

ZFILE_PREFIX = b"ZF"
PLAIN_SUBCLASSES = frozenset({"numpy.ndarray", "numpy.memmap", "numpy.core.memmap.memmap",
                              "numpy._core.memmap.memmap"})
"""``NDArrayWrapper.read`` returns the array itself for these (no subclass rebuilt)."""


def read_wrapped_array(reader: JoblibReader, wrapper: StandIn) -> Any:
    """The value joblib puts on the stack in place of ``wrapper`` (a Deferred "value")."""
    dotted = wrapper._hp_stub.dotted
    if dotted.endswith("NDArrayWrapper"):
        return read_legacy_array(reader, wrapper, dotted.endswith("ZNDArrayWrapper"))
    s = reader.hp
    attrs = wrapper._hp_stub.attrs
    dtype = dtype_of(s, attrs.get("dtype"))
    given = attrs.get("order")
    order = "F" if isinstance(given, str) and given == "F" else "C"  # read_array's own test
    shape = check_shape(s, attrs.get("shape"))
    if dtype.hasobject and s.c_nested:
        value = c_inner_load(reader)  # the same reading, by the C reader (or Diverged)
    elif dtype.hasobject:
        inner = InnerReader(reader.file_handle, s)
        setattr(inner, "find_class", reader.find_class)  # noqa: B010 - as joblib does
        value = inner.load()
    else:
        handle = reader.file_handle
        aligned = attrs.get("numpy_array_alignment_bytes") is not None
        nbytes = nbytes_of(shape, dtype)
        if s.limits.keeps(nbytes, s.kept_bytes) and dtype.itemsize:
            s.kept_bytes += nbytes
            value = shaped(read_padded(handle, aligned, nbytes, dtype.itemsize), shape, dtype,
                           order)
        else:
            if aligned:
                first = handle.read(1)  # (as joblib: padding that ends early is no error)
                if first and first[0]:
                    handle.read(first[0])
            start = handle.tell()
            try:
                value = read_data(s, handle, shape, dtype, order, s.source)
            except ValueError as exc:
                if str(exc) != SHORT_DATA:
                    raise
                raise joblib_eof(nbytes, dtype.itemsize, handle.tell() - start) from None
        if "order" not in attrs:  # read_array looks it up once the data is read
            raise AttributeError("'NumpyArrayWrapper' object has no attribute 'order'")
    return s.deferred("numpy.ndarray", "value", (value,), "joblib")


def read_exact(handle: Any, n: int) -> bytes:
    """``n`` bytes of ``handle`` (ValueError, as joblib raises, when it ends early)."""
    data = handle.read(n)
    if len(data) != n:
        raise _eof(n, len(data))
    return bytes(data)


def _eof(expected: int, got: int) -> ValueError:
    return ValueError(f"EOF: reading array data, expected {expected} bytes got {got}")


JOBLIB_BUFFER = 1 << 18
"""joblib's ``BUFFER_SIZE``: ``NumpyArrayWrapper.read_array`` reads the data in chunks of the
most whole items this holds, and names the chunk that came short."""


def joblib_eof(nbytes: int, itemsize: int, got: int) -> ValueError:
    """What ``read_array`` raises when only ``got`` of an array's ``nbytes`` are there."""
    chunk = JOBLIB_BUFFER // min(JOBLIB_BUFFER, max(itemsize, 1)) * itemsize
    whole = got // chunk if chunk else 0
    return _eof(min(chunk, nbytes - whole * chunk), got - whole * chunk)


def read_padded(handle: Any, aligned: bool, nbytes: int, itemsize: int) -> bytes | memoryview:
    """joblib's alignment padding (when ``aligned``: a length byte, that many bytes), then
    ``nbytes`` of array data (one chunk of ``read_array``), the padding and the data in one
    read. As in joblib, padding that is not all there is no error (a missing length byte is
    no padding); data that is not is."""
    pad = 0
    if aligned:
        first = handle.read(1)  # (a read: a buffered reader's peek copies all it holds)
        pad = first[0] if first else 0
    data = handle.read(pad + nbytes)
    if len(data) < pad + nbytes:
        raise joblib_eof(nbytes, itemsize, max(len(data) - pad, 0))
    return memoryview(data)[pad:] if pad else data  # (the padding not copied away)


def shaped(data: bytes | memoryview, shape: tuple[int, ...], dtype: np.dtype[Any],
           order: str) -> Any:
    """The array of ``shape``/``dtype`` in ``order`` whose raw bytes are ``data``."""
    flat = np.frombuffer(data, dtype=dtype)
    if order == "F":
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


def read_data(s: Session, handle: Any, shape: tuple[int, ...], dtype: np.dtype[Any],
              order: str, source: SourceFile | None = None) -> Any:
    """The array of ``shape``/``dtype`` whose raw bytes come next in ``handle``: kept when
    small, else an :class:`ArrayStub` -- its bytes skipped (and read again only when its
    statistics are asked for) when ``handle`` reads the plain file ``source`` from its start,
    or streamed through statistics in bounded chunks."""
    nbytes = nbytes_of(shape, dtype)
    if s.limits.keeps(nbytes, s.kept_bytes) and dtype.itemsize:
        s.kept_bytes += nbytes
        return shaped(read_exact(handle, nbytes), shape, dtype, order)
    if nbytes > s.max_bytes:
        s.charge(nbytes, f"a {nbytes:,}-byte array")
    if source is not None and dtype.itemsize:
        return ArrayStub(shape, dtype, order == "F", skip_region(source, handle, nbytes))
    return ArrayStub(shape, dtype, order == "F", stream_stats(handle.readinto, shape, dtype,
                                                              nbytes))


def skip_region(source: SourceFile, handle: Any, nbytes: int) -> FileRegion:
    """Where the next ``nbytes`` of ``handle`` (a plain file read from its start) lie, with
    ``handle`` moved past them; what reading them would raise when the file ends first."""
    offset = handle.tell()
    if offset + nbytes > source.size:
        handle.seek(source.size)
        raise ValueError(SHORT_DATA)
    handle.seek(nbytes, os.SEEK_CUR)
    return FileRegion(source, offset, nbytes)


# ---------------------------------------------------------------------- joblib <= 0.9


def _sidecar_finding(s: Session, wrapper: StandIn, name: Any, severity: Severity,
                     why: str) -> None:
    shown = name[:80] if isinstance(name, str) else repr(name)[:80]
    s.side_findings.append((Finding(f"sidecar {shown!r}", severity, why, "", False),
                            wrapper._hp_stub))


def sidecar_path(s: Session, wrapper: StandIn, zipped: bool) -> str | None:
    """The sidecar file ``wrapper`` names, when hpinspect may read it; else a finding.

    Accepted: a bare name ``<pickle basename>_NN.npy`` (``.npy.z`` for ``ZNDArrayWrapper``)
    of a regular file in the pickle's folder, that is not a symlink leading elsewhere.
    A name leaving the folder, or an existing file of another name, is an unknown call (a
    real load would ``np.load(..., allow_pickle=True)`` a file hpinspect did not read); a
    missing sidecar only makes a real load fail (review).
    """
    name = wrapper._hp_stub.attrs.get("filename")
    folder = os.path.dirname(os.path.abspath(s.path))
    if not isinstance(name, str) or not name or "\x00" in name or "/" in name or \
            "\\" in name or name in (".", "..") or os.path.isabs(name):
        _sidecar_finding(s, wrapper, name, Severity.UNKNOWN_CALL,
                         "joblib <= 0.9 array wrapper names a file outside the pickle's folder "
                         "(or not a file name); joblib.load would np.load(allow_pickle=True) "
                         "it; hpinspect did not read it")
        return None
    suffix = r"\.npy\.z" if zipped else r"\.npy"
    pattern = re.escape(os.path.basename(s.path)) + r"_\d{2,}" + suffix
    path = os.path.join(folder, name)
    exists = os.path.lexists(path)
    if not re.fullmatch(pattern, name):
        _sidecar_finding(s, wrapper, name, Severity.UNKNOWN_CALL if exists else
                         Severity.UNKNOWN_CLASS,
                         f"not a sidecar name joblib writes for this pickle "
                         f"(<pickle>_NN{'.npy.z' if zipped else '.npy'}); " + (
                             "joblib.load would np.load(allow_pickle=True) it; hpinspect did "
                             "not read it" if exists else "the file is missing too"))
        return None
    real = os.path.realpath(path)
    if exists and (os.path.dirname(real) != os.path.realpath(folder)
                   or not os.path.isfile(real)):
        _sidecar_finding(s, wrapper, name, Severity.UNKNOWN_CALL,
                         "sidecar is a symlink (or not a regular file) leading out of the "
                         "pickle's folder; joblib.load would read it; hpinspect did not")
        return None
    if not exists:
        _sidecar_finding(s, wrapper, name, Severity.UNKNOWN_CLASS,
                         "sidecar file is missing: joblib.load fails here (the array is "
                         "shown as its wrapper)")
        return None
    return path


def read_legacy_array(reader: JoblibReader, wrapper: StandIn, zipped: bool) -> Any:
    """What ``NDArrayWrapper.read``/``ZNDArrayWrapper.read`` return, or the wrapper itself
    when its sidecar is refused (the finding says why)."""
    s = reader.hp
    path = sidecar_path(s, wrapper, zipped)
    if path is None:
        return wrapper
    if s.limits.max_bytes is None:
        s.max_bytes += 4 * os.path.getsize(path)  # the budget covers every file of the model
    read = _read_zfile_array if zipped else _read_npy_sidecar
    try:
        with open(path, "rb") as handle:
            value = read(s, wrapper, handle, os.fstat(handle.fileno()).st_size)
    except OSError as exc:
        raise s.error(f"cannot read sidecar {os.path.basename(path)!r}: "
                      f"{exc.strerror or exc}") from exc
    return s.deferred("numpy.ndarray", "value", (value,), "joblib")


def _read_npy_sidecar(s: Session, wrapper: StandIn, handle: BinaryIO, size: int) -> Any:
    """``np.load(sidecar, allow_pickle=True)``, then the subclass rule of ``read``."""
    from hpinspect.load.npy import read_loadable

    value = read_loadable(s, handle, size, os.path.basename(handle.name))
    subclass = ref_of(wrapper._hp_stub.attrs.get("subclass"))
    if subclass is not None and subclass.dotted not in PLAIN_SUBCLASSES:
        # numpy < 2 rebuilds the subclass (_reconstruct(subclass, ...).__array_prepare__);
        # numpy >= 2 returns the array as is: judged as a call, shown as the array.
        s.note(subclass.dotted, "called", wrapper._hp_stub)
    return value


def zfile_length(s: Session, handle: BinaryIO, name: str) -> int:
    header = handle.read(ZF_HEADER)
    try:
        if not header.startswith(ZFILE_PREFIX):
            raise ValueError
        length = int(header[len(ZFILE_PREFIX):].strip(), 16)
    except ValueError as exc:
        raise s.error(f"sidecar {name!r} is not a joblib zfile (bad ZF header)") from exc
    if handle.read(1) != b" ":  # joblib <= 0.8.4 wrote one more space (read_zfile)
        handle.seek(ZF_HEADER)
    return length


def _read_zfile_array(s: Session, wrapper: StandIn, handle: BinaryIO, size: int) -> Any:
    """``_reconstruct(*init_args)`` + ``__setstate__(state + (read_zfile(sidecar),))``."""
    name = os.path.basename(getattr(handle, "name", "sidecar"))
    attrs = wrapper._hp_stub.attrs
    init_args, state = attrs.get("init_args"), attrs.get("state")
    if not isinstance(init_args, tuple) or not isinstance(state, tuple) or len(state) != 4:
        raise s.error("malformed joblib ZNDArrayWrapper state (a real load fails here too)")
    length = zfile_length(s, handle, name)
    _version, shape, dtype_raw, fortran = state
    ref = ref_of(init_args[0]) if init_args else None
    from hpinspect.load.constructors import NDARRAY_NAMES

    if ref is not None and ref.dotted in NDARRAY_NAMES and len(init_args) == 3:
        shape = check_shape(s, shape)
        dtype = dtype_of(s, dtype_raw)
        if dtype.hasobject or nbytes_of(shape, dtype) != length:
            raise s.error(f"sidecar {name!r} does not match its array's shape and dtype")
        return read_data(s, Inflated(s, handle, length, name), shape, dtype,
                         "F" if fortran else "C")
    # An ndarray subclass: the calls a real load makes, recorded; the data read within budget.
    from hpinspect.load.objects import GlobalRef

    s.charge(length, f"sidecar {name!r} ({length:,} bytes inflated)")
    data = read_exact(Inflated(s, handle, length, name), length)
    obj = s.call(GlobalRef("numpy.core.multiarray", "_reconstruct"), init_args, {}, "reduce")
    obj.__setstate__((*state, data))
    return obj


class Inflated:
    """The zlib-inflated bytes of a zfile, never more than its declared ``length``."""

    def __init__(self, s: Session, handle: BinaryIO, length: int, name: str) -> None:
        self._s = s
        self._handle = handle
        self._left = length
        self._name = name
        self._dec = zlib.decompressobj(15)
        self._pending = b""

    def read(self, n: int) -> bytes:
        out = bytearray(n)
        got = self.readinto(memoryview(out))
        return bytes(out[:got])

    def readinto(self, view: memoryview) -> int:
        want = min(len(view), self._left)
        while len(self._pending) < want and not self._dec.eof:
            chunk = self._dec.unconsumed_tail or self._handle.read(1 << 20)
            if not chunk:
                break
            try:
                self._pending += self._dec.decompress(chunk, max(want - len(self._pending),
                                                                 1 << 16))
            except zlib.error as exc:
                raise CorruptFileError(f"sidecar {self._name!r}: corrupt zlib data ({exc})",
                                       self._s.path) from exc
        n = min(want, len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self._left -= n
        return n
