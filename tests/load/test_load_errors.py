"""Broken inputs: one line on stderr naming the file, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import collections
import os
import pickle
import random
from pathlib import Path
from typing import Any

import joblib
import pytest
from helpers import run_cli

from hpinspect.errors import (
    CorruptFileError,
    FileAccessError,
    HpinspectError,
    LimitExceededError,
    UnsupportedFormatError,
)
from hpinspect.load import read_model


def _model_bytes(model: Any, tmp_path: Path) -> bytes:
    path = tmp_path / "good.joblib"
    joblib.dump(model, path)
    return path.read_bytes()


def broken_inputs(tmp_path: Path, model: Any) -> dict[str, tuple[Path, type[HpinspectError]]]:
    """Every broken input of issue 2, each with the error type it must raise."""
    good = _model_bytes(model, tmp_path)
    cases: dict[str, tuple[bytes | None, type[HpinspectError]]] = {
        "empty": (b"", UnsupportedFormatError),
        "text": (b"hello, this is a README\nnot a model\n", UnsupportedFormatError),
        "random": (random.Random(0).randbytes(4096), HpinspectError),
        "truncated": (good[: len(good) // 2], CorruptFileError),
        "truncated_zlib": (None, CorruptFileError),
        "unknown_opcode": (b"\x80\x04\xff\xfe.", CorruptFileError),
        "json": (b'{"model": "not a pickle"}', UnsupportedFormatError),
        "bad_zlib": (b"\x78\x9c" + b"\x00" * 64, CorruptFileError),
    }
    out: dict[str, tuple[Path, type[HpinspectError]]] = {}
    for name, (data, error) in cases.items():
        path = tmp_path / f"{name}.joblib"
        if data is None:
            joblib.dump(model, path, compress=3)
            data = path.read_bytes()[:-40]
        path.write_bytes(data)
        out[name] = (path, error)
    out["missing"] = (tmp_path / "no" / "such.pkl", FileAccessError)
    directory = tmp_path / "a_directory.joblib"
    directory.mkdir()
    out["directory"] = (directory, FileAccessError)
    pipe = tmp_path / "a_pipe.pkl"
    os.mkfifo(pipe)  # no writer: opening it to read would wait forever
    out["pipe"] = (pipe, FileAccessError)
    out["device"] = (Path(os.devnull), FileAccessError)
    return out


CASE_NAMES = ["empty", "text", "random", "truncated", "truncated_zlib", "unknown_opcode",
              "json", "bad_zlib", "missing", "directory", "pipe", "device"]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_library_raises_typed_error(case: str, tmp_path: Path, logreg: Any) -> None:
    path, error = broken_inputs(tmp_path, logreg)[case]
    with pytest.raises(error) as info:
        read_model(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_cli_one_line_exit_2(case: str, tmp_path: Path, logreg: Any) -> None:
    path, _ = broken_inputs(tmp_path, logreg)[case]
    before = sorted(os.listdir(tmp_path))
    for fmt in ("table", "json"):
        proc = run_cli("--format", fmt, str(path))
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert str(path) in lines[0]
        assert "Traceback" not in proc.stderr
        assert proc.stdout == ""
    assert sorted(os.listdir(tmp_path)) == before


def test_several_files_worst_exit_code(tmp_path: Path, logreg: Any) -> None:
    good = tmp_path / "good.joblib"
    joblib.dump(logreg, good)
    proc = run_cli("--format", "json", str(good), str(tmp_path / "missing.pkl"))
    assert proc.returncode == 2
    assert '"schema_version"' in proc.stdout
    assert proc.stderr.count("\n") == 1


def test_opcode_and_memo_limits(tmp_path: Path) -> None:
    # CPython's C unpickler does the opcode work; hpinspect counts what reaches its stand-ins
    # (calls, BUILDs, APPENDs on objects): 5000 OrderedDict() calls here.
    path = tmp_path / "many.pkl"
    path.write_bytes(pickle.dumps([collections.OrderedDict() for _ in range(5000)], protocol=4))
    from hpinspect.load import Limits

    with pytest.raises(LimitExceededError, match="opcodes"):
        read_model(path, Limits(max_opcodes=100))
    proc = run_cli("--max-opcodes", "100", str(path))
    assert proc.returncode == 2 and "opcodes" in proc.stderr
    memo = tmp_path / "memo.pkl"
    memo.write_bytes(pickle.dumps([[i] for i in range(300)], protocol=4))
    with pytest.raises(LimitExceededError, match="memo"):
        read_model(memo, Limits(max_memo=50))


def test_a_cut_file_says_where_and_why_in_words(tmp_path: Path, logreg: Any) -> None:
    good = _model_bytes(logreg, tmp_path)
    path = tmp_path / "cut.joblib"
    messages = []
    for cut in range(1, len(good)):  # every cut: a third of them end on an opcode boundary
        path.write_bytes(good[:cut])
        with pytest.raises(HpinspectError) as caught:
            read_model(path)
        messages.append(caught.value.message)
    assert sum("breaks before byte" in m for m in messages) > len(good) // 2
    assert not [m for m in messages if "()" in m]  # an EOFError without text gets a reason


@pytest.mark.parametrize("make", [
    lambda: {f"w{i}": i for i in range(50_000)},
    lambda: [[i] for i in range(3_000)],
    lambda: [(i, str(i)) for i in range(10_000)],
    lambda: None,
], ids=["vocabulary", "lists", "tuples", "none"])
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_the_memo_count_without_a_copy_bounds_the_real_count(make: Any, protocol: int) -> None:
    """``memo_slots`` (the C reader's size, not a copy of its memo) is never below the real
    number of memo entries: the memo limit may skip the copy only below it."""
    import io

    from hpinspect.load import Limits
    from hpinspect.load.unpickler import CReader, Session, memo_slots

    reader = CReader(io.BytesIO(pickle.dumps(make(), protocol=protocol)),
                     Session(Limits(), "x", 1 << 30), protocol)
    reader.load()
    real = len(reader.memo.copy())
    assert real <= memo_slots(reader) <= 2 * real + 64
