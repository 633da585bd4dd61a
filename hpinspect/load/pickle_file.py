"""The pickle and joblib reader: the fallback of :mod:`hpinspect.load.registry`.

:func:`read` streams any joblib compression, runs the restricted unpickler, then walks the
resulting graph once to place every referenced global (``steps[1][1].calibration_notes_``)
and to enforce the nesting limit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import io
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

from hpinspect import collector
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
    all_plain,
    open_file,
    safe_repr,
    short_key,
    verdict_of,
)
from hpinspect.load.convert import convert
from hpinspect.load.limits import Limits
from hpinspect.load.objects import GlobalRef, ObjectArray, Stub
from hpinspect.load.policy import method_severity, severity_of
from hpinspect.load.readings import loaders_finding
from hpinspect.load.regions import SourceFile
from hpinspect.load.stream import open_stream, sniff_compression
from hpinspect.load.unpickler import (
    SKIPPING_READ_AHEAD,
    Diverged,
    GlobalUse,
    PersistentLoad,
    Session,
    budget_stream,
    read_pickle,
)
from hpinspect.report import SEVERITIES, FileFormat, FileInfo, Finding, Safety, Severity, Verdict

__all__ = ["Streams", "in_reader_thread", "locate", "read", "read_streams", "why"]

T = TypeVar("T")


JOBLIB_SUFFIXES = (".joblib", ".jbl", ".jl", ".z", ".gz", ".bz2", ".xz", ".lzma", ".lz4")


@dataclass
class Streams:
    """What reading every pickle of a file gave."""

    roots: list[Any]
    broken: str | None = None
    """Why and where the reading stopped early (``None``: every stream read to its STOP)."""
    first_broken: bool = False
    """Whether the first (the real loaders') pickle broke."""
    error: BaseException | None = None


def read(path: str | os.PathLike[str], limits: Limits | None = None,
         progress: Progress | None = None) -> LoadResult:
    """Read ``path`` statically. Raises :class:`~hpinspect.errors.HpinspectError` subclasses.
    The file's hash may still run: see :meth:`LoadResult.complete`."""
    spath = os.fspath(path)
    limits = limits or Limits()
    handle, size = open_file(spath)
    with handle:
        if size == 0:
            raise UnsupportedFormatError("empty file, not a pickle or joblib file", spath)
        max_bytes = limits.budget_for(size)
        hasher = Sha256(spath)
        hasher.start()
        buffered = io.BufferedReader(ProgressRaw(handle, size, progress), SKIPPING_READ_AHEAD)
        try:
            head = buffered.peek(16)[:16]
        except OSError as exc:
            raise FileAccessError(f"cannot read: {exc.strerror or exc}", spath) from exc
        compression = sniff_compression(head)
        joblib_kind = compression is not None or spath.lower().endswith(JOBLIB_SUFFIXES)
        session = Session(limits, spath, max_bytes)
        source = SourceFile.of(spath, handle.fileno())
        if joblib_kind:
            session, streams = _read_joblib(session, buffered, compression, source)
        else:
            streams = _read_file(buffered, session, compression, "pickle", source)
        plain: tuple[Session, Streams] | None = None
        if not joblib_kind and session.saw_joblib_wrapper:
            # joblib wrote it: joblib.load's reading decides what the file holds.
            plain = (session, streams)
            session, streams = _joblib_afresh(limits, spath, max_bytes, None, C_NESTED)
        elif joblib_kind:
            plain = _other_pass(spath, limits, max_bytes, "pickle")
        elif streams.first_broken and compression is None:
            # pickle.load stops here; joblib.load's pure-Python reader may read on (frames)
            _add_joblib_only(session, _other_pass(spath, limits, max_bytes, "joblib")[0])
        extra: tuple[Finding, ...] = ()
        if plain is not None:
            _merge(session, plain[0])
            extra = _two_readings(streams, plain[1])
    return dataclasses.replace(_result(spath, size, "", compression, session, streams, head,
                                       extra), hashing=hasher)


C_NESTED = True
"""Whether object arrays' nested pickles are read by the C reader (``_read_joblib``); the
tests compare both readings."""


def _read_joblib(session: Session, buffered: Any, compression: str | None,
                 source: SourceFile | None) -> tuple[Session, Streams]:
    """The file read as ``joblib.load`` reads it, with its object arrays' nested pickles read
    by the C reader (``unpickler.c_inner_load``); when that reading cannot vouch for one, the
    whole file again, from its start and in a new session, by the pure-Python reader alone
    (nothing of the first reading is kept)."""
    session.c_nested = C_NESTED
    try:
        return session, _read_file(buffered, session, compression, "joblib", source)
    except Diverged:
        pass
    limits, path, max_bytes = session.limits, session.path, session.max_bytes
    del session  # what the first reading built goes before the second reading starts
    gc.collect()  # (its stand-in classes and the session refer to each other)
    return _joblib_afresh(limits, path, max_bytes, compression, False)


def _joblib_afresh(limits: Limits, path: str, max_bytes: int, compression: str | None,
                   c_nested: bool) -> tuple[Session, Streams]:
    """The file opened again and read the joblib way in a new session (with the C reading of
    nested pickles, and its fallback, when ``c_nested``)."""
    session = Session(limits, path, max_bytes)
    with open(path, "rb") as handle:
        buffered = io.BufferedReader(handle, SKIPPING_READ_AHEAD)
        source = SourceFile.of(path, handle.fileno())
        if c_nested:
            return _read_joblib(session, buffered, compression, source)
        return session, _read_file(buffered, session, compression, "joblib", source)


def _two_readings(joblib: Streams, plain: Streams) -> tuple[Finding, ...]:
    """The finding when joblib.load and pickle.load both finish and build different objects."""
    if not joblib.roots or not plain.roots:
        return ()
    found = loaders_finding(joblib.roots[0], plain.roots[0])
    return () if found is None else (found,)


def _read_file(buffered: Any, session: Session, compression: str | None,
               kind: str, source: SourceFile | None = None) -> Streams:
    """Every pickle of the file, read the way ``kind`` loads it; ``source`` is the plain file
    ``buffered`` reads from its start (its large joblib arrays are then skipped)."""
    session.source = source if compression is None else None
    try:
        stream = open_stream(buffered, compression, session.max_bytes, session.path)
    except HpinspectError as exc:
        return Streams([], f"at byte 0: {exc.message}", True)
    return read_streams(stream, session, kind)


READER_STACK = 1 << 30
"""Stack of the reading thread (reserved, touched only as deep as used). Hashing a tuple, as
a dict key or set member, recurses in C with no guard: about 64 bytes per level, so a 1 GiB
stack holds the 16M levels the memory-growth limit of BudgetRaw allows at most."""


def read_streams(source: BinaryIO, session: Session, kind: str,
                 persistent_load: PersistentLoad | None = None) -> Streams:
    """Every pickle in ``source`` in turn (as multi-stream loaders read them), converted.

    The first is read the way ``kind`` loads it; later ones as ``pickle.load`` would. Reading
    stops at the first break; what was found before it is kept in ``session``. Runs in a
    thread with a large stack (see :data:`READER_STACK`).
    """
    return in_reader_thread(lambda: _read_streams(source, session, kind, persistent_load))


_STACK_SIZE_LOCK = threading.Lock()


def in_reader_thread(run: Callable[[], T]) -> T:
    """``run()`` in a thread with a :data:`READER_STACK` stack; its exception re-raised."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            with collector.paused():
                result.append(run())
        except BaseException as exc:
            failure.append(exc)

    with _STACK_SIZE_LOCK:  # the stack size is process-wide: scan reads files in threads
        old = threading.stack_size(READER_STACK)
        try:
            worker = threading.Thread(target=target, name="hpinspect-unpickler")
            worker.start()
        finally:
            threading.stack_size(old)
    worker.join()
    if failure:
        error = failure.pop()  # (this frame keeps no reference: the traceback holds it)
        try:
            raise error
        finally:
            del error
    return result[0]


def _read_streams(source: BinaryIO, session: Session, kind: str,
                  persistent_load: PersistentLoad | None) -> Streams:
    stream = budget_stream(source, session)
    out = Streams([])
    index = 0
    while True:
        start = stream.tell()
        session.stream = index
        try:
            if not stream.peek(1):  # (decompressing: may itself fail)
                return out
            raw = read_pickle(stream, session, kind=kind if index == 0 else "pickle",
                              persistent_load=persistent_load)
            out.roots.append(convert(raw, session))
        except Diverged:
            raise  # a C reading to redo with the pure-Python reader alone (see _read_joblib)
        except Exception as exc:
            where = "pickle" if index == 0 else f"pickle stream {index + 1}"
            read_to = getattr(stream.raw, "position", stream.tell())
            out.broken = (f"{where} starting at byte {start:,} breaks before byte "
                          f"{read_to:,}: {why(exc)}")
            out.first_broken = index == 0
            out.error = exc
            return out
        index += 1


def why(exc: BaseException) -> str:
    """One line saying why a real unpickler stopped on ``exc``."""
    if isinstance(exc, HpinspectError):
        return exc.message
    if isinstance(exc, EOFError):
        return f"truncated pickle stream ({str(exc) or 'data ends early'})"
    if isinstance(exc, MemoryError):
        return "out of memory while reading the file"
    if isinstance(exc, RecursionError):
        return "object nesting too deep"
    return f"malformed pickle ({type(exc).__name__}: {exc})"


def _result(spath: str, size: int, digest: str, compression: str | None, session: Session,
            streams: Streams, head: bytes, extra: tuple[Finding, ...] = ()) -> LoadResult:
    root = streams.roots[0] if streams.roots else None
    wanted = wanted_ids(session) + [(id(o),) for _, o in session.side_findings]
    paths = locate(root, wanted) if streams.roots else {}
    findings = _findings(session, paths) + extra + tuple(
        dataclasses.replace(f, path=paths.get(id(o), "(consumed while loading)") or
                            "(root object)") for f, o in session.side_findings)
    if streams.broken is not None:
        findings = _broken(session, streams, findings, head, compression)
    info = FileInfo(
        path=spath,
        size_bytes=size,
        sha256=digest,
        format=FileFormat.JOBLIB if compression or session.saw_joblib_wrapper
        else FileFormat.PICKLE,
        compression=compression,
        pickle_protocol=session.declared_proto if session.declared_proto is not None
        else _infer_protocol(spath, compression),
    )
    return LoadResult(root=root, file=info, safety=Safety(verdict_of(findings), findings))


def _infer_protocol(spath: str, compression: str | None) -> int:
    """Protocol of a pickle without a PROTO opcode (0 or 1): the newest opcode it uses."""
    if compression is not None:
        return 0
    import pickletools

    best = 0
    with open(spath, "rb") as handle, contextlib.suppress(Exception):
        for count, (op, _arg, _pos) in enumerate(pickletools.genops(handle)):
            best = max(best, op.proto)
            if count > 100_000 or op.name == "STOP":
                break
    return best


def _broken(session: Session, streams: Streams, findings: tuple[Finding, ...], head: bytes,
            compression: str | None) -> tuple[Finding, ...]:
    """Findings survive a break; without an unsafe one, a broken first pickle is an error."""
    assert streams.broken is not None
    exc = streams.error
    if streams.first_broken and compression is None and session.declared_proto is None \
            and not isinstance(exc, LimitExceededError) and _never_a_pickle(session):
        raise UnsupportedFormatError(
            f"not a pickle or joblib file (starts with {head[:8]!r})", session.path)
    if verdict_of(findings) != Verdict.UNSAFE and streams.first_broken:
        kind = LimitExceededError if isinstance(exc, (LimitExceededError, MemoryError,
                                                      RecursionError)) else CorruptFileError
        raise kind(streams.broken, session.path)
    note = Finding("(stream)", Severity.KNOWN, f"{streams.broken}; findings above were reached "
                   "before the break" if streams.first_broken else
                   f"trailing bytes: {streams.broken}", "(file)", False)
    return (*findings, note)


def _never_a_pickle(session: Session) -> bool:
    """Whether a file whose first pickle broke is no pickle at all: no reading named a
    global, or every global it named is in a module no import can find (a script's
    ``import os`` or ``class A:`` line, a RECORD file's ``name,sha256=...`` line read as
    protocol 0's INST or GLOBAL: the module name is the rest of the line). A real load stops
    at the first such import, before anything runs, so there is nothing to report."""
    return all(_unimportable(use.objects) for use in session.globals.values())


def _unimportable(objects: list[Any]) -> bool:
    refs = [o for o in objects if isinstance(o, GlobalRef)]
    return bool(refs) and all(not all(part.isidentifier() for part in ref.module.split("."))
                              for ref in refs)


def _other_pass(spath: str, limits: Limits, max_bytes: int,
                kind: str) -> tuple[Session, Streams]:
    """Read the file as the other loader (``kind``) would: what a different loader reaches."""
    other = Session(limits, spath, max_bytes)
    streams = Streams([])
    with open(spath, "rb") as handle, contextlib.suppress(Exception):
        streams = read_streams(io.BufferedReader(handle, RAW_BUFFER), other, kind)
    return other, streams


def _absorb(mine: GlobalUse, use: GlobalUse) -> None:
    """What another reading saw of a global both readings reach."""
    mine.uses |= use.uses
    mine.result_called |= use.result_called
    mine.unvetted |= use.unvetted
    mine.methods |= use.methods
    mine.class_ops |= use.class_ops


def _add_joblib_only(session: Session, joblib: Session) -> None:
    """After pickle.load broke: what joblib.load's reading of a plain pickle file reaches."""
    for dotted, use in joblib.globals.items():
        mine = session.globals.get(dotted)
        if mine is None:
            use.joblib_only = True
            session.globals[dotted] = use
        else:
            _absorb(mine, use)


def _merge(session: Session, plain: Session) -> None:
    """Add what only plain ``pickle.load`` reaches; mark what only ``joblib.load`` reaches."""
    for dotted, use in plain.globals.items():
        first = use.objects[0] if use.objects else None
        module = first.module if isinstance(first, GlobalRef) else dotted.rpartition(".")[0]
        if not all(part.isidentifier() for part in module.split(".")):
            continue  # array bytes that happened to look like a GLOBAL opcode (no module)
        mine = session.globals.get(dotted)
        if mine is None:
            use.plain_only = True
            session.globals[dotted] = use
        else:
            _absorb(mine, use)
    if plain.globals or plain.opcodes:
        for dotted, use in session.globals.items():
            if dotted not in plain.globals:
                use.joblib_only = True


Link = tuple[Any, str, Any] | None
"""(parent link, kind "attr"/"item"/"index", key): a path built only when it is needed."""


def _render(link: Link) -> str:
    parts: list[str] = []
    while link is not None:
        link, kind, key = link
        if kind == "attr":
            parts.append(f".{short_key(str(key))}")
        elif kind == "item":
            parts.append(f"[{short_key(safe_repr(key))}]")
        else:
            parts.append(f"[{key}]")
    path = "".join(reversed(parts))
    return path[1:] if path.startswith(".") else path


_PLAIN_LEAVES: frozenset[type] = frozenset({str, int, float, bool, type(None), bytes, complex})
"""Exact types that are never a Stub, a GlobalRef or a container (skipped by :func:`locate`)."""
_NODES = (Stub, list, tuple, dict, set, frozenset, ObjectArray)
"""What :func:`locate` walks into."""
_FOUND = (GlobalRef, *_NODES)
"""What :func:`locate` may place: the walked objects and the globals."""


def _stub_children(obj: Stub, link: Link) -> list[tuple[Any, Link]]:
    out: list[tuple[Any, Link]] = [(obj.factory, link), *((a, link) for a in obj.args),
                                   *((v, link) for v in obj.kwargs.values())]
    state = obj.state
    if isinstance(state, dict):
        out.extend((v, (link, "attr", k)) for k, v in state.items()
                   if type(v) not in _PLAIN_LEAVES and isinstance(v, _FOUND))
    elif state is not None:
        out.append((state, link))
    out.extend((v, (link, "index", i)) for i, v in enumerate(obj.list_items))
    out.extend((v, (link, "item", k)) for k, v in obj.dict_items)
    return out


def _children_of(obj: Any, link: Link) -> list[tuple[Any, Link]]:
    if isinstance(obj, Stub):
        return _stub_children(obj, link)
    if isinstance(obj, dict):  # plain str/int/... members hold nothing: no link made for them
        if all_plain(obj, _PLAIN_LEAVES):
            return []
        out: list[tuple[Any, Link]] = []
        for k, v in obj.items():
            if type(k) not in _PLAIN_LEAVES:
                out.append((k, link))
            if type(v) not in _PLAIN_LEAVES and isinstance(v, _FOUND):
                out.append((v, (link, "item", k)))
        return out
    if isinstance(obj, (list, tuple)):
        if all_plain(obj, _PLAIN_LEAVES):
            return []
        return [(v, (link, "index", i)) for i, v in enumerate(obj)
                if type(v) not in _PLAIN_LEAVES and isinstance(v, _FOUND)]
    if isinstance(obj, (set, frozenset)):
        return [(v, link) for v in obj]
    if isinstance(obj, ObjectArray):
        return [(v, (link, "index", i)) for i, v in enumerate(obj.items)
                if type(v) not in _PLAIN_LEAVES]
    return []


def wanted_ids(session: Session) -> list[tuple[int, ...]]:
    """What :func:`locate` is to place for ``session``'s findings: per global, the ids of
    the objects its use recorded, in the order :func:`_findings` prefers them, except
    GlobalRefs no conversion of this session put in its graph (the reference each further
    ``find_class`` makes, a stand-in class that only a consumed call took): those are never
    found, and without them the walk stops as soon as every global's first object is
    placed."""
    placed = session.placed_refs
    groups = (tuple(id(o) for o in use.objects if id(o) in placed or not isinstance(o, GlobalRef))
              for use in session.globals.values())
    return [group for group in groups if group]


def locate(root: Any, wanted: list[tuple[int, ...]]) -> dict[int, str]:
    """Breadth-first paths of the Stubs and GlobalRefs in ``wanted`` (``id`` -> path).

    ``wanted`` is groups of ids, each in order of preference (one finding's objects): the
    walk stops as soon as the first of every group is placed, since a finding names the
    path of its first placed object and the breadth-first path of each object placed by
    then is final. Path strings are built only for the placed objects. (Nesting is already
    limited by :mod:`hpinspect.load.convert`.)
    """
    ids = {key for group in wanted for key in group}
    heads = {group[0] for group in wanted}
    missing = len(heads)
    found: dict[int, Link] = {}
    seen: set[int] = set()
    queue: deque[tuple[Any, Link]] = deque([(root, None)])
    while queue and missing:
        obj, link = queue.popleft()
        key = id(obj)
        if not isinstance(obj, GlobalRef):  # a GlobalRef is a leaf, met as often as it is held
            if key in seen or not isinstance(obj, _NODES):
                continue
            seen.add(key)
            queue.extend(_children_of(obj, link))
        if key in ids and key not in found:
            found[key] = link
            missing -= key in heads
    return {key: _render(link) for key, link in found.items()}


def _findings(session: Session, paths: dict[int, str]) -> tuple[Finding, ...]:
    out = []
    for use in session.globals.values():
        severity, detail = severity_of(use.dotted, use.uses, use.traversal,
                                       use.result_called, use.unvetted)
        severity, detail = method_severity(use.dotted, severity, detail, use.methods,
                                           use.class_ops)
        where = next((paths[id(o)] for o in use.objects if id(o) in paths), None)
        if use.plain_only:
            where = "(array bytes that plain pickle.load runs as opcodes)"
            detail += "; reached only by plain pickle.load, not by joblib.load"
        elif where is None:
            where = "(consumed while loading)"
        elif where == "":
            where = "(root object)"
        if use.joblib_only and not use.plain_only:
            detail += "; reached only by joblib.load, not by plain pickle.load"
        if use.stream:
            detail += (f"; in pickle stream {use.stream + 1} of the file (read by loaders "
                       "that read every pickle, e.g. legacy torch)")
        out.append(Finding(use.dotted, severity, detail, where, "called" in use.uses
                           or "instantiated" in use.uses))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda f: (rank[f.severity], f.global_name))
    return tuple(out)


FORMAT = FileFormat.PICKLE


def detect(found: Any) -> bool:
    """The fallback: every file that no other reader claimed is read as a pickle stream."""
    return not found.is_dir
