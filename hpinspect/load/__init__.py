"""Bytes on disk -> an inert object graph plus security findings, without executing the file.

:func:`read_model` is the only entry point: it sniffs the format by content, streams any joblib
compression, runs the restricted unpickler, then walks the resulting graph once to place every
referenced global (``steps[1][1].calibration_notes_``) and to enforce the nesting limit.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hpinspect.errors import (
    CorruptFileError,
    FileAccessError,
    HpinspectError,
    LimitExceededError,
    UnsupportedFormatError,
)
from hpinspect.load.objects import ArrayStub, GlobalRef, Stub
from hpinspect.load.policy import severity_of
from hpinspect.load.stream import open_stream, sniff_compression
from hpinspect.load.unpickler import Limits, RestrictedUnpickler, Session
from hpinspect.report import SEVERITIES, FileInfo, Finding, Safety, Verdict

__all__ = ["ArrayStub", "GlobalRef", "Limits", "LoadResult", "Stub", "read_model"]

Progress = Callable[[int, int], None]
RAW_BUFFER = 1 << 20


@dataclass(frozen=True)
class LoadResult:
    """The inert object graph of one file, with what it is and what it references."""

    root: Any
    """The unpickled object: builtins, numpy values, Stubs, GlobalRefs, ArrayStubs."""
    file: FileInfo
    safety: Safety


class _ProgressRaw(io.RawIOBase):
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
            self.done += n
            if self._progress is not None:
                self._progress(self.done, self._size)
        return n or 0


class _Sha256(threading.Thread):
    """Hashes the file on the other core while the main thread parses it.

    hashlib releases the GIL on large buffers, so this costs no wall time on 2+ cores; the file
    is usually in the page cache after the first read.
    """

    def __init__(self, path: str) -> None:
        super().__init__(name="hpinspect-sha256", daemon=True)
        self._path = path
        self._sha = hashlib.sha256()
        self._error: OSError | None = None

    def run(self) -> None:
        try:
            with open(self._path, "rb", buffering=0) as handle:
                while chunk := handle.read(RAW_BUFFER):
                    self._sha.update(chunk)
        except OSError as exc:
            self._error = exc

    def digest(self) -> str:
        self.join()
        if self._error is not None:
            raise FileAccessError(f"cannot read: {self._error.strerror or self._error}",
                                  self._path)
        return self._sha.hexdigest()


def _open(path: str) -> tuple[io.FileIO, int]:
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


def read_model(path: str | os.PathLike[str], limits: Limits | None = None,
               progress: Progress | None = None) -> LoadResult:
    """Read ``path`` statically. Raises :class:`~hpinspect.errors.HpinspectError` subclasses."""
    spath = os.fspath(path)
    limits = limits or Limits()
    handle, size = _open(spath)
    with handle:
        if size == 0:
            raise UnsupportedFormatError("empty file, not a pickle or joblib file", spath)
        max_bytes = limits.max_bytes or max(4 * size, 2 << 30)
        hasher = _Sha256(spath)
        hasher.start()
        raw = _ProgressRaw(handle, size, progress)
        buffered = io.BufferedReader(raw, RAW_BUFFER)
        try:
            head = buffered.peek(16)[:16]
        except OSError as exc:
            raise FileAccessError(f"cannot read: {exc.strerror or exc}", spath) from exc
        compression = sniff_compression(head)
        session = Session(limits, spath, max_bytes)
        try:
            stream = open_stream(buffered, compression, max_bytes, spath)
            root = RestrictedUnpickler(stream, session).load()
        except HpinspectError as exc:
            if compression is None and session.declared_proto is None and session.opcodes <= 4:
                raise UnsupportedFormatError(
                    f"not a pickle or joblib file (starts with {head[:8]!r})", spath) from exc
            raise
        except MemoryError as exc:
            raise LimitExceededError("out of memory while reading the file", spath) from exc
        except RecursionError as exc:
            raise LimitExceededError("object nesting too deep", spath) from exc
        except OSError as exc:
            raise CorruptFileError(f"read error: {exc}", spath) from exc
        if compression is None and session.saw_joblib_wrapper:
            _plain_pickle_pass(spath, limits, max_bytes, session)
        digest = hasher.digest()
    paths = locate(root, limits.max_depth, spath)
    findings = _findings(session, paths)
    info = FileInfo(
        path=spath,
        size_bytes=size,
        sha256=digest,
        format="joblib" if compression or session.saw_joblib_wrapper else "pickle",
        compression=compression,
        pickle_protocol=session.declared_proto if session.declared_proto is not None
        else session.max_proto,
    )
    return LoadResult(root=root, file=info, safety=Safety(_verdict(findings), findings))


def _plain_pickle_pass(spath: str, limits: Limits, max_bytes: int, session: Session) -> None:
    """Read the file again as plain ``pickle.load`` would, and merge what only it reaches.

    joblib writes array bytes right after each array wrapper. joblib's loader consumes them;
    plain pickle.load parses them as opcodes, so a crafted file can hide a payload there. In
    files joblib wrote, the alignment byte after the first wrapper stops that parse at once.
    """
    plain = Session(limits, spath, max_bytes)
    with open(spath, "rb") as handle, contextlib.suppress(HpinspectError):
        RestrictedUnpickler(io.BufferedReader(handle, RAW_BUFFER), plain,
                            joblib_arrays=False).load()
    for dotted, use in plain.globals.items():
        if not all(part.isidentifier() for part in dotted.split(".")):
            continue  # array bytes that happened to look like a GLOBAL opcode
        mine = session.globals.get(dotted)
        if mine is None:
            use.plain_only = True
            session.globals[dotted] = use
        else:
            mine.uses |= use.uses
            mine.result_called |= use.result_called
            mine.unvetted |= use.unvetted


MAX_PATH_KEY = 64
"""Longer keys are shortened in paths, so a long name repeated at every level stays cheap."""


def short_key(key: str) -> str:
    """A key as it appears in a path."""
    return key if len(key) <= MAX_PATH_KEY else key[: MAX_PATH_KEY - 1] + "…"


def _join(path: str, attr: str) -> str:
    attr = short_key(attr)
    return f"{path}.{attr}" if path else attr


def locate(root: Any, max_depth: int, spath: str) -> dict[int, str]:
    """Breadth-first paths of every Stub and GlobalRef (``id`` -> path); enforces max_depth."""
    import numpy as np

    paths: dict[int, str] = {}
    seen: set[int] = set()
    queue: deque[tuple[Any, str, int]] = deque([(root, "", 0)])
    while queue:
        obj, path, depth = queue.popleft()
        if depth > max_depth:
            raise LimitExceededError(
                f"objects nest deeper than {max_depth:,} levels (raise it with --max-depth)",
                spath)
        if isinstance(obj, GlobalRef):
            paths.setdefault(id(obj), path)
            continue
        if not isinstance(obj, (Stub, list, tuple, dict, set, frozenset, np.ndarray)):
            continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        nxt = depth + 1
        if isinstance(obj, Stub):
            paths.setdefault(id(obj), path)
            queue.append((obj.factory, path, nxt))
            queue.extend((arg, path, nxt) for arg in obj.args)
            queue.extend((v, path, nxt) for v in obj.kwargs.values())
            state = obj.state
            if isinstance(state, dict):
                queue.extend((v, _join(path, str(k)), nxt) for k, v in state.items())
            elif state is not None:
                queue.append((state, path, nxt))
            queue.extend((v, f"{path}[{i}]", nxt) for i, v in enumerate(obj.list_items))
            queue.extend((v, f"{path}[{short_key(repr(k))}]", nxt) for k, v in obj.dict_items)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                queue.append((k, path, nxt))
                queue.append((v, f"{path}[{short_key(repr(k))}]", nxt))
        elif isinstance(obj, (list, tuple)):
            queue.extend((v, f"{path}[{i}]", nxt) for i, v in enumerate(obj))
        elif isinstance(obj, (set, frozenset)):
            queue.extend((v, path, nxt) for v in obj)
        elif obj.dtype.hasobject:
            queue.extend((v, f"{path}[{i}]", nxt) for i, v in enumerate(obj.flat))
    return paths


def _findings(session: Session, paths: dict[int, str]) -> tuple[Finding, ...]:
    out = []
    for use in session.globals.values():
        severity, detail = severity_of(use.dotted, use.uses, use.traversal,
                                       use.result_called, use.unvetted)
        where = next((paths[id(o)] for o in use.objects if id(o) in paths), None)
        if use.plain_only:
            where = "(array bytes that plain pickle.load runs as opcodes)"
            detail += "; reached only by plain pickle.load, not by joblib.load"
        elif where is None:
            where = "(consumed while loading)"
        elif where == "":
            where = "(root object)"
        out.append(Finding(use.dotted, severity, detail, where, "called" in use.uses
                           or "instantiated" in use.uses))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda f: (rank[f.severity], f.global_name))
    return tuple(out)


def _verdict(findings: tuple[Finding, ...]) -> Verdict:
    severities = {f.severity for f in findings}
    if severities & {"dangerous", "unknown call"}:
        return "unsafe"
    if "unknown class" in severities:
        return "review"
    return "safe"
