"""Typed exceptions raised by the library; only the CLI maps them to exit codes."""

from __future__ import annotations


class HpinspectError(Exception):
    """Base class of every error hpinspect raises on purpose."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class UsageError(HpinspectError):
    """Bad options, rules or configuration given by the user (exit 2)."""


class FileAccessError(HpinspectError):
    """The file is missing, a directory, or cannot be read (exit 2)."""


class UnsupportedFormatError(HpinspectError):
    """The bytes are not a pickle or joblib file hpinspect understands (exit 2)."""


class CorruptFileError(HpinspectError):
    """The file looks like a pickle but is truncated or malformed (exit 2)."""


class LimitExceededError(HpinspectError):
    """The file would exceed a resource limit (exit 2)."""


class MissingExtraError(HpinspectError):
    """Reading the file needs an optional package that is not installed (exit 2)."""
