"""An object array's nested pickle in a joblib file, read by the C reader, reads exactly as the
pure-Python reader joblib itself runs (``unpickler.c_inner_load``).

Each file is read twice -- C reading on (the default) and off (``pickle_file.C_NESTED``) --
and the two JSON reports must be equal byte for byte; a spy on ``c_inner_load`` (where
``joblib_arrays`` calls it) says whether
the C reading vouched for the file or handed it back (``Diverged``). Real files: fitted
GradientBoosting models (their trees are an object array), mixed object arrays, joblib's
compressors. Crafted ones, where the C reader on its own would read on where the pure-Python
one does not: a one-item APPEND onto a list subclass (C calls ``extend([x])``, Python
``append(x)``), an opcode across a frame's end, a FRAME inside a frame, text opcodes; each
must be handed back, and the report must be the pure-Python one (also where a real
``joblib.load`` fails).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from helpers import report_outcome
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

from hpinspect import inspect_file
from hpinspect.errors import HpinspectError
from hpinspect.load import joblib_arrays, pickle_file, unpickler


class Items(list):  # type: ignore[type-arg]
    """A list subclass: the pickler writes its items with APPEND/APPENDS onto the instance."""


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, list[str]]:
    """(C reading on, off, what each C reading of a nested pickle ended with)."""
    seen: list[str] = []
    real = unpickler.c_inner_load

    def spy(outer: Any) -> Any:
        try:
            value = real(outer)
        except unpickler.Diverged:
            seen.append("diverged")
            raise
        seen.append("read")
        return value

    monkeypatch.setattr(joblib_arrays, "c_inner_load", spy)
    with_c = report_outcome(path)
    monkeypatch.setattr(pickle_file, "C_NESTED", False)
    without = report_outcome(path)
    return with_c, without, seen


def _gbc() -> GradientBoostingClassifier:
    x, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               random_state=3)
    return GradientBoostingClassifier(n_estimators=15, max_depth=3, random_state=3).fit(x, y)


def _gbr() -> GradientBoostingRegressor:
    x, y = make_classification(n_samples=200, n_features=5, random_state=4)
    return GradientBoostingRegressor(n_estimators=12, subsample=0.7, random_state=4).fit(x, y)


MIXED: np.ndarray = np.array(["a", 1, None, 2.5, {"k": [1, 2]}, ("t", b"b"), np.float32(3)],
                             dtype=object)


@pytest.mark.parametrize("compress", [0, 3, ("lzma", 2)], ids=["raw", "zlib", "lzma"])
@pytest.mark.parametrize("make", [_gbc, _gbr, lambda: {"mixed": MIXED, "empty": MIXED[:0],
                                                       "grid": MIXED[:6].reshape(2, 3)}],
                         ids=["gbc", "gbr", "mixed"])
def test_real_object_arrays_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          make: Any, compress: Any) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(make(), path, compress=compress)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen and set(seen) == {"read"}  # the C reader vouched for every nested pickle
    assert with_c == without


def _with_nested(tmp_path: Path, array: np.ndarray, nested: bytes) -> Path:
    """A joblib dump of ``{"x": array}`` whose nested pickle is replaced by ``nested``."""
    out = io.BytesIO()
    joblib.dump({"x": array}, out)
    data = out.getvalue()
    original = pickle.dumps(array, protocol=5)
    at = data.find(original)
    assert at > 0 and data.count(original) == 1
    path = tmp_path / "crafted.joblib"
    path.write_bytes(data[:at] + nested + data[at + len(original):])
    return path


def _frames(data: bytes) -> list[int]:
    return [at for at in range(len(data) - 8) if data[at] == pickle.FRAME[0] and
            at in {pos for _, _, pos in _genops(data)}]


def _genops(data: bytes) -> list[tuple[Any, Any, int]]:
    import pickletools

    return [(op, arg, pos) for op, arg, pos in pickletools.genops(data) if pos is not None]


def test_a_one_item_append_onto_a_stand_in_is_read_by_python(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    array = np.array([Items([7]), Items([1, 2, 3])], dtype=object)
    nested = pickle.dumps(array, protocol=5)
    assert pickle.APPEND in nested  # Items([7])'s one item
    path = _with_nested(tmp_path, array, nested)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    assert "append" in without  # the pure-Python reader's call on the stand-in


@pytest.mark.parametrize("change", ["short frame", "frame in frame", "text opcode"])
def test_what_c_would_read_on_is_read_by_python(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                change: str) -> None:
    array = np.array([{"k": list(range(40))}, "word", 3], dtype=object)
    nested = pickle.dumps(array, protocol=5)
    frame = _frames(nested)[0]
    length = int.from_bytes(nested[frame + 1:frame + 9], "little")
    ops = [(op, pos) for op, _, pos in _genops(nested) if pos > frame]
    if change == "short frame":  # the frame now ends inside its first string's opcode
        at = next(pos for op, pos in ops if op.name == "SHORT_BINUNICODE")
        crafted = nested[:frame + 1] + (at + 1 - frame - 9).to_bytes(8, "little") + \
            nested[frame + 9:]
    elif change == "frame in frame":  # an empty FRAME after the frame's first opcode
        inner = ops[1][1]
        crafted = nested[:frame + 1] + (length + 9).to_bytes(8, "little") + \
            nested[frame + 9:inner] + pickle.FRAME + bytes(8) + nested[inner:]
    else:  # protocol 0 writes the numbers as text lines (INT, LONG, FLOAT)
        crafted = pickle.dumps(array, protocol=0)
    path = _with_nested(tmp_path, array, crafted)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    try:
        joblib.load(path)  # plain data: a real load runs nothing
        real_fails = False
    except pickle.UnpicklingError:
        real_fails = True
    # Python reads the frame's rest from the file after it ends; a FRAME with unread frame
    # data left is its error; the C reader alone would read on in both
    assert real_fails == (change == "frame in frame")


def _global(module: str, name: str) -> bytes:
    """SHORT_BINUNICODE module, SHORT_BINUNICODE name, STACK_GLOBAL."""
    return b"\x8c" + bytes([len(module)]) + module.encode() + b"\x8c" + bytes([len(name)]) + \
        name.encode() + b"\x93"


def test_an_empty_batch_is_read_by_python(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """MARK APPENDS on a class: Python calls its extend([]) (a real load fails there), C
    returns at once."""
    nested = b"\x80\x05" + _global("collections", "OrderedDict") + b"(e."
    path = _with_nested(tmp_path, MIXED, nested)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    assert "extend" in without


def test_a_frame_read_past_its_stop_is_read_by_python(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two bytes after the nested STOP inside its frame: Python reads the whole frame and goes
    on after them; the C reader would stop at the STOP and read them as the outer stream's."""
    array = np.array([{"k": [1, 2]}, "word", 3], dtype=object)
    nested = pickle.dumps(array, protocol=5)
    assert nested[2] == pickle.FRAME[0] and nested.endswith(pickle.STOP)
    length = int.from_bytes(nested[3:11], "little")
    crafted = nested[:3] + (length + 2).to_bytes(8, "little") + nested[11:] + b"NN"
    path = _with_nested(tmp_path, array, crafted)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    assert repr(joblib.load(path)["x"][1]) == "'word'"  # plain data: the real load reads on


