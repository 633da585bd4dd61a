"""A whole joblib stream, read by the C reader, reads exactly as the pure-Python reader
``joblib.load`` runs (``hpinspect.load.joblib_c``).

Each file is read twice -- C readings on (the default) and off (``pickle_file.C_NESTED``) --
and the two JSON reports must be equal byte for byte; a spy on ``whole_stream_load`` says
whether the C reading vouched for the stream or handed it back (``Diverged``). Real files:
fitted models of many kinds, joblib's compressors, arrays of every layout joblib writes.
Crafted ones, where the in-place arrays of the C reading would differ from joblib's (a DUP or
a GET of an array wrapper, a BINPUT, a PROTO in mid-stream, a one-item APPEND onto a stand-in),
and truncated ones: each must be handed back, the report must be the pure-Python one, and
``joblib.load`` itself shows that the case is real (the wrapper object is in its result).
"""

from __future__ import annotations

import contextlib
import io
import json
import pickletools
import zlib
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from helpers import report_outcome
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hpinspect import inspect_file
from hpinspect.errors import HpinspectError
from hpinspect.load import joblib_c, opscan, pickle_file, unpickler
from hpinspect.render.json import report_doc


class Items(list):  # type: ignore[type-arg]
    """A list subclass: the pickler writes its items with APPEND/APPENDS onto the instance."""


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, list[str]]:
    """(C readings on, off, what each whole-stream C reading ended with)."""
    seen: list[str] = []
    real = joblib_c.whole_stream_load

    def spy(*args: Any) -> Any:
        try:
            value = real(*args)
        except unpickler.Diverged:
            seen.append("diverged")
            raise
        seen.append("read")
        return value

    monkeypatch.setattr(joblib_c, "whole_stream_load", spy)
    monkeypatch.setattr(unpickler, "WHOLE_STREAM_MIN", 0)  # (small files too)
    with_c = report_outcome(path)
    monkeypatch.setattr(pickle_file, "C_NESTED", False)
    without = report_outcome(path)
    assert seen[1:] == []  # (the second reading reads no whole stream in C)
    return with_c, without, seen


def _xy() -> tuple[Any, Any]:
    return make_classification(n_samples=200, n_features=6, n_informative=4, n_classes=3,
                               random_state=5)


def _models() -> dict[str, Any]:
    x, y = _xy()
    table = np.zeros(4, dtype=[("a", "<i4"), ("b", "<f8", (2,))])
    big = np.arange(300_000, dtype=np.float64)  # over the kept size: skipped, read if asked
    return {
        "forest": RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0).fit(x, y),
        "gbc": GradientBoostingClassifier(n_estimators=6, random_state=0).fit(x, y),  # objects
        "hist": HistGradientBoostingRegressor(max_iter=5).fit(x, y),
        "pipeline": make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(x, y),
        "arrays": {"fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
                   "scalar": np.array(2.5), "empty": np.zeros((0, 3)), "table": table,
                   "same": [big, big], "strings": np.array(["a", "bc"]),
                   "bools": np.array([True, False]), "objects": np.array([1, "x"], object),
                   "view": np.arange(10)[::2], "big-endian": np.arange(3, dtype=">i2")},
    }


MODELS = _models()


