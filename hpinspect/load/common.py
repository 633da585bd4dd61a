"""What every reader of :mod:`hpinspect.load` shares: the result type, file opening, hashing on
the second core, progress reporting, path keys and the verdict rule.
"""

from __future__ import annotations

import dataclasses
import errno
import importlib
import io
import os
import reprlib
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hpinspect.errors import FileAccessError
from hpinspect.report import UNSAFE_SEVERITIES, FileInfo, Finding, Safety, Severity, Verdict

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a file is read."""
RAW_BUFFER = 1 << 20
INLINE_HASH_BYTES = 1 << 20
BUILTIN_HASH_BYTES = 256 << 10
"""Files smaller than this are hashed by CPython's built-in SHA-256 (``_sha256``: about
3.7 ms a MiB) instead of OpenSSL's (0.7 ms a MiB, but importing ``hashlib`` loads OpenSSL:
2.8 ms); the digest is the same."""


class Hash(Protocol):
    """What :class:`Sha256` uses of a hash object."""

    def update(self, data: memoryview, /) -> None: ...

    def hexdigest(self) -> str: ...


def sha256_for(size: int) -> Hash:
    """A fresh SHA-256 object, the cheaper to start for a file of ``size`` bytes."""
    if size < BUILTIN_HASH_BYTES:
        try:
            builtin = importlib.import_module("_sha256")
        except ImportError:  # (a build without the built-in hashes)
            pass
        else:
            made: Hash = builtin.sha256()
            return made
    import hashlib

    return hashlib.sha256()


@dataclass(frozen=True)
class Provenance:
    """What a container records about its model beside the model's own bytes (e.g. an MLflow
    folder's ``MLmodel``): shown as auxiliary attributes of the root and saved-with versions."""

    saved_with: Mapping[str, str] = field(default_factory=dict)
    """Library versions the container records, e.g. ``{"mlflow": "3.17.2"}``."""
    facts: tuple[tuple[str, str, Any], ...] = ()
    """(name, role, JSON-safe value), e.g. ``("mlflow.run_id", "provenance", "abc")``."""


@dataclass(frozen=True)
class LoadResult:
    """The inert object graph of one file, with what it is and what it references."""

    root: Any
    """The unpickled object: builtins, numpy values, Stubs, GlobalRefs, ArrayStubs."""
    file: FileInfo
    safety: Safety
    provenance: Provenance | None = None
    """Facts recorded by the container around the model file, if any."""
    hashing: Sha256 | None = field(default=None, compare=False, repr=False)
    """The file's hash, still running: ``file.sha256`` is empty until :meth:`complete` (the
    report is classified meanwhile, beside the hash: see :func:`hpinspect.inspect_file`)."""

    def complete(self) -> LoadResult:
        """This result with the file's hash in ``file``, waiting for it if it still runs
        (raises :class:`~hpinspect.errors.FileAccessError` when the file could not be read)."""
        if self.hashing is None:
            return self
        info = dataclasses.replace(self.file, sha256=self.hashing.digest())
        return dataclasses.replace(self, file=info, hashing=None)


