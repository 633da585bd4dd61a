"""The engine's guards in front of CPython's unpicklers, and its protocol fidelity.

- Declared sizes the C unpickler acts on before reading (a memo index grows and zeroes its
  memo array; BYTEARRAY8 in the pure-Python reader zeroed its whole length): each file is
  read by a real ``python -m hpinspect`` child whose own peak RSS (VmHWM) must stay under
  1 GiB, with exit 2 (3 when a payload came first), one stderr line, no traceback.
- Python 2 names map by the protocol the reader has *when* it meets the global: a PROTO
  opcode in mid-stream changes it (the C reader's is private; hpinspect asks its own
  ``find_class``), and joblib's nested object-array reader maps by the outer reader's.
  Checked against the differential oracle (the real C unpickler and the real joblib.load).
- EXT codes resolved in one reading are not served from ``copyreg``'s process-wide cache to
  the next one.

Every hostile file is built here; the payload is a canary-free ``os.system`` that is never
run (the oracle's ``find_class`` imports nothing).
"""

from __future__ import annotations

import copyreg
import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_differential import EXTENSIONS, extensions, hp_names, oracle

from hpinspect.load import read_model

PEAK_LIMIT_KIB = 1 << 20  # 1 GiB
AS_LIMIT = 6 << 30
"""Address-space cap of the child: a regression fails on its VmHWM, not on the machine."""

_CHILD = """\
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
sys.argv = ["hpinspect", *sys.argv[1:]]
code = 0
try:
    runpy.run_module("hpinspect", run_name="__main__")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
with open({status!r}, "w") as out:
    out.write(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")))
sys.exit(code)
"""


def run_bounded(tmp_path: Path, *args: str) -> tuple[int, str, int]:
    """``python -m hpinspect ARGS`` in a child: exit code, stderr, its own VmHWM in KiB."""
    status = tmp_path / "vmhwm"
    code = _CHILD.format(cap=AS_LIMIT, status=str(status))
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, timeout=300, env=env, check=False)
    return proc.returncode, proc.stderr, int(status.read_text())


PROTO4 = b"\x80\x04"
PAYLOAD = b"\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R0"  # os.system("true"), POP
"""A call a real load makes (never run here); the byte before each hazard."""


def q8(n: int) -> bytes:
    return struct.pack("<Q", n)


HAZARDS: dict[str, tuple[bytes, str]] = {
    "long-binput-max": (b"K\x01r" + struct.pack("<I", 2**31 - 1) + b".", "memo index"),
    "long-binput-1gib": (b"K\x01r" + struct.pack("<I", 2**26) + b".", "memo index"),
    "text-put-1gib": (b"K\x01p%d\n." % 2**26, "memo index"),
    "bytearray8-16gib": (b"\x96" + q8(2**34) + b"abc", "BYTEARRAY8 declares"),
    # within the budget: read as far as the data goes (truncated), nothing zeroed up front
    "bytearray8-1.5gib": (b"\x96" + q8(3 << 29) + b"abc", "truncated"),
    "binbytes8-16gib": (b"\x8e" + q8(2**34) + b"abc", "BINBYTES8 declares"),
    "binunicode8-16gib": (b"\x8d" + q8(2**34) + b"abc", "BINUNICODE8 declares"),
    "frame-1tib": (b"\x95" + q8(2**40) + b"K\x01.", "FRAME declares"),
    "long4-2gib": (b"\x8b" + struct.pack("<i", 2**31 - 1) + b"\x01" * 64, "LONG4 declares"),
}
"""Opcodes whose declared size CPython's unpicklers act on before reading the data."""


@pytest.mark.parametrize("name", sorted(HAZARDS))
def test_declared_size_is_refused_in_bounded_memory(tmp_path: Path, name: str) -> None:
    body, says = HAZARDS[name]
    path = tmp_path / f"{name}.pkl"
    path.write_bytes(PROTO4 + body)
    code, stderr, peak = run_bounded(tmp_path, str(path))
    lines = stderr.strip().splitlines()
    assert code == 2, stderr
    assert len(lines) == 1 and lines[0].startswith("hpinspect: error:"), stderr
    assert str(path) in lines[0] and says in lines[0], lines[0]
    assert "limit" in lines[0] or says == "truncated", lines[0]
    assert peak < PEAK_LIMIT_KIB, f"peak RSS {peak >> 10} MiB"


