"""Scan folders, registries and URLs: walk, sniff each file by content, inspect, aggregate.

:func:`scan` is a pure library function: it never prints and never exits. The walk runs in
the calling process (it only lists folders and asks the registry whether a folder is a model,
e.g. an MLflow model directory); every file is then read by the registry's readers in worker
processes, in chunks of files per task, and each worker sends back compact reports (without
the loaded values a ``diff`` would need). Any :class:`concurrent.futures.Executor` runs the
chunks — a ``dask.distributed`` client's ``get_executor()`` spreads a scan over a cluster.

A file the pickle fallback rejects as "not a pickle or joblib file" is not a model
(:attr:`Kind.OTHER`); a model file that is truncated, corrupt or over a limit is
:attr:`Kind.BROKEN`. Nothing is dropped silently: skipped symlinks and the files beyond
``max_files`` are counted too.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import fnmatch
import os
import sys
import tempfile
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from hpinspect import collector
from hpinspect.errors import FileAccessError, HpinspectError, LimitExceededError

if TYPE_CHECKING:
    from hpinspect.classify.config import Overrides
    from hpinspect.load.limits import Limits
    from hpinspect.report import Node, Report

__all__ = ["Entry", "Kind", "ScanResult", "chunk_sizes", "scan", "walk"]

FALLBACK_READER = "hpinspect.load.pickle_file"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MAX_CHUNK = 64
"""Files per task at most: large enough to amortise a round trip (a task's result comes back
in one message), small enough for a steady progress bar and little to redo if a worker dies."""
MIN_CHUNK = 2
"""Files per task at least (the last task may hold fewer): a one-file task costs a round trip
as long as the file's reading."""
GUIDE = 3
"""A task takes at most 1/(GUIDE × workers) of the files not yet given out (guided
scheduling): large tasks first, ever smaller ones at the end, so the workers finish together."""
REMOTE_CHUNK = 1 << 20

ScanProgress = Callable[[int, int], None]
"""Called in the calling process with (files done, files total)."""


class Kind(StrEnum):
    """What a scanned path turned out to be."""

    MODEL = "model"
    """A model file (or model folder) that was inspected: it has a report."""
    OTHER = "other"
    """Not a model file (text, images, ...): counted, listed with --verbose."""
    BROKEN = "broken"
    """Unreadable, truncated, corrupt or over a limit."""
    SKIPPED = "skipped"
    """Not read: a symlink out of the root, or beyond ``max_files``."""


@dataclass(frozen=True)
class Entry:
    """The outcome of one path."""

    path: str
    """The path (or URL) as walked."""
    kind: Kind
    """model, other, broken or skipped."""
    report: Report | None = None
    """The report of a model (compact: no loaded values)."""
    detail: str = ""
    """Why a path is other, broken or skipped (one line)."""
    document: str | None = None
    """With ``scan(documents=True)``: the report's JSON document as one line (what
    ``--format jsonl`` writes), made in the worker."""


@dataclass(frozen=True)
class ScanResult:
    """Every path a scan met, in walk order, with counts by kind."""

    entries: tuple[Entry, ...]
    """One entry per path (models, other files, broken files, skipped paths)."""
    truncated: bool = False
    """Whether ``max_files`` stopped the walk (the rest is counted as skipped)."""

    @property
    def reports(self) -> tuple[Report, ...]:
        """Reports of the model files, in walk order."""
        return tuple(e.report for e in self.entries if e.report is not None)

    def of_kind(self, kind: Kind) -> tuple[Entry, ...]:
        """Entries of one kind."""
        return tuple(e for e in self.entries if e.kind is kind)

    def counts(self) -> dict[str, int]:
        """Number of entries of every kind (``{"model": 3, "other": 2, ...}``)."""
        return {kind.value: len(self.of_kind(kind)) for kind in Kind}

    @property
    def unsafe(self) -> bool:
        """Whether any model's verdict is unsafe."""
        return any(r.safety.unsafe for r in self.reports)

    @property
    def broken(self) -> bool:
        """Whether any file was unreadable, broken or over a limit."""
        return any(e.kind is Kind.BROKEN for e in self.entries)


