"""Benchmark hpinspect against the naive ``joblib.load`` script (issue 6).

The script builds its model files under ``bench/files/`` when they are missing (deterministic,
``random_state=0``), then runs, alternately and ``--repeat`` times per file:

* (A) ``python -m hpinspect --format json FILE`` (stdout to /dev/null), and
* (B) ``python -c "import joblib; m = joblib.load(f); print(m.get_params())"``,

measuring the wall time and the peak RSS of each child (``os.wait4`` returns the child's own
rusage; ``ru_maxrss`` is in KiB on Linux). It prints medians, ratios and the issue's targets.

Files: ``small.joblib`` (LogisticRegression, ~1 KB); ``forestN.joblib`` (RandomForestClassifier
with N trees fitted on ``make_classification(60_000, 30)``; N = 50, 100, 200, 400);
``forest200-zlib.joblib`` (the 200-tree forest dumped with ``compress=("zlib", 3)``). Forests are
grown with ``warm_start`` (50 -> 100 -> ... trees), which yields exactly the trees a fresh fit
with that many trees would, at the cost of one fit.

The ~1 GB file, ``forest2500-replicated.joblib``, is the 400-tree forest with its fitted trees
deep-copied cyclically up to 2,500 trees (``n_estimators=2500``): a valid forest whose pickle has
the same structure as a fitted one (deep copies, so pickle cannot share them), built in seconds
instead of the ~20 minutes that fitting 2,500 trees takes on two cores.

Children run without ``PYTHONDONTWRITEBYTECODE`` (unless ``--keep-env``), after one untimed
warm-up run, so that hpinspect's modules are loaded from ``.pyc`` files like every other installed
package (a pip install compiles them; an editable install with that variable set would otherwise
recompile hpinspect's sources on every run, ~0.1 s).

Caveat kept in mind by the design: on Linux a child's ``ru_maxrss`` is at least the RSS of the
parent at fork/exec time, so this process never imports numpy, scikit-learn or hpinspect itself;
building files and in-process measurements (``--classify-cost``) run in child processes.

Usage::

    python bench/bench.py --quick            # small model, 50- and 200-tree forests
    python bench/bench.py                    # everything, including the ~1 GB file
    python bench/bench.py --sizes 50 200 400 --repeat 5 --markdown
    python bench/bench.py --imports          # start-up import check only
    python bench/bench.py --classify-cost    # read_model vs classify on a 500-tree forest
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
FILES_DIR = BENCH_DIR / "files"
DEFAULT_SIZES = (50, 100, 200, 400)
BIG_TREES = 2500
QUICK_SIZES = (50, 200)
N_SAMPLES, N_FEATURES = 60_000, 30
CLASSIFY_TREES, CLASSIFY_SAMPLES, CLASSIFY_FEATURES = 500, 5_000, 20
NAIVE_CODE = (
    "import sys, joblib; f = sys.argv[1]; m = joblib.load(f); print(m.get_params())"
)
MIB = 1024 * 1024


# --------------------------------------------------------------------------- building files
def forest_path(trees: int) -> Path:
    """Path of the uncompressed forest with ``trees`` trees."""
    return FILES_DIR / f"forest{trees}.joblib"


SMALL = FILES_DIR / "small.joblib"
ZLIB200 = FILES_DIR / "forest200-zlib.joblib"
CLASSIFY_FOREST = FILES_DIR / f"classify{CLASSIFY_TREES}.joblib"
BIG = FILES_DIR / f"forest{BIG_TREES}-replicated.joblib"


def _build_small() -> None:
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    x, y = make_classification(n_samples=500, n_features=20, random_state=0)
    joblib.dump(LogisticRegression(random_state=0).fit(x, y), SMALL)


def _build_forests(sizes: list[int]) -> None:
    """Grow one forest with warm_start, saving every requested size on the way."""
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    x, y = make_classification(n_samples=N_SAMPLES, n_features=N_FEATURES, random_state=0)
    todo = sorted(n for n in set(sizes) if not forest_path(n).exists())
    if not todo:
        return
    existing = sorted(
        (n for n in range(1, todo[0]) if forest_path(n).exists()), reverse=True)
    if existing:  # continue from the largest forest already on disk (same trees, see docstring)
        model = joblib.load(forest_path(existing[0]))
    else:
        model = RandomForestClassifier(random_state=0, n_jobs=-1)
    for n in todo:
        start = time.perf_counter()
        model.set_params(n_estimators=n, warm_start=True, n_jobs=-1)
        model.fit(x, y)
        model.set_params(warm_start=False, n_jobs=None)
        joblib.dump(model, forest_path(n))
        took = time.perf_counter() - start
        print(f"  built {forest_path(n).name} in {took:.0f} s", file=sys.stderr, flush=True)


def _build_zlib() -> None:
    import joblib

    joblib.dump(joblib.load(forest_path(200)), ZLIB200, compress=("zlib", 3))


def _build_big() -> None:
    import copy

    import joblib

    model = joblib.load(forest_path(400))
    fitted = model.estimators_
    model.estimators_ = [copy.deepcopy(fitted[i % len(fitted)]) for i in range(BIG_TREES)]
    model.set_params(n_estimators=BIG_TREES)
    joblib.dump(model, BIG)


def _build_classify_forest() -> None:
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    x, y = make_classification(n_samples=CLASSIFY_SAMPLES, n_features=CLASSIFY_FEATURES,
                               random_state=0)
    model = RandomForestClassifier(n_estimators=CLASSIFY_TREES, random_state=0, n_jobs=-1)
    model.fit(x, y)
    model.set_params(n_jobs=None)
    joblib.dump(model, CLASSIFY_FOREST)


def _child_build(what: list[str]) -> None:
    """Entry point of the build child process (``--_build``)."""
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    sizes = [int(w[len("forest"):]) for w in what if re.fullmatch(r"forest\d+", w)]
    if "small" in what and not SMALL.exists():
        _build_small()
    if "zlib" in what and not forest_path(200).exists():
        sizes.append(200)
    if "big" in what and not forest_path(400).exists():
        sizes.append(400)
    if sizes:
        _build_forests(sizes)
    if "zlib" in what and not ZLIB200.exists():
        _build_zlib()
    if "big" in what and not BIG.exists():
        _build_big()
    if "classify" in what and not CLASSIFY_FOREST.exists():
        _build_classify_forest()


def ensure_files(what: list[str]) -> None:
    """Build the missing files in a child process (keeps this process small, see docstring)."""
    missing = [w for w in what if not _target(w).exists()]
    if not missing:
        return
    print(f"building {', '.join(missing)} in {FILES_DIR} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_build", *missing],
                   check=True)
    print(f"built in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)


def _target(what: str) -> Path:
    if what == "small":
        return SMALL
    if what == "zlib":
        return ZLIB200
    if what == "classify":
        return CLASSIFY_FOREST
    if what == "big":
        return BIG
    return forest_path(int(what[len("forest"):]))


# --------------------------------------------------------------------------- measuring
@dataclass
class Run:
    """One child process: wall seconds, peak RSS in KiB, exit code."""

    wall: float
    maxrss_kib: int
    code: int
    stderr: str


@dataclass
class Result:
    """All runs of hpinspect and of the naive script on one file."""

    label: str
    path: Path
    hp: list[Run] = field(default_factory=list)
    naive: list[Run] = field(default_factory=list)

    @property
    def size_mb(self) -> float:
        return self.path.stat().st_size / 1e6

    @staticmethod
    def wall(runs: list[Run]) -> float:
        return statistics.median(r.wall for r in runs)

    @staticmethod
    def peak_mib(runs: list[Run]) -> float:
        return statistics.median(r.maxrss_kib for r in runs) / 1024

    def ratios(self) -> tuple[float, float]:
        """hpinspect / naive, for median wall time and median peak RSS."""
        wall = self.wall(self.hp) / self.wall(self.naive)
        rss = self.peak_mib(self.hp) / self.peak_mib(self.naive)
        return wall, rss


CHILD_ENV: dict[str, str] | None = None  # None: inherit; set by main() unless --keep-env


def child_env(keep: bool) -> dict[str, str] | None:
    """The children's environment: ours, minus PYTHONDONTWRITEBYTECODE unless ``keep``."""
    if keep or "PYTHONDONTWRITEBYTECODE" not in os.environ:
        return None
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str]) -> Run:
    """Run ``cmd`` with stdout to /dev/null; return its wall time and its own peak RSS."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, env=CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return Run(wall, usage.ru_maxrss, proc.returncode, text)


def hp_cmd(path: Path) -> list[str]:
    return [sys.executable, "-m", "hpinspect", "--format", "json", str(path)]


def naive_cmd(path: Path) -> list[str]:
    return [sys.executable, "-c", NAIVE_CODE, str(path)]


def warm_cache(path: Path) -> None:
    """Read the file once so that neither side pays for the cold page cache.

    A small reused buffer keeps this process's peak RSS low: children inherit it as a floor.
    """
    buffer = bytearray(1 << 18)
    with path.open("rb", buffering=0) as handle:
        while handle.readinto(buffer):
            pass


def bench_file(label: str, path: Path, repeat: int) -> Result:
    """Interleave hpinspect and the naive script ``repeat`` times (alternating who goes first)."""
    warm_cache(path)
    result = Result(label, path)
    for i in range(repeat):
        order = ("hp", "naive") if i % 2 == 0 else ("naive", "hp")
        for side in order:
            if side == "hp":
                result.hp.append(measure(hp_cmd(path)))
            else:
                result.naive.append(measure(naive_cmd(path)))
    for side, runs in (("hpinspect", result.hp), ("naive", result.naive)):
        bad = [r for r in runs if r.code not in (0, 3)] if side == "hpinspect" else \
            [r for r in runs if r.code != 0]
        if bad:
            tail = bad[0].stderr.strip().splitlines()[-3:]
            print(f"WARNING: {side} exited {bad[0].code} on {path.name}: {' | '.join(tail)}",
                  file=sys.stderr)
    return result


# --------------------------------------------------------------------------- reporting
TARGETS: dict[str, tuple[float, float | None]] = {
    "small": (0.25, None),
    "forest200": (0.4, 0.5),
    "forest200-zlib": (0.6, 0.5),
}


def machine() -> str:
    """One line describing the machine and the versions that matter."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "missing"

    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, numpy {version('numpy')}, "
            f"scikit-learn {version('scikit-learn')}, joblib {version('joblib')}, "
            f"hpinspect {version('hpinspect')}")


