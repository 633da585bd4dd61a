"""Standalone ``.npy`` and ``.npz`` files (and joblib <= 0.9's ``.npy`` sidecars), read
without ``np.load``.

A ``.npy`` file is the magic ``\\x93NUMPY``, a version (1.0, 2.0 or 3.0), a little-endian
header length (2 bytes, or 4 from 2.0), a header that is a Python dict literal
(``descr``, ``fortran_order``, ``shape``) and then the raw array bytes -- or, when the dtype
holds Python objects, a pickle of the whole array, which ``np.load(allow_pickle=True)``
unpickles. hpinspect parses the header itself: the length is capped, the literal is read by
``ast.literal_eval`` from that bounded text and then validated key by key and type by type
(the descr walked before any ``numpy.dtype`` is built; only the classic numeric, string,
void and datetime kinds are accepted). The byte count (itemsize x shape) is checked against
the bytes the file holds and the byte budget before anything is allocated; large arrays are
streamed into statistics (:class:`~hpinspect.load.objects.ArrayStub`). Object data goes
through the restricted unpickler, with the same findings as a pickled object array.

A ``.npz`` file is a zip of ``.npy`` members (``np.savez``, ``np.savez_compressed``): each is
read through :class:`~hpinspect.load.zipsafe.SafeZip` (bounded; zip-slip and duplicate names
are findings) and becomes an entry of the root dict under the name ``np.load`` gives it.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from hpinspect.errors import CorruptFileError, HpinspectError, LimitExceededError
from hpinspect.load import sniff
from hpinspect.load.common import (
    RAW_BUFFER,
    LoadResult,
    Progress,
    ProgressRaw,
    Sha256,
    open_file,
    verdict_of,
)
from hpinspect.load.limits import Limits
from hpinspect.load.sniff import NPY_MAGIC, is_zfile
from hpinspect.report import UNSAFE_SEVERITIES, FileFormat, FileInfo, Finding, Safety, Severity

if TYPE_CHECKING:
    import numpy as np

    from hpinspect.load.unpickler import Session

__all__ = ["FORMAT", "NpyHeader", "detect", "parse_header", "read", "read_array",
           "read_loadable"]

FORMAT = FileFormat.NPY
MAGIC = NPY_MAGIC
detect = sniff.npy
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MAX_HEADER = 64 << 10
"""Longest header read (numpy's own np.load refuses more than 10,000 characters unless
``allow_pickle``; a structured dtype of a thousand fields takes about 30 KB)."""
MAX_NDIM = 64
MAX_DESCR_DEPTH = 16
MAX_FIELDS = 10_000
MAX_TYPE_TEXT = 64
MAX_COUNT = 1 << 62
DATA_KINDS = frozenset("biufcSUVMmO")
"""dtype kinds built from a descr: numbers, strings, void, datetimes, objects (a pickle).
Anything else (e.g. numpy 2's StringDType ``T``, whose items are pointers) is refused."""
EXPECTED_KEYS = frozenset({"descr", "fortran_order", "shape"})
HEADER_LENGTH_BYTES = {1: 2, 2: 4, 3: 4}


@dataclass(frozen=True)
class NpyHeader:
    """A validated ``.npy`` header."""

    version: tuple[int, int]
    dtype: Any
    """The numpy dtype the descr stands for."""
    shape: tuple[int, ...]
    fortran_order: bool
    offset: int
    """Where the array bytes (or the object pickle) start."""

    @property
    def count(self) -> int:
        """Number of elements."""
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    @property
    def nbytes(self) -> int:
        """Size of the raw array data (meaningless for object arrays)."""
        return self.count * int(self.dtype.itemsize)


class HeaderError(ValueError):
    """Why a ``.npy`` header is refused (np.load refuses it too, or hpinspect does)."""


def _shape_of(value: Any, what: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, tuple) or len(value) > MAX_NDIM or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in value):
        raise HeaderError(f"{what} is not a tuple of integers")
    if any(d < 0 for d in value):
        raise HeaderError(f"{what} has a negative dimension")
    return value


def _leaf(text: Any) -> np.dtype[Any]:
    import numpy as np

    if not isinstance(text, str) or len(text) > MAX_TYPE_TEXT:
        raise HeaderError("descr type is not a short type string")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        made: np.dtype[Any] = np.dtype(text)
    return made


