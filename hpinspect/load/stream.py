"""Open a model file by content: sniff the magic bytes, then stream-decompress with a byte cap.

joblib compresses the whole pickle stream (zlib, gzip, bz2, xz, lzma, lz4) and recognises the
compressor by its magic bytes, not by the file name; hpinspect does the same. The legacy ``ZF``
container of joblib < 0.10 is a short header followed by a zlib stream.
"""

from __future__ import annotations

import bz2
import io
import lzma
import threading
import weakref
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from hpinspect.errors import CorruptFileError, LimitExceededError, MissingExtraError

if TYPE_CHECKING:
    import queue

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
            if name == "zlib" and not _zlib_header(head):
                continue  # a text file's leading "x" (zlib itself rejects the header)
            return name
    return None


def _zlib_header(head: bytes) -> bool:
    """RFC 1950's two-byte header: deflate (CM 8) and a check value making it a multiple
    of 31, as every zlib stream (and so every zlib joblib file) starts."""
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


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


PREFETCH_CHUNKS = 4
"""Decompressed chunks (of :data:`READ_CHUNK`) the decompressing thread may run ahead."""


class _Prefetching(io.RawIOBase):
    """The bytes of ``inner`` (a :class:`_DecompressingRaw`), decompressed ahead in a thread.

    zlib, bz2 and lzma release the GIL while they inflate, so decompression runs on the
    second core while the reader parses what came before (a zlib joblib file is otherwise
    decompression, then parsing, one after the other). The thread stops at the end, at the
    first error, or when this stream is closed or dropped; an error reaches the reader
    exactly after the bytes that preceded it, as it would unthreaded.
    """

    def __init__(self, inner: _DecompressingRaw) -> None:
        import queue  # (compressed files only)

        self._queue: queue.Queue[bytearray | BaseException] = queue.Queue(PREFETCH_CHUNKS)
        self._stop = threading.Event()
        self._pending = memoryview(b"")
        self._ended: BaseException | None = None
        self._done = False
        threading.Thread(target=_decompress_ahead, name="hpinspect-inflate",
                         args=(inner, self._queue, self._stop), daemon=True).start()
        weakref.finalize(self, self._stop.set)  # dropped unclosed: the thread ends too

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            if self._ended is not None:
                raise self._ended
            if self._done:
                return 0
            item = self._queue.get()
            if isinstance(item, BaseException):
                self._ended = item
                raise item
            if not item:
                self._done = True
                return 0
            self._pending = memoryview(item)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._stop.set()
        super().close()


def _decompress_ahead(inner: _DecompressingRaw, out: queue.Queue[bytearray | BaseException],
                      stop: threading.Event) -> None:
    """The prefetching thread: chunks of ``inner`` into ``out``, then an empty one or the
    error; it gives up waiting for room once ``stop`` is set."""
    while not stop.is_set():
        chunk = bytearray(READ_CHUNK)
        try:
            n = inner.readinto(chunk)
            del chunk[n:]
        except BaseException as exc:  # handed to the reader, raised there in order
            _put(out, exc, stop)
            return
        if not _put(out, chunk, stop) or not n:
            return


def _put(out: queue.Queue[bytearray | BaseException], item: bytearray | BaseException,
         stop: threading.Event) -> bool:
    import queue

    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


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
    inner = _DecompressingRaw(raw, dec, compression, cap, path)
    return io.BufferedReader(_Prefetching(inner), READ_CHUNK)
