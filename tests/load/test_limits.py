"""Resource limits: deep nesting, huge compressed arrays, declared lengths beyond the file."""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli
from joblib.numpy_pickle import NumpyArrayWrapper

from hpinspect import inspect_file
from hpinspect.errors import CorruptFileError, LimitExceededError
from hpinspect.load import ArrayStub, read_model


def nested_list_pickle(depth: int) -> bytes:
    """A list nested ``depth`` levels deep, written opcode by opcode (pickle.dumps recurses)."""
    return b"\x80\x04" + b"]" * depth + b"a" * (depth - 1) + b"."


def test_100k_deep_list_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "deep.pkl"
    path.write_bytes(nested_list_pickle(100_000))
    with pytest.raises(LimitExceededError, match="nest deeper"):
        read_model(path)
    proc = run_cli(str(path))
    assert proc.returncode == 2
    assert "nest deeper than 1,000 levels" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_100k_deep_marks_are_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "marks.pkl"
    path.write_bytes(b"\x80\x04" + b"(" * 100_000 + b"t" * 100_000 + b".")
    proc = run_cli(str(path))
    # CPython's unpickler keeps MARKs in an array (no recursion); the 100k-deep tuple it builds
    # is refused by the nesting limit when hpinspect walks it.
    assert proc.returncode == 2 and "nest deeper" in proc.stderr


def test_deep_list_within_limit_renders_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "deep900.pkl"
    path.write_bytes(nested_list_pickle(900))
    for fmt in ("table", "json", "markdown"):
        proc = run_cli("--format", fmt, str(path))
        assert proc.returncode == 0, proc.stderr
    doc = json.loads(run_cli("--format", "json", str(path)).stdout)
    assert doc["model"]["attributes"][0]["kind"] == "list"
    deeper = tmp_path / "deep5000.pkl"
    deeper.write_bytes(nested_list_pickle(5000))
    assert run_cli("--max-depth", "10000", "--format", "json", str(deeper)).returncode == 0


def zlib_array_file(path: Path, n_items: int) -> None:
    """A zlib joblib file holding one float64 zero array of ``n_items``, written in chunks."""
    wrapper = NumpyArrayWrapper(np.ndarray, (n_items,), "C", np.dtype("float64"),
                                allow_mmap=False, numpy_array_alignment_bytes=None)
    # Protocol 2: no FRAME. A protocol-4 frame would cover the '.' stripped below, so the
    # unframer would swallow the first data byte -- real joblib.load fails on such a file.
    header = pickle.dumps(wrapper, protocol=2)
    assert header.endswith(b"b.")
    comp = zlib.compressobj(1)
    chunk = bytes(8 << 20)
    with path.open("wb") as out:
        out.write(comp.compress(header[:-1]))
        left = n_items * 8
        while left:
            n = min(left, len(chunk))
            out.write(comp.compress(chunk[:n]))
            left -= n
        out.write(comp.compress(b"."))
        out.write(comp.flush())


def test_compressible_array_is_streamed_not_held(tmp_path: Path) -> None:
    path = tmp_path / "bomb.joblib"
    n_items = 64 << 20  # 512 MiB of zeros in a file of about 0.5 MiB
    zlib_array_file(path, n_items)
    assert path.stat().st_size < 4 << 20
    code = (
        "import sys\n"
        "from hpinspect.load import read_model\n"
        f"r = read_model({str(path)!r})\n"
        "s = r.root.stats\n"
        "print(type(r.root).__name__, s.count, s.zeros, s.min, s.max)\n"
        # VmHWM is this process's own peak: ru_maxrss would carry pytest's peak over the exec
        "print(next(line.split()[1] for line in open('/proc/self/status')\n"
        "           if line.startswith('VmHWM:')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    first, rss_kib = proc.stdout.strip().splitlines()
    assert first == f"ArrayStub {n_items} {n_items} 0.0 0.0"
    # The array is 512 MiB; holding it would cross 512 MiB. Streaming peaks near 120 MiB
    # (interpreter + numpy + one 8 MiB chunk); 400 leaves room for a loaded runner's
    # allocator noise while still failing if the array were materialised.
    assert int(rss_kib) < 400 * 1024, f"peak RSS {int(rss_kib) // 1024} MiB"


def test_decompressed_bytes_cap(tmp_path: Path) -> None:
    path = tmp_path / "bomb.joblib"
    zlib_array_file(path, 8 << 20)  # 64 MiB decompressed
    with pytest.raises(LimitExceededError, match="exceeds the limit"):
        read_model(path, __import__("hpinspect.load", fromlist=["Limits"]).Limits(
            max_bytes=16 << 20))
    proc = run_cli("--max-bytes", str(16 << 20), str(path))
    assert proc.returncode == 2 and "limit" in proc.stderr
    report = inspect_file(path)
    root = report.model.attributes[0]
    assert root.kind == "array" and root.stats is not None
    assert root.stats["shape"] == [8 << 20] and root.stats["zeros"] == 8 << 20


def test_declared_length_beyond_file(tmp_path: Path) -> None:
    path = tmp_path / "liar.pkl"
    path.write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"abc")
    with pytest.raises((CorruptFileError, LimitExceededError)):
        read_model(path)


def test_large_array_in_plain_pickle_is_summarised(tmp_path: Path) -> None:
    path = tmp_path / "big.pkl"
    data = np.arange(400_000, dtype=np.float64)  # 3.2 MB > keep threshold (1 MiB)
    path.write_bytes(pickle.dumps({"w": data}, protocol=4))
    root = read_model(path).root
    assert isinstance(root["w"], ArrayStub)
    assert root["w"].stats.max == 399_999.0 and root["w"].stats.mean == pytest.approx(199_999.5)