def _fields(descr: list[Any], depth: int) -> np.dtype[Any]:
    """A structured dtype, as ``numpy.lib.format.descr_to_dtype`` builds it (padding
    entries -- void fields named '' -- only advance the offset)."""
    import numpy as np

    if not descr or len(descr) > MAX_FIELDS:
        raise HeaderError("structured descr with no (or too many) fields")
    titles, names, formats, offsets = [], [], [], []
    offset = 0
    for field in descr:
        if not isinstance(field, tuple) or len(field) not in (2, 3):
            raise HeaderError("structured descr field is not (name, type[, shape])")
        name, kind = field[0], field[1]
        dt = _descr(kind, depth + 1)
        if len(field) == 3:
            dt = np.dtype((dt, _shape_of(field[2], "field shape")))
        title = None
        if isinstance(name, tuple) and len(name) == 2 and all(isinstance(p, str) for p in name):
            title, name = name
        if not isinstance(name, str):
            raise HeaderError("structured descr field name is not a string")
        if not (name == "" and dt.type is np.void and dt.names is None):
            titles.append(title)
            names.append(name)
            formats.append(dt)
            offsets.append(offset)
        offset += dt.itemsize
    made: np.dtype[Any] = np.dtype({"names": names, "formats": formats,
                                    "titles": titles, "offsets": offsets, "itemsize": offset})
    return made


def _descr(descr: Any, depth: int = 0) -> np.dtype[Any]:
    """The dtype of a descr: a type string, ``(descr, shape)`` or a list of fields."""
    import numpy as np

    if depth > MAX_DESCR_DEPTH:
        raise HeaderError("descr nests too deep")
    if isinstance(descr, str):
        return _leaf(descr)
    if isinstance(descr, tuple) and len(descr) == 2:
        sub: np.dtype[Any] = np.dtype((_descr(descr[0], depth + 1),
                                       _shape_of(descr[1], "sub-array shape")))
        return sub
    if isinstance(descr, list):
        return _fields(descr, depth)
    raise HeaderError("descr is not a dtype description")


def _check_kinds(dtype: np.dtype[Any]) -> None:
    """Every leaf of ``dtype`` is a classic kind and carries no metadata."""
    stack = [dtype]
    while stack:
        dt = stack.pop()
        if dt.metadata is not None:
            raise HeaderError("descr carries dtype metadata")
        if dt.fields:
            stack.extend(entry[0] for entry in dt.fields.values())
        elif dt.subdtype is not None:
            stack.append(dt.subdtype[0])
        elif dt.kind not in DATA_KINDS:
            raise HeaderError(f"unsupported dtype kind {dt.kind!r}")


def _literal(text: str, version: tuple[int, int]) -> Any:
    try:
        return ast.literal_eval(text)
    except SyntaxError:
        if version >= (3, 0):
            raise
    # numpy's _filter_header: Python 2 wrote longs as '5L' in version 1.0/2.0 headers
    tokens, last_number = [], False
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if not (last_number and token.type == tokenize.NAME and token.string == "L"):
            tokens.append(token)
        last_number = token.type == tokenize.NUMBER
    return ast.literal_eval(tokenize.untokenize(tokens))


def parse_header(text: str, version: tuple[int, int], offset: int) -> NpyHeader:
    """Validate the header dict literal ``text``; raises :class:`HeaderError`."""
    try:
        value = _literal(text, version)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError,
            tokenize.TokenError, IndentationError) as exc:
        raise HeaderError(f"header is not a Python literal ({type(exc).__name__})") from exc
    if not isinstance(value, dict) or set(value) != EXPECTED_KEYS:
        raise HeaderError("header is not a dict of exactly descr, fortran_order and shape")
    shape = value["shape"]
    if not isinstance(shape, tuple):
        raise HeaderError("shape is not a tuple")
    shape = _shape_of(shape, "shape")
    if not isinstance(value["fortran_order"], bool):
        raise HeaderError("fortran_order is not a bool")
    try:
        dtype = _descr(value["descr"])
    except HeaderError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, MemoryError,
            RecursionError) as exc:
        raise HeaderError(f"descr is not a valid dtype ({type(exc).__name__}: "
                          f"{str(exc)[:80]})") from exc
    _check_kinds(dtype)
    if dtype.subdtype is not None:
        raise HeaderError("the array's own dtype is a sub-array (np.load cannot read it)")
    header = NpyHeader(version, dtype, shape, value["fortran_order"], offset)
    if header.count > MAX_COUNT or header.nbytes > MAX_COUNT:
        raise HeaderError(f"shape {shape} declares more elements than any array can hold")
    return header


