"""A joblib file changed after one of its skipped arrays was read again is an error naming the
file, never numbers taken from other bytes: also when the rewrite sets the modification time
back to what it was (the change time moves), and when the file is cut (no bare ValueError).

Every file is a real ``joblib.dump``; the numbers read before the change are compared with
the arrays a real ``joblib.load`` of the same file gives.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np
import pytest

from hpinspect import report_of
from hpinspect.errors import FileAccessError
from hpinspect.load import ArrayStub, read_model


def _rewrite_in_place(path: Path) -> None:
    """Other bytes at the same place: same inode, same size."""
    data = bytearray(path.read_bytes())
    at = data.find(np.arange(100_000.0, 200_000.0)[:4].tobytes())
    data[at:at + 8_000] = np.zeros(1_000).tobytes()
    with path.open("r+b") as handle:
        handle.write(data)


def _rewrite_in_place_keeping_mtime(path: Path) -> None:
    """As above, then the modification time set back (the change time still moves)."""
    before = path.stat()
    _rewrite_in_place(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def _cut(path: Path) -> None:
    os.truncate(path, path.stat().st_size - 400_000)


@pytest.mark.parametrize("change", [_rewrite_in_place_keeping_mtime, _cut],
                         ids=["in-place-mtime-kept", "cut"])
def test_a_change_after_the_first_array_was_read_again_is_an_error(
        tmp_path: Path, change: Callable[[Path], None]) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump({"first": np.arange(100_000.0), "second": np.arange(100_000.0, 200_000.0)},
                path)
    real = joblib.load(path)
    loaded = read_model(path)
    assert isinstance(loaded.root, dict)
    first, second = loaded.root["first"], loaded.root["second"]
    assert isinstance(first, ArrayStub) and isinstance(second, ArrayStub)
    assert (first.stats.min, first.stats.max) == (real["first"].min(), real["first"].max())
    change(path)
    with pytest.raises(FileAccessError) as caught:
        report_of(loaded)
    assert str(path) in str(caught.value) and "changed" in str(caught.value)