@dataclass(frozen=True)
class _Target:
    path: str
    """Local path, or the URL of a remote file or model folder."""
    remote: bool = False
    folder: bool = False
    """A remote model folder (e.g. MLflow's): downloaded whole, read as one model."""


# ------------------------------------------------------------------------------------ walking


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def is_model_folder(path: str) -> bool:
    """Whether a registry reader claims the folder as one model (e.g. an MLflow model)."""
    from hpinspect.load.registry import probe, reader_for

    try:
        reader_for(probe(path))
    except HpinspectError:
        return False
    return True


def _inside(path: str, real_root: str) -> bool:
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _walk_folder(root: str, exclude: Sequence[str]) -> Iterator[_Target | Entry]:
    """Files under ``root`` in sorted order; model folders as one target; symlinks checked."""
    real_root = os.path.realpath(root)
    for folder, dirs, files in os.walk(root, followlinks=False):
        kept = []
        for name in sorted(dirs):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if _excluded(rel, exclude):
                continue
            if os.path.islink(path):
                if not _inside(path, real_root):
                    yield Entry(path, Kind.SKIPPED, detail="symlink out of the scanned folder")
                continue  # a link inside the root: its target is walked where it is
            if is_model_folder(path):
                yield _Target(path)
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if _excluded(rel, exclude):
                continue
            if os.path.islink(path) and not _inside(path, real_root):
                yield Entry(path, Kind.SKIPPED, detail="symlink out of the scanned folder")
            else:
                yield _Target(path)


def _remote_targets(fs: Any, found: list[str], base: str, exclude: Sequence[str]
                    ) -> Iterator[_Target]:
    """Remote files as targets; the files of a folder holding an ``MLmodel`` as one target."""
    from hpinspect.load.mlflow import MLMODEL

    folders = sorted({p.rsplit("/", 1)[0] for p in found if p.rsplit("/", 1)[-1] == MLMODEL},
                     key=len, reverse=True)
    done: set[str] = set()
    for path in found:
        rel = path[len(base):].lstrip("/") or path.rsplit("/", 1)[-1]
        if _excluded(rel, exclude):
            continue
        folder = next((f for f in folders if path.startswith(f + "/")), None)
        if folder is None:
            yield _Target(fs.unstrip_protocol(path), remote=True)
        elif folder not in done:
            done.add(folder)
            yield _Target(fs.unstrip_protocol(folder), remote=True, folder=True)


def _walk_url(url: str, exclude: Sequence[str]) -> Iterator[_Target | Entry]:
    """Files under an fsspec URL (local URLs are walked as local folders); a remote folder
    with an ``MLmodel`` is one model."""
    try:
        import fsspec
        from fsspec.implementations.local import LocalFileSystem
    except ImportError as exc:
        raise HpinspectError("URLs need fsspec: pip install 'hpinspect[fsspec]'", url) from exc
    try:
        fs, root = fsspec.core.url_to_fs(url)
        if isinstance(fs, LocalFileSystem):
            yield from _walk_local(root, exclude)
            return
        # a folder first: over HTTP a directory listing is also a file
        found = sorted(fs.find(root, withdirs=False)) if fs.isdir(root) else [root]
    except (OSError, ValueError) as exc:
        yield Entry(url, Kind.BROKEN, detail=f"cannot list: {exc}")
        return
    yield from _remote_targets(fs, found, root.rstrip("/"), exclude)


def _walk_local(path: str, exclude: Sequence[str]) -> Iterator[_Target | Entry]:
    if os.path.isdir(path) and not is_model_folder(path):
        yield from _walk_folder(path, exclude)
    elif os.path.lexists(path) or os.path.isdir(path):
        yield _Target(path)
    else:
        yield Entry(path, Kind.BROKEN, detail="no such file or folder")


