"""Benchmark ``hpinspect scan``: speed-up of ``--jobs 2`` over ``--jobs 1`` and per-file overhead.

The script writes ``--files`` (default 1,000) small model files into a temporary folder (a
cycle of LogisticRegression, StandardScaler+LogisticRegression pipeline and DecisionTree joblib
and pickle files, 1-6 KB each, fitted once with ``random_state=0``), then runs, alternately and
``--repeat`` times:

* ``hpinspect scan --jobs 1 --format jsonl FOLDER`` and ``--jobs 2`` as child processes (the
  whole command: start-up, walk, workers, rendering), reporting medians and the speed-up;
* in a child process: :func:`hpinspect.scan` with ``jobs=1`` against a plain loop of
  :func:`hpinspect.inspect_file` over the same files, so the per-file overhead of the scan
  machinery (walk, sniff, compact reports, aggregation) is the difference per file; then
  ``scan(jobs=2)``, whose per-file overhead is 2 x its wall time less the loop's, per file
  (no interpreter start-up in these figures), with the CPU time of the calling process
  (walking, receiving and unpickling results) and of its two workers: the parent's share is
  taken from the cores the workers need;
* before every pair, the machine's parallel ceiling at that moment: a pure-Python CPU loop in
  two processes against one after the other. On a shared 2-core machine other processes take
  part of the second core; the scan's speed-up is only meaningful next to that ceiling. The
  CPU time of each run (the command and its workers) is printed too: when it is well below
  the wall time of ``--jobs 1``, other processes had the CPU.

Usage::

    python bench/bench_scan.py                # 1,000 files, 5 repeats
    python bench/bench_scan.py --files 200 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BUILD = r"""
import os, pickle, sys
import joblib
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
X, y = make_classification(200, 8, random_state=0)
models = [LogisticRegression(C=0.5).fit(X, y),
          make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
          DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)]
folder, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    model = models[i % 3]
    path = os.path.join(folder, f"sub{i % 10}", f"model{i:05d}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if i % 2:
        joblib.dump(model, path + ".joblib")
    else:
        with open(path + ".pkl", "wb") as handle:
            pickle.dump(model, handle)
"""

IN_PROCESS = r"""
import resource, sys, time
from pathlib import Path
import hpinspect
from hpinspect.scan import scan


def cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


folder = sys.argv[1]
files = sorted(str(p) for p in Path(folder).rglob("*") if p.is_file())
hpinspect.inspect_file(files[0])  # imports
t = time.perf_counter()
for f in files:
    hpinspect.inspect_file(f)
plain = time.perf_counter() - t
t = time.perf_counter()
result = scan([folder], jobs=1)
scanned = time.perf_counter() - t
assert len(result.reports) == len(files)
parent, workers = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
t = time.perf_counter()
scan([folder], jobs=2)
scanned2 = time.perf_counter() - t
parent = cpu(resource.RUSAGE_SELF) - parent
workers = cpu(resource.RUSAGE_CHILDREN) - workers
print(plain, scanned, scanned2, len(files), parent, workers)
"""

CEILING = r"""
import multiprocessing, time


def burn(n):
    s = 0
    for i in range(n):
        s += i
    return s


if __name__ == "__main__":
    t = time.perf_counter(); burn(3_000_000); burn(3_000_000); one = time.perf_counter() - t
    with multiprocessing.Pool(2) as pool:
        pool.map(burn, [10, 10])
        t = time.perf_counter(); pool.map(burn, [3_000_000] * 2); two = time.perf_counter() - t
    print(one / two)
"""


def _run_cli(folder: str, jobs: int) -> tuple[float, float]:
    """Wall time and CPU time (this child and its workers) of one ``hpinspect scan``."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hpinspect", "scan", "--jobs", str(jobs),
                    "--format", "jsonl", folder], stdout=subprocess.DEVNULL, check=True,
                   cwd=REPO, env=_env())
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user
                  + after.children_system - before.children_system)


