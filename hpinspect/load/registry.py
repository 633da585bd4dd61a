"""Which reader opens a path: one module of :mod:`hpinspect.load` per container format.

A reader module exports ``FORMAT`` (a :class:`~hpinspect.report.FileFormat` or a short name),
``detect(probe) -> bool`` (cheap: it looks at the first bytes, the zip member names or the
folder listing, never parses the whole file) and ``read(path, limits, progress) ->
LoadResult``. Readers are tried in the order of :data:`READERS`; the pickle/joblib reader is
the fallback, so a new format is one module plus one line here. Modules are imported lazily
so ``--help`` and small files pay only for the readers they reach.
"""

from __future__ import annotations

import importlib
import os
import zipfile
from dataclasses import dataclass, field
from types import ModuleType

from hpinspect.errors import FileAccessError

HEAD_BYTES = 4096

READERS: tuple[str, ...] = (
    # most specific first; each name is a module of hpinspect.load
    "hpinspect.load.mlflow",  # a folder with an MLmodel file
    "hpinspect.load.skops",  # a zip with schema.json
    "hpinspect.load.torch_zip",
    "hpinspect.load.torch_legacy",
    "hpinspect.load.safetensors",
    "hpinspect.load.boosters",  # xgboost .json/.ubj, LightGBM .txt, CatBoost .cbm
    "hpinspect.load.npy",  # .npy (\x93NUMPY) and .npz (a zip of .npy members only)
    "hpinspect.load.zip_pickles",
    "hpinspect.load.pickle_file",  # fallback: must stay last
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
                try:
                    with zipfile.ZipFile(self.path) as archive:
                        self._zip_names = archive.namelist()
                except (zipfile.BadZipFile, OSError, ValueError, EOFError):
                    self._zip_names = []
        return self._zip_names

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
        with open(path, "rb") as handle:
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
    for name in READERS:
        module = importlib.import_module(name)
        if module.detect(found):
            return module
    raise FileAccessError("is a directory, not a model file", found.path)