def walk(paths: Iterable[str | os.PathLike[str]], exclude: Sequence[str] = ()
         ) -> Iterator[_Target | Entry]:
    """Every target (file, model folder, remote file) under ``paths``, and skipped paths."""
    for given in paths:
        path = os.fspath(given)
        if "://" in path:
            yield from _walk_url(path, exclude)
        else:
            yield from _walk_local(path, exclude)


# ----------------------------------------------------------------------------------- workers


def compact(report: Report) -> Report:
    """The report without the loaded values kept for ``diff`` (small to send between processes)."""
    done: dict[int, Node] = {}
    stack: list[tuple[Node, bool]] = [(report.model, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in node.children)
            continue
        attributes = tuple(dataclasses.replace(a, handle=None) if a.handle is not None else a
                           for a in node.attributes)
        children = tuple(done[id(child)] for child in node.children)
        done[id(node)] = dataclasses.replace(node, attributes=attributes, children=children)
    return dataclasses.replace(report, model=done[id(report.model)])


def _inspect_local(path: str, limits: Limits, overrides: Overrides | None) -> Entry:
    from hpinspect import report_of
    from hpinspect.errors import UnsupportedFormatError
    from hpinspect.load.registry import probe, reader_for

    try:
        found = probe(path)
        reader = reader_for(found)
    except HpinspectError as exc:
        return Entry(path, Kind.BROKEN, detail=exc.message)
    try:
        loaded = reader.read(path, limits, None).complete()
    except UnsupportedFormatError as exc:
        if reader.__name__ == FALLBACK_READER and not found.head.startswith(ZIP_MAGIC):
            return Entry(path, Kind.OTHER, detail=exc.message)
        if reader.__name__ == FALLBACK_READER:
            # a zip archive no reader could open: a broken container, not a text file
            return Entry(path, Kind.BROKEN, detail="broken zip archive (no reader could open "
                         "it: truncated or corrupt)")
        return Entry(path, Kind.BROKEN, detail=exc.message)
    except HpinspectError as exc:
        return Entry(path, Kind.BROKEN, detail=exc.message)
    return Entry(path, Kind.MODEL, compact(report_of(loaded, overrides)))


def _copy(src: Any, dst: str, cap: int, done: int, url: str) -> int:
    """Copy one open remote file to ``dst``; returns the bytes copied so far in all."""
    with open(dst, "wb") as out:
        while chunk := src.read(REMOTE_CHUNK):
            done += len(chunk)
            if done > cap:
                raise LimitExceededError(f"larger than the byte budget ({cap:,} bytes)", url)
            out.write(chunk)
    return done


def _download(target: _Target, limits: Limits, into: str) -> str:
    """Copy a remote file, or every file of a remote model folder, into ``into`` (within the
    byte budget); returns the local path."""
    import fsspec

    cap = limits.budget_for(0)
    url = target.path
    try:
        if not target.folder:
            local = os.path.join(into, "remote-file")
            with fsspec.open(url, "rb") as src:
                _copy(src, local, cap, 0, url)
            return local
        fs, root = fsspec.core.url_to_fs(url)
        local, done = os.path.join(into, "remote-folder"), 0
        for path in sorted(fs.find(root, withdirs=False)):
            parts = path[len(root.rstrip("/")):].strip("/").split("/")
            if not parts or any(p in ("", ".", "..") for p in parts):
                raise FileAccessError(f"unsafe name in the remote folder: {path!r}", url)
            os.makedirs(os.path.join(local, *parts[:-1]), exist_ok=True)
            with fs.open(path, "rb") as src:
                done = _copy(src, os.path.join(local, *parts), cap, done, url)
    except (OSError, ValueError) as exc:
        raise FileAccessError(f"cannot download: {exc}", url) from exc
    return local


def _inspect_remote(target: _Target, limits: Limits, overrides: Overrides | None) -> Entry:
    url = target.path
    with tempfile.TemporaryDirectory(prefix="hpinspect-") as tmp:
        try:
            local = _download(target, limits, tmp)
        except HpinspectError as exc:
            return Entry(url, Kind.BROKEN, detail=exc.message)
        entry = _inspect_local(local, limits, overrides)
    report = entry.report
    if report is not None:
        report = dataclasses.replace(report, file=dataclasses.replace(report.file, path=url))
    return dataclasses.replace(entry, path=url, report=report)


class _Worker:
    """What a worker process started by :func:`scan` knows about itself (unset elsewhere)."""

    marker: int | None = None
    """File descriptor of this worker's marker: the path it is reading now ('' between files)."""


def _worker_init(markers: str) -> None:
    """Initialiser of the scan's own worker processes: the marker file the parent reads when
    a worker dies, and Ctrl-C left to the parent.

    The collector is turned back on (the parent forks with it paused) after freezing what
    the worker inherited and the readers it imports now: collections then walk only the
    objects of the file being read, and leave the inherited pages shared with the parent.
    """
    import gc
    import signal

    import hpinspect.classify
    import hpinspect.load.registry
    import hpinspect.render.json  # noqa: F401  (readers, classifier, documents)

    gc.freeze()
    collector.after_fork()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    path = os.path.join(markers, str(os.getpid()))
    _Worker.marker = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)


