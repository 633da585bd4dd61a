"""hpinspect: inspect pickle/joblib model files without executing anything in them.

Typed public API::

    from hpinspect import inspect_file
    report = inspect_file("model.joblib")
    report.safety.verdict, report.model.attributes
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from hpinspect.classify.config import Overrides
    from hpinspect.load import Limits, Progress
    from hpinspect.report import Report

__all__ = ["__version__", "inspect_file"]


def inspect_file(path: str | os.PathLike[str], *, limits: Limits | None = None,
                 overrides: Overrides | None = None, expand_members: bool = False,
                 progress: Progress | None = None) -> Report:
    """Read ``path`` statically and return its :class:`~hpinspect.report.Report`.

    Raises :class:`hpinspect.errors.HpinspectError` subclasses for unreadable, broken or
    over-limit files. Never imports scikit-learn and never executes file content.
    """
    from hpinspect.classify import classify
    from hpinspect.load import read_model
    from hpinspect.report import Report

    loaded = read_model(path, limits=limits, progress=progress)
    model, versions = classify(loaded.root, overrides, expand_members)
    return Report(file=loaded.file, versions=versions, safety=loaded.safety, model=model)
