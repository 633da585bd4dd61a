"""Every hostile file the suite builds, each in its own ``python -m hpinspect`` child (issue 11).

The files are :data:`hostile_corpus.SWEEP`: the payload techniques and the crafted files
(memory, depth, numpy states, graph walks, hostile text) the robustness, bounded-walk and
neutral-output tests use. Each child must end by an exit code (0, 2 or 3; never a signal),
with no traceback and no "internal error" on stderr, within 20 s and 1 GiB of its own peak
memory (``VmHWM`` read by the child itself at exit: ``ru_maxrss`` would carry pytest's peak
over the exec). Payload files exit 3; where names carry ANSI/OSC sequences, what an emulated
terminal (pyte) finally shows of the coloured table still has the UNSAFE banner. A sample
also goes through ``diff``, ``check`` and every ``--format``.

The children run a few at a time (a small thread pool), each with its own exit code.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyte
import pytest
from hostile_corpus import SWEEP, Crafted  # tests/ is on sys.path

REPO = Path(__file__).resolve().parents[2]
WALL_LIMIT_S = 20.0
PEAK_LIMIT_MIB = 1024
HANG_GUARD_S = 120.0
ALLOWED_CODES = frozenset({0, 2, 3})
BANNER = "UNSAFE: a real pickle/joblib"
WORKERS = 2

# Runs hpinspect's own __main__ in this interpreter, then writes its peak RSS where asked;
# a signal leaves no file (and a negative exit code).
_CHILD = """\
import atexit, runpy, sys
out = sys.argv.pop(1)
def _peak():
    with open("/proc/self/status") as fh:
        kib = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    with open(out, "w") as fh:
        fh.write(kib)
atexit.register(_peak)
sys.argv[0] = "hpinspect"
runpy.run_module("hpinspect", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class Ran:
    """One finished child."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    peak_mib: float | None

    def describe(self) -> str:
        return (f"hpinspect {' '.join(map(repr, self.args))[:400]}\nexit {self.returncode}, "
                f"{self.wall_s:.1f} s, peak {self.peak_mib} MiB\n--- stderr ---\n"
                f"{self.stderr[-2000:]}\n--- stdout ---\n{self.stdout[:800]}")


def run_child(*args: str, color: bool = False) -> Ran:
    """``python -m hpinspect ARGS`` in a child of its own, measured."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    if color:
        env["FORCE_COLOR"] = "1"
    with tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch) / "peak"
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(peak_file), *args],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=scratch,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        wall = time.monotonic() - start
        peak = int(peak_file.read_text()) / 1024 if peak_file.exists() else None
    return Ran(args, proc.returncode, out.decode("utf-8", "replace")[:1 << 20],
               err.decode("utf-8", "replace"), wall, peak)


def assert_ended_well(ran: Ran, codes: frozenset[int] = ALLOWED_CODES) -> None:
    """An exit code (never a signal) among ``codes``, a clean stderr, bounded time and memory."""
    details = ran.describe()
    assert ran.returncode >= 0, f"killed by signal {-ran.returncode}\n{details}"
    assert ran.returncode in codes, details
    assert "Traceback" not in ran.stderr and "internal error" not in ran.stderr, details
    assert ran.wall_s < WALL_LIMIT_S, details
    assert ran.peak_mib is not None and ran.peak_mib < PEAK_LIMIT_MIB, details


@dataclass(frozen=True)
class Built:
    """One sweep case built on disk."""

    case: Crafted
    path: Path
    canary: Path


def _build_all(root: Path) -> list[Built]:
    built = []
    for index, case in enumerate(SWEEP):
        directory = root / f"{index:03d}"
        directory.mkdir()
        canary = directory / "canary"
        path = case.build(directory, canary)
        built.append(Built(case, path, canary))
    return built


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Built]:
    return _build_all(tmp_path_factory.mktemp("sweep"))


def _parallel(jobs: Sequence[tuple[str, ...]], color: bool = False) -> list[Ran]:
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(lambda args: run_child(*args, color=color), jobs))


@pytest.fixture(scope="module")
def inspected(corpus: list[Built]) -> list[tuple[Built, Ran]]:
    runs = _parallel([("--format", "json", str(b.path)) for b in corpus])
    return list(zip(corpus, runs, strict=True))