def read_header(stream: BinaryIO, size: int) -> NpyHeader:
    """The header at the start of ``stream`` (``size`` bytes in all); raises HeaderError."""
    start = stream.read(8)
    if len(start) < 8 or not start.startswith(MAGIC):
        raise HeaderError("not a .npy file (no \\x93NUMPY magic)")
    version = (start[6], start[7])
    width = HEADER_LENGTH_BYTES.get(version[0])
    if width is None or version[1] != 0:
        raise HeaderError(f"unsupported .npy format version {version[0]}.{version[1]}")
    raw = stream.read(width)
    if len(raw) < width:
        raise HeaderError("truncated before the header length")
    length = int.from_bytes(raw, "little")
    if length > MAX_HEADER:
        raise HeaderError(f"header of {length:,} bytes (more than {MAX_HEADER:,})")
    offset = 8 + width + length
    if offset > size:
        raise HeaderError(f"header length {length:,} runs past the end of the data")
    data = stream.read(length)
    if len(data) < length:
        raise HeaderError("truncated inside the header")
    try:
        text = data.decode("utf-8" if version[0] >= 3 else "latin1")
    except UnicodeDecodeError as exc:
        raise HeaderError("header is not UTF-8 text") from exc
    return parse_header(text, version, offset)


def read_array(s: Session, stream: BinaryIO, size: int, what: str) -> Any:
    """The value ``np.load(allow_pickle=True)`` returns for the ``.npy`` bytes of ``stream``
    (``size`` bytes in all): an array, an :class:`ArrayStub`, or -- for object data -- the
    restricted unpickler's raw graph (converted later with the rest of the file)."""
    from hpinspect.load.joblib_arrays import read_data

    where = f"{what}: " if what else ""
    try:
        header = read_header(stream, size)
    except HeaderError as exc:
        raise s.error(f"{where}bad .npy header: {exc}") from exc
    if header.dtype.hasobject:
        from hpinspect.load.unpickler import budget_stream, read_pickle

        return read_pickle(budget_stream(stream, s), s, kind="pickle")
    nbytes = header.nbytes
    if nbytes > s.max_bytes:
        raise LimitExceededError(f"{where}a {nbytes:,}-byte array exceeds the limit of "
                                 f"{s.max_bytes:,} bytes (raise it with --max-bytes)", s.path)
    if nbytes > size - header.offset:
        raise s.error(f"{where}truncated: the header declares {nbytes:,} bytes of array data, "
                      f"the file holds {size - header.offset:,}")
    return read_data(s, stream, header.shape, header.dtype,
                     "F" if header.fortran_order else "C")


def read_loadable(s: Session, stream: BinaryIO, size: int, what: str) -> Any:
    """What ``np.load(file, allow_pickle=True)`` gives for a joblib sidecar: a ``.npy``
    array, an ``.npz``'s members, or anything else unpickled (a finding of its own)."""
    head = stream.peek(8)[:8] if hasattr(stream, "peek") else b""
    if head.startswith(MAGIC):
        return read_array(s, stream, size, what)
    if head.startswith(ZIP_MAGIC):  # np.load returns an NpzFile of the members
        members, found, _ = _npz_members(s, stream.name if hasattr(stream, "name") else s.path)
        s.side_findings.extend((f, None) for f in found)
        return members
    s.side_findings.append((Finding(
        f"sidecar {what[:80]!r}", Severity.UNKNOWN_CLASS, "the sidecar is not a .npy file: "
        "np.load(allow_pickle=True) unpickles it (its globals are listed separately)", "",
        False), None))
    from hpinspect.load.unpickler import budget_stream, read_pickle

    return read_pickle(budget_stream(stream, s), s, kind="pickle")


def _read_zfile(s: Session, spath: str, size: int, progress: Progress | None
                ) -> tuple[Any, list[Finding], str | None]:
    """A ``.npy.z`` sidecar on its own: its raw bytes as ``uint8`` (the dtype and shape it
    stands for are in its pickle's ``ZNDArrayWrapper``)."""
    import numpy as np

    from hpinspect.load.joblib_arrays import Inflated, read_data, zfile_length

    with open(spath, "rb") as handle:
        length = zfile_length(s, handle, os.path.basename(spath))
        if length > s.max_bytes:
            raise LimitExceededError(f"zfile declares {length:,} bytes, over the limit of "
                                     f"{s.max_bytes:,} (raise it with --max-bytes)", spath)
        value = read_data(s, Inflated(s, handle, length, os.path.basename(spath)), (length,),
                          np.dtype("u1"), "C")
    if progress is not None:
        progress(size, size)
    return value, [], "zf"