HEADERS = ("file", "size MB", "hpinspect s", "naive s", "wall ratio", "hpinspect MiB",
           "naive MiB", "RSS ratio")


def rows(results: list[Result]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for r in results:
        wall, rss = r.ratios()
        out.append((r.label, f"{r.size_mb:,.3f}" if r.size_mb < 1 else f"{r.size_mb:,.1f}",
                    f"{r.wall(r.hp):.3f}", f"{r.wall(r.naive):.3f}", f"{wall:.2f}",
                    f"{r.peak_mib(r.hp):,.1f}", f"{r.peak_mib(r.naive):,.1f}", f"{rss:.2f}"))
    return out


def target_lines(results: list[Result]) -> list[str]:
    by_label = {r.label: r for r in results}
    lines = []
    for label, (max_wall, max_rss) in TARGETS.items():
        if label not in by_label:
            continue
        wall, rss = by_label[label].ratios()
        checks = [f"wall {wall:.2f} <= {max_wall} {'PASS' if wall <= max_wall else 'FAIL'}"]
        if max_rss is not None:
            checks.append(f"RSS {rss:.2f} <= {max_rss} {'PASS' if rss <= max_rss else 'FAIL'}")
        lines.append(f"{label}: " + "; ".join(checks))
    return lines


def print_table(results: list[Result], markdown: bool, repeat: int, floor: Run) -> None:
    table = rows(results)
    print(f"Machine: {machine()}")
    print(f"Median of {repeat} interleaved runs; peak RSS = ru_maxrss of each child. "
          f"Interpreter start-up (`python -c pass`): {floor.wall:.3f} s, "
          f"{floor.maxrss_kib / 1024:.1f} MiB.\n")
    if markdown:
        print("| " + " | ".join(HEADERS) + " |")
        print("|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + "|")
        for row in table:
            print("| " + " | ".join(row) + " |")
        print()
        for line in target_lines(results):
            print(f"- {line}")
    else:
        widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(HEADERS)]
        print("  ".join(h.rjust(w) if i else h.ljust(w)
                        for i, (h, w) in enumerate(zip(HEADERS, widths, strict=True))))
        for row in table:
            print("  ".join(c.rjust(w) if i else c.ljust(w)
                            for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        print("\nTargets (issue 6):")
        for line in target_lines(results):
            print(f"  {line}")


# --------------------------------------------------------------------------- import check
IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")
WATCHED = ("numpy", "sklearn", "scipy", "joblib", "pydantic", "rich", "typer")


def import_report(args: list[str]) -> tuple[set[str], float, int]:
    """Top-level packages imported by ``python -X importtime -m hpinspect ARGS``, total ms."""
    cmd = [sys.executable, "-X", "importtime", "-m", "hpinspect", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=CHILD_ENV)
    tops: set[str] = set()
    total_us = 0
    for line in proc.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            total_us += int(match.group(1))
            tops.add(match.group(4).split(".")[0])
    return tops, total_us / 1000, proc.returncode


def check_imports() -> bool:
    """The start-up rules of issue 6; returns whether all hold."""
    ensure_files(["small"])
    cases = (
        ("--help", ["--help"], ("numpy", "sklearn", "scipy")),
        ("--version", ["--version"], ("numpy", "sklearn", "scipy")),
        ("inspect small", ["--format", "json", str(SMALL)], ("sklearn",)),
    )
    ok = True
    print("Import check (python -X importtime -m hpinspect ...):")
    for name, args, forbidden in cases:
        tops, total_ms, code = import_report(args)
        seen = [m for m in WATCHED if m in tops]
        bad = [m for m in forbidden if m in tops]
        ok = ok and not bad and code in (0, 3)
        verdict = "PASS" if not bad and code in (0, 3) else "FAIL"
        print(f"  {name:<14} exit {code}  imports {total_ms:7.1f} ms  "
              f"watched: {', '.join(seen) or 'none'}  "
              f"(must not import {'/'.join(forbidden)}) {verdict}")
    return ok


# --------------------------------------------------------------------------- classify cost
def _child_classify_cost(path: Path, repeat: int) -> None:
    """In-process: time read_model vs classify on ``path`` (runs in a child process)."""
    from hpinspect.classify import classify
    from hpinspect.load import read_model

    reads: list[float] = []
    classes: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = read_model(path)
        reads.append(time.perf_counter() - start)
        start = time.perf_counter()
        classify(result.root)
        classes.append(time.perf_counter() - start)
        del result
    read_s, classify_s = statistics.median(reads), statistics.median(classes)
    ratio = classify_s / read_s
    print(f"Classify cost on {path.name} ({path.stat().st_size / 1e6:.1f} MB, "
          f"{CLASSIFY_TREES} trees, {CLASSIFY_SAMPLES:,} x {CLASSIFY_FEATURES} data), "
          f"median of {repeat}:")
    print(f"  read_model {read_s:.3f} s  classify {classify_s:.3f} s  "
          f"classify/read {ratio:.1%} (target < 10%) {'PASS' if ratio < 0.10 else 'FAIL'}")


def classify_cost(repeat: int) -> None:
    ensure_files(["classify"])
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_classify-cost",
                    "--repeat", str(repeat)], check=True)


# --------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark hpinspect against `joblib.load` + get_params (issue 6).")
    parser.add_argument("--quick", action="store_true",
                        help=f"only the small model and the {QUICK_SIZES} tree forests "
                        "(plus the zlib one), not the 1 GB file")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="TREES",
                        help="sizes of the fitted forests in trees "
                        f"(default {' '.join(map(str, DEFAULT_SIZES))})")
    parser.add_argument("--no-small", action="store_true", help="skip the small model")
    parser.add_argument("--no-zlib", action="store_true", help="skip the zlib forest")
    parser.add_argument("--no-big", action="store_true", help="skip the ~1 GB file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (default 3)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--imports", action="store_true", help="only run the import check")
    parser.add_argument("--classify-cost", action="store_true",
                        help="only measure read_model vs classify on a 500-tree forest")
    parser.add_argument("--keep-env", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE for the children (default: drop it)")
    parser.add_argument("--build-only", action="store_true",
                        help="build the missing files and exit")
    parser.add_argument("--_build", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--_classify-cost", dest="child_classify", action="store_true",
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    global CHILD_ENV
    args = parse_args(argv)
    CHILD_ENV = child_env(args.keep_env)
    if args._build:
        _child_build(args._build)
        return 0
    if args.child_classify:
        _child_classify_cost(CLASSIFY_FOREST, args.repeat)
        return 0
    if args.imports:
        if SMALL.exists():
            measure(hp_cmd(SMALL))  # warm-up: write .pyc files
        return 0 if check_imports() else 1
    if args.classify_cost:
        classify_cost(args.repeat)
        return 0

    sizes = sorted(set(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)))
    plan: list[tuple[str, str, Path]] = []  # (build key, label, path)
    if not args.no_small:
        plan.append(("small", "small", SMALL))
    plan += [(f"forest{n}", f"forest{n}", forest_path(n)) for n in sizes]
    if 200 in sizes and not args.no_zlib:
        plan.append(("zlib", "forest200-zlib", ZLIB200))
    if not args.quick and not args.no_big:
        plan.append(("big", f"forest{BIG_TREES} (1 GB)", BIG))
    ensure_files([key for key, _, _ in plan])
    if args.build_only:
        return 0

    print(f"Machine: {machine()}", file=sys.stderr)
    measure(hp_cmd(plan[0][2]))  # untimed warm-up: writes .pyc files (see docstring)
    results = []
    for _, label, path in plan:
        print(f"benchmarking {label} ({path.stat().st_size / 1e6:,.1f} MB) ...",
              file=sys.stderr, flush=True)
        results.append(bench_file(label, path, args.repeat))
    print()
    floors = [measure([sys.executable, "-c", "pass"]) for _ in range(args.repeat)]
    floor = Run(statistics.median(r.wall for r in floors),
                int(statistics.median(r.maxrss_kib for r in floors)), 0, "")
    print_table(results, args.markdown, args.repeat, floor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
