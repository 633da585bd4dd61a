""".npy and .npz files written here by real numpy, read by hpinspect, compared with np.load.

Benign arrays of every header shape numpy writes (structured and record dtypes, Fortran order,
0-d, empty, big-endian, unicode and bytes, datetimes, object arrays) must read as ``np.load``
reads them, with verdict safe; an object ``.npy`` whose pickle calls ``os.system`` is exit 3
with the global named (and a canary proves a real ``np.load(allow_pickle=True)`` runs it);
hostile headers give one stderr line and exit 2, without allocating what they declare.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import run_cli

from hpinspect import scan
from hpinspect.load import ArrayStub, read_model
from hpinspect.load.npy import HeaderError, parse_header

BENIGN: dict[str, Any] = {
    "float2d": np.arange(6.0).reshape(2, 3),
    "fortran": np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4)),
    "bigendian": np.arange(5, dtype=">f8"),
    "scalar": np.array(3.5),
    "empty": np.zeros((0, 5)),
    "unicode": np.array(["héllo", "wörld"]),
    "bytes": np.array([b"ab", b"c"]),
    "bool": np.array([True, False, True]),
    "complex": np.array([1 + 2j, 3 - 4j]),
    "datetime": np.array(["2020-01-01", "2021-06-30"], dtype="M8[D]"),
    "structured": np.zeros(3, dtype=[("x", "<f8"), ("y", "<i4", (2,)), ("name", "U5")]),
    "record": np.rec.array([(1, 2.0, b"a"), (3, 4.0, b"b")],
                           dtype=[("a", "i4"), ("b", "f8"), ("c", "S3")]),
    "padded": np.zeros(2, dtype={"names": ["a", "b"], "formats": ["u1", "<f8"],
                                 "offsets": [0, 8], "itemsize": 16}),
    "nested": np.zeros(2, dtype=[("outer", [("inner", "<i2"), ("z", "u1")]), ("t", "<f4")]),
}


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_npy_reads_as_np_load(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.npy"
    np.save(path, BENIGN[name])
    expected = np.load(path)
    loaded = read_model(path)
    assert loaded.file.format == "npy" and loaded.safety.verdict == "safe"
    assert loaded.safety.findings == ()
    root = loaded.root
    assert isinstance(root, np.ndarray)
    assert root.shape == expected.shape and root.dtype == expected.dtype
    assert root.tobytes() == expected.tobytes()


def test_every_header_version_reads(tmp_path: Path) -> None:
    from numpy.lib import format as npformat

    array = np.zeros(2, dtype=[("ünïcode", "<f8")])  # a non-latin-1 field name needs 3.0
    for version in ((1, 0), (2, 0), (3, 0)):
        if version == (1, 0):
            array = np.arange(4.0)
        path = tmp_path / f"v{version[0]}.npy"
        with path.open("wb") as handle:
            npformat.write_array(handle, array, version=version)
        root = read_model(path).root
        assert root.dtype == np.load(path).dtype and np.array_equal(root, np.load(path))


def test_python2_long_shape_header_reads_as_numpy_filters_it() -> None:
    header = parse_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }",
                          (1, 0), 64)
    assert header.shape == (2, 3) and header.dtype == np.dtype("<f8")


def test_large_npy_is_streamed_with_statistics(tmp_path: Path) -> None:
    path = tmp_path / "big.npy"
    data = np.random.default_rng(0).normal(size=(1000, 500))
    np.save(path, data)
    root = read_model(path).root
    assert isinstance(root, ArrayStub) and root.shape == (1000, 500)
    assert root.stats.max == pytest.approx(data.max()) and root.stats.count == data.size


def test_npz_members_are_named_attributes(tmp_path: Path) -> None:
    path = tmp_path / "bundle.npz"
    np.savez(path, np.arange(3), weights=np.ones((4, 4), dtype=np.float32),
             labels=np.array(["a", "b"]))
    proc = run_cli("--format", "json", str(path))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["file"]["format"] == "npz" and doc["safety"]["verdict"] == "safe"
    stats = {a["name"]: a.get("stats") for a in doc["model"]["attributes"]}
    with np.load(path) as real:
        assert set(stats) == set(real.files)
        for key in real.files:
            assert stats[key]["shape"] == list(real[key].shape)
            assert np.dtype(stats[key]["dtype"]) == real[key].dtype


def test_compressed_npz(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    np.savez_compressed(path, a=np.arange(10_000), b=np.eye(3))
    loaded = read_model(path)
    assert loaded.file.format == "npz" and loaded.file.compression == "deflate"
    with np.load(path) as real:
        for key in ("a", "b"):
            value = loaded.root[key]
            assert value.shape == real[key].shape and value.dtype == real[key].dtype


def test_benign_object_arrays_are_safe(tmp_path: Path) -> None:
    values = np.array([1, "abc", {"k": 2.5}, None, (1, 2)], dtype=object)
    np.save(tmp_path / "obj.npy", values, allow_pickle=True)
    np.savez(tmp_path / "obj.npz", notes=values, plain=np.arange(2))
    loaded = read_model(tmp_path / "obj.npy")
    assert loaded.safety.verdict == "safe"
    assert list(loaded.root.items) == list(np.load(tmp_path / "obj.npy", allow_pickle=True))
    bundle = read_model(tmp_path / "obj.npz")
    assert bundle.safety.verdict == "safe" and list(bundle.root["notes"].items[:2]) == [1, "abc"]


class _Touch:
    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (f"touch {self.canary}",))


def _object_array_with_payload(canary: Path) -> np.ndarray[Any, Any]:
    values = np.empty(2, dtype=object)
    values[0], values[1] = "feature", _Touch(canary)
    return values


def _np_load(path: Path, key: str | None = None) -> None:
    code = ("import sys, numpy as np\nv = np.load(sys.argv[1], allow_pickle=True)\n"
            + (f"v[{key!r}]\n" if key else ""))
    subprocess.run([sys.executable, "-c", code, str(path)], check=False, timeout=120,
                   capture_output=True)


def _system_finding(doc: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in doc["safety"]["findings"] if f["global"] in ("posix.system",
                                                                        "os.system"))


def test_object_npy_with_payload_is_unsafe_and_not_run(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = tmp_path / "evil.npy"
    np.save(path, _object_array_with_payload(canary), allow_pickle=True)
    proc = run_cli("--format", "json", str(path))
    assert not canary.exists()
    assert proc.returncode == 3
    finding = _system_finding(json.loads(proc.stdout))
    assert finding["severity"] == "dangerous" and finding["path"] == "[1]"
    _np_load(path)
    assert canary.exists()


def test_object_npz_member_with_payload_is_unsafe(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = tmp_path / "evil.npz"
    np.savez(path, ok=np.arange(3), notes=_object_array_with_payload(canary))
    proc = run_cli("--format", "json", str(path))
    assert not canary.exists() and proc.returncode == 3
    assert _system_finding(json.loads(proc.stdout))["path"] == "['notes'][1]"
    _np_load(path, "notes")
    assert canary.exists()


def test_npz_zip_slip_member_is_a_finding(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3))
    path = tmp_path / "slip.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../escape.npy", buffer.getvalue())
    proc = run_cli("--format", "json", str(path))
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert any("zip-slip" in f["detail"] for f in doc["safety"]["findings"])
    assert [a["name"] for a in doc["model"]["attributes"]] == ["../../escape"]


def _npy(header: str, data: bytes = b"", version: int = 1) -> bytes:
    text = header.encode("latin1")
    width = 2 if version == 1 else 4
    return b"\x93NUMPY" + bytes([version, 0]) + len(text).to_bytes(width, "little") + text \
        + data


HOSTILE: dict[str, tuple[bytes, str]] = {
    "truncated_header": (b"\x93NUMPY\x01\x00\x76\x00{'descr'", "runs past the end"),
    "header_length_lies": (b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f8'}" + bytes(16),
                           "runs past the end"),
    "huge_header": (b"\x93NUMPY\x02\x00" + (1 << 30).to_bytes(4, "little") + b"{",
                    "more than 65,536"),
    "negative_dim": (_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}",
                          bytes(16)), "negative dimension"),
    "huge_dims": (_npy("{'descr': '<f8', 'fortran_order': False, 'shape': "
                       "(1099511627776, 1099511627776)}"), "more elements than any array"),
    "over_budget": (_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (8589934592,)}",
                         bytes(64)), "exceeds the limit"),
    "data_missing": (_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,)}",
                          bytes(64)), "truncated"),
    "garbage_descr": (_npy("{'descr': 'not a dtype', 'fortran_order': False, 'shape': (2,)}"),
                      "not a valid dtype"),
    "dict_descr": (_npy("{'descr': {'names': ['a']}, 'fortran_order': False, 'shape': (2,)}"),
                   "not a dtype description"),
    "string_dtype": (_npy("{'descr': 'T', 'fortran_order': False, 'shape': (2,)}", bytes(32)),
                     "unsupported dtype kind"),
    "call_in_header": (_npy("{'descr': __import__('os').system('true'), "
                            "'fortran_order': False, 'shape': (2,)}"), "not a Python literal"),
    "nested_parens": (_npy("(" * 500 + ")" * 500), "not a Python literal"),
    "extra_key": (_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}"),
                  "exactly descr"),
    "bad_version": (b"\x93NUMPY\x09\x00" + bytes(64), "version 9.0"),
    "fortran_not_bool": (_npy("{'descr': '<f8', 'fortran_order': 'yes', 'shape': (2,)}"),
                         "fortran_order"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_header_is_one_error_line(tmp_path: Path, name: str) -> None:
    content, why = HOSTILE[name]
    path = tmp_path / f"{name}.npy"
    path.write_bytes(content)
    proc = run_cli(str(path))
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert str(path) in lines[0] and why in lines[0]


def test_parser_refuses_what_np_load_refuses() -> None:
    for header in ("{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}",
                   "{'descr': '<f8', 'fortran_order': False, 'shape': [2]}",
                   "['descr', 'fortran_order', 'shape']"):
        with pytest.raises(HeaderError):
            parse_header(header, (1, 0), 64)


def test_declared_size_over_budget_is_not_allocated(tmp_path: Path) -> None:
    # 600 MB declared, and present as a sparse file: refused by --max-bytes before any read
    path = tmp_path / "sparse.npy"
    with path.open("wb") as handle:
        handle.write(_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (75000000,)}"))
        handle.truncate(handle.tell() + 600_000_000)
    code = (
        "import sys\nfrom hpinspect.load import Limits, read_model\n"
        "from hpinspect.errors import LimitExceededError\n"
        "try:\n    read_model(sys.argv[1], Limits(max_bytes=256 << 20))\n"
        "except LimitExceededError as exc:\n    print('refused', exc.message[:40])\n"
        "r = read_model(sys.argv[1])\nprint(type(r.root).__name__, r.root.stats.zeros)\n"
        # VmHWM is this process's own peak: ru_maxrss would carry pytest's peak over the exec
        "print(next(line.split()[1] for line in open('/proc/self/status')\n"
        "           if line.startswith('VmHWM:')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=True, timeout=600)
    refused, streamed, rss_kib = proc.stdout.strip().splitlines()
    assert refused.startswith("refused a 600,000,000-byte array")
    assert streamed == "ArrayStub 75000000"
    # 600 MB of zeros streamed in 8 MiB chunks: the peak stays near the interpreter's own
    assert int(rss_kib) < 400 * 1024, f"peak RSS {int(rss_kib) // 1024} MiB"


def test_scan_counts_npy_npz_and_legacy_sidecars_as_models(tmp_path: Path) -> None:
    import joblib

    data = Path(joblib.__file__).parent / "test" / "data"
    for path in data.glob("joblib_0.9.2_pickle_py35_np19.pkl*"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    np.save(tmp_path / "w.npy", np.arange(3))
    np.savez_compressed(tmp_path / "b.npz", a=np.arange(3))
    result = scan([tmp_path])
    kinds = {Path(e.path).name: e.kind for e in result.entries}
    assert len(kinds) == 7 and set(kinds.values()) == {"model"}, kinds
    verdicts = {e.report.safety.verdict for e in result.entries if e.report is not None}
    assert verdicts == {"safe"}