def _member(s: Session, archive: Any, name: str) -> Any:
    member = archive.members[name]
    with archive.open(name) as stream:
        if stream.peek(len(MAGIC))[:len(MAGIC)] == MAGIC:
            return read_array(s, stream, member.size, f"member {name[:80]!r}")
    if member.size <= s.limits.keep_array_bytes:
        return archive.read(name)  # np.load gives a non-.npy member's raw bytes
    return f"({member.size:,} bytes, not a .npy array)"


def _npz_members(s: Session, path: str) -> tuple[dict[str, Any], list[Finding], bool]:
    """np.load's keys -> values of every member; zip findings; whether it is compressed."""
    from hpinspect.load.zip_pickles import zip_findings
    from hpinspect.load.zipsafe import SafeZip

    root: dict[str, Any] = {}
    with SafeZip(path, s.max_bytes) as archive:
        found = list(zip_findings(archive))
        for name in archive.names():
            if not name.endswith("/"):
                root[name.removesuffix(".npy")] = _member(s, archive, name)
        compressed = any(not m.stored for m in archive.members.values())
    return root, found, compressed


def _read_npy(s: Session, spath: str, size: int, progress: Progress | None
              ) -> tuple[Any, list[Finding], str | None]:
    handle, _ = open_file(spath)
    with handle:
        stream = io.BufferedReader(ProgressRaw(handle, size, progress), RAW_BUFFER)
        return read_array(s, stream, size, ""), [], None


def _read_npz(s: Session, spath: str, size: int, progress: Progress | None
              ) -> tuple[Any, list[Finding], str | None]:
    root, found, compressed = _npz_members(s, spath)
    if progress is not None:
        progress(size, size)
    return root, found, "deflate" if compressed else None


_READERS = {FileFormat.NPY: _read_npy, FileFormat.NPZ: _read_npz, "zf": _read_zfile}


def _read_file(s: Session, spath: str, size: int, kind: str,
               progress: Progress | None) -> tuple[Any, list[Finding], str | None]:
    """The converted root, the container's findings and its compression; a break after an
    unsafe global keeps what was found (as for pickles), any other break is an error."""
    from hpinspect.load.convert import convert
    from hpinspect.load.pickle_file import in_reader_thread, why

    reader = _READERS[kind]
    try:
        raw, found, compression = in_reader_thread(lambda: reader(s, spath, size, progress))
    except Exception as exc:
        if any(f.severity in UNSAFE_SEVERITIES for f in _findings(s, None)):
            note = Finding("(stream)", Severity.KNOWN, f"object data breaks: {why(exc)}; "
                           "findings above were reached before the break", "(file)", False)
            return None, [note], None
        if isinstance(exc, HpinspectError):
            raise
        raise CorruptFileError(f"object array data: {why(exc)}", spath) from exc
    return convert(raw, s), found, compression


def _findings(s: Session, root: Any) -> tuple[Finding, ...]:
    from hpinspect.load.pickle_file import _findings as pickle_findings
    from hpinspect.load.pickle_file import locate, wanted_ids

    return pickle_findings(s, locate(root, wanted_ids(s)) if root is not None else {})


def read(path: str | os.PathLike[str], limits: Limits | None = None,
         progress: Progress | None = None) -> LoadResult:
    """Read a ``.npy`` or ``.npz`` file statically."""
    from hpinspect.load.unpickler import Session

    spath = os.fspath(path)
    limits = limits or Limits()
    handle, size = open_file(spath)
    with handle:
        head = handle.read(8)
    kind: str = FileFormat.NPY if head.startswith(MAGIC) else "zf" if is_zfile(
        spath, head) else FileFormat.NPZ
    hasher = Sha256(spath)
    hasher.start()
    s = Session(limits, spath, limits.budget_for(size))
    root, found, compression = _read_file(s, spath, size, kind, progress)
    findings = (*_findings(s, root), *found, *(f for f, _ in s.side_findings))
    info = FileInfo(path=spath, size_bytes=size, sha256=hasher.digest(),
                    format=FileFormat.NPZ if kind == FileFormat.NPZ else FileFormat.NPY,
                    compression=compression, pickle_protocol=s.declared_proto or 0)
    return LoadResult(root=root, file=info, safety=Safety(verdict_of(findings), findings))
