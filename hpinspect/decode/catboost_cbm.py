"""CatBoost's CBM model (``save_model`` ``.cbm``, the pickled ``__model``) to plain values.

A CBM file is ``CBM1``, a little-endian uint32 size, then a flatbuffers ``TModelCore``
(``catboost/libs/model/flatbuffers/model.fbs``): field 0 ``FormatVersion`` (string), 1
``ModelTrees`` (table: 0 ``ApproxDimension`` int, 1 ``TreeSplits`` [int], 2 ``TreeSizes`` [int],
8 ``LeafValues`` [double], 10 ``NonSymmetricStepNodes``), 2 ``InfoMap`` ([TKeyValue]: 0 ``Key``,
1 ``Value``, both strings), 3 ``ModelPartIds``. This minimal flatbuffers reader follows only
those fields; every offset is checked against the buffer before it is followed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hpinspect.decode import DecodeError

MAGIC = b"CBM1"
MAX_VECTOR = 1 << 26


@dataclass(frozen=True)
class CatBoostModel:
    """What the core of a CBM model says."""

    format_version: str
    info: dict[str, str]
    """The InfoMap: ``params`` (JSON of the resolved training options), ``training``,
    ``catboost_version_info``, ``class_params``, ``model_guid``, ``train_finish_time`` …"""
    tree_sizes: tuple[int, ...]
    """Depth of every tree (oblivious trees: one split per level)."""
    approx_dimension: int
    """Outputs per leaf (the number of classes for MultiClass, else 1)."""
    leaf_values: int
    """Number of leaf values stored."""
    symmetric: bool
    """False when the trees are non-symmetric (Depthwise/Lossguide growing)."""


class _Buffer:
    """Bounded flatbuffers access: tables, strings, scalar vectors."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def u32(self, pos: int) -> int:
        if not 0 <= pos <= len(self.data) - 4:
            raise DecodeError(f"CBM: offset {pos} outside the model")
        return int(struct.unpack_from("<I", self.data, pos)[0])

    def field(self, table: int, index: int) -> int | None:
        """Absolute position of field ``index`` of the table at ``table`` (None: absent)."""
        vtable = table - struct.unpack_from("<i", self.data, table)[0] if \
            0 <= table <= len(self.data) - 4 else -1
        if not 0 <= vtable <= len(self.data) - 4:
            raise DecodeError(f"CBM: table at {table} has no valid vtable")
        vsize = struct.unpack_from("<H", self.data, vtable)[0]
        slot = 4 + 2 * index
        if slot + 2 > vsize or vtable + slot + 2 > len(self.data):
            return None
        offset = struct.unpack_from("<H", self.data, vtable + slot)[0]
        return table + offset if offset else None

    def deref(self, pos: int) -> int:
        return pos + self.u32(pos)

    def vector(self, pos: int, size: int) -> tuple[int, int]:
        """(start, length) of the vector referenced at ``pos``."""
        start = self.deref(pos)
        length = self.u32(start)
        if length > MAX_VECTOR or start + 4 + length * size > len(self.data):
            raise DecodeError(f"CBM: vector of {length} items at {start} exceeds the model")
        return start + 4, length

    def string(self, pos: int) -> str:
        start, length = self.vector(pos, 1)
        try:
            return self.data[start:start + length].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"CBM: string at {start} is not UTF-8") from exc

    def ints(self, pos: int) -> tuple[int, ...]:
        start, length = self.vector(pos, 4)
        return struct.unpack_from(f"<{length}i", self.data, start)


def _info_map(buf: _Buffer, pos: int) -> dict[str, str]:
    start, length = buf.vector(pos, 4)
    out: dict[str, str] = {}
    for i in range(length):
        entry = buf.deref(start + 4 * i)
        key, value = buf.field(entry, 0), buf.field(entry, 1)
        if key is not None:
            out[buf.string(key)] = buf.string(value) if value is not None else ""
    return out


def parse(data: bytes | bytearray) -> CatBoostModel:
    """Parse the model core; raises :class:`DecodeError` when it is not a CBM model."""
    raw = bytes(data)
    if not raw.startswith(MAGIC) or len(raw) < 12:
        raise DecodeError("CBM: does not start with CBM1")
    size = struct.unpack_from("<I", raw, 4)[0]
    if size > len(raw) - 8:
        raise DecodeError(f"CBM: core declares {size} bytes, {len(raw) - 8} present")
    buf = _Buffer(raw[8:8 + size])
    root = buf.deref(0)
    version_at, trees_at, info_at = (buf.field(root, i) for i in range(3))
    info = _info_map(buf, info_at) if info_at is not None else {}
    sizes: tuple[int, ...] = ()
    approx, leaves, symmetric = 1, 0, True
    if trees_at is not None:
        trees = buf.deref(trees_at)
        approx_at, sizes_at = buf.field(trees, 0), buf.field(trees, 2)
        leaves_at, steps_at = buf.field(trees, 8), buf.field(trees, 10)
        approx = buf.u32(approx_at) if approx_at is not None else 1
        sizes = buf.ints(sizes_at) if sizes_at is not None else ()
        leaves = buf.vector(leaves_at, 8)[1] if leaves_at is not None else 0
        symmetric = steps_at is None or buf.vector(steps_at, 4)[1] == 0
    return CatBoostModel(buf.string(version_at) if version_at is not None else "", info,
                         sizes, approx, leaves, symmetric)
