"""The C-reader guard's opcode walk does not depend on how the bytes arrive.

:class:`~hpinspect.load.opscan.OpWalker` reads the reader's own buffers through views and
joins only an opcode left incomplete at a chunk's end with the next bytes (issue 16: a
megabyte the C unpickler peeks used to be copied twice to be walked). Whatever the chunking
-- one byte at a time, random cuts, peeks that deliver bytes again, views of bytearrays -- the
walk must find the same hazard at the same offset with the same reason, and stop at the same
place, as one walk of the whole pickle. The pickles are real ones (every protocol, long text
lines, large payloads across joins) with hazards spliced in.
"""

from __future__ import annotations

import pickle
import pickletools
import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hpinspect.load.opscan import MAX_PUT_LINE, OpWalker

MAX_MEMO = 1 << 20
BUDGET = 1 << 24


def _walker() -> OpWalker:
    return OpWalker(MAX_MEMO, lambda: BUDGET)


def _outcome(walker: OpWalker) -> tuple[int | None, str, bool]:
    return walker.hazard, walker.why, walker.done


def _whole(data: bytes) -> tuple[int | None, str, bool]:
    walker = _walker()
    walker.feed(data, 0)
    return _outcome(walker)


def _sample_objects() -> list[Any]:
    return [
        {"C": 0.5, "name": "x" * 5000, "ids": list(range(3000)), "blob": b"\x00" * 9000},
        [("a" * 70_000,), {i: str(i) for i in range(500)}, b"\x8c" * 70_000],
        {"nested": [[i, float(i), str(i) * (i % 7)] for i in range(2000)]},
        bytearray(b"\x72\x00\x00\xff\xff" * 2000),  # memo-like bytes inside a payload
    ]


PICKLES = [pickle.dumps(obj, protocol=p) for obj in _sample_objects() for p in range(6)]
STARTS = {data: [pos for _, _, pos in pickletools.genops(data)][1:] for data in PICKLES}
"""Offsets where an opcode starts (after the first): a hazard spliced there is walked."""

HAZARDS = [
    b"r" + struct.pack("<I", 1 << 30),  # LONG_BINPUT far beyond the memo limit
    b"\x8e" + struct.pack("<Q", 1 << 40),  # BINBYTES8 longer than the budget
    b"\x96" + struct.pack("<Q", 1 << 40),  # BYTEARRAY8 longer than the budget
    b"p" + b"9" * 30 + b"\n",  # text PUT with a huge index
    b"p" + b"1" * (MAX_PUT_LINE + 10),  # text PUT longer than the walker keeps
    b"\x95" + struct.pack("<Q", 1 << 40),  # FRAME longer than the budget
]


@st.composite
def _cases(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    data = draw(st.sampled_from(PICKLES))
    if draw(st.booleans()):  # at an opcode, or anywhere (then maybe inside a payload)
        at = draw(st.sampled_from(STARTS[data]) | st.integers(1, len(data) - 1))
        data = data[:at] + draw(st.sampled_from(HAZARDS)) + data[at:]
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=40))))
    return data, cuts


def _chunked(data: bytes, cuts: list[int], as_view: bool, overlap: int) -> OpWalker:
    walker = _walker()
    start = 0
    for end in [*cuts, len(data)]:
        if end <= start:
            continue
        lo = max(0, start - overlap)  # a peek delivers bytes again
        piece: Any = bytearray(data[lo:end]) if as_view else data[lo:end]
        walker.feed(memoryview(piece) if as_view else piece, lo)
        start = end
    return walker


@settings(max_examples=400, deadline=None)
@given(case=_cases(), as_view=st.booleans(), overlap=st.sampled_from([0, 0, 1, 7, 5000]))
def test_any_chunking_walks_like_the_whole(case: tuple[bytes, list[int]], as_view: bool,
                                           overlap: int) -> None:
    data, cuts = case
    assert _outcome(_chunked(data, cuts, as_view, overlap)) == _whole(data)


def test_byte_at_a_time_and_whole_agree_on_every_sample() -> None:
    for data in PICKLES[:12]:
        for hazard in HAZARDS[:4]:
            at = STARTS[data][len(STARTS[data]) // 2]
            spliced = data[:at] + hazard + data[at:]
            whole = _whole(spliced)
            assert whole[0] == at, hazard  # the splice is found where it is
            assert _outcome(_chunked(spliced, list(range(len(spliced))), False, 0)) == whole


def test_incomplete_opcode_joined_across_a_large_view() -> None:
    """A LONG_BINPUT hazard cut after its first byte, then a megabyte: found at its offset."""
    body = pickle.dumps(b"\x00" * 100, protocol=4)[:-1]  # no STOP yet
    hazard = b"r" + struct.pack("<I", 1 << 30)
    data = body + hazard + b"N" * (1 << 20)
    walker = _walker()
    walker.feed(data[: len(body) + 1], 0)
    assert walker.hazard is None and walker.tail == b"r"
    walker.feed(memoryview(bytearray(data[len(body) + 1:])), len(body) + 1)
    assert walker.hazard == len(body) and "memo index" in walker.why
    assert _whole(data) == _outcome(walker)


def _stepped(data: bytes, cuts: list[int], regex_from: int, **kind: Any) -> tuple[Any, ...]:
    """A walk of ``data`` in ``cuts`` whose run regexes start at ``regex_from`` bytes (none
    compiled before it in this process): its outcome, where it stopped, and its GETs."""
    from hpinspect.load import opscan

    saved = opscan.RUN_REGEX_FROM, dict(opscan._RUNS), dict(opscan._GET_RUNS)
    opscan.RUN_REGEX_FROM = regex_from
    opscan._RUNS.clear()
    opscan._GET_RUNS.clear()
    try:
        walker = OpWalker(MAX_MEMO, lambda: BUDGET, **kind)
        start = 0
        for end in [*cuts, len(data)]:
            if end > start:
                walker.feed(data[start:end], start)
                start = end
        compiled = walker.run is not opscan._NO_RUN
        gets = None if walker.gets is None else walker.gets - {b""}  # (the regex's run ends)
        return _outcome(walker), walker.fed, walker.tail, gets, compiled
    finally:
        opscan.RUN_REGEX_FROM = saved[0]
        opscan._RUNS.clear()
        opscan._RUNS.update(saved[1])
        opscan._GET_RUNS.clear()
        opscan._GET_RUNS.update(saved[2])


@settings(max_examples=300, deadline=None)
@given(case=_cases(), switch=st.sampled_from([1, 100, 4096]),
       kind=st.sampled_from(["plain", "strict", "whole"]))
def test_python_steps_walk_like_the_run_regexes(case: tuple[bytes, list[int]], switch: int,
                                                kind: str) -> None:
    """A small file's walk steps every opcode in Python (no regex compiled: 2.3 ms each); a
    larger one switches to the run regexes part way. Either way, and for the plain, strict
    and whole-stream walks (whose GETs are collected), the walk finds the same hazard with the
    same reason, stops at the same place and collects the same GETs as with the regexes from
    the first byte."""
    from hpinspect.load.opscan import WHOLE_STREAM

    data, cuts = case
    options: dict[str, Any] = {"plain": {}, "strict": {"strict": True},
                               "whole": {"strict": True, "refuse": WHOLE_STREAM}}[kind]
    regex = _stepped(data, cuts, 0, **options)
    python = _stepped(data, cuts, 1 << 40, **options)
    mixed = _stepped(data, cuts, switch, **options)
    assert regex[4] and not python[4]
    assert python[:4] == regex[:4] == mixed[:4]
