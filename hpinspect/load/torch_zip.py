"""``torch.save`` zip archives (torch >= 1.6) and TorchScript archives, read without torch.

Layout: one top folder (the file stem, or ``archive/``) holding ``data.pkl`` (protocol 2),
``byteorder``, ``version``, ``.format_version``, ``.storage_alignment``, and the raw storages
``data/<key>`` (stored, 64-byte aligned). ``data.pkl`` names each storage by a persistent id;
:mod:`hpinspect.load.tensors` resolves it to the member and streams its statistics. A
TorchScript archive adds ``code/`` (TorchScript source compiled by ``torch.jit.load``) and
``constants.pkl``: its pickles are inspected the same way and its code files are listed as a
finding, because that code runs when the model is used (and at load for ``__setstate__``).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from hpinspect.errors import CorruptFileError, HpinspectError, LimitExceededError
from hpinspect.load.common import (
    LoadResult,
    Progress,
    Provenance,
    Sha256,
    open_file,
    verdict_of,
)
from hpinspect.load.limits import Limits
from hpinspect.load.pickle_file import _findings, locate, wanted_ids
from hpinspect.load.tensors import StorageRef, TensorFactory, storage_ref, torch_findings, unpickle
from hpinspect.load.unpickler import Session
from hpinspect.load.zip_pickles import zip_findings
from hpinspect.load.zipsafe import SafeZip
from hpinspect.report import FileFormat, FileInfo, Finding, Safety, Severity, Verdict

FORMAT = FileFormat.TORCH
SMALL_RECORD = 64
MAX_CODE_SCAN = 8 << 20
READ_CHUNK = 8 << 20


def _prefix(names: list[str]) -> str | None:
    """The top folder holding ``data.pkl`` (``""`` for a flat archive), or None."""
    found = [n[: -len("data.pkl")] for n in names if n.endswith("data.pkl")
             and n.count("/") <= 1 and (n == "data.pkl" or n.endswith("/data.pkl"))]
    return min(found, key=len) if found else None


def detect(found: Any) -> bool:
    """A zip archive with ``<folder>/data.pkl``: a torch or TorchScript archive."""
    return not found.is_dir and found.head.startswith(b"PK") and \
        _prefix(found.zip_names()) is not None


class ZipStorages:
    """Storage bytes out of ``<prefix>data/<key>`` members, charged to the archive budget."""

    def __init__(self, archive: SafeZip, prefix: str, handle: io.FileIO) -> None:
        self.archive = archive
        self.prefix = prefix
        self.handle = handle

    def _member(self, key: str) -> Any:
        member = self.archive.members.get(f"{self.prefix}data/{key}")
        if member is None:
            raise CorruptFileError(f"storage {key!r} has no data/{key} member", self.archive.path)
        return member

    def size(self, key: str) -> int:
        return int(self._member(key).size)

    def chunks(self, key: str, start: int, nbytes: int) -> Iterator[bytes | memoryview]:
        member = self._member(key)
        if start + nbytes > member.size:
            raise CorruptFileError(f"storage {key!r} is shorter than its tensors",
                                   self.archive.path)
        if not member.stored or member.data_offset < 0:
            yield from _skip(self.archive.iter_chunks(member.name), start, nbytes)
            return
        if nbytes > self.archive.budget:
            raise LimitExceededError(f"storage {key!r} needs {nbytes:,} bytes, over the "
                                     "remaining budget (raise it with --max-bytes)",
                                     self.archive.path)
        self.archive.budget -= nbytes
        self.handle.seek(member.data_offset + start)
        # One reused buffer (no fresh 8 MiB object, and its page faults, per read): each part
        # is a view valid until the next one is asked for (StorageBytes.chunks' contract).
        view = memoryview(bytearray(min(nbytes, READ_CHUNK)))
        left = nbytes
        while left:
            got = self.handle.readinto(view[: min(left, len(view))])
            if not got:
                raise CorruptFileError(f"storage {key!r} is truncated", self.archive.path)
            left -= got
            yield view[:got]


def _skip(chunks: Iterator[bytes], start: int, nbytes: int) -> Iterator[bytes]:
    pos = 0
    for chunk in chunks:
        lo, hi = max(start - pos, 0), min(start + nbytes - pos, len(chunk))
        if lo < hi:
            yield chunk[lo:hi]
        pos += len(chunk)
        if pos >= start + nbytes:
            return


def _record(archive: SafeZip, name: str) -> str | None:
    member = archive.members.get(name)
    if member is None or member.size > SMALL_RECORD:
        return None
    return archive.read(name).decode("utf-8", "replace").strip()


ARCHIVE_RECORDS = {"version": "torch.archive_version",
                   ".format_version": "torch.format_version",
                   ".storage_alignment": "torch.storage_alignment"}
"""Small records torch.save writes beside ``data.pkl`` -> the provenance fact they become."""


def _archive_records(archive: SafeZip, prefix: str) -> tuple[tuple[str, str, Any], ...]:
    """The archive's serialisation records (format version, storage alignment) as facts."""
    facts = []
    for record, name in ARCHIVE_RECORDS.items():
        text = _record(archive, f"{prefix}{record}")
        if text:
            facts.append((name, "provenance", int(text) if text.isdecimal() and len(text) < 8
                          else text[:64]))
    return tuple(facts)


