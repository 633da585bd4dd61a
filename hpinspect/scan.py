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

from hpinspect.errors import FileAccessError, HpinspectError, LimitExceededError

if TYPE_CHECKING:
    from hpinspect.classify.config import Overrides
    from hpinspect.load.limits import Limits
    from hpinspect.report import Node, Report

__all__ = ["Entry", "Kind", "ScanResult", "chunk_size", "scan", "walk"]

FALLBACK_READER = "hpinspect.load.pickle_file"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MAX_CHUNK = 32
"""Files per task at most: small enough to balance, large enough to amortise a round trip."""
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
    """Local path, or the URL of a remote file."""
    remote: bool = False


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


def _walk_url(url: str, exclude: Sequence[str]) -> Iterator[_Target | Entry]:
    """Files under an fsspec URL (local URLs are walked as local folders)."""
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
    base = root.rstrip("/")
    for path in found:
        rel = path[len(base):].lstrip("/") or path.rsplit("/", 1)[-1]
        if not _excluded(rel, exclude):
            yield _Target(fs.unstrip_protocol(path), remote=True)


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
        loaded = reader.read(path, limits, None)
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


def _download(url: str, limits: Limits, into: str) -> str:
    """Copy a remote file to ``into`` (within the byte budget); returns the local path."""
    import fsspec

    cap = limits.budget_for(0)
    local = os.path.join(into, "remote-file")
    done = 0
    try:
        with fsspec.open(url, "rb") as src, open(local, "wb") as dst:
            while chunk := src.read(REMOTE_CHUNK):
                done += len(chunk)
                if done > cap:
                    raise LimitExceededError(f"larger than the byte budget ({cap:,} bytes)", url)
                dst.write(chunk)
    except (OSError, ValueError) as exc:
        raise FileAccessError(f"cannot download: {exc}", url) from exc
    return local


def _inspect_remote(url: str, limits: Limits, overrides: Overrides | None) -> Entry:
    with tempfile.TemporaryDirectory(prefix="hpinspect-") as tmp:
        try:
            local = _download(url, limits, tmp)
        except HpinspectError as exc:
            return Entry(url, Kind.BROKEN, detail=exc.message)
        entry = _inspect_local(local, limits, overrides)
    report = entry.report
    if report is not None:
        report = dataclasses.replace(report, file=dataclasses.replace(report.file, path=url))
    return dataclasses.replace(entry, path=url, report=report)


def inspect_chunk(targets: Sequence[_Target], limits: Limits | None = None,
                  overrides: Overrides | None = None) -> list[Entry]:
    """Inspect a chunk of targets, one at a time (runs in a worker; never raises)."""
    from hpinspect.load.limits import Limits

    limits = limits or Limits()
    out: list[Entry] = []
    for target in targets:
        inspect = _inspect_remote if target.remote else _inspect_local
        try:
            out.append(inspect(target.path, limits, overrides))
        except MemoryError:
            out.append(Entry(target.path, Kind.BROKEN, detail="out of memory"))
        except RecursionError:
            out.append(Entry(target.path, Kind.BROKEN, detail="object nesting too deep"))
        except Exception as exc:  # one bad file never stops a scan of thousands
            out.append(Entry(target.path, Kind.BROKEN,
                             detail=f"internal error ({type(exc).__name__}: {exc})"))
    return out


# ---------------------------------------------------------------------------------- the scan


def chunk_size(files: int, workers: int) -> int:
    """Files per task: about eight tasks per worker, at most :data:`MAX_CHUNK`."""
    return max(1, min(MAX_CHUNK, files // max(1, workers * 8)))


def _collect(targets: list[_Target], limits: Limits | None, overrides: Overrides | None,
             executor: cf.Executor | None, jobs: int, progress: ScanProgress | None
             ) -> dict[str, Entry]:
    total = len(targets)
    results: dict[str, Entry] = {}
    if executor is None and jobs <= 1:
        for index, target in enumerate(targets, 1):
            results[target.path] = inspect_chunk([target], limits, overrides)[0]
            if progress is not None:
                progress(index, total)
        return results
    size = chunk_size(total, jobs)
    chunks = [targets[i:i + size] for i in range(0, total, size)]
    own = executor is None
    pool = executor or cf.ProcessPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(inspect_chunk, chunk, limits, overrides): chunk
                   for chunk in chunks}
        for future in cf.as_completed(futures):
            try:
                entries = future.result()
            except Exception as exc:  # a worker died (killed, out of memory)
                entries = [Entry(t.path, Kind.BROKEN, detail=f"worker failed: {exc}")
                           for t in futures[future]]
            results.update((e.path, e) for e in entries)
            if progress is not None:
                progress(len(results), total)
    finally:
        if own:
            pool.shutdown(cancel_futures=True)
    return results


def scan(paths: Iterable[str | os.PathLike[str]], executor: cf.Executor | None = None, *,
         jobs: int | None = None, exclude: Sequence[str] = (), max_files: int | None = None,
         limits: Limits | None = None, overrides: Overrides | None = None,
         progress: ScanProgress | None = None) -> ScanResult:
    """Scan files, folders (recursively) and fsspec URLs; return every outcome.

    ``executor`` runs the chunks of files (any :class:`concurrent.futures.Executor`, e.g. a
    dask.distributed client's ``get_executor()``); without one, ``jobs`` worker processes are
    started (default: the CPU count; 1 reads in this process). ``exclude`` holds glob patterns
    matched against the path relative to the scanned folder and against the base name.
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
    results = _collect(targets, limits, overrides, executor, min(workers, len(targets)),
                       progress)
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
