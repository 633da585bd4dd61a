"""Helpers shared by the tests (importable as ``helpers``: tests/ is on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hpinspect.report import Report

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (REPO / "sample_models").iterdir()
                 if p.suffix in (".joblib", ".pkl"))


def run_cli(*args: str, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m hpinspect`` in a subprocess (a real process: real exit code, stderr)."""
    full_env = dict(os.environ)
    full_env.pop("FORCE_COLOR", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "hpinspect", *args], capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=300, check=False)


GOLDEN = REPO / "tests" / "render" / "golden"
"""Expected renderer outputs (``UPDATE_GOLDEN=1`` rewrites them)."""
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
GOLDEN_MODELS = REPO / "tests" / "data" / "golden_models"
"""Committed fitted models (``scripts/make_golden_models.py``): goldens never depend on a fit
done at test time, whose last float digits vary with the CPU and BLAS kernel."""


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with ``tests/render/golden/<name>``; ``UPDATE_GOLDEN=1`` rewrites the file."""
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run the tests with UPDATE_GOLDEN=1 to write it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs; if the change is intended, UPDATE_GOLDEN=1"


def stable(report: Report) -> Report:
    """``report`` with what differs between runs (path, size, digest) set to fixed values."""
    name = Path(report.file.path).name
    return replace(report, file=replace(report.file, path=name, size_bytes=1234,
                                        sha256="5" * 64))


def report_outcome(path: Path) -> str:
    """``path``'s JSON report (sorted keys), or the error hpinspect reports for it: what two
    readings of one file are compared by."""
    import json

    from hpinspect import inspect_file
    from hpinspect.errors import HpinspectError
    from hpinspect.render.json import report_doc

    try:
        return json.dumps(report_doc(inspect_file(path)), sort_keys=True, default=str)
    except HpinspectError as exc:
        return f"{type(exc).__name__}: {exc}"