def test_the_sweep_covers_every_source() -> None:
    names = [case.name for case in SWEEP]
    assert len(names) == len(set(names))
    assert sum(case.unsafe for case in SWEEP) >= 40
    assert any(case.control_text for case in SWEEP)
    assert {2} <= {code for case in SWEEP for code in case.codes}


def test_every_file_ends_by_an_exit_code(inspected: list[tuple[Built, Ran]]) -> None:
    failures = []
    for built, ran in inspected:
        try:
            assert_ended_well(ran, built.case.codes)
            ran_payload = list(built.canary.parent.glob("canary*"))
            assert not ran_payload, f"hpinspect ran the payload: {ran_payload}"
        except AssertionError as exc:
            failures.append(f"{built.case.name}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_payload_files_are_unsafe(inspected: list[tuple[Built, Ran]]) -> None:
    wrong = [f"{b.case.name}: exit {r.returncode}" for b, r in inspected
             if b.case.unsafe and r.returncode != 3]
    assert not wrong, wrong


def _screen(stdout: str, width: int = 200) -> list[str]:
    screen = pyte.Screen(width, 600)
    stream = pyte.Stream(screen)
    stream.feed(stdout.replace("\n", "\r\n"))
    return [line.rstrip() for line in screen.display]


def _control_cases(corpus: list[Built]) -> Iterator[Built]:
    return (b for b in corpus if b.case.control_text)


def test_the_emulated_screen_keeps_the_unsafe_banner(corpus: list[Built]) -> None:
    cases = list(_control_cases(corpus))
    runs = _parallel([("--width", "200", str(b.path)) for b in cases], color=True)
    for built, ran in zip(cases, runs, strict=True):
        assert_ended_well(ran, frozenset({3}))
        shown = _screen(ran.stdout)
        assert any(BANNER in line for line in shown), (built.case.name, shown[:40])
        assert "\x1b]0;" not in ran.stdout and "\x1b[2J" not in ran.stdout, built.case.name


def _sample(corpus: list[Built]) -> list[Built]:
    """Payloads, refusals and text: one of each kind of ending, plus the hostile text."""
    chosen: dict[object, Built] = {}
    for built in corpus:
        key = (built.case.unsafe, built.case.control_text, min(built.case.codes))
        chosen.setdefault(key, built)
    return list(chosen.values())


@pytest.mark.parametrize("fmt", ["json", "markdown", "sarif", "html"])
def test_formats_on_a_sample(corpus: list[Built], fmt: str) -> None:
    sample = _sample(corpus)
    runs = _parallel([("--format", fmt, str(b.path)) for b in sample])
    for built, ran in zip(sample, runs, strict=True):
        assert_ended_well(ran, built.case.codes)


def test_diff_and_check_on_a_sample(corpus: list[Built]) -> None:
    sample = _sample(corpus)
    jobs = [("diff", str(b.path), str(sample[0].path)) for b in sample]
    jobs += [("check", str(b.path)) for b in sample]
    runs = _parallel(jobs)
    for args, ran in zip(jobs, runs, strict=True):
        assert_ended_well(ran, frozenset({0, 1, 2, 3}))
        case = next(b.case for b in sample if str(b.path) == args[1])
        if args[0] == "check" and case.unsafe:
            assert ran.returncode == 3, ran.describe()


_BIG_PARENT = """\
import subprocess, sys
big = bytearray(1200 << 20)
big[::4096] = b"\\x01" * len(range(0, len(big), 4096))  # resident, not just reserved
del big  # freed, but the kernel's ru_maxrss of this process stays at its peak
sys.exit(subprocess.run([sys.executable, "-m", "hpinspect", *sys.argv[1:]],
                        stdout=subprocess.DEVNULL).returncode)
"""


def test_the_memory_growth_limit_holds_under_a_big_parent(corpus: list[Built]) -> None:
    """ru_maxrss carries a parent's peak over the exec: measured that way, a child of a
    1.2 GiB parent saw no growth and built 3 million sets (exit 0, 700 MiB). The limit reads
    the child's own peak (VmHWM)."""
    (sets,) = [b for b in corpus if b.case.name == "sets.joblib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.run([sys.executable, "-c", _BIG_PARENT, str(sets.path)],
                          capture_output=True, text=True, env=env, timeout=HANG_GUARD_S,
                          check=False)
    assert proc.returncode == 2, proc.stderr
    assert "memory limit for what a load builds" in proc.stderr
