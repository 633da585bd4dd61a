"""The first-bytes tests of the readers that may claim any file, in one small module.

The registry tries these readers on every file before the pickle fallback; each test here
looks only at the :class:`~hpinspect.load.registry.Probe` (the first bytes, the name, a zip's
member names), so a pickle is told apart without importing the torch, safetensors, booster or
``.npy`` readers (3–4 ms of a small file's start-up). Each reader's ``detect`` is its test
here, and the constants the tests need (magic numbers, header limits) live here too.
"""

from __future__ import annotations

import re
from typing import Any

from hpinspect.report import FileFormat

TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
"""The first value of a pre-1.6 ``torch.save`` file."""
_TORCH_LEGACY_BYTES = TORCH_LEGACY_MAGIC.to_bytes(10, "little")

SAFETENSORS_MAX_HEADER = 100 << 20
"""Longest safetensors JSON header accepted (the u64 before it says how long it is)."""

NPY_MAGIC = b"\x93NUMPY"

_XGB_JSON = re.compile(rb'\A\s*\{\s*"learner"\s*:')
# UBJSON object, then the key "learner" (or "Config") with an int8/uint8/int16/int32/int64 length
_XGB_UBJ = re.compile(rb"\A\{(?:[#$][^{]{0,10})?(?:i|U)?(?:L\x00{7}|l\x00{3}|I\x00|)"
                      rb"[\x06\x07](?:learner|Config)")
_LGB_TEXT = re.compile(rb"\Atree\r?\nversion=v\d")


def torch_legacy(found: Any) -> bool:
    """A pickle whose first value is torch's legacy magic number."""
    head = found.head
    text = head.startswith((b"L119547037146038801333356", b"\x80\x01L119547037146038801333356"))
    return not found.is_dir and ((head[:1] == b"\x80" and _TORCH_LEGACY_BYTES in head[:20])
                                 or text)


def safetensors(found: Any) -> bool:
    """An 8-byte header length followed by ``{``, or a sharded-checkpoint index."""
    if found.is_dir:
        return False
    head = found.head
    if len(head) >= 9 and head[8:9] == b"{":
        return 2 <= int.from_bytes(head[:8], "little") <= SAFETENSORS_MAX_HEADER
    return found.path.endswith(".safetensors.index.json") and b'"weight_map"' in head


def booster_format(head: bytes) -> FileFormat | None:
    """Which native booster format ``head`` starts, if any."""
    if head.startswith(b"CBM1"):
        return FileFormat.CATBOOST_CBM
    if _LGB_TEXT.match(head):
        return FileFormat.LIGHTGBM_TEXT
    if _XGB_JSON.match(head):
        return FileFormat.XGBOOST_JSON
    if _XGB_UBJ.match(head):
        return FileFormat.XGBOOST_UBJ
    return None


def booster(found: Any) -> bool:
    """A file whose first bytes are one of the native booster formats."""
    return not found.is_dir and booster_format(found.head) is not None


def is_zfile(path: str, head: bytes) -> bool:
    """A joblib <= 0.9 ``.npy.z`` sidecar (a ``ZF`` zfile of raw array bytes)."""
    return path.endswith(".npy.z") and head.startswith(b"ZF0x")


def npy(found: Any) -> bool:
    """``\\x93NUMPY`` at the start, a zip archive whose every member is a ``.npy``, or a
    joblib <= 0.9 ``.npy.z`` sidecar."""
    if found.is_dir:
        return False
    if found.head.startswith(NPY_MAGIC) or is_zfile(found.path, found.head):
        return True
    if not found.head.startswith(b"PK"):
        return False
    names = [n for n in found.zip_names() if not n.endswith("/")]
    return bool(names) and all(n.endswith(".npy") for n in names)