@pytest.mark.parametrize("name", ["long-binput-max", "bytearray8-16gib", "frame-1tib"])
def test_payload_before_a_refused_size_is_unsafe(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}-payload.pkl"
    path.write_bytes(PROTO4 + PAYLOAD + HAZARDS[name][0])
    code, stderr, peak = run_bounded(tmp_path, "--format", "json", str(path))
    assert code == 3, stderr
    assert peak < PEAK_LIMIT_KIB, f"peak RSS {peak >> 10} MiB"
    result = read_model(path)
    names = {f.global_name: f for f in result.safety.findings}
    assert "os.system" in names
    assert HAZARDS[name][1] in names["(stream)"].detail


def test_payload_after_the_memo_hazard_is_still_named(tmp_path: Path) -> None:
    # pickle.load stops at the refused memo index; joblib.load's pure-Python reader keeps its
    # memo in a dict and reads on to the payload -- reported as reached by joblib.load.
    path = tmp_path / "after.pkl"
    path.write_bytes(PROTO4 + b"K\x01r" + struct.pack("<I", 2**31 - 1) + b"0" + PAYLOAD
                     + b"N.")
    code, stderr, _peak = run_bounded(tmp_path, str(path))
    assert code == 3, stderr
    assert "os.system" in (hp_names(path) or set())


def test_hazard_after_the_stop_does_not_break_the_pickle(tmp_path: Path) -> None:
    # The walk runs only as far as the C reader peeks, and a hazard counts only when the
    # reader asks for its bytes: a pickle that ends before it reads normally.
    path = tmp_path / "tail.pkl"
    path.write_bytes(PROTO4 + b"K\x07." + b"\x80\x04r" + struct.pack("<I", 2**31 - 1))
    result = read_model(path)
    assert result.root == 7
    trailing = [f for f in result.safety.findings if f.global_name == "(stream)"]
    assert trailing and "memo index" in trailing[0].detail
    assert trailing[0].detail.startswith("trailing bytes")


def test_big_benign_pickles_read_the_same_through_the_walk(tmp_path: Path) -> None:
    import pickle

    value = {"vocab": {f"w{i}": i for i in range(70_000)}, "f": [i / 3 for i in range(5000)],
             "b": bytes(range(256)) * 600, "s": "x" * 70_000, "t": [(i, str(i)) for i in
                                                                    range(300)]}
    for protocol in range(6):
        path = tmp_path / f"big{protocol}.pkl"
        path.write_bytes(pickle.dumps(value, protocol=protocol))
        result = read_model(path)
        assert result.root == value, protocol
        # protocols 0-2 write bytes as _codecs.encode calls (an inert constructor)
        assert {f.global_name for f in result.safety.findings} <= {"_codecs.encode"}
        assert result.safety.verdict == "safe", protocol


