"""The progress bar: on stderr, only when stderr is a terminal, only for files over 50 MB."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import joblib
import numpy as np
import pytest


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.joblib"
    joblib.dump({"weights": np.zeros(7_000_000)}, path)  # 56 MB
    return path


def _run_with_tty_stderr(path: Path) -> tuple[int, str, str]:
    master, slave = os.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run([sys.executable, "-m", "hpinspect", "--format", "json", str(path)],
                          stdout=subprocess.PIPE, stderr=slave, check=False)
    os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, proc.stdout.decode(), b"".join(chunks).decode(errors="replace")


def test_progress_bar_on_a_terminal(big_file: Path) -> None:
    code, stdout, tty = _run_with_tty_stderr(big_file)
    assert code == 0 and '"schema_version"' in stdout
    assert "reading big.joblib" in tty


def test_no_progress_bar_when_stderr_is_not_a_terminal(big_file: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "hpinspect", "--format", "json", str(big_file)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stderr == ""


def test_no_progress_bar_for_small_files(tmp_path: Path) -> None:
    path = tmp_path / "small.joblib"
    joblib.dump({"weights": np.zeros(10)}, path)
    code, _, tty = _run_with_tty_stderr(path)
    assert code == 0 and "reading" not in tty
