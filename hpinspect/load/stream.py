"""Open a model file by content: sniff the magic bytes, then stream-decompress with a byte cap.

joblib compresses the whole pickle stream (zlib, gzip, bz2, xz, lzma, lz4) and recognises the
compressor by its magic bytes, not by the file name; hpinspect does the same. The legacy ``ZF``
container of joblib < 0.10 is a short header followed by a zlib stream.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

from hpinspect.errors import CorruptFileError, LimitExceededError, MissingExtraError

READ_CHUNK = 1 << 20

# joblib's compressor magic numbers (joblib/compressor.py), most specific first.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x5d\x00", "lzma"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"ZF", "zf"),
    (b"\x78", "zlib"),
)


def sniff_compression(head: bytes) -> str | None:
    """The compression a file starts with, or ``None`` for a bare pickle stream."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            if name == "bz2" and (len(head) < 4 or not head[3:4].isdigit()):
                continue
            return name
    return None


class _DecompressingRaw(io.RawIOBase):
    """A raw stream of the decompressed bytes of ``source``, refusing to exceed ``cap``."""

    def __init__(self, source: BinaryIO, decompressor: Any, kind: str, cap: int,
                 path: str) -> None:
        self._source = source
        self._dec = decompressor
        self._is_zlib = kind in ("zlib", "zf", "gzip")
        self._kind = kind
        self._cap = cap
        self._path = path
        self._tail = b""  # zlib input left over when max_length stopped it
        self.produced = 0

    def readable(self) -> bool:
        return True

    def _needs_input(self) -> bool:
        if self._is_zlib:
            return not self._tail
        return bool(self._dec.needs_input)

    def readinto(self, buffer: Any) -> int:
        want = len(buffer)
        dec = self._dec
        while not dec.eof:
            data = b""
            if self._needs_input():
                data = self._source.read(READ_CHUNK)
                if not data:
                    return 0  # compressed input ended early: the reader reports truncation
            try:
                if self._is_zlib:
                    out = dec.decompress(self._tail + data, want)
                    self._tail = dec.unconsumed_tail
                else:
                    out = dec.decompress(data, max_length=want)
            except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError,
                    RuntimeError) as exc:
                raise CorruptFileError(f"corrupt {self._kind} stream: {exc}", self._path) from exc
            if out:
                self.produced += len(out)
                if self.produced > self._cap:
                    raise LimitExceededError(
                        f"decompressed data exceeds the limit of {self._cap:,} bytes "
                        "(raise it with --max-bytes)", self._path)
                buffer[: len(out)] = out
                return len(out)
        return 0


def _lz4_decompressor(path: str) -> Any:
    try:
        import lz4.frame
    except ImportError as exc:
        raise MissingExtraError(
            "file is lz4-compressed joblib; install the extra: pip install 'hpinspect[lz4]'",
            path) from exc
    return lz4.frame.LZ4FrameDecompressor()


DECOMPRESSORS: dict[str, Callable[[str], Any]] = {
    "zlib": lambda _p: zlib.decompressobj(15),
    "zf": lambda _p: zlib.decompressobj(15),
    "gzip": lambda _p: zlib.decompressobj(31),
    "bz2": lambda _p: bz2.BZ2Decompressor(),
    "xz": lambda _p: lzma.LZMADecompressor(format=lzma.FORMAT_XZ),
    "lzma": lambda _p: lzma.LZMADecompressor(format=lzma.FORMAT_ALONE),
    "lz4": _lz4_decompressor,
}

ZF_HEADER = 2 + len(hex(2**64))  # b"ZF" + the hex length, padded (joblib numpy_pickle_compat)


def open_stream(raw: BinaryIO, compression: str | None, cap: int, path: str) -> BinaryIO:
    """A buffered binary stream of the pickle bytes inside ``raw``."""
    if compression is None:
        return raw
    if compression == "zf":
        header = raw.read(ZF_HEADER)
        try:
            int(header[2:].strip(), 16)
        except ValueError as exc:
            raise CorruptFileError("bad joblib ZF header", path) from exc
        peek = getattr(raw, "peek", None)
        if peek is not None and peek(1)[:1] == b" ":
            raw.read(1)  # some writers put one space after the header
    dec = DECOMPRESSORS[compression](path)
    return io.BufferedReader(_DecompressingRaw(raw, dec, compression, cap, path), READ_CHUNK)