# ---------------------------------------------------------------------- protocol mapping
def G(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


PROTO_CASES: dict[str, bytes] = {
    "proto2-then-4": b"\x80\x02" + G("__builtin__", "eval") + b"\x80\x04"
    + G("__builtin__", "eval") + b"\x86.",
    "proto4-then-2": b"\x80\x04" + G("dumbdbm", "_Database") + b"\x80\x02"
    + G("dumbdbm", "_Database") + b"\x86.",
    "no-header-then-3": G("copy_reg", "_reconstructor") + b"\x80\x03"
    + G("copy_reg", "_reconstructor") + b"\x86.",
    "proto5-2-5": b"\x80\x05" + G("UserDict", "UserDict") + b"\x80\x02"
    + G("UserDict", "UserDict") + b"\x80\x05" + G("exceptions", "Exception") + b"\x87.",
    "ext-after-proto-change": b"\x80\x04\x82\x02\x80\x02\x82\x02\x86.",
}


def _nested_joblib(inner: bytes) -> bytes:
    from test_differential import JOBLIB_OBJECT_ARRAY

    return JOBLIB_OBJECT_ARRAY + inner + b"K\x07e."


@pytest.mark.parametrize("name", sorted(PROTO_CASES))
def test_names_map_by_the_protocol_at_the_global(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.pkl"
    path.write_bytes(PROTO_CASES[name])
    answer = oracle([path])[str(path)]
    with extensions():
        mine = hp_names(path)
    assert mine == set(answer["pickle"]["names"]), (mine, answer)


def test_mapping_decides_the_verdict(tmp_path: Path) -> None:
    # header protocol 4 (no mapping), then PROTO 2: pickle.load maps dumbdbm._Database to
    # dbm.dumb._Database, whose __del__ writes a file.
    path = tmp_path / "dumb.pkl"
    path.write_bytes(b"\x80\x04" + b"\x80\x02" + G("dumbdbm", "_Database") + b")R.")
    names = hp_names(path)
    assert names is not None and "dbm.dumb._Database" in names
    assert "dumbdbm._Database" not in names


def test_nested_object_array_maps_by_the_outer_protocol(tmp_path: Path) -> None:
    # joblib's nested reader uses the outer NumpyUnpickler's find_class, hence its protocol
    # (2 here) -- not the nested stream's PROTO 5.
    path = tmp_path / "nested.joblib"
    path.write_bytes(_nested_joblib(b"\x80\x05" + G("dumbdbm", "_Database") + b"."))
    answer = oracle([path])[str(path)]
    assert "dbm.dumb._Database" in answer["joblib"]["names"], answer
    mine = hp_names(path)
    assert mine is not None
    assert set(answer["joblib"]["names"]) <= mine


# ---------------------------------------------------------------------- EXT codes
def test_ext_code_is_reported_by_every_reading(tmp_path: Path) -> None:
    code = next(c for c, name in EXTENSIONS.items() if name == ("os", "system"))
    path = tmp_path / "ext.pkl"
    path.write_bytes(b"\x80\x02\x82" + bytes([code]) + b"\x8c\x04true\x85R.")
    with extensions():
        first, second = hp_names(path), hp_names(path)
        assert copyreg._extension_cache == {}  # type: ignore[attr-defined]
    assert first == second == {"os.system"}


def test_ext_code_cached_by_a_real_load_is_not_served(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "cached.pkl"
    path.write_bytes(b"\x80\x02\x82\x01.")
    with extensions():
        # a real unpickling in this process caches the real object for the code
        assert pickle.loads(b"\x80\x02\x82\x01.") is os.system
        assert hp_names(path) == {"os.system"}
        assert read_model(path).root.__class__.__name__ == "GlobalRef"


def test_oracle_sees_mid_stream_proto(tmp_path: Path) -> None:
    path = tmp_path / "o.pkl"
    path.write_bytes(PROTO_CASES["proto2-then-4"])
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("oracle.py")),
                           str(path)], capture_output=True, text=True, check=True)
    names = json.loads(proc.stdout)["pickle"]["names"]
    assert names == ["__builtin__.eval", "builtins.eval"]


def _framed(body: bytes) -> bytes:
    return PROTO4 + b"\x95" + q8(len(body)) + body


def test_hazard_inside_a_frame_keeps_what_comes_before_it(tmp_path: Path) -> None:
    # The C reader reads a whole FRAME before parsing it: the hazard's first byte is handed
    # over as a non-opcode, so it parses the payload first, exactly as a real load would.
    path = tmp_path / "frame-payload.pkl"
    path.write_bytes(_framed(PAYLOAD + b"K\x01r" + struct.pack("<I", 2**31 - 1) + b"."))
    code, stderr, peak = run_bounded(tmp_path, str(path))
    assert code == 3, stderr
    assert peak < PEAK_LIMIT_KIB
    findings = {f.global_name: f for f in read_model(path).safety.findings}
    assert "os.system" in findings and "memo index" in findings["(stream)"].detail


def test_error_before_a_hazard_in_a_frame_is_the_real_error(tmp_path: Path) -> None:
    # Found by scripts/fidelity_long.py: a string that does not decode stops pickle.load
    # before the (hazardous) bytes after it in the same frame are parsed; the report says so,
    # and every global before it is named.
    bad = b"\x8c\x03a\x83b"  # SHORT_BINUNICODE with a byte that is not UTF-8
    path = tmp_path / "frame-decode.pkl"
    path.write_bytes(_framed(b"\x8c\x08builtins\x8c\x06object\x93" + bad
                             + b"r" + struct.pack("<I", 2**31 - 1) + b"."))
    with pytest.raises(Exception, match="UnicodeDecodeError") as info:
        read_model(path)
    assert "limit" not in str(info.value)
    answer = oracle([path])[str(path)]
    assert answer["pickle"]["error"].startswith("UnicodeDecodeError")


# ---------------------------------------------------------------------- BUILD on tensors
_TORCH_FACTS = """\
import json, sys, torch
try:
    t = torch.load(sys.argv[1], weights_only=True)["p"]
    print(json.dumps([list(t.shape), str(t.dtype), t.requires_grad, t.tolist()]))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__}))
"""


