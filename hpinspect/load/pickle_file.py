"""The pickle and joblib reader: the fallback of :mod:`hpinspect.load.registry`.

:func:`read` streams any joblib compression, runs the restricted unpickler, then walks the
resulting graph once to place every referenced global (``steps[1][1].calibration_notes_``)
and to enforce the nesting limit.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections import deque
from typing import Any

from hpinspect.errors import (
    CorruptFileError,
    FileAccessError,
    HpinspectError,
    LimitExceededError,
    UnsupportedFormatError,
)
from hpinspect.load.common import (
    RAW_BUFFER,
    LoadResult,
    Progress,
    ProgressRaw,
    Sha256,
    open_file,
    safe_repr,
    short_key,
    verdict_of,
)
from hpinspect.load.limits import Limits
from hpinspect.load.objects import GlobalRef, Stub
from hpinspect.load.policy import severity_of
from hpinspect.load.stream import open_stream, sniff_compression
from hpinspect.load.unpickler import RestrictedUnpickler, Session
from hpinspect.report import SEVERITIES, FileFormat, FileInfo, Finding, Safety

__all__ = ["locate", "read"]


def read(path: str | os.PathLike[str], limits: Limits | None = None,
         progress: Progress | None = None) -> LoadResult:
    """Read ``path`` statically. Raises :class:`~hpinspect.errors.HpinspectError` subclasses."""
    spath = os.fspath(path)
    limits = limits or Limits()
    handle, size = open_file(spath)
    with handle:
        if size == 0:
            raise UnsupportedFormatError("empty file, not a pickle or joblib file", spath)
        max_bytes = limits.max_bytes or max(4 * size, 2 << 30)
        hasher = Sha256(spath)
        hasher.start()
        raw = ProgressRaw(handle, size, progress)
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
        format=FileFormat.JOBLIB if compression or session.saw_joblib_wrapper
        else FileFormat.PICKLE,
        compression=compression,
        pickle_protocol=session.declared_proto if session.declared_proto is not None
        else session.max_proto,
    )
    return LoadResult(root=root, file=info, safety=Safety(verdict_of(findings), findings))


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


def _join(path: str, attr: str) -> str:
    attr = short_key(attr)
    return f"{path}.{attr}" if path else attr


def _children(obj: Any, path: str, nxt: int) -> list[tuple[Any, str, int]]:
    """What :func:`locate` visits next from ``obj``, each with its path."""
    if isinstance(obj, Stub):
        out = [(obj.factory, path, nxt)]
        out += [(arg, path, nxt) for arg in obj.args]
        out += [(v, path, nxt) for v in obj.kwargs.values()]
        state = obj.state
        if isinstance(state, dict):
            out += [(v, _join(path, str(k)), nxt) for k, v in state.items()]
        elif state is not None:
            out.append((state, path, nxt))
        out += [(v, f"{path}[{i}]", nxt) for i, v in enumerate(obj.list_items)]
        out += [(v, f"{path}[{short_key(safe_repr(k))}]", nxt) for k, v in obj.dict_items]
        return out
    if isinstance(obj, dict):
        return [item for k, v in obj.items()
                for item in ((k, path, nxt), (v, f"{path}[{short_key(safe_repr(k))}]", nxt))]
    if isinstance(obj, (list, tuple)):
        return [(v, f"{path}[{i}]", nxt) for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):
        return [(v, path, nxt) for v in obj]
    if obj.dtype.hasobject:
        return [(v, f"{path}[{i}]", nxt) for i, v in enumerate(obj.flat)]
    return []


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
        if isinstance(obj, Stub):
            paths.setdefault(id(obj), path)
        queue.extend(_children(obj, path, depth + 1))
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




FORMAT = FileFormat.PICKLE


def detect(found: Any) -> bool:
    """The fallback: every file that no other reader claimed is read as a pickle stream."""
    return not found.is_dir
