"""``python -m hpinspect`` (and the ``hpinspect`` console script) runs the command line.

:func:`run` ends the process with ``os._exit`` once the command has finished, its output is
flushed and the ``atexit`` handlers have run: the interpreter's own shutdown (tearing down
every module and freeing every object one by one) is about a sixth of a small file's time and
changes nothing a caller can see. It falls back to the ordinary exit whenever that could
matter: another non-daemon thread still running, an exit status that is not a number,
output that cannot be flushed (a closed pipe keeps Python's own report and status), or
hpinspect run from another program (``runpy.run_module``) that continues after it.

The same process, but for ``scan`` (many files), turns the cyclic garbage collector's
automatic passes off (:func:`hpinspect.collector.off_for_program`): one file's run makes no
garbage cycles worth a pass, and a pass walks every object the reading made.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def _others_running() -> bool:
    """Whether a non-daemon thread besides this one is alive (the normal exit joins it)."""
    main = threading.main_thread()
    return any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate())


def _is_the_program() -> bool:
    """Whether this is the process's own program (``python -m hpinspect``, the console
    script), not hpinspect run from another program (``runpy.run_module``) that goes on after
    the SystemExit."""
    return getattr(sys.modules.get("__main__"), "run", None) is run


def run() -> None:
    """Run :func:`hpinspect.cli.main`, then leave without the interpreter's teardown."""
    if _is_the_program() and sys.argv[1:2] != ["scan"]:
        from hpinspect import collector

        collector.off_for_program()  # (before the imports: their collections too)
    from hpinspect.cli import main

    status: str | int | None = 0
    try:
        main()
    except SystemExit as exc:
        status = 0 if exc.code is None else exc.code
    if not isinstance(status, int) or _others_running() or not _is_the_program():
        sys.exit(status)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(status)  # the ordinary path reports the failed flush, as Python does
    atexit._run_exitfuncs()
    os._exit(status)


if __name__ == "__main__":
    run()