def _torch_file(tmp_path: Path, name: str, build_state: bytes | None) -> Path:
    """``torch.save({"p": Parameter([1, 2, 3])})``, its data.pkl given a BUILD of the
    parameter with ``build_state`` (opcodes) when not None."""
    import zipfile

    import torch

    plain = tmp_path / f"{name}-plain.pt"
    torch.save({"p": torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0]))}, plain)
    if build_state is None:
        return plain
    path = tmp_path / f"{name}.pt"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as out:
        for member in src.namelist():
            data = src.read(member)
            if member.endswith("/data.pkl"):
                assert data.endswith(b"s.")  # ... the parameter, SETITEM, STOP
                data = data[:-2] + build_state + b"b" + b"s."
            out.writestr(member, data)
    return path


def _torch_facts(path: Path) -> Any:
    proc = subprocess.run([sys.executable, "-c", _TORCH_FACTS, str(path)], capture_output=True,
                          text=True, timeout=300, check=True)
    return json.loads(proc.stdout)


@pytest.mark.parametrize(("name", "state"), [
    ("plain", None),
    ("requires-grad-off", b"\x89N}\x87"),  # (False, None, {}): Parameter.__setstate__
    ("dict-state", b"}\x8c\x05shape]Kcas"),  # {"shape": [99]}: once straight into __dict__
])
def test_tensor_facts_equal_torch_load_or_the_file_is_flagged(
        tmp_path: Path, name: str, state: bytes | None) -> None:
    path = _torch_file(tmp_path, name, state)
    real = _torch_facts(path)
    result = read_model(path)
    shown = result.root["p"]
    flagged = any(f.global_name == "(tensor state)" for f in result.safety.findings)
    facts = [list(shown.shape), f"torch.{shown.torch_dtype}", shown.requires_grad,
             shown.values.tolist()]
    assert facts == real or (flagged and result.safety.verdict != "safe"), (facts, real)
    assert flagged == (state is not None)
    # what the file sends never changes the shown value
    assert shown.shape == (3,) and shown.requires_grad and shown.values.tolist() == [1, 2, 3]


# ---------------------------------------------------------------------- streams and stderr
_LOAD_ALL = """\
import pickle, sys
with open(sys.argv[1], "rb") as f:
    for _ in range(5):
        pickle.load(f)
"""


def test_payload_in_the_fifth_concatenated_stream(tmp_path: Path) -> None:
    import pickle

    from hostile_corpus import op_call, op_global, op_str

    canary = tmp_path / "canary"
    benign = b"".join(pickle.dumps({"n": i}, protocol=p) for i, p in enumerate((0, 2, 4, 5)))
    payload = b"\x80\x02" + op_call(op_global("os", "system"), op_str(f"touch {canary}")) + b"."
    path = tmp_path / "streams.pkl"
    path.write_bytes(benign + payload)
    subprocess.run([sys.executable, "-c", _LOAD_ALL, str(path)], check=True, timeout=60)
    assert canary.exists()  # a loader reading every pickle runs it
    canary.unlink()
    result = read_model(path)
    assert not canary.exists()
    system = [f for f in result.safety.findings if f.global_name in ("os.system",
                                                                     "posix.system")]
    assert system and "pickle stream 5" in system[0].detail
    assert result.safety.verdict == "unsafe" and result.root == {"n": 0}


def _buffer_games(rng: Any) -> bytes:
    """A protocol-5 stream of bytearrays, buffers and memo games (READONLY_BUFFER wraps a
    bytearray in a memoryview), broken or not."""
    pieces = (b"\x96" + q8(3) + b"abc", b"\x96" + q8(0), b"\x98", b"\x97", b"C\x03xyz",
              b"\x8c\x08builtins\x8c\x09bytearray\x93", b"\x8c\x06pickle\x8c\x05loads\x93",
              b"]", b"}", b")", b"(", b"t", b"\x85", b"R", b"b", b"a", b"e", b"s", b"0", b"2",
              b"\x94", b"h\x00", b"K\x05", b"\x81", b"\x95" + q8(20))
    return b"\x80\x05" + b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) + b"."


def test_stderr_stays_clean_over_many_buffer_files(tmp_path: Path) -> None:
    # A long run once printed "SystemError: deallocated bytearray object has exported
    # buffers": every line hpinspect writes to stderr is one of its own error lines.
    import random

    rng = random.Random(20261201)
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(400):
        (folder / f"c{n}.{'joblib' if n % 3 == 0 else 'pkl'}").write_bytes(_buffer_games(rng))
    proc = subprocess.run([sys.executable, "-m", "hpinspect", "scan", "--jobs", "1",
                           str(folder)], capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode in (0, 2, 3), proc.stderr[-2000:]
    stray = [line for line in proc.stderr.splitlines()
             if line and not line.startswith("hpinspect: error:")]
    assert not stray, stray[:5]
