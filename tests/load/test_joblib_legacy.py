"""joblib's own legacy test data (0.8.4 to 0.11) and joblib <= 0.9 multi-file pickles.

joblib ships the files it tests its backward compatibility with (``joblib/test/data``, in the
wheel): single-file pickles, ``ZF``/gzip/bz2/lzma/xz-compressed ones, and 0.9's multi-file
pickles whose arrays live in ``<pickle>_NN.npy`` / ``<pickle>_NN.npy.z`` sidecars. Every one is
read here and each array compared with what ``joblib.load`` gives on the same file (in a
subprocess: these are joblib's own benign files). The hostile wrappers -- sidecar names that
leave the folder, missing or foreign sidecars, symlinks out of the folder, a sidecar that is
a payload pickle -- are built in the tests with joblib's real ``NDArrayWrapper`` class.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from helpers import run_cli
from joblib.numpy_pickle_compat import NDArrayWrapper, ZNDArrayWrapper, read_zfile, write_zfile

from hpinspect import inspect_file
from hpinspect.load import ArrayStub, read_model
from hpinspect.load.objects import ObjectArray
from hpinspect.report import Report, Severity

DATA = Path(joblib.__file__).parent / "test" / "data"
SIDECAR = re.compile(r"_\d{2,}\.npy(\.z)?$")
PICKLES = sorted(p for p in DATA.glob("joblib_*") if not SIDECAR.search(p.name))
NPY_SIDECARS = sorted(p for p in DATA.glob("joblib_*.npy"))
ZFILE_SIDECARS = sorted(p for p in DATA.glob("joblib_*.npy.z"))

ORACLE = r"""
import json, pickle, sys, warnings
import numpy as np, joblib
warnings.simplefilter("ignore")

def describe(value):
    if isinstance(value, np.ndarray):
        return {"type": type(value).__name__, "shape": list(value.shape),
                "dtype": value.dtype.str}
    if isinstance(value, (bytes, str)):
        return {"type": type(value).__name__, "len": len(value)}
    return {"type": type(value).__name__}

def load(path):
    try:
        return joblib.load(path)
    except ValueError:
        # A Python 2 pickle: joblib.load refuses its byte strings under Python 3 (ASCII).
        # hpinspect reads them as latin-1, so the oracle does too.
        original = pickle._Unpickler.__init__
        def latin1(self, file, **kwargs):
            kwargs["encoding"] = "latin1"
            original(self, file, **kwargs)
        pickle._Unpickler.__init__ = latin1
        try:
            return joblib.load(path)
        finally:
            pickle._Unpickler.__init__ = original