def _ceiling() -> float:
    out = subprocess.run([sys.executable, "-c", CEILING], check=True, capture_output=True,
                         text=True).stdout
    return float(out)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _measure(folder: str, repeat: int) -> dict[str, list[float]]:
    """Interleaved: the ceiling, ``--jobs 1`` and ``--jobs 2``, ``repeat`` times."""
    runs: dict[str, list[float]] = {k: [] for k in ("ceiling", "wall1", "cpu1", "wall2",
                                                    "cpu2", "pair")}
    for _ in range(repeat):
        runs["ceiling"].append(_ceiling())
        for jobs in (1, 2):
            wall, cpu = _run_cli(folder, jobs)
            runs[f"wall{jobs}"].append(wall)
            runs[f"cpu{jobs}"].append(cpu)
        runs["pair"].append(runs["wall1"][-1] / runs["wall2"][-1])
    return runs


def main() -> None:
    """Build the files, time both job counts, print medians, speed-up and overhead."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hpinspect-bench-scan-") as folder:
        subprocess.run([sys.executable, "-c", BUILD, folder, str(args.files)], check=True,
                       env=_env())
        _run_cli(folder, 1)  # warm-up: .pyc files, page cache
        runs = _measure(folder, args.repeat)
        out = subprocess.run([sys.executable, "-c", IN_PROCESS, folder], check=True,
                             capture_output=True, text=True, env=_env()).stdout.split()
    plain, scanned, scanned2, count = (float(out[0]), float(out[1]), float(out[2]),
                                       int(out[3]))
    parent_cpu, workers_cpu = float(out[4]), float(out[5])
    med = {key: statistics.median(values) for key, values in runs.items()}
    one, two = med["wall1"], med["wall2"]
    print(f"cpu count: {os.cpu_count()}, files: {args.files}, repeats: {args.repeat} "
          f"(interleaved), load average before: {load_before:.2f}, after: "
          f"{os.getloadavg()[0]:.2f}")
    print(f"machine's parallel ceiling (pure-Python CPU burn, 2 processes vs 1), median: "
          f"{med['ceiling']:.2f}x (runs: {', '.join(f'{c:.2f}' for c in runs['ceiling'])})")
    print(f"hpinspect scan --jobs 1: {one:.2f} s wall, {med['cpu1']:.2f} s CPU "
          f"({1000 * one / args.files:.2f} ms per file)")
    print(f"hpinspect scan --jobs 2: {two:.2f} s wall, {med['cpu2']:.2f} s CPU "
          f"({1000 * two / args.files:.2f} ms per file)")
    print(f"speed-up --jobs 2 vs --jobs 1 (whole command, medians): {one / two:.2f}x; "
          f"per interleaved pair: median {med['pair']:.2f}x, best "
          f"{max(runs['pair']):.2f}x (target >= 1.7x on 2 idle cores)")
    print(f"in process: scan(jobs=1) {scanned:.2f} s, scan(jobs=2) {scanned2:.2f} s: "
          f"{scanned / scanned2:.2f}x")
    print(f"in process, scan(jobs=2) CPU: parent {parent_cpu:.2f} s (walk, receiving results; "
          f"{100 * parent_cpu / (2 * scanned2):.0f} % of the two cores' wall time), workers "
          f"{workers_cpu:.2f} s ({100 * workers_cpu / (2 * scanned2):.0f} % of the two cores)")
    print(f"in process: inspect_file loop {1000 * plain / count:.2f} ms per file, "
          f"scan(jobs=1) {1000 * scanned / count:.2f} ms per file")
    print(f"per-file overhead of scan over inspect_file: --jobs 1 "
          f"{1000 * (scanned - plain) / count:.2f} ms, --jobs 2 (2 x wall - loop) "
          f"{1000 * (2 * scanned2 - plain) / count:.2f} ms (target < 20 ms)")


if __name__ == "__main__":
    main()
