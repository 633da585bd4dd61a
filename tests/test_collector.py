"""The counted garbage-collector pause (``hpinspect/collector.py``): nested and overlapping
pauses across threads turn the collector back on once, and only if it was on before."""

from __future__ import annotations

import gc
import os
import threading

from hpinspect import collector


def test_overlapping_pauses_restore_the_collector_once() -> None:
    assert gc.isenabled()
    started, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector.paused():
            started.set()
            release.wait(30)

    thread = threading.Thread(target=other)
    with collector.paused():
        assert not gc.isenabled()
        thread.start()
        started.wait(30)
    assert not gc.isenabled()  # the other thread's pause is still under way
    release.set()
    thread.join(30)
    assert gc.isenabled()


def test_a_collector_off_before_stays_off() -> None:
    gc.disable()
    try:
        with collector.paused(), collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_child_forked_during_a_pause_pauses_on_its_own() -> None:
    with collector.paused():
        pid = os.fork()
        if pid == 0:  # the child, as a scan worker forked while its parent receives results
            collector.after_fork()
            ok = gc.isenabled()
            with collector.paused():
                ok = ok and not gc.isenabled()
            os._exit(0 if ok and gc.isenabled() else 1)
        _, status = os.waitpid(pid, 0)
        assert not gc.isenabled()
    assert os.waitstatus_to_exitcode(status) == 0
    assert gc.isenabled()