class ProgressRaw(io.RawIOBase):
    """Raw file reader that reports how far it got (for the CLI's progress bar)."""

    def __init__(self, handle: io.FileIO, size: int, progress: Progress | None) -> None:
        self._handle = handle
        self.done = 0
        self._size = size
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._handle.readinto(buffer)
        if n:
            self._moved(self.done + n)
        return n or 0

    def seekable(self) -> bool:
        return self._handle.seekable()

    def tell(self) -> int:
        return self.done

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move as the file does (a joblib array's bytes passed over count as done)."""
        self._moved(self._handle.seek(offset, whence))
        return self.done

    def _moved(self, done: int) -> None:
        self.done = done
        if self._progress is not None:
            self._progress(self.done, self._size)


HASH_CHUNK = 4 << 20
"""Bytes hashed per call: the hashing thread takes the GIL back once per chunk."""
HASH_SWITCH_INTERVAL = 0.0002
"""The interpreter's switch interval while a file is hashed (seconds; Python's default is
0.005). The hashing thread needs the GIL for a moment after each read and each hash of a
chunk, and the parsing thread gives it up only every switch interval: at 5 ms, a 1 GB file's
hash took twice as long beside a busy parser as alone."""


class _FastSwitching:
    """Lowers the switch interval while any hash runs and restores the one found when the
    last ends (hashes of ``scan``'s threads overlap)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved = 0.0

    def enter(self) -> None:
        with self._lock:
            if not self._running:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(HASH_SWITCH_INTERVAL, self._saved))
            self._running += 1

    def leave(self) -> None:
        with self._lock:
            self._running -= 1
            if not self._running:
                sys.setswitchinterval(self._saved)


_FAST_SWITCHING = _FastSwitching()


class Sha256(threading.Thread):
    """Hashes the file on the other core while the main thread parses it.

    hashlib releases the GIL on large buffers, so this costs no wall time on 2+ cores; the file
    is usually in the page cache after the first read. The switch interval is lowered while
    it runs (see :data:`HASH_SWITCH_INTERVAL`).
    """

    def __init__(self, path: str) -> None:
        super().__init__(name="hpinspect-sha256", daemon=True)
        self._path = path
        self._sha: Hash | None = None
        self._error: OSError | None = None
        self._inline = False

    def start(self) -> None:
        """Hash small files at once: a thread costs more than it saves below a megabyte (and
        ``scan`` keeps every core busy with workers already)."""
        try:
            size = os.path.getsize(self._path)
        except OSError:
            size = 0  # run() records the error
        self._sha = sha256_for(size)
        if size < INLINE_HASH_BYTES:
            self._inline = True
            self._hash()
        else:
            _FAST_SWITCHING.enter()
            try:
                super().start()
            except BaseException:
                _FAST_SWITCHING.leave()
                raise

    def run(self) -> None:
        try:
            self._hash()
        finally:
            _FAST_SWITCHING.leave()

    def _hash(self) -> None:
        sha = self._sha
        assert sha is not None, "start() picks the hash"
        try:
            with open(self._path, "rb", buffering=0) as handle:
                view = memoryview(bytearray(HASH_CHUNK if not self._inline else
                                            INLINE_HASH_BYTES))
                while n := handle.readinto(view):
                    sha.update(view[:n])
        except OSError as exc:
            self._error = exc

    def digest(self) -> str:
        if not self._inline:
            self.join()
        if self._error is not None:
            raise FileAccessError(f"cannot read: {self._error.strerror or self._error}",
                                  self._path)
        assert self._sha is not None, "digest() after start()"
        return self._sha.hexdigest()


def open_file(path: str) -> tuple[io.FileIO, int]:
    try:
        if os.path.isdir(path):
            raise FileAccessError("is a directory, not a model file", path)
        handle = io.FileIO(path, "r")
    except FileNotFoundError as exc:
        raise FileAccessError("no such file", path) from exc
    except PermissionError as exc:
        raise FileAccessError("permission denied", path) from exc
    except IsADirectoryError as exc:
        raise FileAccessError("is a directory, not a model file", path) from exc
    except OSError as exc:
        raise FileAccessError(f"cannot open: {os.strerror(exc.errno or errno.EIO)}", path) from exc
    size = os.fstat(handle.fileno()).st_size
    return handle, size


MAX_PATH_KEY = 64
"""Longer keys are shortened in paths, so a long name repeated at every level stays cheap."""


_REPR = reprlib.Repr()
_REPR.maxlevel = 4
_REPR.maxstring = _REPR.maxother = MAX_PATH_KEY
MAX_INT_BITS = 13_000
"""Integers wider than this (about 3,900 digits) are shown by their digit count: Python refuses
to convert integers beyond 4,300 digits to text, and the conversion is quadratic."""


def int_text(value: int) -> str:
    """``value`` as text, or ``integer of N digits`` when it is too wide to convert."""
    if value.bit_length() <= MAX_INT_BITS:
        return str(value)
    digits = int(value.bit_length() * 0.30102999566398120) + 1
    if abs(value) < 10 ** (digits - 1):
        digits -= 1
    return f"{'-' if value < 0 else ''}integer of {digits:,} digits"


LONG_CONTAINER = 64
"""Containers longer than this are first checked for leaves only, all at once."""


def only_types(items: Iterable[Any], types: frozenset[type]) -> bool:
    """Whether every item's exact type is one of ``types``: one pass over the items in C (a
    vocabulary's million words cost a set of their types, not a Python loop)."""
    return set(map(type, items)) <= types


def all_plain(container: Collection[Any], types: frozenset[type]) -> bool:
    """Whether a long list, tuple or dict holds only values (and keys) of ``types``, checked
    at once; a short one is left to the caller's own loop (``False``)."""
    if len(container) <= LONG_CONTAINER:
        return False
    if isinstance(container, dict):
        return only_types(container, types) and only_types(container.values(), types)
    return only_types(container, types)


def safe_repr(value: Any) -> str:
    """A short repr of a key or value from the file: bounded depth and length, never raises
    (a 990-deep tuple, a 5,000-digit integer, a Stub chain)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int_text(value)
    try:
        return _REPR.repr(value)
    except (ValueError, RecursionError, MemoryError):
        return f"<{type(value).__name__}>"


def short_key(key: str) -> str:
    """A key as it appears in a path."""
    return key if len(key) <= MAX_PATH_KEY else key[: MAX_PATH_KEY - 1] + "…"


def verdict_of(findings: tuple[Finding, ...]) -> Verdict:
    """unsafe (dangerous or unknown call), review (unknown class) or safe."""
    severities = {f.severity for f in findings}
    if severities & UNSAFE_SEVERITIES:
        return Verdict.UNSAFE
    if Severity.UNKNOWN_CLASS in severities:
        return Verdict.REVIEW
    return Verdict.SAFE