def test_an_opcode_across_a_large_frames_end_is_read_by_python(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 200 kB frame (the C reader reads it whole) whose last BININT has two of its four
    bytes outside it: the walk finds that only from the bytes that follow, after the C reader
    holds the frame; the next bytes are refused, the reading is Python's."""
    size = 200_000
    payload = bytes(size - 5 - 3)
    content = b"B" + len(payload).to_bytes(4, "little") + payload + b"J\x01\x00"
    nested = b"\x80\x05\x95" + size.to_bytes(8, "little") + content + b"\x07\x00" + b"l."
    path = _with_nested(tmp_path, MIXED, nested)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    with pytest.raises(pickle.UnpicklingError, match="exhausted before end of frame"):
        joblib.load(path)


def test_an_embedded_pickle_is_read_whole_during_a_c_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``pickle.loads(bytes)`` in the nested pickle: the bytes are C's own reading (a one-item
    APPEND onto a stand-in there is C's extend), and the global after it is still found."""
    embedded = b"\x80\x04" + _global("foo", "Bar") + b")RK\x01a0" + \
        _global("os", "getcwd") + b")R."
    nested = b"\x80\x05" + _global("pickle", "loads") + b"C" + bytes([len(embedded)]) + \
        embedded + b"\x85R."
    path = _with_nested(tmp_path, MIXED, nested)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["read"]
    assert with_c == without
    assert "os.getcwd" in with_c


@pytest.mark.parametrize("before", [1, 2, 3, 4])
def test_a_memo_index_split_by_a_read_is_refused(tmp_path: Path, before: int) -> None:
    """A LONG_BINPUT of 2**27 whose opcode ends ``before`` bytes before the first 64 KiB the
    C reader peeks: the walk finds it only in the next bytes, after the reader has its first
    bytes; they are refused (before: the reader grew its memo to 2 GiB)."""
    pad = (1 << 16) - before - 2 - 5
    data = b"\x80\x02B" + pad.to_bytes(4, "little") + bytes(pad) + b"r" + \
        (1 << 27).to_bytes(4, "little") + b"."
    path = tmp_path / "split.pkl"
    path.write_bytes(data)
    with pytest.raises(HpinspectError, match="memo index of 134,217,728"):
        inspect_file(path)


def test_a_text_put_index_ended_by_a_nul_is_walked(tmp_path: Path) -> None:
    """``PUT 0\\0`` is memo slot 0 to the C reader (it parses the line as a C string): the
    walk goes on after it and refuses the LONG_BINPUT of 2**27 that follows (before, the walk
    took it for an error of the C reader, stopped, and the reader grew its memo to 2 GiB)."""
    path = tmp_path / "put.pkl"
    path.write_bytes(b"\x80\x02]p0\x00\nr" + (1 << 27).to_bytes(4, "little") + b".")
    with pytest.raises(HpinspectError, match="memo index of 134,217,728"):
        inspect_file(path)
