"""safetensors files (and sharded ``*.safetensors.index.json``), read without the library.

Layout: a little-endian u64 header length, a JSON header (``dtype``, ``shape``,
``data_offsets`` per tensor; ``__metadata__`` strings), then the raw little-endian data. No
code can be referenced, so the verdict is always safe; offsets are validated against the file
and statistics are streamed within the byte budget. An index file's ``weight_map`` names shard
files in the same folder; a shard name with a path separator is refused.
"""

from __future__ import annotations

import collections
import io
import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hpinspect.errors import CorruptFileError, LimitExceededError
from hpinspect.load import sniff
from hpinspect.load.common import LoadResult, Progress, Sha256, open_file
from hpinspect.load.limits import Limits
from hpinspect.load.sniff import SAFETENSORS_MAX_HEADER
from hpinspect.report import FileFormat, FileInfo, Safety, Verdict

if TYPE_CHECKING:  # imported when a file is read: every pickle's detect() imports this module
    from hpinspect.load.tensors import TensorFactory

FORMAT = FileFormat.SAFETENSORS
MAX_HEADER = SAFETENSORS_MAX_HEADER
detect = sniff.safetensors
MAX_INDEX = 16 << 20
DTYPES: dict[str, str] = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
    "I32": "int32", "I16": "int16", "I8": "int8", "U64": "uint64", "U32": "uint32",
    "U16": "uint16", "U8": "uint8", "BOOL": "bool", "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2", "C64": "complex64",
}


class FileBytes:
    """Tensor bytes of one safetensors file, charged to a shared budget."""

    def __init__(self, handle: io.FileIO, base: int, budget: list[int], path: str) -> None:
        self.handle = handle
        self.base = base
        self.budget = budget
        self.path = path
        self.spans: dict[str, int] = {}

    def size(self, key: str) -> int:
        return self.spans.get(key, 0)

    def chunks(self, key: str, start: int, nbytes: int) -> Iterator[bytes]:
        if nbytes > self.budget[0]:
            raise LimitExceededError("tensor bytes exceed the byte budget (raise it with "
                                     "--max-bytes)", self.path)
        self.budget[0] -= nbytes
        offset = int(key.rsplit("@", 1)[1])
        self.handle.seek(self.base + offset + start)
        left = nbytes
        while left:
            part = self.handle.read(min(left, 8 << 20))
            if not part:
                raise CorruptFileError("tensor data is truncated", self.path)
            left -= len(part)
            yield part


def _header(handle: io.FileIO, size: int, path: str) -> dict[str, Any]:
    length = int.from_bytes(handle.read(8), "little")
    if length > MAX_HEADER or 8 + length > size:
        raise CorruptFileError("safetensors header length exceeds the file", path)
    try:
        header = json.loads(handle.read(length))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptFileError(f"safetensors header is not JSON: {exc}", path) from exc
    if not isinstance(header, dict):
        raise CorruptFileError("safetensors header is not a JSON object", path)
    return header


def _tensor(factory: TensorFactory, source: FileBytes, name: str, spec: Any,
            data_size: int) -> Any:
    if not isinstance(spec, dict) or spec.get("dtype") not in DTYPES:
        raise CorruptFileError(f"tensor {name[:60]!r}: unknown dtype", source.path)
    dtype = DTYPES[spec["dtype"]]
    shape, offsets = spec.get("shape"), spec.get("data_offsets")
    if not isinstance(shape, list) or not isinstance(offsets, list) or len(offsets) != 2 or \
            not all(isinstance(o, int) for o in offsets) or not 0 <= offsets[0] <= offsets[1] \
            <= data_size:
        raise CorruptFileError(f"tensor {name[:60]!r}: bad shape or data_offsets", source.path)
    key = f"{name}@{offsets[0]}"
    source.spans[key] = offsets[1] - offsets[0]
    count = 1
    for dim in shape:
        count *= dim if isinstance(dim, int) and dim >= 0 else 0

    from hpinspect.load.tensors import StorageRef, itemsize

    if count * itemsize(dtype) != offsets[1] - offsets[0]:
        raise CorruptFileError(f"tensor {name[:60]!r}: size does not match its shape",
                               source.path)
    strides = tuple(int(count and _stride(shape, i)) for i in range(len(shape)))
    return factory.tensor(StorageRef(key, dtype, "cpu", count), 0, tuple(shape), strides)


def _stride(shape: list[int], i: int) -> int:
    out = 1
    for dim in shape[i + 1:]:
        out *= dim
    return out


def read_one(spath: str, budget: list[int], into: dict[str, Any]) -> dict[str, str]:
    """Tensors of one file into ``into``; returns its ``__metadata__``."""
    handle, size = open_file(spath)
    with handle:
        header = _header(handle, size, spath)
        base = handle.tell()
        source = FileBytes(handle, base, budget, spath)
        from hpinspect.load.tensors import TensorFactory

        factory = TensorFactory(source, "little", spath)
        metadata = header.pop("__metadata__", None) or {}
        if not isinstance(metadata, dict):
            raise CorruptFileError("safetensors __metadata__ is not an object", spath)
        for name, spec in header.items():
            into[str(name)] = _tensor(factory, source, str(name), spec, size - base)
    return {str(k): str(v) for k, v in metadata.items()}


def _shards(spath: str) -> list[str]:
    handle, size = open_file(spath)
    with handle:
        if size > MAX_INDEX:
            raise LimitExceededError("safetensors index larger than 16 MiB", spath)
        try:
            index = json.loads(handle.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptFileError(f"index is not JSON: {exc}", spath) from exc
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict):
        raise CorruptFileError("index without a weight_map object", spath)
    names = sorted({str(v) for v in weight_map.values()})
    for name in names:
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise CorruptFileError(f"shard name {name[:60]!r} leaves the index folder", spath)
    folder = os.path.dirname(spath)
    return [os.path.join(folder, name) for name in names]


def read(path: str | os.PathLike[str], limits: Limits | None = None,
         progress: Progress | None = None) -> LoadResult:
    """Read a safetensors file (or every shard of an index) statically."""
    spath = os.fspath(path)
    limits = limits or Limits()
    handle, size = open_file(spath)
    handle.close()
    budget = [limits.budget_for(size)]
    hasher = Sha256(spath)
    hasher.start()
    root: collections.OrderedDict[str, Any] = collections.OrderedDict()
    files = _shards(spath) if spath.endswith(".index.json") else [spath]
    if len(files) > 1 or files[0] != spath:
        budget = [limits.budget_for(sum(os.path.getsize(f) for f in files
                                                   if os.path.isfile(f)))]
    metadata: dict[str, str] = {}
    for file in files:
        metadata.update(read_one(file, budget, root))
    if metadata:
        root.__dict__["__metadata__"] = metadata
    if progress is not None:
        progress(size, size)
    info = FileInfo(path=spath, size_bytes=size, sha256=hasher.digest(),
                    format=FileFormat.SAFETENSORS, compression=None, pickle_protocol=0)
    return LoadResult(root=root, file=info, safety=Safety(Verdict.SAFE, ()))
