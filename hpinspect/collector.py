"""The cyclic garbage collector, paused while hpinspect builds or receives large object graphs.

An unpickler builds millions of container objects that a collection pass walks again and
again (half the time of a 3-million-set file), and a scan's parent keeps a growing heap of
unpickled results; neither makes garbage cycles. The pause is process-wide, so it is counted
across threads (scan reads files in threads under a foreign executor): the collector comes
back on when the last pause ends, and only if it was on when the first began.

A pause only defers the work: the first collection after it walks every object the reading
made, and the next ones walk them again as they age (8-43 ms of a model file's run, a tenth
of a HistGradientBoosting model's). The command line's own process, which reads one file or
a few in turn and then ends, turns automatic collection off for good
(:func:`off_for_program`) and collects the youngest generation between files
(:func:`between_files`), where the previous file's reading (its stand-in classes and session
refer to each other) becomes garbage. ``scan``, which reads many files in one process, keeps
the collector.
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


_PROGRAM = False
"""Whether :func:`off_for_program` turned automatic collection off for this process."""


def off_for_program() -> None:
    """Automatic collection off for the rest of this process (see the module docstring)."""
    global _PROGRAM
    with _PAUSES.lock:
        _PROGRAM = True
        _PAUSES.was_enabled = False  # (a pause under way does not turn it back on)
        gc.disable()


def between_files() -> None:
    """Before the next file of a command: what the previous file's reading left is freed,
    when :func:`off_for_program` turned the automatic collections off. Only the youngest
    generation is walked: with nothing collected since, it holds every object the previous
    file's reading made, and not the reports kept from the files before (a full pass walks
    those again each time: 300 small files took 8-9 s instead of 2)."""
    if _PROGRAM:
        gc.collect(0)


def after_fork() -> None:
    """In a process forked during a pause: no pause of its own under way, collector on."""
    global _PAUSES
    _PAUSES = _Pauses()
    gc.enable()
