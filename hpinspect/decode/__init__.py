"""Embedded model formats read without their libraries: pure functions over bytes.

:mod:`.ubjson` (xgboost's UBJSON and JSON models), :mod:`.lightgbm_text` (LightGBM's model text)
and :mod:`.catboost_cbm` (CatBoost's CBM flatbuffers). Every decoder checks each size the bytes
declare against what is left of the input before allocating, caps nesting, and raises
:class:`DecodeError` (never anything else) on malformed input.
"""

from __future__ import annotations


class DecodeError(ValueError):
    """The bytes are not a well-formed model of the expected format (the message says where)."""


__all__ = ["DecodeError"]
