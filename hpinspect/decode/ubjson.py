"""UBJSON (draft 12) as xgboost writes it, and xgboost's JSON model text, to plain values.

Typed numeric arrays (``[$d#L…``: every tree's split conditions, weights, children) become
read-only numpy arrays over the input bytes; everything else becomes dicts, lists, strings and
numbers. Counts and lengths are checked against the bytes left before anything is allocated,
so the output is at most a constant times the input size.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from hpinspect.decode import DecodeError

MAX_DEPTH = 64
"""Deepest container nesting accepted (xgboost models nest 8 levels)."""

_INTS: dict[int, tuple[str, int]] = {
    ord("i"): (">b", 1), ord("U"): (">B", 1), ord("I"): (">h", 2), ord("l"): (">i", 4),
    ord("L"): (">q", 8), ord("d"): (">f", 4), ord("D"): (">d", 8),
}
_DTYPES: dict[int, str] = {
    ord("i"): ">i1", ord("U"): ">u1", ord("I"): ">i2", ord("l"): ">i4", ord("L"): ">i8",
    ord("d"): ">f4", ord("D"): ">f8",
}
_CONSTANTS: dict[int, Any] = {ord("Z"): None, ord("T"): True, ord("F"): False}
_ARRAY, _OBJECT, _END_ARRAY, _END_OBJECT = ord("["), ord("{"), ord("]"), ord("}")
_TYPE, _COUNT, _NOOP, _STRING, _HIGH, _CHAR = (ord(c) for c in "$#NSHC")
_LENGTHS = frozenset(_INTS) - {ord("d"), ord("D")}


class _Reader:
    """Cursor over the bytes; one small method per UBJSON construct."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data: bytes | memoryview = memoryview(data).toreadonly() \
            if not isinstance(data, bytes) else data
        self.pos = 0
        self.end = len(data)

    def fail(self, what: str) -> DecodeError:
        return DecodeError(f"UBJSON: {what} at byte {self.pos}")

    def byte(self) -> int:
        if self.pos >= self.end:
            raise self.fail("unexpected end of data")
        value = self.data[self.pos]
        self.pos += 1
        return int(value)

    def number(self, marker: int) -> int | float:
        fmt, size = _INTS[marker]
        if self.pos + size > self.end:
            raise self.fail("truncated number")
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value  # type: ignore[no-any-return]

    def length(self) -> int:
        marker = self.byte()
        if marker not in _LENGTHS:
            raise self.fail(f"length must be an integer, got marker {marker!r}")
        value = int(self.number(marker))
        if value < 0 or value > self.end - self.pos:
            raise self.fail(f"length {value} exceeds the {self.end - self.pos} bytes left")
        return value

    def text(self) -> str:
        size = self.length()
        raw = bytes(self.data[self.pos:self.pos + size])
        self.pos += size
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.fail("string is not UTF-8") from exc

    def value(self, marker: int, depth: int) -> Any:
        if marker in _CONSTANTS:
            return _CONSTANTS[marker]
        if marker in _INTS:
            return self.number(marker)
        if marker in (_STRING, _HIGH):
            return self.text()
        if marker == _CHAR:
            return chr(self.byte())
        if marker in (_ARRAY, _OBJECT):
            if depth >= MAX_DEPTH:
                raise self.fail(f"containers nest deeper than {MAX_DEPTH} levels")
            return self.array(depth + 1) if marker == _ARRAY else self.object(depth + 1)
        raise self.fail(f"unknown marker {bytes([marker])!r}")

    def header(self) -> tuple[int | None, int | None]:
        """Optimised container header: (element type, count), each None when absent."""
        kind: int | None = None
        count: int | None = None
        if self.pos < self.end and self.data[self.pos] == _TYPE:
            self.pos += 1
            kind = self.byte()
            if self.pos >= self.end or self.data[self.pos] != _COUNT:
                raise self.fail("typed container without a count")
        if self.pos < self.end and self.data[self.pos] == _COUNT:
            self.pos += 1
            count = self.length()
        return kind, count

    def array(self, depth: int) -> Any:
        kind, count = self.header()
        if count is None:
            items: list[Any] = []
            while (marker := self.byte()) != _END_ARRAY:
                if marker != _NOOP:
                    items.append(self.value(marker, depth))
            return items
        if kind in _DTYPES:
            size = _INTS[kind][1] * count
            if size > self.end - self.pos:
                raise self.fail(f"typed array of {count} items exceeds the bytes left")
            out = np.frombuffer(self.data, dtype=_DTYPES[kind], count=count, offset=self.pos)
            self.pos += size
            return out
        return [self.value(kind if kind is not None else self.byte(), depth)
                for _ in range(count)]

    def object(self, depth: int) -> dict[str, Any]:
        kind, count = self.header()
        out: dict[str, Any] = {}
        if count is None:
            while self.pos < self.end and self.data[self.pos] != _END_OBJECT:
                if self.data[self.pos] == _NOOP:
                    self.pos += 1
                    continue
                key = self.text()
                out[key] = self.value(self.byte(), depth)
            self.byte()  # the closing brace (or the end-of-data error)
            return out
        for _ in range(count):
            key = self.text()
            out[key] = self.value(kind if kind is not None else self.byte(), depth)
        return out


def loads_ubjson(data: bytes | bytearray | memoryview) -> Any:
    """Decode one UBJSON value; raises :class:`DecodeError` on anything malformed."""
    reader = _Reader(data)
    try:
        value = reader.value(reader.byte(), 0)
    except (struct.error, ValueError, OverflowError, MemoryError) as exc:
        if isinstance(exc, DecodeError):
            raise
        raise reader.fail(str(exc)) from exc
    return value


def loads_json(data: bytes | bytearray | memoryview) -> Any:
    """Decode xgboost's JSON model text; raises :class:`DecodeError` on anything malformed."""
    try:
        return json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as exc:
        raise DecodeError(f"JSON: {str(exc)[:120]}") from exc


def loads_model(data: bytes | bytearray | memoryview) -> Any:
    """An xgboost model document, JSON or UBJSON by its first bytes."""
    head = bytes(data[:2])
    if head.startswith(b"{") and head[1:2] in (b'"', b" ", b"\n", b"}", b"\r", b"\t"):
        return loads_json(data)
    return loads_ubjson(data)
