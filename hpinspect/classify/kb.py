"""Re-export of :mod:`hpinspect.kb` (the knowledge base moved so ``load/`` need not import
``classify/``)."""

from __future__ import annotations

from hpinspect.kb import (
    KB_FILE,
    REQUIRED,
    DefaultRef,
    DefaultRepr,
    EstimatorInfo,
    KnowledgeBase,
    decode_default,
    knowledge_base,
)

__all__ = ["KB_FILE", "REQUIRED", "DefaultRef", "DefaultRepr", "EstimatorInfo",
           "KnowledgeBase", "decode_default", "knowledge_base"]