@pytest.mark.parametrize("compress", [0, 3, ("lzma", 1), ("gzip", 1)],
                         ids=["raw", "zlib", "lzma", "gzip"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_real_joblib_files_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         name: str, compress: Any) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(MODELS[name], path, compress=compress)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["read"]  # the C reader vouched for the whole stream
    assert with_c == without


def test_older_protocols_are_read_by_python(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Protocols 2 and 3 write BINPUT, which the whole-stream walk refuses: not attempted."""
    for proto in (2, 3):
        path = tmp_path / f"p{proto}.joblib"
        joblib.dump(MODELS["forest"], path, protocol=proto)
        with_c, without, seen = _both(path, monkeypatch)
        assert seen == []
        assert with_c == without
        monkeypatch.undo()


def _template() -> tuple[bytes, int, int, int]:
    """``joblib.dump([np.arange(3)])``: its bytes, the offset of the wrapper's MEMOIZE, the
    end of the frame holding the wrapper's BUILD, the MEMOIZEs in that frame."""
    out = io.BytesIO()
    joblib.dump([np.arange(3, dtype=np.int64)], out)
    data = out.getvalue()
    ops: list[tuple[str, int]] = []
    with contextlib.suppress(ValueError):  # the array's bytes after the frame are no opcodes
        ops += ((op.name, pos) for op, _, pos in pickletools.genops(data))
    memoize = next(pos for name, pos in ops if name == "NEWOBJ") + 1
    assert data[2] == 0x95 and data[memoize] == 0x94  # a FRAME; the wrapper's MEMOIZE
    end = 11 + int.from_bytes(data[3:11], "little")
    assert data[end - 1:end] == b"b"  # the wrapper's BUILD ends the frame
    return data, memoize, end, sum(1 for name, _ in ops if name == "MEMOIZE")


def _crafted(tmp_path: Path, after_wrapper: bytes = b"", tail: bytes = b"a.",
             memoize: bytes = b"\x94") -> Path:
    """The template with ``after_wrapper`` after the wrapper's MEMOIZE (``memoize`` in its
    place), the frame's length fixed, and ``tail`` after the array's bytes."""
    data, at, end, _ = _template()
    body = data[:at] + memoize + after_wrapper + data[at + 1:end]
    length = len(body) - 11
    body = body[:3] + length.to_bytes(8, "little") + body[11:]
    assert data.endswith(b"a.")
    path = tmp_path / "crafted.joblib"
    path.write_bytes(body + data[end:-2] + tail)
    return path


def _wrapper_index() -> int:
    """The memo slot of the template's wrapper (the MEMOIZEs before its own)."""
    data, at, _, _ = _template()
    return data[:at].count(b"\x94")  # (no other 0x94 byte before it: asserted)


def test_the_template_is_what_the_crafted_files_assume() -> None:
    data, at, _, count = _template()
    ops = [(op.name, pos) for op, _, pos in pickletools.genops(data[:at + 1] + b".")]
    assert [pos for name, pos in ops if name == "MEMOIZE"][-1] == at
    assert sum(name == "MEMOIZE" for name, _ in ops) == _wrapper_index() + 1 < count < 256


@pytest.mark.parametrize("case", ["dup", "get before", "get after"])
def test_a_second_reference_to_a_wrapper_is_read_by_python(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """joblib replaces the wrapper on the stack only: another reference made before its BUILD
    (DUP, or a GET of its memo slot, before or after) is the wrapper object itself, which the
    in-place reading would have turned into the array."""
    get = b"h" + bytes([_wrapper_index()])
    path = {"dup": lambda: _crafted(tmp_path, b"2", b"\x86a."),
            "get before": lambda: _crafted(tmp_path, get, b"\x86a."),
            "get after": lambda: _crafted(tmp_path, tail=get + b"\x86a.")}[case]()
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    real = joblib.load(path)[0]  # plain data: a real load runs nothing
    kinds = [type(x).__name__ for x in real]
    assert sorted(kinds) == ["NumpyArrayWrapper", "ndarray"]
    assert "NumpyArrayWrapper" in without  # the report shows the wrapper as joblib has it


@pytest.mark.parametrize("case", ["binput", "proto", "memoize after build"])
def test_what_the_walk_refuses_is_read_by_python(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 case: str) -> None:
    """A BINPUT (a slot could be written twice), a PROTO past byte 0, and a GET of a slot that
    holds an array made in place (conservative: joblib would give the array too)."""
    count = _template()[3]
    path = {"binput": lambda: _crafted(tmp_path, memoize=b"q" + bytes([_wrapper_index()])),
            "proto": lambda: _crafted(tmp_path, tail=b"\x80\x04a."),
            "memoize after build": lambda: _crafted(
                tmp_path, tail=b"\x94h" + bytes([count]) + b"\x86a.")}[case]()
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    real = joblib.load(path)[0]
    assert all(type(x).__name__ == "ndarray" for x in (
        real if isinstance(real, tuple) else [real]))


def test_a_one_item_append_onto_a_stand_in_is_read_by_python(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "items.joblib"
    joblib.dump({"items": Items([7]), "x": np.arange(4)}, path)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    assert "append" in without  # the pure-Python reader's call on the stand-in


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9, -1])
def test_a_truncated_stream_breaks_as_joblib_reads_it(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      cut: float) -> None:
    full = tmp_path / "full.joblib"
    joblib.dump(MODELS["forest"], full)
    data = full.read_bytes()
    path = tmp_path / "cut.joblib"
    path.write_bytes(data[:int(len(data) * cut)] if cut > 0 else data[:-1])
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    assert "breaks" in with_c
    with pytest.raises(Exception):  # noqa: B017 - the real load fails too, in any way
        joblib.load(path)


@pytest.mark.parametrize("cut", [0, 1, 2, 12])
def test_an_array_cut_short_breaks_with_joblibs_own_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: int) -> None:
    """Cut at the alignment length byte, in the padding, at and in the array data: the break
    names what joblib's own reads of them raise (one read of all three here)."""
    data, _, end, _ = _template()
    path = tmp_path / "short.joblib"
    path.write_bytes(data[:end + cut])
    with pytest.raises(ValueError) as real:
        joblib.load(path)
    assert str(real.value).startswith("EOF: reading array data")
    with_c, without, _ = _both(path, monkeypatch)
    assert with_c == without
    assert str(real.value) in with_c


def test_a_stream_cut_in_the_frame_after_an_array_breaks_as_joblib_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an array's bytes the C reader asks for the next FRAME's opcode alone and is given
    the whole frame at once (``FramedInput._whole_frame``); cut anywhere in that frame's
    header or content, the reading is handed back and breaks as the pure-Python one."""
    out = io.BytesIO()
    joblib.dump([np.arange(3, dtype=np.int64), np.arange(5, dtype=np.int64)], out)
    data = out.getvalue()
    first = data.index(np.arange(3, dtype=np.int64).tobytes()) + 24
    assert data[first] == 0x95  # the second wrapper's frame follows the first array
    end = first + 9 + int.from_bytes(data[first + 1:first + 9], "little")
    path = tmp_path / "two.joblib"
    path.write_bytes(data)
    whole: list[int] = []
    real = opscan.FramedInput._whole_frame

    def spy(self: opscan.FramedInput, pos: int) -> bytes:
        whole.append(pos)
        return real(self, pos)

    monkeypatch.setattr(opscan.FramedInput, "_whole_frame", spy)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["read"] and first in whole
    assert with_c == without
    for cut in range(first, end + 1):
        monkeypatch.undo()
        path.write_bytes(data[:cut])
        with_c, without, seen = _both(path, monkeypatch)
        assert seen == ["diverged"]
        assert with_c == without
        assert "breaks" in with_c
    with pytest.raises(Exception):  # noqa: B017 - the real load fails too, in any way
        joblib.load(path)
    for length in (end - first - 8, 1 << 40, 2, 0):  # past the file, the budget; too short
        monkeypatch.undo()
        path.write_bytes(data[:first + 1] + length.to_bytes(8, "little") + data[first + 9:])
        try:
            loaded = joblib.load(path)
        except (ValueError, MemoryError):
            loaded = None  # (one byte too long: joblib's EOF error; 1 TiB: MemoryError)
        with_c, without, seen = _both(path, monkeypatch)
        assert with_c == without
        if loaded is None:
            assert "breaks" in with_c
        else:  # a frame that ends early: the rest is read outside it, by both readers
            assert [a.tolist() for a in loaded] == [[0, 1, 2], [0, 1, 2, 3, 4]]
            shown = [a["summary"] for a in json.loads(with_c)["model"]["attributes"]]
            assert shown == ["int64 (3) min=0 max=2 mean=1.0", "int64 (5) min=0 max=4 mean=2.0"]


@pytest.mark.parametrize("cut", [0.001, 0.4, 0.999])
def test_a_large_array_cut_short_breaks_with_joblibs_own_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: float) -> None:
    """A 2.4 MB array (not kept: skipped in a plain file, streamed in a compressed one) that
    ends early: joblib reads it in 256 KiB chunks and names the chunk that came short."""
    for compress in (0, 3):
        full = tmp_path / "full.joblib"
        joblib.dump({"big": np.arange(300_000, dtype=np.float64)}, full, compress=compress)
        data = zlib.decompress(full.read_bytes()) if compress else full.read_bytes()
        at = data.index(np.arange(300_000, dtype=np.float64).tobytes()[:64])
        short = data[:at + int(2_400_000 * cut)]
        path = tmp_path / "short.joblib"
        path.write_bytes(zlib.compress(short) if compress else short)
        with pytest.raises(ValueError) as real:
            joblib.load(path)
        assert str(real.value).startswith("EOF: reading array data, expected")
        with_c, without, _ = _both(path, monkeypatch)
        assert with_c == without
        assert str(real.value) in with_c
        monkeypatch.undo()


def test_long_runs_without_a_get_are_read_by_c(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A real dump of 100,000 booleans and a 20,000-word dict: frames with few or no GETs
    (the GET scan once matched again from every byte after a run's last GET)."""
    path = tmp_path / "flags.joblib"
    joblib.dump({"mask": [bool(i % 3) for i in range(100_000)],
                 "vocabulary": {f"w{i:05d}": i for i in range(20_000)}}, path)
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["read"]
    assert with_c == without


def test_a_stream_mostly_outside_frames_is_handed_back(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Without frames the C reader reads each opcode on its own, each walked in Python (slower
    than joblib's own loop): past a bound it stops, and the reading is the pure-Python one."""
    from hpinspect.load.opscan import LOOSE_READS

    path = tmp_path / "unframed.joblib"
    path.write_bytes(b"\x80\x04]" + (b"(" + b"N" * 50 + b"e") * (LOOSE_READS // 20) + b".")
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    assert joblib.load(path) == [None] * (50 * (LOOSE_READS // 20))


def test_empty_frames_buy_no_unframed_reads(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty FRAMEs between the opcodes keep a stream outside frames all the same."""
    from hpinspect.load.opscan import LOOSE_READS

    units = LOOSE_READS // 2
    path = tmp_path / "empty-frames.joblib"
    path.write_bytes(b"\x80\x04]" + (b"\x95" + bytes(8) + b"(NNNe") * units + b".")
    with_c, without, seen = _both(path, monkeypatch)
    assert seen == ["diverged"]
    assert with_c == without
    assert joblib.load(path) == [None] * (3 * units)


def _u(text: str) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text.encode()


def test_a_bytearray8_is_judged_against_the_budget_when_it_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``bytearray(5 MB)`` (an inert constructor, charged to the budget) before a 3 MB
    BYTEARRAY8 in the same frame: the pure-Python reader compares the length with what is left
    once the call has run, so the C reading must not vouch for it from the frame's bytes."""
    from hpinspect.load.limits import Limits

    size, charged = 3_000_000, 5_000_000
    body = _u("builtins") + _u("bytearray") + b"\x93J" + charged.to_bytes(4, "little") + \
        b"\x85R\x96" + size.to_bytes(8, "little") + bytes(size) + b"\x86."
    path = tmp_path / "bytearrays.joblib"
    path.write_bytes(b"\x80\x04\x95" + len(body).to_bytes(8, "little") + body)
    limits = Limits(max_bytes=10_000_000)
    real = unpickler.JoblibReader  # (the outcomes of both readings, under the same limits)
    outcomes = []
    for c_readings in (True, False):
        monkeypatch.setattr(pickle_file, "C_NESTED", c_readings)
        try:
            outcomes.append(json.dumps(report_doc(inspect_file(path, limits=limits)),
                                       sort_keys=True, default=str))
        except HpinspectError as exc:
            outcomes.append(f"{type(exc).__name__}: {exc}")
    assert real is unpickler.JoblibReader
    assert outcomes[0] == outcomes[1]
    assert "BYTEARRAY8 declares 3,000,000 bytes" in outcomes[1]
    assert [len(x) for x in joblib.load(path)] == [charged, size]  # no limit in a real load


@pytest.mark.parametrize("order", ["X", None])
def test_an_order_other_than_f_is_read_as_joblib_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str | None) -> None:
    """``read_array`` only asks whether the order is "F" (anything else is C), and only once
    the data is read: a missing one is an AttributeError there."""
    data = _template()[0]
    key = _u("order") + b"\x94" + _u("C")
    assert data.count(key) == 1
    crafted = _u("order") + b"\x94" + _u(order) if order else _u("orde_") + b"\x94" + _u("C")
    path = tmp_path / "order.joblib"
    path.write_bytes(data.replace(key, crafted))
    with_c, without, _ = _both(path, monkeypatch)
    assert with_c == without
    if order:
        assert list(joblib.load(path)[0]) == [0, 1, 2]
        assert "breaks" not in with_c and '"shape": [\n' not in with_c
    else:
        with pytest.raises(AttributeError) as real:
            joblib.load(path)
        assert str(real.value) in with_c


def test_only_streams_past_a_buffer_are_read_by_c(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A small joblib file is read in pure Python (faster than compiling the walk's regexes);
    one whose stream fills the reader's buffer, by the C reader."""
    seen: list[int] = []
    real = joblib_c.whole_stream_load
    monkeypatch.setattr(joblib_c, "whole_stream_load",
                        lambda *args: seen.append(1) or real(*args))
    small, large = tmp_path / "small.joblib", tmp_path / "large.joblib"
    joblib.dump(MODELS["pipeline"], small)
    joblib.dump(MODELS["arrays"], large)
    assert small.stat().st_size < unpickler.WHOLE_STREAM_MIN < large.stat().st_size
    inspect_file(small)
    assert seen == []
    inspect_file(large)
    assert seen == [1]