def _data_in_use() -> int:
    """This process's data segment and private writable mappings (``VmData``), in bytes."""
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _bound_memory(path: str, limits: Limits) -> None:
    """In a scan worker: ``RLIMIT_DATA`` = what it holds + the reader's stack + the file's
    worker budget (:meth:`Limits.worker_bytes_for`); the marker names the file."""
    import resource

    from hpinspect.load.pickle_file import READER_STACK

    if _Worker.marker is None:
        return
    os.ftruncate(_Worker.marker, 0)
    os.pwrite(_Worker.marker, path.encode("utf-8", "surrogateescape"), 0)
    try:
        size = 0 if "://" in path else os.path.getsize(path)
    except OSError:
        size = 0
    soft = _data_in_use() + READER_STACK + limits.worker_bytes_for(size)
    hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def _unbound_memory() -> None:
    import resource

    if _Worker.marker is None:
        return
    os.ftruncate(_Worker.marker, 0)
    hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
    resource.setrlimit(resource.RLIMIT_DATA, (hard, hard))


MEMORY_LIMIT = "limit: memory"
"""The detail of a file whose reading ran out of the worker's memory limit."""


def _inspect_one(target: _Target, limits: Limits, overrides: Overrides | None,
                 documents: bool) -> Entry:
    _bound_memory(target.path, limits)
    try:
        entry = (_inspect_remote(target, limits, overrides) if target.remote
                 else _inspect_local(target.path, limits, overrides))
    except MemoryError:
        return Entry(target.path, Kind.BROKEN, detail=f"{MEMORY_LIMIT} (the reading needed "
                     "more memory than a scan worker may use)")
    except RecursionError:
        return Entry(target.path, Kind.BROKEN, detail="object nesting too deep")
    finally:
        _unbound_memory()
    if documents and entry.report is not None:
        from hpinspect.render.json import report_line

        entry = dataclasses.replace(entry, document=report_line(entry.report))
    return entry


def inspect_chunk(targets: Sequence[_Target], limits: Limits | None = None,
                  overrides: Overrides | None = None, documents: bool = False) -> list[Entry]:
    """Inspect a chunk of targets, one at a time (runs in a worker; never raises).

    With ``documents``, each model's JSON document (one line, as ``--format jsonl`` writes
    it) is made here too, so the parent process only writes it.
    """
    from hpinspect.load.limits import Limits

    limits = limits or Limits()
    out: list[Entry] = []
    for target in targets:
        try:
            out.append(_inspect_one(target, limits, overrides, documents))
        except Exception as exc:  # one bad file never stops a scan of thousands
            out.append(Entry(target.path, Kind.BROKEN,
                             detail=f"internal error ({type(exc).__name__}: {exc})"))
    return out


# ---------------------------------------------------------------------------------- the scan