def persistent_loader(archive: SafeZip, source: Any) -> Any:
    """The persistent_load hook: a storage persistent id -> its :class:`StorageRef`."""
    def load(pid: Any) -> StorageRef:
        ref = storage_ref(pid, archive.path)
        source.size(ref.key)  # the member must exist
        return ref
    return load


def read_pickle(archive: SafeZip, name: str, session: Session, factory: TensorFactory,
                loader: Any) -> Any:
    """One torch pickle member through the engine with the torch hooks."""
    with archive.open(name) as stream:
        return unpickle(stream, session, loader, factory)


def _code_finding(archive: SafeZip, prefix: str) -> Finding | None:
    code = [n for n in archive.names() if n.startswith(f"{prefix}code/") and n.endswith(".py")]
    if not code and f"{prefix}constants.pkl" not in archive.members:
        return None
    hooks = [n for n in code if archive.members[n].size <= MAX_CODE_SCAN
             and b"__setstate__" in archive.read(n)]
    shown = ", ".join(n.removeprefix(prefix) for n in code[:4]) + (
        f", … {len(code)} files" if len(code) > 4 else "")
    if hooks:
        return Finding("TorchScript code", Severity.UNKNOWN_CALL,
                       f"torch.jit.load runs TorchScript __setstate__ in {len(hooks)} code "
                       f"file(s) while loading; code files: {shown}", "code/", True)
    return Finding("TorchScript code", Severity.UNKNOWN_CLASS,
                   f"TorchScript archive: {len(code)} code file(s) compiled by torch.jit.load "
                   f"and run when the model is called ({shown})", "code/", False)


def read(path: str | os.PathLike[str], limits: Limits | None = None,
         progress: Progress | None = None) -> LoadResult:
    """Read a torch or TorchScript zip archive statically."""
    spath = os.fspath(path)
    limits = limits or Limits()
    handle, size = open_file(spath)
    budget = limits.budget_for(size)
    hasher = Sha256(spath)
    hasher.start()
    with handle, SafeZip(spath, budget) as archive:
        prefix = _prefix(archive.names())
        if prefix is None:
            raise CorruptFileError("zip archive without data.pkl", spath)
        extra = list(zip_findings(archive))
        code = _code_finding(archive, prefix)
        if code is not None:
            extra.append(code)
        byteorder = _record(archive, f"{prefix}byteorder") or "little"
        if byteorder not in ("little", "big"):
            raise CorruptFileError(f"unknown byteorder record {byteorder[:16]!r}", spath)
        records = _archive_records(archive, prefix)
        source = ZipStorages(archive, prefix, handle)
        factory = TensorFactory(source, byteorder, spath)
        loader = persistent_loader(archive, source)
        session = Session(limits, spath, budget)
        root = _guarded(lambda: read_pickle(archive, f"{prefix}data.pkl", session, factory,
                                            loader), session, spath)
        if code is not None and f"{prefix}constants.pkl" in archive.members:
            with contextlib.suppress(CorruptFileError):
                read_pickle(archive, f"{prefix}constants.pkl", session, factory, loader)
    if progress is not None:
        progress(size, size)
    fmt = FileFormat.TORCHSCRIPT if code is not None else FileFormat.TORCH
    loaded = result(spath, size, hasher.digest(), fmt, root, session, tuple(extra))
    return replace(loaded, provenance=Provenance(facts=records))


def _guarded(run: Any, session: Session, spath: str) -> Any:
    """Run a read; on a broken stream after unsafe content, keep what was seen (exit 3)."""
    try:
        return run()
    except MemoryError as exc:
        raise LimitExceededError("out of memory while reading the file", spath) from exc
    except RecursionError as exc:
        raise LimitExceededError("object nesting too deep", spath) from exc
    except HpinspectError:
        seen = torch_findings(_findings(session, {}), session)
        if verdict_of(seen) != Verdict.UNSAFE:
            raise
        return None


def result(spath: str, size: int, digest: str, fmt: FileFormat, root: Any, session: Session,
           extra: tuple[Finding, ...]) -> LoadResult:
    """The LoadResult of a torch read: findings located in the graph, torch policy applied."""
    paths = locate(root, wanted_ids(session)) if root is not None else {}
    findings = torch_findings(_findings(session, paths) + extra, session)
    info = FileInfo(path=spath, size_bytes=size, sha256=digest, format=fmt, compression=None,
                    pickle_protocol=session.declared_proto if session.declared_proto is not None
                    else session.max_proto)
    return LoadResult(root=root, file=info, safety=Safety(verdict_of(findings), findings))
