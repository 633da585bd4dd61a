"""Where a summarised array's bytes lie, so its statistics are taken only when asked.

An uncompressed joblib file stores each array's raw bytes in one run after its wrapper. The
reader records where the run lies and seeks past it (:class:`FileRegion`); the bytes are read
again (``pread``, bounded chunks, never held whole) only when the report asks for the array's
statistics, or for one field of a structured array (a tree's leaves: the negatives of
``left_child``). An array pickled with its bytes is held by the reading anyway: it keeps them
(:class:`MemoryRegion`) instead of summarising them at once. Most arrays of a forest are never
shown, so most are never summarised.

Each re-read first checks that the file is the one the reader measured (same device, inode,
size, modification and change time); a file changed in between is an error, not a wrong
report.
"""

from __future__ import annotations

import os
import stat
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpinspect.errors import FileAccessError
from hpinspect.load.arrays import (
    ArrayStats,
    array_chunks,
    read_chunks,
    summarise,
    summarise_field,
)

CHANGED = "the file changed while it was being read; inspect it again"
OPEN_FILES = 8
"""Files kept open for re-reads at once (the least recently opened is closed first; each is
closed too when nothing refers to its regions any more)."""

_OPEN: deque[weakref.ref[SourceFile]] = deque()
_OPEN_LOCK = threading.Lock()


class SourceFile:
    """One regular file as the reader found it, to read runs of it again."""

    __slots__ = ("__weakref__", "_closer", "_fd", "identity", "path", "size")

    def __init__(self, path: str, info: os.stat_result) -> None:
        self.path = path
        self.size = info.st_size
        self.identity = _identity(info)
        self._fd: int | None = None
        self._closer: weakref.finalize[Any, Any] | None = None

    @classmethod
    def of(cls, path: str, fd: int) -> SourceFile | None:
        """The file open as ``fd`` when it is a regular file (a pipe cannot be read again)."""
        info = os.fstat(fd)
        return cls(path, info) if stat.S_ISREG(info.st_mode) else None

    def pread(self, view: memoryview, offset: int) -> int:
        """Fill ``view`` from ``offset`` on; the bytes read (fewer at the end of the file)."""
        with _OPEN_LOCK:
            fd = self._descriptor()
            try:
                if _identity(os.fstat(fd)) != self.identity:  # rewritten in place since
                    raise FileAccessError(CHANGED, self.path)
                n = os.preadv(fd, [view], offset)
            except OSError as exc:
                raise FileAccessError(f"cannot read again: {os.strerror(exc.errno or 5)}",
                                      self.path) from exc
        if n < len(view) and offset + n < self.size:  # cut between the check and the read
            raise FileAccessError(CHANGED, self.path)
        return n

    def _descriptor(self) -> int:
        """An open descriptor of the file the reader measured (the lock is held)."""
        if self._fd is not None:
            return self._fd
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise FileAccessError("the file went away while it was being read",
                                  self.path) from exc
        if _identity(os.fstat(fd)) != self.identity:  # replaced since
            os.close(fd)
            raise FileAccessError(CHANGED, self.path)
        self._fd, self._closer = fd, weakref.finalize(self, os.close, fd)
        _OPEN.append(weakref.ref(self))
        while len(_OPEN) > OPEN_FILES:
            oldest = _OPEN.popleft()()
            if oldest is not None:
                oldest._close()
        return fd

    def _close(self) -> None:
        if self._closer is not None:
            self._closer()  # closes once
        self._fd = self._closer = None


def _identity(info: os.stat_result) -> tuple[int, int, int, int, int]:
    """The file as measured, with its change time: any write or ``utime`` moves it (the
    modification time can be set back to what it was; the change time cannot)."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


class _Cursor:
    """``readinto`` over a run of a :class:`SourceFile` (what :func:`stream_stats` reads)."""

    def __init__(self, source: SourceFile, offset: int) -> None:
        self._source = source
        self._at = offset

    def readinto(self, view: memoryview) -> int:
        n = self._source.pread(view, self._at)
        self._at += n
        return n


class Region:
    """Array data not summarised yet: :meth:`stats` and :meth:`field_stats` take the same
    chunks, in the same order, as the summary taken at once would have."""

    nbytes: int

    def chunks(self, dtype: np.dtype[Any]) -> Iterator[np.ndarray[Any, Any]]:
        """The data as the 1-D chunks it would have been summarised in."""
        raise NotImplementedError

    def stats(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> ArrayStats:
        """The array's statistics, exactly as when they are taken while reading."""
        return summarise(self.chunks(dtype), shape, dtype)

    def field_stats(self, dtype: np.dtype[Any], name: str) -> ArrayStats:
        """Statistics of numeric field ``name`` alone (the same numbers as in
        :meth:`stats`' fields)."""
        return summarise_field(self.chunks(dtype), dtype, name)

    def field_negatives(self, dtype: np.dtype[Any], name: str) -> int:
        """How many values of numeric field ``name`` are below zero: the ``negatives`` of
        :meth:`field_stats`, counted without the other statistics (NaN is not below zero;
        unsigned and bool fields have none)."""
        return sum(int(np.count_nonzero(chunk[name] < 0)) for chunk in self.chunks(dtype))


@dataclass(frozen=True, eq=False)
class FileRegion(Region):
    """The ``nbytes`` of raw array data at ``offset`` of ``source`` (read again in bounded
    chunks, as :func:`~hpinspect.load.arrays.stream_stats` reads while streaming)."""

    source: SourceFile
    offset: int
    nbytes: int

    def chunks(self, dtype: np.dtype[Any]) -> Iterator[np.ndarray[Any, Any]]:
        return read_chunks(_Cursor(self.source, self.offset).readinto, dtype, self.nbytes)


@dataclass(frozen=True, eq=False)
class MemoryRegion(Region):
    """An array whose bytes came inside the pickle and are held already (until the report is
    made, as the reading's objects were), summarised as
    :func:`~hpinspect.load.arrays.compute_stats` does."""

    array: np.ndarray[Any, Any]

    @property
    def nbytes(self) -> int:  # type: ignore[override]
        return int(self.array.nbytes)

    def chunks(self, dtype: np.dtype[Any]) -> Iterator[np.ndarray[Any, Any]]:
        return array_chunks(self.array)