def chunk_sizes(files: int, workers: int) -> list[int]:
    """Files per task, in order (guided scheduling): each task takes 1/(:data:`GUIDE` ×
    workers) of the files left, between :data:`MIN_CHUNK` and :data:`MAX_CHUNK`. The large first
    tasks keep the round trips few; the small last ones leave no worker finishing alone."""
    sizes: list[int] = []
    left = files
    while left > 0:
        size = min(left, max(MIN_CHUNK, min(MAX_CHUNK, left // max(1, GUIDE * workers))))
        sizes.append(size)
        left -= size
    return sizes


@dataclass(frozen=True)
class _Job:
    """What every task of one scan shares."""

    limits: Limits | None
    overrides: Overrides | None
    documents: bool
    progress: ScanProgress | None
    total: int


Chunk = list[_Target]


def _done(job: _Job, results: dict[str, Entry], entries: Iterable[Entry]) -> None:
    results.update((e.path, e) for e in entries)
    if job.progress is not None:
        job.progress(len(results), job.total)


def _on_executor(chunks: list[Chunk], job: _Job, pool: cf.Executor,
                 results: dict[str, Entry]) -> list[Chunk]:
    """Run ``chunks`` on ``pool``; returns the chunks lost with a broken process pool."""
    from concurrent.futures.process import BrokenProcessPool

    futures = {pool.submit(inspect_chunk, chunk, job.limits, job.overrides, job.documents):
               chunk for chunk in chunks}
    lost: list[Chunk] = []
    for future in cf.as_completed(futures):
        try:
            entries = future.result()
        except BrokenProcessPool:
            lost.append(futures[future])
            continue
        except Exception as exc:  # a worker of a foreign executor failed
            entries = [Entry(t.path, Kind.BROKEN, detail=f"worker failed: {exc}")
                       for t in futures[future]]
        _done(job, results, entries)
    return lost


RESULT_PIPE = 1 << 20
"""Bytes the pipe carrying results back may buffer (Linux's default ``pipe-max-size``)."""


def _widen_result_pipe(pool: cf.ProcessPoolExecutor) -> None:
    """Let a worker write a whole task's results (~13 KB a file) and go on with its next task.

    A pipe buffers 64 KiB: a worker sending more waits, 64 KiB at a time, for the parent to
    be scheduled and read, while both cores are busy. Best effort: where the pipe cannot grow
    (not Linux, a lower ``pipe-max-size``) results travel as before.
    """
    import fcntl

    reader = getattr(getattr(pool, "_result_queue", None), "_reader", None)
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if reader is None or setsize is None:
        return
    with contextlib.suppress(OSError, ValueError):
        fcntl.fcntl(reader.fileno(), setsize, RESULT_PIPE)


def _in_own_pool(chunks: list[Chunk], job: _Job, jobs: int, results: dict[str, Entry],
                 markers: str) -> list[Chunk]:
    pool = cf.ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init,
                                  initargs=(markers,))
    _widen_result_pipe(pool)
    try:
        with collector.paused():  # results are acyclic: the workers need the cores
            return _on_executor(chunks, job, pool, results)
    finally:
        pool.shutdown(cancel_futures=True)


def _suspects(markers: str) -> set[str]:
    """Paths the workers were reading when the pool broke (the markers are removed)."""
    found = set()
    for name in os.listdir(markers):
        path = os.path.join(markers, name)
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", "surrogateescape")
        os.unlink(path)
        if text:
            found.add(text)
    return found


def _own_pools(chunks: list[Chunk], job: _Job, jobs: int, results: dict[str, Entry]) -> None:
    """Run the chunks in worker processes of our own, surviving the death of a worker.

    A worker's death (its memory limit hit inside C code, the OOM killer) breaks the pool and
    loses every unfinished chunk. The files the workers were reading at that moment are read
    again, each alone in a pool of one: one that kills that worker too is reported as over
    the memory limit. The rest of the lost chunks go to a fresh pool.
    """
    barren = 0
    with tempfile.TemporaryDirectory(prefix="hpinspect-workers-") as markers:
        while chunks:
            lost = _in_own_pool(chunks, job, jobs, results, markers)
            suspects = _suspects(markers) & {t.path for chunk in lost for t in chunk}
            barren = 0 if suspects else barren + 1
            if lost and barren > 1:  # broke twice with no file being read: give up
                _done(job, results, [Entry(t.path, Kind.BROKEN, detail="worker failed: the "
                                           "worker processes keep dying")
                                     for chunk in lost for t in chunk])
                return
            for target in sorted(suspects):
                _alone(_lost_target(lost, target), job, results, markers)
            chunks = [kept for chunk in lost
                      if (kept := [t for t in chunk if t.path not in suspects])]


def _lost_target(lost: list[Chunk], path: str) -> _Target:
    return next(t for chunk in lost for t in chunk if t.path == path)


def _alone(target: _Target, job: _Job, results: dict[str, Entry], markers: str) -> None:
    """Read a file a dead worker was reading in a pool of its own; a second death is the
    file's memory limit."""
    if _in_own_pool([[target]], job, 1, results, markers):
        _suspects(markers)
        _done(job, results, [Entry(target.path, Kind.BROKEN, detail=f"{MEMORY_LIMIT} (the "
                                   "worker process died reading it)")])


def _collect(targets: list[_Target], job: _Job, executor: cf.Executor | None, jobs: int
             ) -> dict[str, Entry]:
    results: dict[str, Entry] = {}
    if executor is None and jobs <= 1:
        for target in targets:
            _done(job, results, inspect_chunk([target], job.limits, job.overrides,
                                              job.documents))
        return results
    chunks, start = [], 0
    for size in chunk_sizes(len(targets), jobs):
        chunks.append(targets[start:start + size])
        start += size
    if executor is None:
        _own_pools(chunks, job, jobs, results)
        return results
    for chunk in _on_executor(chunks, job, executor, results):  # a foreign process pool
        _done(job, results, [Entry(t.path, Kind.BROKEN, detail="worker failed: the "
                                   "executor's process pool broke") for t in chunk])
    return results


def scan(paths: Iterable[str | os.PathLike[str]], executor: cf.Executor | None = None, *,
         jobs: int | None = None, exclude: Sequence[str] = (), max_files: int | None = None,
         limits: Limits | None = None, overrides: Overrides | None = None,
         progress: ScanProgress | None = None, documents: bool = False) -> ScanResult:
    """Scan files, folders (recursively) and fsspec URLs; return every outcome.

    ``executor`` runs the chunks of files (any :class:`concurrent.futures.Executor`, e.g. a
    dask.distributed client's ``get_executor()``); without one, ``jobs`` worker processes are
    started (default: the CPU count; 1 reads in this process), each with its memory bounded
    per file (:attr:`Limits.max_worker_bytes`) and replaced if it dies. ``exclude`` holds glob
    patterns matched against the path relative to the scanned folder and against the base
    name. ``documents``: also make each report's one-line JSON document in the workers
    (:attr:`Entry.document`).
    """
    walked: list[_Target | Entry] = []
    truncated = False
    count = 0
    for item in walk(paths, exclude):
        if isinstance(item, _Target):
            count += 1
            if max_files is not None and count > max_files:
                truncated = True
                item = Entry(item.path, Kind.SKIPPED, detail=f"beyond --max-files {max_files}")
        walked.append(item)
    targets = [item for item in walked if isinstance(item, _Target)]
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    job = _Job(limits, overrides, documents, progress, len(targets))
    results = _collect(targets, job, executor, min(workers, len(targets)))
    entries = tuple(results[i.path] if isinstance(i, _Target) else i for i in walked)
    return ScanResult(entries, truncated)


class _CallableModule(types.ModuleType):
    """``hpinspect.scan`` is both this module and the API function (DESIGN §2 names both).

    Importing a submodule rebinds the package attribute of the same name to the module, which
    would hide :func:`hpinspect.scan`; a callable module keeps ``hpinspect.scan(paths)``
    working whichever import ran last.
    """

    def __call__(self, paths: Iterable[str | os.PathLike[str]],
                 executor: cf.Executor | None = None, **options: Any) -> ScanResult:
        return scan(paths, executor, **options)


sys.modules[__name__].__class__ = _CallableModule
