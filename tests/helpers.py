"""Helpers shared by the tests (importable as ``helpers``: tests/ is on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
