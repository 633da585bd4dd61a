"""The cyclic garbage collector, paused while hpinspect builds or receives large object graphs.

An unpickler builds millions of container objects that a collection pass walks again and
again (half the time of a 3-million-set file), and a scan's parent keeps a growing heap of
unpickled results; neither makes garbage cycles. The pause is process-wide, so it is counted
across threads (scan reads files in threads under a foreign executor): the collector comes
back on when the last pause ends, and only if it was on when the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class _Pauses:
    """Pauses under way, and whether the collector was on before the first began."""

    count: int = 0
    was_enabled: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_PAUSES = _Pauses()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector off for the ``with`` block (counted; see the module docstring)."""
    with _PAUSES.lock:
        if _PAUSES.count == 0:
            _PAUSES.was_enabled = gc.isenabled()
            gc.disable()
        _PAUSES.count += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.count -= 1
            if _PAUSES.count == 0 and _PAUSES.was_enabled:
                gc.enable()


def after_fork() -> None:
    """In a process forked during a pause: no pause of its own under way, collector on."""
    global _PAUSES
    _PAUSES = _Pauses()
    gc.enable()
