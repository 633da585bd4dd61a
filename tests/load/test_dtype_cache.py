"""A deferred dtype is validated once per memoised object, and again when the file changes
what it is made of between two arrays (a SETITEM on its fields dict, a BUILD on a field's
dtype).

The file is a real ``joblib.dump`` of two structured arrays sharing one dtype, with a SETITEM
inserted after the first array's bytes that re-points field ``b`` of the shared fields dict
(no global is added: a real load runs nothing). numpy keeps that dict by reference, so the
real load reads the second array with the changed fields.
"""

from __future__ import annotations

import io
import pickletools
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np

from hpinspect.load import read_model


def _memo_after(ops: list[tuple[str, object, int | None]], start: int, name: str) -> int:
    """The memo index of the BINPUT right after the first ``name`` opcode from ``start``."""
    at = next(i for i in range(start, len(ops)) if ops[i][0] == name)
    assert ops[at + 1][0] == "BINPUT"
    index = ops[at + 1][1]
    assert isinstance(index, int)
    return index


def _two_arrays() -> tuple[bytes, np.ndarray, list[tuple[str, object, int | None]]]:
    """A joblib dump (protocol 2) of two arrays of one structured dtype, the first array's
    array, and the opcodes before its bytes."""
    dtype = np.dtype([("a", "<f8"), ("b", "<i4")])
    a = np.zeros(20_000, dtype)
    a["a"], a["b"] = np.arange(20_000), -np.arange(20_000)
    b = np.zeros(20_000, dtype)
    b["a"], b["b"] = 5.0, 7
    out = io.BytesIO()
    joblib.dump({"a": a, "b": b}, out, protocol=2)
    data = out.getvalue()
    start = data.find(a.tobytes()[:64])
    ops: list[tuple[str, object, int | None]] = []
    try:
        for op, arg, pos in pickletools.genops(io.BytesIO(data[:start])):
            ops.append((op.name, arg, pos))
    except ValueError:  # the stream stops inside the wrapper's padding: not a whole pickle
        pass
    return data, a, ops


def _insert_after_first(tmp_path: Path, name: str, make: Callable[[list[tuple[
        str, object, int | None]]], bytes]) -> Path:
    """The dump of :func:`_two_arrays` with ``make(ops)`` inserted right after the first
    array's bytes."""
    data, a, ops = _two_arrays()
    path = tmp_path / name
    end = data.find(a.tobytes()[:64]) + a.nbytes
    path.write_bytes(data[:end] + make(ops) + data[end:])
    return path


def _f8_memo(ops: list[tuple[str, object, int | None]]) -> int:
    v12 = next(i for i, (_, arg, _) in enumerate(ops) if arg == "V12")
    return _memo_after(ops, next(i for i in range(v12, len(ops)) if ops[i][1] == "f8"),
                       "REDUCE")


def _mutated(tmp_path: Path) -> Path:
    def make(ops: list[tuple[str, object, int | None]]) -> bytes:
        v12 = next(i for i, (_, arg, _) in enumerate(ops) if arg == "V12")
        fields = _memo_after(ops, v12, "EMPTY_DICT")
        # fields["b"] = (<the f8 dtype>, 0)
        return b"h" + bytes([fields]) + b"X\x01\x00\x00\x00b" + b"h" + \
            bytes([_f8_memo(ops)]) + b"K\x00\x86s0"

    return _insert_after_first(tmp_path, "mutated.joblib", make)


def test_a_dtype_changed_between_two_arrays_is_validated_again(tmp_path: Path) -> None:
    path = _mutated(tmp_path)
    real = joblib.load(path)  # numpy values only
    assert real["b"].dtype.fields["b"][0] == np.dtype("<f8")  # the change took effect
    root = read_model(path).root
    assert root["b"].dtype == real["b"].dtype
    assert root["b"].stats.fields["b"].max == float(real["b"]["b"].max())


def test_a_field_dtype_built_again_between_two_arrays_is_seen(tmp_path: Path) -> None:
    """A second BUILD on field ``a``'s dtype makes it big-endian: the second array is read
    with it, as numpy reads it (the dtype object is changed in place)."""
    state = b"(K\x03X\x01\x00\x00\x00>NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t"
    path = _insert_after_first(tmp_path, "rebuilt.joblib",
                               lambda ops: b"h" + bytes([_f8_memo(ops)]) + state + b"b0")
    real = joblib.load(path)  # numpy values only
    assert real["b"].dtype.fields["a"][0] == np.dtype(">f8")  # the change took effect
    root = read_model(path).root
    assert root["b"].dtype == real["b"].dtype
    assert root["b"].stats.fields["a"].max == float(real["b"]["a"].max())
    assert root["b"].stats.fields["b"].max == 7


def test_arrays_sharing_a_dtype_share_its_validation(tmp_path: Path) -> None:
    dtype = np.dtype([("left", "<i8"), ("threshold", "<f8")])
    arrays = {f"t{i}": np.zeros(20_000, dtype) for i in range(5)}
    path = tmp_path / "shared.joblib"
    joblib.dump(arrays, path)
    root = read_model(path).root
    made = {id(root[name].dtype) for name in arrays}
    assert len(made) == 1 and root["t0"].dtype == dtype  # one dtype object for all five
