"""Format detection by content: every joblib compression, mislabelled names, legacy ZF, lz4."""

from __future__ import annotations

import pickle
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

from hpinspect.load import read_model

COMPRESSIONS = [("zlib", "zlib"), ("gzip", "gzip"), ("bz2", "bz2"), ("xz", "xz"),
                ("lzma", "lzma"), ("lz4", "lz4")]


@pytest.mark.parametrize(("method", "expected"), COMPRESSIONS)
@pytest.mark.parametrize("suffix", [".joblib", ".pkl", ""])
def test_compressed_joblib_any_name(tmp_path: Path, logreg: Any, method: str, expected: str,
                                    suffix: str) -> None:
    path = tmp_path / f"model{suffix}"
    joblib.dump(logreg, path, compress=(method, 3))
    result = read_model(path)
    assert result.file.format == "joblib" and result.file.compression == expected
    assert result.safety.verdict == "safe"
    assert np.array_equal(result.root.attrs["coef_"], logreg.coef_)


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_plain_pickle_named_joblib(tmp_path: Path, logreg: Any, protocol: int) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(pickle.dumps(logreg, protocol=protocol))
    result = read_model(path)
    assert result.file.format == "pickle" and result.file.compression is None
    assert result.file.pickle_protocol == protocol
    assert np.array_equal(result.root.attrs["coef_"], logreg.coef_)


def test_fortran_and_aligned_arrays(tmp_path: Path) -> None:
    arrays = {"f": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
              "i8": np.arange(7, dtype=np.int8), "obj": np.array(["a", 1, None], dtype=object),
              "rec": np.zeros(3, dtype=[("a", "<i8"), ("b", "<f4")])}
    path = tmp_path / "arrays.joblib"
    joblib.dump(arrays, path)
    root = read_model(path).root
    for key, value in arrays.items():
        assert root[key].dtype == value.dtype
        assert np.array_equal(root[key], value) if key != "obj" else \
            list(root[key].items) == list(value)  # an ObjectArray: the elements
    assert root["f"].flags.f_contiguous


def test_legacy_zf_container(tmp_path: Path, logreg: Any) -> None:
    # joblib < 0.10 wrote b"ZF" + the hex length padded to 19 bytes + a zlib stream.
    payload = pickle.dumps(logreg, protocol=2)
    path = tmp_path / "legacy.pkl"
    path.write_bytes(b"ZF" + hex(len(payload)).encode().ljust(19) + zlib.compress(payload))
    assert joblib.load(path).C == logreg.C  # the real loader accepts the container too
    result = read_model(path)
    assert result.file.compression == "zf" and result.file.format == "joblib"
    assert result.root.attrs["C"] == logreg.C


def test_lz4_without_the_extra_names_it(tmp_path: Path, logreg: Any) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(logreg, path, compress=("lz4", 3))
    code = ("import sys\nsys.modules['lz4'] = None\nsys.modules['lz4.frame'] = None\n"
            "from hpinspect.cli import main\nmain([sys.argv[1]])\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 2
    assert "pip install 'hpinspect[lz4]'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
