"""Any other zip archive holding pickles: every pickle member is inspected.

Members named like pickles (``.pkl``, ``.pickle``, ``.joblib``, ``.pt``, ``.pth``, ``.bin``,
``.ckpt``) or starting with a pickle PROTO opcode are read by the restricted unpickler within
the archive's byte budget (zip bombs stop at the budget; reads never exceed a member's
declared size). Names that would escape an extraction folder (zip-slip) and duplicate names
are findings, since other tools do extract archives.
"""

from __future__ import annotations

import dataclasses
import os
import zipfile
from collections.abc import Iterator
from typing import Any

from hpinspect.errors import LimitExceededError
from hpinspect.load.common import LoadResult, Progress, Sha256, open_file, verdict_of
from hpinspect.load.limits import Limits
from hpinspect.load.pickle_file import _findings, locate, read_streams, wanted_ids
from hpinspect.load.unpickler import Session
from hpinspect.load.zipsafe import SafeZip, unsafe_name
from hpinspect.report import SEVERITIES, FileFormat, FileInfo, Finding, Safety, Severity

FORMAT = FileFormat.ZIP
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".bin", ".ckpt", ".p")


def detect(found: Any) -> bool:
    """A zip archive with at least one member named like a pickle."""
    if found.is_dir or not found.head.startswith(b"PK"):
        return False
    return any(n.lower().endswith(PICKLE_SUFFIXES) for n in found.zip_names())


def zip_findings(archive: SafeZip) -> Iterator[Finding]:
    """Zip-slip member names and duplicate names, as findings."""
    for name in archive.names():
        why = unsafe_name(name)
        if why is not None:
            yield Finding(f"zip member {name[:80]!r}", Severity.DANGEROUS,
                          f"zip-slip: {why}; extracting the archive writes outside its folder",
                          name[:80], False)
    if archive.duplicate_names:
        yield Finding("zip member names", Severity.UNKNOWN_CALL,
                      f"{archive.duplicate_names} member name(s) repeat: readers disagree on "
                      "which copy they load", "(archive)", False)


def _is_pickle(raw: zipfile.ZipFile, archive: SafeZip, name: str) -> bool:
    if name.lower().endswith(PICKLE_SUFFIXES):
        return True
    if archive.members[name].size < 2:
        return False
    try:  # two decompressed bytes: the PROTO opcode of protocols 2-5
        with raw.open(name) as handle:
            head = handle.read(2)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False
    return head[:1] == b"\x80" and 2 <= head[1] <= 5


def read(path: str | os.PathLike[str], limits: Limits | None = None,
         progress: Progress | None = None) -> LoadResult:
    """Inspect every pickle member of a zip archive."""
    spath = os.fspath(path)
    limits = limits or Limits()
    handle, size = open_file(spath)
    handle.close()
    budget = limits.budget_for(size)
    hasher = Sha256(spath)
    hasher.start()
    root: dict[str, Any] = {}
    findings: list[Finding] = []
    with SafeZip(spath, budget) as archive, zipfile.ZipFile(spath) as raw:
        findings.extend(zip_findings(archive))
        for name in archive.names():
            if name.endswith("/") or not _is_pickle(raw, archive, name):
                continue
            root[name], found = _member(archive, name, limits, budget, spath)
            findings.extend(found)
    if progress is not None:
        progress(size, size)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (rank[f.severity], f.global_name))
    info = FileInfo(path=spath, size_bytes=size, sha256=hasher.digest(), format=FileFormat.ZIP,
                    compression=None, pickle_protocol=0)
    out = tuple(findings)
    return LoadResult(root=root, file=info, safety=Safety(verdict_of(out), out))


def _member(archive: SafeZip, name: str, limits: Limits, budget: int,
            spath: str) -> tuple[Any, list[Finding]]:
    """One pickle member: its inert graph and its findings (paths prefixed by the member)."""
    session = Session(limits, spath, budget)
    value: Any = None
    with archive.open(name) as stream:
        streams = read_streams(stream, session, "pickle")
    if isinstance(streams.error, LimitExceededError):
        raise streams.error
    if streams.roots:
        value = streams.roots[0]
    elif streams.broken is not None and not session.globals:
        value = f"(unreadable pickle member: {streams.broken[:80]})"
    paths = locate(value, wanted_ids(session)) if value is not None else {}
    found = [dataclasses.replace(f, path=f"{name[:80]}:{f.path}")
             for f in _findings(session, paths)]
    return value, found
