"""Decompression ahead in a thread (``load/stream._Prefetching``): the reader sees exactly the
bytes an unthreaded decompressor gives, errors exactly after the bytes that preceded them,
and the thread ends whether the stream is read to the end, fails, is closed or is dropped."""

from __future__ import annotations

import bz2
import gc
import io
import lzma
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpinspect import inspect_file
from hpinspect.errors import CorruptFileError, LimitExceededError
from hpinspect.load.stream import READ_CHUNK, open_stream, sniff_compression
from hpinspect.render.json import report_doc

PAYLOAD = b"".join(i.to_bytes(4, "little") * (1 + i % 7) for i in range(400_000))
"""About 6.4 MB: several prefetched chunks, compressible but not trivially."""

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "zlib": lambda b: zlib.compress(b, 3),
    "gzip": lambda b: __import__("gzip").compress(b, 3),
    "bz2": lambda b: bz2.compress(b, 3),
    "xz": lambda b: lzma.compress(b, format=lzma.FORMAT_XZ),
    "lzma": lambda b: lzma.compress(b, format=lzma.FORMAT_ALONE),
}
DATA = {name: compress(PAYLOAD) for name, compress in COMPRESSORS.items()}


def _inflate_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "hpinspect-inflate"]


def _open(data: bytes, cap: int = 1 << 40) -> Any:
    kind = sniff_compression(data[:16])
    assert kind is not None
    return open_stream(io.BufferedReader(io.BytesIO(data)), kind, cap, "f")  # type: ignore[arg-type]


def _read_all(stream: Any, sizes: list[int]) -> tuple[bytes, BaseException | None]:
    out = bytearray()
    step = 0
    try:
        while True:
            piece = stream.read(sizes[step % len(sizes)])
            step += 1
            if not piece:
                return bytes(out), None
            out += piece
    except (CorruptFileError, LimitExceededError) as exc:
        return bytes(out), exc


def _decompressor(kind: str) -> Any:
    if kind in ("zlib", "gzip"):
        return zlib.decompressobj(15 if kind == "zlib" else 31)
    return bz2.BZ2Decompressor() if kind == "bz2" else lzma.LZMADecompressor()


def _unthreaded_prefix(kind: str, data: bytes) -> bytes:
    """What the library's own decompressor yields from (possibly cut or corrupt) ``data``,
    fed a kilobyte at a time, up to its first error."""
    dec, out = _decompressor(kind), bytearray()
    try:
        for start in range(0, len(data), 1024):
            out += dec.decompress(data[start : start + 1024])
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError):
        pass
    return bytes(out)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(DATA)),
       st.lists(st.integers(1, 3 * READ_CHUNK), min_size=1, max_size=6))
def test_any_read_pattern_gets_exactly_the_decompressed_bytes(kind: str,
                                                              sizes: list[int]) -> None:
    with _open(DATA[kind]) as stream:
        got, error = _read_all(stream, sizes)
    assert error is None
    assert got == PAYLOAD


@pytest.mark.parametrize("kind", sorted(DATA))
@pytest.mark.parametrize("fraction", [0.01, 0.3, 0.77, 0.999])
def test_a_cut_stream_ends_after_what_the_decompressor_gives(kind: str,
                                                             fraction: float) -> None:
    cut = DATA[kind][: int(len(DATA[kind]) * fraction)]
    with _open(cut) as stream:
        got, error = _read_all(stream, [READ_CHUNK // 3])
        assert stream.read(10) == b""  # and stays ended
    assert error is None  # a truncation is an early end; the unpickler reports it
    assert got == _unthreaded_prefix(kind, cut)
    assert PAYLOAD.startswith(got)


@pytest.mark.parametrize("kind", ["zlib", "gzip", "bz2", "xz"])
def test_corruption_is_raised_after_the_good_bytes_and_again_on_every_read(kind: str) -> None:
    data = bytearray(DATA[kind])
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    with _open(bytes(data)) as stream:
        got, error = _read_all(stream, [4096, READ_CHUNK])
        assert isinstance(error, CorruptFileError)
        assert f"corrupt {kind} stream" in error.message
        with pytest.raises(CorruptFileError):
            stream.read(1)
    good = _unthreaded_prefix(kind, bytes(data))  # deflate may decode some garbage first
    assert good.startswith(got)
    assert len(got) < len(PAYLOAD)


def test_the_byte_cap_holds_across_the_thread() -> None:
    cap = 2 * READ_CHUNK + 12345
    with _open(DATA["zlib"], cap=cap) as stream:
        got, error = _read_all(stream, [READ_CHUNK])
    assert isinstance(error, LimitExceededError)
    assert len(got) <= cap
    assert PAYLOAD.startswith(got)


def test_the_thread_ends_when_the_stream_is_closed_dropped_or_read_through() -> None:
    before = len(_inflate_threads())
    streams = [_open(DATA[kind]) for kind in sorted(DATA)]
    for stream in streams[:2]:
        stream.read(100)  # the thread now waits on a full queue
    streams[0].close()
    del stream
    streams[1] = None  # dropped without close
    _read_all(streams[2], [READ_CHUNK])  # read to the end
    del streams
    gc.collect()
    for thread in _inflate_threads():
        thread.join(timeout=30)
    assert len(_inflate_threads()) <= before


@pytest.mark.parametrize("compress", ["zlib", "gzip", "bz2", "xz", "lzma"])
def test_compressed_joblib_reads_like_the_uncompressed_file(compress: str, tmp_path: Path,
                                                            xy: tuple[Any, Any]) -> None:
    from sklearn.ensemble import RandomForestClassifier

    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(*xy)
    joblib.dump(forest, tmp_path / "plain.joblib")
    joblib.dump(forest, tmp_path / "packed.joblib", compress=(compress, 3))
    before = len(_inflate_threads())
    packed = report_doc(inspect_file(tmp_path / "packed.joblib"))
    assert packed["model"] == report_doc(inspect_file(tmp_path / "plain.joblib"))["model"]
    assert packed["file"]["compression"] == compress
    for thread in _inflate_threads():
        thread.join(timeout=30)
    assert len(_inflate_threads()) <= before
