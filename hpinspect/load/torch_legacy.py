"""Pre-1.6 ``torch.save`` files (``_use_new_zipfile_serialization=False``), read without torch.

The layout is five concatenated pickles — the magic number ``0x1950a86a20f9469cfc6c``, the
protocol version 1001, a sys-info dict, the object (storages as persistent ids), the sorted
storage keys — followed by each storage as an 8-byte little-endian element count and its raw
bytes. A real torch load without ``weights_only`` unpickles all five, so hpinspect reads all
five with one findings session: a payload in any of them makes the file unsafe. A second pass
re-reads the object pickle once the storage offsets are known, to stream the tensor statistics.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from hpinspect.errors import CorruptFileError, LimitExceededError
from hpinspect.load import sniff
from hpinspect.load.common import RAW_BUFFER, LoadResult, Progress, Sha256, open_file, verdict_of
from hpinspect.load.limits import Limits
from hpinspect.load.pickle_file import _findings
from hpinspect.load.sniff import TORCH_LEGACY_MAGIC
from hpinspect.load.unpickler import Session
from hpinspect.report import FileFormat, Verdict

if TYPE_CHECKING:  # imported where a legacy file is read: every pickle is tried here first
    from hpinspect.load.tensors import StorageRef

FORMAT = FileFormat.TORCH_LEGACY
MAGIC = TORCH_LEGACY_MAGIC
PROTOCOL_VERSION = 1001
detect = sniff.torch_legacy


class _Unlimited:
    """Pass one: storage sizes are not known yet; nothing is read from them."""

    def size(self, key: str) -> int:
        return sys.maxsize

    def chunks(self, key: str, start: int, nbytes: int) -> Iterator[bytes]:
        return iter(())


class LegacyStorages:
    """Storage bytes at their offsets after the fifth pickle, charged to the budget."""

    def __init__(self, handle: io.FileIO, regions: dict[str, tuple[int, int]], budget: int,
                 path: str) -> None:
        self.handle = handle
        self.regions = regions
        self.budget = budget
        self.path = path

    def size(self, key: str) -> int:
        return self.regions[key][1] if key in self.regions else 0

    def chunks(self, key: str, start: int, nbytes: int) -> Iterator[bytes]:
        offset, length = self.regions[key]
        if start + nbytes > length:
            raise CorruptFileError(f"storage {key!r} is shorter than its tensors", self.path)
        if nbytes > self.budget:
            raise LimitExceededError("storage bytes exceed the byte budget (raise it with "
                                     "--max-bytes)", self.path)
        self.budget -= nbytes
        self.handle.seek(offset + start)
        left = nbytes
        while left:
            part = self.handle.read(min(left, 8 << 20))
            if not part:
                raise CorruptFileError(f"storage {key!r} is truncated", self.path)
            left -= len(part)
            yield part


class _Refs:
    """The persistent_load hook of a legacy file: records every storage it names."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.storages: dict[str, StorageRef] = {}

    def __call__(self, pid: Any) -> Any:
        if isinstance(pid, tuple) and len(pid) == 4 and pid[0] == "module":
            return pid[1]  # (module, class, source file, source): the class itself
        if isinstance(pid, tuple) and len(pid) >= 6 and pid[5] is not None:
            raise CorruptFileError("legacy storage views are not supported", self.path)
        from hpinspect.load.tensors import storage_ref

        ref = storage_ref(pid, self.path)
        self.storages.setdefault(ref.key, ref)
        return ref


def _header(values: list[Any], path: str) -> None:
    if values[0] != MAGIC or values[1] != PROTOCOL_VERSION or not isinstance(values[2], dict):
        raise CorruptFileError("not a legacy torch file (magic, protocol or sys info)", path)
    if not isinstance(values[4], list) or not all(isinstance(k, str) for k in values[4]):
        raise CorruptFileError("malformed legacy storage key list", path)


def _regions(stream: BinaryIO, keys: list[str], refs: _Refs, size: int,
             path: str) -> dict[str, tuple[int, int]]:
    """Byte ranges of the raw storages that follow the fifth pickle."""
    from hpinspect.load.tensors import itemsize

    pos = stream.tell()
    out: dict[str, tuple[int, int]] = {}
    for key in keys:
        ref = refs.storages.get(key)
        stream.seek(pos)
        count = stream.read(8)
        if ref is None or len(count) != 8:
            raise CorruptFileError(f"legacy storage {key!r} is missing", path)
        nbytes = int.from_bytes(count, "little") * itemsize(ref.dtype)
        if pos + 8 + nbytes > size:
            raise CorruptFileError(f"legacy storage {key!r} runs past the end of the file", path)
        out[key] = (pos + 8, nbytes)
        pos += 8 + nbytes
    return out


def _first_pass(stream: BinaryIO, session: Session, refs: _Refs,
                spath: str) -> tuple[list[Any], int]:
    """All five pickles (findings for every one); returns them and the object's offset."""
    from hpinspect.load.tensors import TensorFactory, unpickle

    factory = TensorFactory(_Unlimited(), "little", spath, stats=False)
    values: list[Any] = []
    start = 0
    for index in range(5):
        if index == 3:
            start = stream.tell()
        values.append(unpickle(stream, session, refs, factory))
    _header(values, spath)
    return values, start


def read(path: str | os.PathLike[str], limits: Limits | None = None,
         progress: Progress | None = None) -> LoadResult:
    """Read a legacy torch file statically."""
    from hpinspect.load.tensors import TensorFactory, torch_findings, unpickle
    from hpinspect.load.torch_zip import _guarded, result

    spath = os.fspath(path)
    limits = limits or Limits()
    handle, size = open_file(spath)
    budget = limits.budget_for(size)
    hasher = Sha256(spath)
    hasher.start()
    session = Session(limits, spath, budget)
    refs = _Refs(spath)
    with handle:
        stream = io.BufferedReader(handle, RAW_BUFFER)
        first = _guarded(lambda: _first_pass(stream, session, refs, spath), session, spath)
        root = None
        if first is not None:
            values, start = first
            root = values[3]
            seen = torch_findings(_findings(session, {}), session)
            if verdict_of(seen) != Verdict.UNSAFE:
                regions = _regions(stream, values[4], refs, size, spath)
                stream.seek(start)
                little = values[2].get("little_endian", True)
                with open_file(spath)[0] as storages:  # its own position, not the stream's
                    source = LegacyStorages(storages, regions, budget, spath)
                    factory = TensorFactory(source, "little" if little else "big", spath)
                    root = unpickle(stream, Session(limits, spath, budget), refs, factory)
    if progress is not None:
        progress(size, size)
    return result(spath, size, hasher.digest(), FileFormat.TORCH_LEGACY, root, session, ())
