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
  ``scan(jobs=2)`` (no interpreter start-up in either figure);
* the machine's parallel ceiling at that moment: a pure-Python CPU loop in two processes
  against one after the other. On a shared 2-core machine other processes take part of the
  second core; the scan's speed-up is only meaningful next to that ceiling.

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
import multiprocessing, sys, time
from pathlib import Path
import hpinspect
from hpinspect.scan import scan
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
t = time.perf_counter()
scan([folder], jobs=2)
scanned2 = time.perf_counter() - t


def burn(n):
    s = 0
    for i in range(n):
        s += i
    return s


t = time.perf_counter(); burn(4_000_000); burn(4_000_000); one = time.perf_counter() - t
with multiprocessing.Pool(2) as pool:
    pool.map(burn, [10, 10])
    t = time.perf_counter(); pool.map(burn, [4_000_000] * 2); two = time.perf_counter() - t
print(plain, scanned, scanned2, one / two, len(files))
"""


def _run_cli(folder: str, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hpinspect", "scan", "--jobs", str(jobs),
                    "--format", "jsonl", folder], stdout=subprocess.DEVNULL, check=True,
                   cwd=REPO, env=_env())
    return time.perf_counter() - start


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def main() -> None:
    """Build the files, time both job counts, print medians, speed-up and overhead."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpinspect-bench-scan-") as folder:
        subprocess.run([sys.executable, "-c", BUILD, folder, str(args.files)], check=True,
                       env=_env())
        _run_cli(folder, 1)  # warm-up: .pyc files, page cache
        times: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.repeat):
            for jobs in (1, 2):
                times[jobs].append(_run_cli(folder, jobs))
        out = subprocess.run([sys.executable, "-c", IN_PROCESS, folder], check=True,
                             capture_output=True, text=True, env=_env()).stdout.split()
    plain, scanned, scanned2, ceiling, count = (float(out[0]), float(out[1]), float(out[2]),
                                                float(out[3]), int(out[4]))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"cpu count: {os.cpu_count()}, files: {args.files}, repeats: {args.repeat}, "
          f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"machine's parallel ceiling now (pure-Python CPU burn, 2 processes vs 1): "
          f"{ceiling:.2f}x")
    print(f"hpinspect scan --jobs 1: {one:.2f} s  ({1000 * one / args.files:.2f} ms per file)")
    print(f"hpinspect scan --jobs 2: {two:.2f} s  ({1000 * two / args.files:.2f} ms per file)")
    print(f"speed-up --jobs 2 vs --jobs 1 (whole command): {one / two:.2f}x "
          f"(target >= 1.7x on 2 idle cores)")
    print(f"in process: scan(jobs=1) {scanned:.2f} s, scan(jobs=2) {scanned2:.2f} s: "
          f"{scanned / scanned2:.2f}x")
    print(f"in process: inspect_file loop {1000 * plain / count:.2f} ms per file, "
          f"scan(jobs=1) {1000 * scanned / count:.2f} ms per file")
    print(f"per-file overhead of scan over inspect_file: "
          f"{1000 * (scanned - plain) / count:.2f} ms (target < 20 ms)")

if __name__ == "__main__":
    main()
