"""Resource and crash robustness: tiny crafted files that once exhausted memory, overflowed the C
stack, blew Python's recursion limit or made numpy dereference attacker-chosen pointers must
now end cleanly.

Every file is built here, in ``tmp_path`` (nothing hostile is committed), and inspected by a real
``python -m hpinspect`` child, so a crash shows up as a negative return code (a signal) instead
of killing pytest. Each run must end with an expected exit code, at most one line on stderr per
file that failed, no traceback and no "internal error"; where memory was the problem, the
child's own peak RSS (``os.wait4``, see :data:`_LAUNCHER`) must stay under 1 GiB.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_corpus import (  # tests/ is on sys.path; the builders serve the sweep too
    empty_sets_zlib,
    estimator_with,
    frombuffer_with_dtype_state,
    huge_scalar_pickle,
    nested_estimators,
    range_list_pickle,
    tuple1_chain_as_key,
    v8_state,
)

EXIT_OK = 0
EXIT_ERROR = 2
PEAK_RSS_LIMIT_MIB = 1024
TIMEOUT = 120.0
MAX_STDOUT = 64 << 20
"""No report of these small files comes near this; a larger one is a failure, not read."""


@dataclass(frozen=True)
class Run:
    """A finished ``python -m hpinspect`` child."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    """At most :data:`MAX_STDOUT` bytes of it."""
    stdout_bytes: int
    stderr: str
    peak_rss_mib: float

    def describe(self) -> str:
        return (
            f"hpinspect {' '.join(self.args)}\n"
            f"exit code {self.returncode}, peak RSS {self.peak_rss_mib:.0f} MiB\n"
            f"--- stderr ---\n{self.stderr[-3000:]}\n--- stdout ---\n{self.stdout[:1000]}"
        )


# ``ru_maxrss`` of a child counts the memory of the process it was spawned from: Popen uses
# vfork, and the kernel carries the *parent's* peak RSS over the exec. A pytest process that
# ever held 1 GiB would make every child look that big, so hpinspect is spawned and measured
# (os.wait4 on Popen, as bench/bench.py does) by a fresh, tiny launcher interpreter.
_LAUNCHER = """\
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_hpinspect(*args: str) -> Run:
    """Run ``python -m hpinspect ARGS``; return its exit code, output and own peak RSS."""
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    with tempfile.TemporaryDirectory() as scratch:
        status_file = Path(scratch) / "status"
        out_file = Path(scratch) / "stdout"
        err_file = Path(scratch) / "stderr"
        command = [sys.executable, "-m", "hpinspect", *args]
        with out_file.open("wb") as out, err_file.open("wb") as err:
            launcher = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(status_file), *command],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                start_new_session=True,  # its own process group, killed as one on timeout
            )
            try:
                launcher.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
                launcher.wait()
                pytest.fail(f"hpinspect {' '.join(args)} ran longer than {TIMEOUT:.0f} s")
        assert launcher.returncode == 0, err_file.read_text("utf-8", "replace")
        returncode, maxrss_kib = map(int, status_file.read_text("ascii").split())
        with out_file.open("rb") as out:
            stdout = out.read(MAX_STDOUT).decode("utf-8", "replace")
        return Run(
            args,
            returncode,
            stdout,
            out_file.stat().st_size,
            err_file.read_text("utf-8", "replace"),
            maxrss_kib / 1024,  # KiB on Linux
        )


def assert_clean(run: Run, codes: Collection[int], *, failed_inputs: int = 1) -> None:
    """An expected exit code (never a signal), no traceback, at most one line per failed input."""
    details = run.describe()
    assert run.returncode >= 0, f"killed by signal {-run.returncode}\n{details}"
    assert run.returncode in codes, details
    assert "Traceback" not in run.stderr, details
    assert "internal error" not in run.stderr, details
    assert run.stdout_bytes <= MAX_STDOUT, f"{run.stdout_bytes:,} bytes of output\n{details}"
    lines = run.stderr.strip().splitlines()
    if run.returncode == EXIT_ERROR:
        assert len(lines) == failed_inputs, details
        assert all(line.startswith("hpinspect: error:") for line in lines), details
    else:
        assert len(lines) <= 1, details


def refused(path: Path, message: str) -> Run:
    """Inspect ``path``: exit 2 with one clean stderr line naming it and containing ``message``."""
    run = run_hpinspect("--format", "json", str(path))
    assert_clean(run, {EXIT_ERROR})
    assert message in run.stderr, run.describe()
    assert str(path) in run.stderr, run.describe()
    return run


# --------------------------------------------------------------------------------------------
# Memory: no allocation without a bound


