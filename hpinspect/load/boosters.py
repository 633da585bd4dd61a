"""Native booster files, detected by content: xgboost ``save_model`` JSON/UBJSON, LightGBM
model text, CatBoost CBM.

The file becomes the same inert value a pickle of the raw booster gives — a
:class:`~hpinspect.load.objects.Stub` of ``xgboost.core.Booster`` (state ``handle``),
``lightgbm.basic.Booster`` (``_handle``) or ``catboost.core.CatBoost`` (``__model``) holding
the file's bytes — so :mod:`hpinspect.classify` decodes native and pickled boosters by one code
path. The whole file is decoded once here (by :mod:`hpinspect.decode`, never the libraries):
a truncated or garbled file is refused like the library's own loader refuses it. Nothing is
imported or executed, so the verdict is always ``safe``.
"""

from __future__ import annotations

import os
from typing import Any

from hpinspect.decode import DecodeError
from hpinspect.errors import CorruptFileError, LimitExceededError
from hpinspect.load import sniff
from hpinspect.load.common import LoadResult, Progress, Sha256, open_file
from hpinspect.load.limits import Limits
from hpinspect.load.objects import GlobalRef, Stub
from hpinspect.report import FileFormat, FileInfo, Safety, Verdict

FORMAT = "boosters"
detect = sniff.booster

_KINDS: dict[FileFormat, tuple[str, str, str]] = {
    FileFormat.XGBOOST_JSON: ("xgboost.core", "Booster", "handle"),
    FileFormat.XGBOOST_UBJ: ("xgboost.core", "Booster", "handle"),
    FileFormat.LIGHTGBM_TEXT: ("lightgbm.basic", "Booster", "_handle"),
    FileFormat.CATBOOST_CBM: ("catboost.core", "CatBoost", "__model"),
}


def _check_xgboost(data: bytes, decode: Any) -> None:
    document = decode(data)
    if not isinstance(document, dict) or not isinstance(document.get("learner"), dict):
        raise DecodeError("no 'learner' object")


def _check_json(data: bytes) -> None:
    from hpinspect.decode.ubjson import loads_json  # decoders: imported for booster files only

    _check_xgboost(data, loads_json)


def _check_ubjson(data: bytes) -> None:
    from hpinspect.decode.ubjson import loads_ubjson

    _check_xgboost(data, loads_ubjson)


def _check_cbm(data: bytes) -> None:
    from hpinspect.decode.catboost_cbm import parse

    parse(data)


def _check_lightgbm(data: bytes) -> None:
    from hpinspect.decode.lightgbm_text import parse

    parse(data)
    if b"\nend of trees" not in data:  # LightGBM's own loader needs it (a truncated file)
        raise DecodeError("no 'end of trees' line")
    if b"\nparameters:" in data and b"\nend of parameters" not in data:
        raise DecodeError("the parameters section has no end (LightGBM's loader crashes here)")


_CHECKS: dict[FileFormat, Any] = {
    FileFormat.XGBOOST_JSON: _check_json,
    FileFormat.XGBOOST_UBJ: _check_ubjson,
    FileFormat.LIGHTGBM_TEXT: _check_lightgbm,
    FileFormat.CATBOOST_CBM: _check_cbm,
}
"""Whole-file checks: a native file that is not what its first bytes claim is refused (exit 2,
as the library's own loader refuses it), not shown with a decoder note."""


def read(path: str, limits: Limits | None = None, progress: Progress | None = None) -> LoadResult:
    """The file as a Booster stand-in holding its bytes."""
    spath = os.fspath(path)
    limits = limits or Limits()
    handle, size = open_file(spath)
    with handle:
        budget = limits.budget_for(size)
        if size > budget:
            raise LimitExceededError(f"file of {size:,} bytes exceeds the byte budget "
                                     f"({budget:,})", spath)
        hasher = Sha256(spath)
        hasher.start()
        data = handle.readall()
        if progress is not None:
            progress(len(data), size)
        digest = hasher.digest()
    kind = sniff.booster_format(data[:4096]) or FileFormat.XGBOOST_UBJ
    try:
        _CHECKS[kind](data)
    except DecodeError as exc:
        raise CorruptFileError(f"not a readable {kind.value} model ({str(exc)[:160]})",
                               spath) from exc
    module, name, key = _KINDS[kind]
    stub = Stub(GlobalRef(module, name), (), "native")
    payload: bytes | str = data
    if kind == FileFormat.LIGHTGBM_TEXT:
        payload = data.decode("utf-8", errors="replace")
    stub.state = {key: payload}
    info = FileInfo(path=spath, size_bytes=size, sha256=digest, format=kind, compression=None,
                    pickle_protocol=0)
    return LoadResult(root=stub, file=info, safety=Safety(Verdict("safe"), ()))
