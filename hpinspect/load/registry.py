"""Which reader opens a path: one module of :mod:`hpinspect.load` per container format.

A reader module exports ``FORMAT`` (a :class:`~hpinspect.report.FileFormat` or a short name),
``detect(probe) -> bool`` (cheap: it looks at the first bytes, the zip member names or the
folder listing, never parses the whole file) and ``read(path, limits, progress) ->
LoadResult``. Readers are tried in the order of :data:`READERS`; the pickle/joblib reader is
the fallback, so a new format is one module plus one line here. Each line also names the
:class:`Shape` of path the reader can claim (a folder, a zip archive, any file): a necessary
condition of its ``detect``, checked before the module is imported, so a plain pickle never
imports the folder and zip readers (nor what they import), and ``--help`` imports none. The
readers that may claim any file have their ``detect`` in :mod:`hpinspect.load.sniff`, run
before the import too: a pickle imports none of them either.
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType

from hpinspect.errors import FileAccessError
from hpinspect.load import sniff

HEAD_BYTES = 4096
NOT_A_FILE = ("not a regular file (a pipe, socket or device): hpinspect reads a model file "
              "twice, to parse and to hash it; save it to a file first")



class Shape(StrEnum):
    """The kind of path a reader can claim (its ``detect`` is false for every other)."""

    FOLDER = "folder"
    ZIP = "zip"
    """A file starting with ``PK``."""
    FILE = "file"
    """Any file (not a folder)."""


READERS: tuple[tuple[str, Shape, Callable[[Probe], bool] | None], ...] = (
    # most specific first; each name is a module of hpinspect.load. A reader that may claim
    # any file has its detect in load/sniff.py, run before the module is imported.
    ("hpinspect.load.mlflow", Shape.FOLDER, None),  # a folder with an MLmodel file
    ("hpinspect.load.skops", Shape.ZIP, None),  # a zip with schema.json
    ("hpinspect.load.torch_zip", Shape.ZIP, None),
    ("hpinspect.load.torch_legacy", Shape.FILE, sniff.torch_legacy),
    ("hpinspect.load.safetensors", Shape.FILE, sniff.safetensors),
    # xgboost .json/.ubj, LightGBM .txt, CatBoost .cbm
    ("hpinspect.load.boosters", Shape.FILE, sniff.booster),
    # .npy (\x93NUMPY), .npz (a zip of .npy members only)
    ("hpinspect.load.npy", Shape.FILE, sniff.npy),
    ("hpinspect.load.zip_pickles", Shape.ZIP, None),
    ("hpinspect.load.pickle_file", Shape.FILE, None),  # fallback: must stay last
)


@dataclass
class Probe:
    """What detectors may look at: the path, whether it is a folder, and the first bytes."""

    path: str
    is_dir: bool
    head: bytes = b""
    """The first :data:`HEAD_BYTES` bytes of a file (empty for folders)."""
    _zip_names: list[str] | None = field(default=None, repr=False)

    def zip_names(self) -> list[str]:
        """Member names when the file is a zip archive (empty otherwise); read once."""
        if self._zip_names is None:
            self._zip_names = []
            if not self.is_dir and self.head.startswith(b"PK"):
                import zipfile  # (a zip's names only: a pickle never imports it)

                try:
                    with zipfile.ZipFile(self.path) as archive:
                        self._zip_names = archive.namelist()
                except (zipfile.BadZipFile, OSError, ValueError, EOFError):
                    self._zip_names = []
        return self._zip_names

    @property
    def shape(self) -> frozenset[Shape]:
        """Every :class:`Shape` this path has (a zip archive is also a file)."""
        if self.is_dir:
            return frozenset({Shape.FOLDER})
        if self.head.startswith(b"PK"):
            return frozenset({Shape.ZIP, Shape.FILE})
        return frozenset({Shape.FILE})

    def listing(self) -> list[str]:
        """Entry names of a folder (empty for files)."""
        if not self.is_dir:
            return []
        try:
            return sorted(os.listdir(self.path))
        except OSError:
            return []


def probe(path: str) -> Probe:
    """A :class:`Probe` of ``path``; missing and unreadable paths raise FileAccessError."""
    if os.path.isdir(path):
        return Probe(path, True)
    try:
        # non-blocking: opening a pipe with no writer would wait forever
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) |
                     getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise FileAccessError(NOT_A_FILE, path)
            head = handle.read(HEAD_BYTES)
    except FileNotFoundError as exc:
        raise FileAccessError("no such file", path) from exc
    except PermissionError as exc:
        raise FileAccessError("permission denied", path) from exc
    except OSError as exc:
        raise FileAccessError(f"cannot open: {exc.strerror or exc}", path) from exc
    return Probe(path, False, head)


def reader_for(found: Probe) -> ModuleType:
    """The first reader module whose ``detect`` accepts ``found``.

    Raises FileAccessError for a folder no reader claims (files always reach the fallback).
    """
    shapes = found.shape
    for name, shape, sniffed in READERS:
        if shape not in shapes or (sniffed is not None and not sniffed(found)):
            continue  # its detect would say no: not even imported
        module = importlib.import_module(name)
        if sniffed is not None or module.detect(found):
            return module
    raise FileAccessError("is a directory, not a model file", found.path)
