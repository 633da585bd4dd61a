"""The one factory for rich consoles: rendering into a string, or progress on stderr.

Every console hpinspect makes interprets no markup and no emoji codes and highlights nothing, so
text that came from a file is shown as the characters it is.
"""

from __future__ import annotations

import io

from rich.console import Console

__all__ = ["StringConsole", "stderr_console", "string_console"]


class StringConsole(Console):
    """A console writing into memory; :meth:`text` returns what was printed."""

    def text(self) -> str:
        """Everything printed so far."""
        assert isinstance(self.file, io.StringIO)
        return self.file.getvalue()


def string_console(width: int, color: bool) -> StringConsole:
    """A console laid out for ``width`` columns, ANSI colours only when ``color``."""
    return StringConsole(file=io.StringIO(), width=width, force_terminal=color,
                         color_system="standard" if color else None, no_color=not color,
                         highlight=False, soft_wrap=False, markup=False, emoji=False)


def stderr_console() -> Console:
    """The console for progress bars (stderr; rich decides about colours)."""
    return Console(stderr=True, highlight=False, markup=False, emoji=False)
