"""Zip archives read within the byte budget: torch checkpoints, skops files, npz, plain zips.

Nothing is extracted to disk (so a member called ``../../etc/passwd`` cannot escape anywhere),
but such names are still reported, because other tools do extract. Declared sizes are checked
against the per-file budget before a member is read, and reads stop at the declared size even
when the compressed stream would inflate further (zip bombs).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from hpinspect.errors import CorruptFileError, LimitExceededError

MAX_MEMBERS = 100_000
CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """One archive member as the central directory declares it."""

    name: str
    size: int
    """Declared uncompressed size."""
    compressed_size: int
    stored: bool
    """Stored without compression (torch writes its storages this way)."""
    data_offset: int
    """Offset of the member's data in the archive file (for stored members: raw bytes)."""


def unsafe_name(name: str) -> str | None:
    """Why ``name`` would escape an extraction folder (zip-slip), or ``None``."""
    if "\x00" in name:
        return "member name contains a NUL byte"
    clean = name.replace("\\", "/")
    if clean.startswith("/") or (len(clean) > 1 and clean[1] == ":"):
        return "absolute member path"
    if ".." in clean.split("/"):
        return "member path climbs out of the archive folder (..)"
    return None


class SafeZip:
    """A read-only zip archive whose members are read with the byte budget enforced."""

    def __init__(self, path: str, budget: int) -> None:
        self.path = path
        self.budget = budget
        """Bytes that may still be read out of the archive in total."""
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise CorruptFileError(f"broken zip archive: {exc}", path) from exc
        if len(infos) > MAX_MEMBERS:
            raise LimitExceededError(f"zip archive with {len(infos):,} members (more than "
                                     f"{MAX_MEMBERS:,})", path)
        self.members: dict[str, Member] = {}
        for info in infos:
            self.members.setdefault(info.filename, Member(
                info.filename, info.file_size, info.compress_size,
                info.compress_type == zipfile.ZIP_STORED, self._data_offset(info)))
        self.duplicate_names = len(infos) - len(self.members)
        """Members whose name repeats an earlier one (loaders disagree on which wins)."""

    def _data_offset(self, info: zipfile.ZipInfo) -> int:
        fp = self._zip.fp
        if fp is None:  # pragma: no cover - the archive is open
            return -1
        fp.seek(info.header_offset)
        header = fp.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            return -1
        name_len = int.from_bytes(header[26:28], "little")
        extra_len = int.from_bytes(header[28:30], "little")
        return info.header_offset + 30 + name_len + extra_len

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()

    def names(self) -> list[str]:
        """Member names in archive order."""
        return list(self.members)

    def _charge(self, member: Member) -> None:
        if member.size > self.budget:
            raise LimitExceededError(
                f"zip member {member.name!r} declares {member.size:,} bytes, over the "
                f"remaining budget of {self.budget:,} (raise it with --max-bytes)", self.path)
        self.budget -= member.size

    def read(self, name: str) -> bytes:
        """The whole member (charged to the budget); for small members such as data.pkl."""
        return b"".join(self.iter_chunks(name))

    def iter_chunks(self, name: str, chunk: int = CHUNK) -> Iterator[bytes]:
        """The member's bytes in chunks, never more than its declared size."""
        member = self.members[name]
        self._charge(member)
        left = member.size
        try:
            with self._zip.open(name) as handle:
                while left > 0:
                    part = handle.read(min(chunk, left))
                    if not part:
                        break
                    left -= len(part)
                    yield part
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise CorruptFileError(f"broken zip member {name!r}: {exc}", self.path) from exc
        if left:
            raise CorruptFileError(f"zip member {name!r} is shorter than declared", self.path)

    def open(self, name: str) -> BinaryIO:
        """A file object over the member (charged to the budget up front)."""
        return io.BufferedReader(_ChunkRaw(self.iter_chunks(name)), CHUNK)


class _ChunkRaw(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            nxt = next(self._chunks, None)
            if nxt is None:
                return 0
            self._pending = nxt
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