def test_range_expansion_is_refused(tmp_path: Path) -> None:
    # list(range(1000)) is what a real load builds: read. range(10**12) would allocate
    # 8 TB: the size is charged to the byte budget before list() runs.
    path = tmp_path / "range.pkl"
    path.write_bytes(range_list_pickle(1000))
    run = run_hpinspect("--format", "json", str(path))
    assert_clean(run, {EXIT_OK})
    huge = tmp_path / "huge_range.pkl"
    huge.write_bytes(range_list_pickle(10**12))
    refused(huge, "exceeds the limit")


def test_huge_numpy_scalar_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scalar.pkl"
    path.write_bytes(huge_scalar_pickle())
    run = run_hpinspect("--format", "json", str(path))
    assert run.peak_rss_mib < PEAK_RSS_LIMIT_MIB, run.describe()
    assert_clean(run, {EXIT_ERROR})
    assert "numpy scalar" in run.stderr, run.describe()


def test_millions_of_empty_sets_hit_a_cap_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "sets.joblib"
    path.write_bytes(empty_sets_zlib(3_000_000))
    assert path.stat().st_size < 100_000  # a tiny file...
    run = run_hpinspect("--format", "json", str(path))
    # ...that must not turn into gigabytes of sets before a limit stops it.
    assert run.peak_rss_mib < PEAK_RSS_LIMIT_MIB, run.describe()
    assert_clean(run, {EXIT_ERROR})


# --------------------------------------------------------------------------------------------
# Depth: no unbounded recursion, in C or in Python


def test_deep_tuple_chain_as_dict_key_is_refused_not_a_crash(tmp_path: Path) -> None:
    # Hashing a 2M-deep tuple recurses in C with no guard (SIGSEGV) unless refused first.
    path = tmp_path / "tuple_key.pkl"
    path.write_bytes(tuple1_chain_as_key(2_000_000))
    refused(path, "nest deeper")


@pytest.mark.parametrize("fmt", ["json", "table", "markdown", "html"])
def test_330_nested_estimators_render(tmp_path: Path, fmt: str) -> None:
    # ~3 Python frames per estimator level: 330 levels once hit the recursion limit.
    path = tmp_path / "nested.pkl"
    path.write_bytes(nested_estimators(330, "estimator"))
    run = run_hpinspect("--format", fmt, "--width", "120", str(path))
    assert_clean(run, {EXIT_OK, EXIT_ERROR})
    if run.returncode == EXIT_OK:
        assert "LinearRegression" in run.stdout, run.describe()
        if fmt == "json":
            doc = json.loads(run.stdout)
            assert doc["safety"]["verdict"] == "safe", run.describe()


def test_long_memoised_key_at_every_level_stays_small(tmp_path: Path) -> None:
    # 300 levels keyed by one memoised 60,000-char name: a path string per level of
    # depth * 60,000 chars once added up to ~2.7 GB from a 60 KB file.
    path = tmp_path / "long_key.pkl"
    path.write_bytes(nested_estimators(300, "e" * 60_000))
    assert path.stat().st_size < 100_000
    run = run_hpinspect("--format", "json", str(path))
    assert run.peak_rss_mib < PEAK_RSS_LIMIT_MIB, run.describe()
    assert_clean(run, {EXIT_OK})
    assert json.loads(run.stdout)["safety"]["verdict"] == "safe", run.describe()


# --------------------------------------------------------------------------------------------
# numpy dtype states that would read memory they do not own


def test_unflagged_object_field_in_dtype_is_refused(tmp_path: Path) -> None:
    # Once reported "safe"; rendering the array then dereferenced 0x4141414141414141.
    path = tmp_path / "dtype.pkl"
    path.write_bytes(b"\x80\x02" + frombuffer_with_dtype_state(v8_state("O8", 0)) + b".")
    refused(path, "malformed numpy")


def test_unflagged_object_field_as_estimator_attribute_in_diff(tmp_path: Path) -> None:
    # The same array as LinearRegression.coef_; `hpinspect diff f f` compared it (SIGSEGV).
    path = tmp_path / "coef.pkl"
    path.write_bytes(estimator_with("coef_", frombuffer_with_dtype_state(v8_state("O8", 0))))
    refused(path, "malformed numpy")
    run = run_hpinspect("diff", str(path), str(path))
    assert_clean(run, {EXIT_ERROR}, failed_inputs=2)  # one line per input (the same file twice)
    assert "malformed numpy" in run.stderr, run.describe()


def test_dtype_field_outside_the_item_is_refused(tmp_path: Path) -> None:
    # An 8-byte field at offset 4 of an 8-byte item reads past the buffer.
    path = tmp_path / "outside.pkl"
    path.write_bytes(estimator_with("coef_", frombuffer_with_dtype_state(v8_state("u8", 4))))
    refused(path, "malformed numpy")
