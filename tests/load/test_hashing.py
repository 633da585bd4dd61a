"""The file's hash runs beside the parser with a short switch interval, restored after."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pytest

from hpinspect import inspect_file
from hpinspect.load.common import HASH_SWITCH_INTERVAL, Sha256, _FastSwitching


@pytest.fixture
def user_interval() -> Iterator[float]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.003)
    yield 0.003
    sys.setswitchinterval(before)


def test_the_hash_is_the_files_and_the_interval_comes_back(tmp_path: Path,
                                                           user_interval: float) -> None:
    path = tmp_path / "big.joblib"
    joblib.dump({"w": np.random.default_rng(0).normal(size=3_000_000)}, path)  # 24 MB
    report = inspect_file(path)
    assert report.file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sys.getswitchinterval() == pytest.approx(user_interval, abs=2e-6)
    hasher = Sha256(str(path))
    hasher.start()
    assert hasher.digest() == report.file.sha256
    assert sys.getswitchinterval() == pytest.approx(user_interval, abs=2e-6)


def test_overlapping_hashes_restore_the_users_interval_once_all_end(
        user_interval: float) -> None:
    switching = _FastSwitching()
    switching.enter()
    assert sys.getswitchinterval() == pytest.approx(HASH_SWITCH_INTERVAL, abs=2e-6)
    switching.enter()
    switching.leave()
    assert sys.getswitchinterval() == pytest.approx(HASH_SWITCH_INTERVAL, abs=2e-6)
    switching.leave()
    assert sys.getswitchinterval() == pytest.approx(user_interval, abs=2e-6)


def test_a_shorter_interval_set_by_the_user_is_kept(user_interval: float) -> None:
    sys.setswitchinterval(HASH_SWITCH_INTERVAL / 2)
    switching = _FastSwitching()
    switching.enter()
    assert sys.getswitchinterval() == pytest.approx(HASH_SWITCH_INTERVAL / 2, abs=2e-6)
    switching.leave()
    assert sys.getswitchinterval() == pytest.approx(HASH_SWITCH_INTERVAL / 2, abs=2e-6)


def test_the_hash_can_finish_while_the_report_is_made(tmp_path: Path) -> None:
    from hpinspect.load import read_model

    path = tmp_path / "big.joblib"
    joblib.dump({"w": np.arange(2_000_000.0)}, path)
    truth = hashlib.sha256(path.read_bytes()).hexdigest()
    assert read_model(path).file.sha256 == truth  # complete by default
    pending = read_model(path, hash_later=True)
    assert pending.hashing is not None or pending.file.sha256 == truth
    done = pending.complete()
    assert done.file.sha256 == truth and done.hashing is None
    assert done.complete() is done
    assert dataclasses.replace(done.file, sha256="") == dataclasses.replace(pending.file,
                                                                            sha256="")


@pytest.mark.parametrize("size", [0, 1, (256 << 10) - 1, 256 << 10, (1 << 20) - 1, 1 << 20,
                                  (3 << 20) + 7])
def test_each_hash_engine_gives_the_files_sha256(tmp_path: Path, size: int) -> None:
    """Below 256 KiB the built-in SHA-256 hashes (no OpenSSL to load), above it OpenSSL's,
    inline below 1 MiB and in a thread above: every one gives hashlib's digest of the bytes."""
    from hpinspect.load.common import BUILTIN_HASH_BYTES

    data = bytes(np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8))
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    hasher = Sha256(str(path))
    hasher.start()
    assert hasher.digest() == hashlib.sha256(data).hexdigest()
    engine = type(hasher._sha).__module__
    assert (engine == "_sha256") == (size < BUILTIN_HASH_BYTES), engine
