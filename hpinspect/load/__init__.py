"""Bytes on disk -> an inert object graph plus security findings, without executing the file.

:func:`read_model` is the only entry point: it probes the path (first bytes, zip member names,
folder listing), picks the reader for its container format from
:mod:`hpinspect.load.registry` and returns that reader's :class:`LoadResult`. Every reader
yields the same vocabulary of inert values (:class:`Stub`, :class:`GlobalRef`,
:class:`ArrayStub`, small numpy arrays built by hpinspect, builtins), so the classifier never
needs to know which container a model came from.
"""

from __future__ import annotations

import os

from hpinspect.load.common import LoadResult, Progress, short_key
from hpinspect.load.limits import Limits
from hpinspect.load.objects import ArrayStub, GlobalRef, Stub
from hpinspect.load.registry import probe, reader_for

__all__ = ["ArrayStub", "GlobalRef", "Limits", "LoadResult", "Progress", "Stub", "read_model",
           "short_key"]


def read_model(path: str | os.PathLike[str], limits: Limits | None = None,
               progress: Progress | None = None, *, hash_later: bool = False) -> LoadResult:
    """Read ``path`` statically. Raises :class:`~hpinspect.errors.HpinspectError` subclasses.

    With ``hash_later`` the file's hash may still be running (``file.sha256`` is empty until
    :meth:`LoadResult.complete`), so that whatever comes next runs beside it."""
    spath = os.fspath(path)
    found = probe(spath)
    reader = reader_for(found)
    result: LoadResult = reader.read(spath, limits or Limits(), progress)
    return result if hash_later else result.complete()