print(json.dumps({path: [describe(v) for v in load(path)] for path in sys.argv[1:]}))
"""


@pytest.fixture(scope="module")
def joblib_says() -> dict[str, list[dict[str, Any]]]:
    """What ``joblib.load`` returns for every legacy pickle (one subprocess for all)."""
    proc = subprocess.run([sys.executable, "-c", ORACLE, *map(str, PICKLES)],
                          capture_output=True, text=True, check=True, timeout=300)
    result: dict[str, list[dict[str, Any]]] = json.loads(proc.stdout)
    return result


def test_the_wheel_ships_every_kind_of_legacy_file() -> None:
    names = [p.name for p in PICKLES]
    assert any(n.startswith("joblib_0.8.4") for n in names)
    assert any(n.startswith("joblib_0.11") for n in names)
    assert any(n.endswith(".gz") for n in names) and any(n.endswith(".pkl.xz") for n in names)
    assert len(NPY_SIDECARS) >= 20 and len(ZFILE_SIDECARS) >= 3


def _shape_dtype(report: Report, index: int) -> tuple[list[int], str]:
    attr = next(a for a in report.model.attributes if a.name == str(index))
    if attr.stats is not None:
        return list(attr.stats["shape"]), np.dtype(attr.stats["dtype"]).str
    # an ndarray subclass rebuilt by its own pickle: "matrix <i8 (1×3)"
    match = re.fullmatch(r"\w+ (\S+) \(([\d×]+)\)", attr.summary)
    assert match, attr.summary
    return [int(d) for d in match[2].split("×")], np.dtype(match[1]).str


@pytest.mark.parametrize("path", PICKLES, ids=lambda p: p.name)
def test_legacy_file_reads_like_joblib_load(path: Path,
                                            joblib_says: dict[str, list[dict[str, Any]]]
                                            ) -> None:
    report = inspect_file(path)
    assert report.safety.verdict == "safe"
    assert {f.severity for f in report.safety.findings} <= {Severity.KNOWN}
    expected = joblib_says[str(path)]
    assert len(report.model.attributes) == len(expected)
    for index, item in enumerate(expected):
        if "shape" in item:
            assert _shape_dtype(report, index) == (item["shape"], item["dtype"]), index
    if SIDECAR.search(" ".join(p.name for p in DATA.glob(path.name + "_*"))):
        # a multi-file pickle: every wrapper was replaced by its sidecar's array
        assert "NDArrayWrapper" not in json.dumps([a.summary for a in report.model.attributes])


@pytest.mark.parametrize("path", NPY_SIDECARS, ids=lambda p: p.name)
def test_npy_sidecar_reads_on_its_own_as_np_load_does(path: Path) -> None:
    loaded = read_model(path)
    assert loaded.file.format == "npy" and loaded.safety.verdict == "safe"
    expected = np.load(path, allow_pickle=False) if b"'|O" not in path.read_bytes()[:128] \
        else None
    if expected is not None:
        assert isinstance(loaded.root, np.ndarray)
        assert loaded.root.shape == expected.shape and loaded.root.dtype == expected.dtype
        assert np.array_equal(loaded.root, expected)
    else:  # the object sidecar: a pickled object array, read by the restricted reader
        assert isinstance(loaded.root, ObjectArray) and loaded.root.shape == (3,)
        assert list(loaded.root.items[:2]) == [1, "abc"]


@pytest.mark.parametrize("path", ZFILE_SIDECARS, ids=lambda p: p.name)
def test_zfile_sidecar_reads_on_its_own_as_raw_bytes(path: Path) -> None:
    loaded = read_model(path)
    with path.open("rb") as handle:
        raw = read_zfile(handle)  # joblib's own reader of the format (bytes only)
    assert loaded.file.format == "npy" and loaded.file.compression == "zf"
    assert loaded.root.dtype == np.uint8 and loaded.root.tobytes() == raw


def test_cli_exit_codes_on_the_legacy_files() -> None:
    for path in (DATA / "joblib_0.9.2_pickle_py35_np19.pkl",
                 DATA / "joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz"):
        proc = run_cli("--format", "json", str(path))
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["file"]["format"] == "joblib" and doc["safety"]["verdict"] == "safe"


# ------------------------------------------------------------------------- built wrappers


def _legacy_pickle(path: Path, filename: str, subclass: Any = np.ndarray) -> Path:
    """A joblib 0.9-style pickle ``{"w": NDArrayWrapper(filename, subclass)}`` (protocol 2,
    as joblib 0.9 wrote)."""
    path.write_bytes(pickle.dumps({"w": NDArrayWrapper(filename, subclass)}, protocol=2))
    return path


def _joblib_load(path: Path) -> subprocess.CompletedProcess[str]:
    code = ("import sys, warnings, joblib\nwarnings.simplefilter('ignore')\n"
            "v = joblib.load(sys.argv[1])['w']\nprint(type(v).__name__, v.shape, v.dtype)\n")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=False, timeout=120)


def _sidecar_finding(path: Path) -> tuple[int, dict[str, Any]]:
    proc = run_cli("--format", "json", str(path))
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    found = [f for f in doc["safety"]["findings"] if f["global"].startswith("sidecar ")]
    assert len(found) == 1, doc["safety"]
    assert found[0]["path"] == "['w']"
    return proc.returncode, found[0]


def test_built_multi_file_pickle_matches_joblib_load(tmp_path: Path) -> None:
    data = np.arange(12, dtype=">f4").reshape(3, 4, order="F")
    np.save(tmp_path / "m.pkl_01.npy", data)
    path = _legacy_pickle(tmp_path / "m.pkl", "m.pkl_01.npy",
                          np.matrixlib.defmatrix.matrix)
    # numpy 2 ignores the subclass; joblib.load swaps to the native byte order
    assert _joblib_load(path).stdout.strip() == "ndarray (3, 4) float32"
    loaded = read_model(path)
    assert loaded.safety.verdict == "safe" and loaded.file.format == "joblib"
    value = loaded.root["w"]
    assert value.shape == (3, 4) and np.array_equal(value, data)
    # hpinspect shows the file's byte order (as for joblib >= 0.10 arrays)
    assert value.dtype == np.dtype(">f4")
    # the subclass a numpy 1 load would rebuild is judged as called (a known data class)
    matrix = next(f for f in loaded.safety.findings if f.global_name.endswith(".matrix"))
    assert matrix.severity == Severity.KNOWN and matrix.called


def test_zndarraywrapper_large_array_is_streamed(tmp_path: Path) -> None:
    data = np.linspace(0, 1, 400_000).reshape(400, 1000)
    with (tmp_path / "z.pkl_01.npy.z").open("wb") as handle:
        write_zfile(handle, data.tobytes())
    wrapper = ZNDArrayWrapper("z.pkl_01.npy.z", (np.ndarray, (0,), b"b"),
                              (1, data.shape, data.dtype, False))
    path = tmp_path / "z.pkl"
    path.write_bytes(pickle.dumps([wrapper], protocol=2))
    assert _joblib_load_list(path) == "ndarray (400, 1000) float64"
    root = read_model(path).root
    assert isinstance(root[0], ArrayStub) and root[0].shape == (400, 1000)
    assert root[0].stats.max == 1.0 and root[0].stats.count == 400_000


def _joblib_load_list(path: Path) -> str:
    code = ("import sys, warnings, joblib\nwarnings.simplefilter('ignore')\n"
            "v = joblib.load(sys.argv[1])[0]\nprint(type(v).__name__, v.shape, v.dtype)\n")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=True, timeout=120).stdout.strip()


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs/path_01.npy", "sub/x.pkl_01.npy",
                                  "..", "x\x00.npy"])
def test_sidecar_outside_the_folder_is_unsafe_and_not_read(tmp_path: Path, name: str) -> None:
    path = _legacy_pickle(tmp_path / "x.pkl", name)
    code, finding = _sidecar_finding(path)
    assert code == 3 and finding["severity"] == "unknown call"
    assert "outside the pickle's folder" in finding["detail"]


def test_missing_sidecar_is_review(tmp_path: Path) -> None:
    path = _legacy_pickle(tmp_path / "x.pkl", "x.pkl_01.npy")
    code, finding = _sidecar_finding(path)
    assert code == 0 and finding["severity"] == "unknown class"
    assert "missing" in finding["detail"]
    assert _joblib_load(path).returncode != 0  # a real load fails too


def test_foreign_sidecar_name_is_unsafe(tmp_path: Path) -> None:
    np.save(tmp_path / "weights.npy", np.arange(3))
    path = _legacy_pickle(tmp_path / "x.pkl", "weights.npy")
    code, finding = _sidecar_finding(path)
    assert code == 3 and finding["severity"] == "unknown call"
    assert "not a sidecar name" in finding["detail"]
    assert _joblib_load(path).stdout.startswith("ndarray (3,)")  # joblib would read it


def test_symlinked_sidecar_out_of_the_folder_is_unsafe(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    np.save(outside / "a.npy", np.arange(3))
    folder = tmp_path / "model"
    folder.mkdir()
    os.symlink(outside / "a.npy", folder / "x.pkl_01.npy")
    path = _legacy_pickle(folder / "x.pkl", "x.pkl_01.npy")
    code, finding = _sidecar_finding(path)
    assert code == 3 and "symlink" in finding["detail"]
    assert _joblib_load(path).stdout.startswith("ndarray (3,)")  # joblib follows it


class _Touch:
    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (f"touch {self.canary}",))


def test_payload_pickle_as_sidecar_is_named_and_not_run(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    (tmp_path / "x.pkl_01.npy").write_bytes(pickle.dumps(_Touch(canary), protocol=2))
    path = _legacy_pickle(tmp_path / "x.pkl", "x.pkl_01.npy")
    proc = run_cli("--format", "json", str(path))
    assert not canary.exists()
    assert proc.returncode == 3
    doc = json.loads(proc.stdout)
    system = next(f for f in doc["safety"]["findings"] if f["global"] in ("posix.system",
                                                                          "os.system"))
    assert system["severity"] == "dangerous" and system["path"] == "['w']"
    _joblib_load(path)  # np.load(allow_pickle=True) unpickles the sidecar: the payload runs
    assert canary.exists()


def test_object_npy_sidecar_with_payload_is_unsafe(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    payload = np.empty(2, dtype=object)
    payload[0], payload[1] = "ok", _Touch(canary)
    np.save(tmp_path / "x.pkl_01.npy", payload, allow_pickle=True)
    path = _legacy_pickle(tmp_path / "x.pkl", "x.pkl_01.npy")
    proc = run_cli("--format", "json", str(path))
    assert not canary.exists() and proc.returncode == 3
    names = {f["global"]: f["severity"] for f in json.loads(proc.stdout)["safety"]["findings"]}
    assert "dangerous" in (names.get("posix.system"), names.get("os.system"))
    _joblib_load(path)
    assert canary.exists()


def test_truncated_sidecar_is_one_error_line(tmp_path: Path) -> None:
    np.save(tmp_path / "x.pkl_01.npy", np.arange(100.0))
    sidecar = tmp_path / "x.pkl_01.npy"
    sidecar.write_bytes(sidecar.read_bytes()[:200])
    proc = run_cli(str(_legacy_pickle(tmp_path / "x.pkl", "x.pkl_01.npy")))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "truncated" in proc.stderr


def test_scikit_learn_bundled_joblib_wrapper_reads_the_same(tmp_path: Path) -> None:
    # scikit-learn <= 0.20 pickled through its bundled copy, sklearn.externals.joblib
    np.save(tmp_path / "x.pkl_01.npy", np.arange(6).reshape(2, 3))
    path = _legacy_pickle(tmp_path / "x.pkl", "x.pkl_01.npy")
    raw = path.read_bytes()
    assert b"cjoblib.numpy_pickle_compat\nNDArrayWrapper\n" in raw  # protocol 2: GLOBAL
    path.write_bytes(raw.replace(b"cjoblib.numpy_pickle_compat\n",
                                 b"csklearn.externals.joblib.numpy_pickle\n"))
    loaded = read_model(path)
    assert loaded.safety.verdict == "safe" and loaded.root["w"].shape == (2, 3)
    names = {f.global_name for f in loaded.safety.findings}
    assert "sklearn.externals.joblib.numpy_pickle.NDArrayWrapper" in names


def _zfile_pickle(folder: Path, payload: bytes, declared: int, shape: tuple[int, ...]) -> Path:
    """A ZNDArrayWrapper pickle whose sidecar declares ``declared`` bytes and inflates to
    ``payload`` (float64 data of ``shape`` in the wrapper's state)."""
    import zlib

    sidecar = folder / "z.pkl_01.npy.z"
    sidecar.write_bytes(b"ZF" + hex(declared).encode().ljust(19) + zlib.compress(payload, 9))
    wrapper = ZNDArrayWrapper(sidecar.name, (np.ndarray, (0,), b"b"),
                              (1, shape, np.dtype("<f8"), False))
    path = folder / "z.pkl"
    path.write_bytes(pickle.dumps([wrapper], protocol=2))
    return path


def test_zfile_inflating_past_its_declared_length_stops_there(tmp_path: Path) -> None:
    # 64 KiB declared, 64 MiB of zeros in the zlib stream: reading stops at the declared size
    path = _zfile_pickle(tmp_path, bytes(64 << 20), 64 << 10, (8192,))
    root = read_model(path).root
    assert root[0].shape == (8192,) and not root[0].any()


@pytest.mark.parametrize(("declared", "shape", "why"), [
    (1 << 40, (1 << 37,), "exceeds the limit"),
    (800, (100,), "EOF"),  # declared and shaped 800 bytes, inflates to 80
    (80, (100,), "does not match its array's shape"),
])
def test_hostile_zfile_sidecar_is_one_error_line(tmp_path: Path, declared: int,
                                                  shape: tuple[int, ...], why: str) -> None:
    proc = run_cli(str(_zfile_pickle(tmp_path, bytes(80), declared, shape)))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and why in proc.stderr, proc.stderr
