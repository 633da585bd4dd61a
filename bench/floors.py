"""Benchmark hpinspect against the physical floors of each file, in one interleaved run (issue 16).

For every workload file the script runs, in turn and ``--repeat`` times (small files
:data:`SMALL_ROUNDS` times as often; the order rotates each round so no side always goes
first), each as its own child process:

* ``hpinspect``: ``python -m hpinspect --format json FILE`` in the default environment;
* ``hpinspect-1t``: the same with every BLAS/OpenMP pool variable set to 1 (the thread-pool
  target: the default must be within 10% of this);
* ``hpinspect-terminal`` (small files): ``python -m hpinspect FILE``, the default report a user
  reads (rich's tables, laid out for 80 columns since stdout is not a terminal), held to the
  same start-up target as the JSON run;
* ``naive``: ``joblib.load`` + ``get_params`` (what hpinspect replaces, and is unsafe);
* floors: ``start-up`` (``python -c "import numpy, rich.console, typer"``), ``sha256``
  (``hashlib.sha256`` over the file, which hpinspect's report includes), ``cat`` (the file to
  /dev/null), ``decompress`` (the file's own codec alone, for compressed files: zlib, gzip,
  bz2, lzma, xz or lz4, sniffed from the magic bytes by hpinspect itself), ``C-unpickler``
  (CPython's C ``pickle.Unpickler`` with inert stand-ins on the same bytes: the reading floor
  for plain pickles) and ``genops`` (``pickletools.genops``: a pure-Python opcode walk);
* peers, when installed in ``--peers-python``'s environment: picklescan, fickling, modelscan.

It prints a table of medians (seconds, MiB) and the issue's ratios with PASS/FAIL. Files are
built once under ``bench/files/`` (gitignored) by child processes, deterministic
(``random_state=0``); the 1 GB forest reuses ``bench.py``'s builder.

Usage::

    python bench/floors.py --quick            # small, forest200, zlib forest, dict-heavy files
    python bench/floors.py                    # + the 1 GB forest, 1M vocabulary, torch 1 GB
    python bench/floors.py --only vocab200k --repeat 11   # rounds (default 7)
    python bench/floors.py --peers-python /path/to/venv/bin/python
    python bench/floors.py --other engine-before=/tmp/old-checkout   # another hpinspect tree
    python bench/floors.py --scaling          # ms per tree (50-1,500) and per word (10k-1M)
    python bench/floors.py --file large=model.joblib --file dict=vocab.pkl   # any file

``--file KIND=PATH`` (repeatable) measures any file as a workload of KIND (``small``, ``large``,
``compressed``, ``dict``), named by its basename, with that kind's floors and targets; without
``--only`` the built-in workloads are not run. ``bench/heldout.py`` builds a held-out corpus
for it (``python bench/floors.py $(python bench/heldout.py --file-args)``).

Also measured in the same run: ``--help`` against ``python -c "import typer"`` (interleaved),
``diff`` of the 200- and 400-tree forests against inspecting both in one process, and the
machine's load average at the start and the end (the machine may be shared).
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # the sibling script: builders, measure(), machine()

FILES = bench.FILES_DIR
POOL_ONE = {name: "1" for name in (
    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}
POOL_NAMES = tuple(POOL_ONE)

C_UNPICKLER = r"""
import pickle, sys
class Stand:
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return Stand()
    def __setstate__(self, s): pass
    def append(self, x): pass
    def extend(self, x): pass
    def __setitem__(self, k, v): pass
class U(pickle.Unpickler):
    def find_class(self, module, name): return Stand
    def persistent_load(self, pid): return Stand()
with open(sys.argv[1], "rb") as f:
    U(f).load()
"""
GENOPS = r"""
import pickletools, sys
with open(sys.argv[1], "rb") as f:
    for _ in pickletools.genops(f): pass
"""
SHA256 = r"""
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb", buffering=0) as f:
    while chunk := f.read(1 << 20): h.update(chunk)
"""
DECOMPRESS = r"""
import importlib, sys
path, skip, module, factory, *arg = sys.argv[1:]
d = getattr(importlib.import_module(module), factory)(*map(int, arg))
with open(path, "rb") as f:
    f.seek(int(skip))
    while chunk := f.read(1 << 20):
        d.decompress(chunk)
"""
"""Decompression alone (argv: path, header bytes to skip, then a :data:`CODECS` entry)."""
CODECS: dict[str, tuple[str, ...]] = {
    "zlib": ("zlib", "decompressobj", "15"),
    "zf": ("zlib", "decompressobj", "15"),
    "gzip": ("zlib", "decompressobj", "31"),
    "bz2": ("bz2", "BZ2Decompressor"),
    "xz": ("lzma", "LZMADecompressor", "1"),  # lzma.FORMAT_XZ
    "lzma": ("lzma", "LZMADecompressor", "2"),  # lzma.FORMAT_ALONE
    "lz4": ("lz4.frame", "LZ4FrameDecompressor"),
}
"""hpinspect's codec name -> the decompressor it uses (load/stream.py's DECOMPRESSORS)."""
SNIFF = r"""
import sys
from hpinspect.load.stream import ZF_HEADER, sniff_compression
with open(sys.argv[1], "rb") as f:
    kind = sniff_compression(f.read(4096))
print(kind or "none", ZF_HEADER if kind == "zf" else 0)
"""
"""hpinspect's own magic-byte sniffing, in a child (this process never imports numpy)."""
STARTUP = "import numpy, rich.console, typer"
NAIVE = ("import sys, joblib; m = joblib.load(sys.argv[1]); "
         "print(m.get_params() if hasattr(m, 'get_params') else type(m))")
PEERS = {
    "picklescan": ["-m", "picklescan", "--path"],
    "fickling": ["-m", "fickling", "--check-safety"],
    "modelscan": ["-m", "modelscan.cli", "-p"],
}


# --------------------------------------------------------------------------- workloads
@dataclass(frozen=True)
class Workload:
    """One benchmark file and which floors apply to it."""

    name: str
    path: Path
    kind: str
    """large (sha256 floor), compressed (decompression floor), dict (C-unpickler floor),
    small (start-up floor)."""
    quick: bool = True
    compression: tuple[str, int] | None = None
    """For compressed files: the codec hpinspect sniffs and the header bytes before its stream."""


KINDS = ("small", "large", "compressed", "dict")
"""The kinds a ``--file`` workload may have (each with its floor, see :func:`targets`)."""


WORKLOADS = (
    Workload("small", FILES / "small.joblib", "small"),
    Workload("forest200", FILES / "forest200.joblib", "large"),
    Workload("forest200-zlib", FILES / "forest200-zlib.joblib", "compressed"),
    Workload("forest2500-1GB", bench.BIG, "large", quick=False),
    Workload("vocab200k", FILES / "vocab200k.pkl", "dict"),
    Workload("vocab1M", FILES / "vocab1M.pkl", "dict", quick=False),
    Workload("onehot50k", FILES / "onehot50k.pkl", "dict"),
    Workload("gridsearch-cv", FILES / "gridsearch-cv.pkl", "dict"),
    Workload("trees2000", FILES / "trees2000.pkl", "dict"),
    Workload("torch-1GB", FILES / "torch-1GB.pt", "large", quick=False),
    Workload("diff-forest200-400", FILES / "forest400.joblib", "diff"),
)
DIFF_A = FILES / "forest200.joblib"
"""The diff workload compares this file with its own path (the 400-tree forest)."""
SCALE_TREES = (50, 200, 500, 1500)
SCALE_WORDS = (10_000, 100_000, 200_000, 1_000_000)


def _build_vocab(path: Path, words: int) -> None:
    import pickle

    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [" ".join(f"w{(i * 7 + j) % words}" for j in range(50)) for i in range(200)]
    model = TfidfVectorizer().fit(docs)
    # A real vocabulary of `words` entries: the fitted state a large corpus would leave.
    import numpy as np

    model.vocabulary_ = {f"word{i:07d}": i for i in range(words)}
    model.idf_ = np.linspace(1.0, 9.0, words)
    path.write_bytes(pickle.dumps(model, protocol=4))


def _build_onehot(path: Path) -> None:
    import pickle

    import numpy as np
    from sklearn.preprocessing import OneHotEncoder

    column = np.array([f"cat{i:05d}" for i in range(50_000)], dtype=object).reshape(-1, 1)
    path.write_bytes(pickle.dumps(OneHotEncoder().fit(column), protocol=4))


def _build_gridsearch(path: Path) -> None:
    import pickle

    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    x, y = make_classification(n_samples=60, n_features=4, random_state=0)
    grid = {"max_depth": list(range(1, 41)), "min_samples_leaf": list(range(1, 26))}
    search = GridSearchCV(DecisionTreeClassifier(random_state=0), grid, cv=2).fit(x, y)
    path.write_bytes(pickle.dumps(search, protocol=4))


def _build_trees(path: Path, trees: int = 2000) -> None:
    import pickle

    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    x, y = make_classification(n_samples=200, n_features=8, random_state=0)
    forest = RandomForestClassifier(n_estimators=trees, max_depth=3, random_state=0, n_jobs=-1)
    forest.fit(x, y).set_params(n_jobs=None)
    path.write_bytes(pickle.dumps(forest, protocol=4))


def _build_torch(path: Path) -> None:
    import torch

    generator = torch.Generator().manual_seed(0)
    state = {f"layer{i}.weight": torch.randn(4096, 4096, generator=generator)
             for i in range(16)}  # 16 x 64 MiB = 1 GiB of float32
    torch.save(state, path)


BUILDERS = {
    "vocab200k": lambda p: _build_vocab(p, 200_000),
    "vocab1M": lambda p: _build_vocab(p, 1_000_000),
    "onehot50k": _build_onehot,
    "gridsearch-cv": _build_gridsearch,
    "trees2000": _build_trees,
    "torch-1GB": _build_torch,
    **{f"trees{n}": (lambda p, n=n: _build_trees(p, n)) for n in SCALE_TREES},
    **{f"vocab{n // 1000}k": (lambda p, n=n: _build_vocab(p, n)) for n in SCALE_WORDS},
}
BENCH_KEYS = {"small": "small", "forest200": "forest200", "forest200-zlib": "zlib",
              "forest2500-1GB": "big", "diff-forest200-400": "forest400"}


def scaling_workloads() -> list[Workload]:
    """Small trees (50-1,500) and vocabularies (10k-1M) for the scaling tables."""
    trees = [Workload(f"trees{n}", FILES / f"trees{n}.pkl", "scale-trees") for n in SCALE_TREES]
    words = [Workload(f"vocab{n // 1000}k", FILES / (
        "vocab1M.pkl" if n == 1_000_000 else f"vocab{n // 1000}k.pkl"), "scale-words")
        for n in SCALE_WORDS]
    return trees + words


def sniff(path: Path) -> tuple[str, int]:
    """The compression hpinspect sees at the start of ``path`` ("none" for a bare pickle) and
    the header bytes before the compressed stream (joblib's legacy ZF container)."""
    out = subprocess.run([sys.executable, "-c", SNIFF, str(path)], check=True,
                         capture_output=True, text=True).stdout.split()
    return out[0], int(out[1])


def file_workloads(specs: list[str]) -> list[Workload]:
    """``--file KIND=PATH`` arguments as workloads named by the file's basename.

    A compressed file must be compressed (its floor is that codec's decompression) and the
    other kinds must not be (their floors read the bytes as they are)."""
    out: list[Workload] = []
    for spec in specs:
        kind, sep, name = spec.partition("=")
        path = Path(name)
        if not sep or kind not in KINDS:
            raise ValueError(f"--file {spec!r}: expected KIND=PATH, KIND one of {KINDS}")
        if not path.is_file():
            raise ValueError(f"--file {spec!r}: no such file")
        if any(w.name == path.name for w in out):
            raise ValueError(f"--file {spec!r}: two files named {path.name!r}")
        codec, skip = sniff(path)
        if (codec == "none") == (kind == "compressed"):
            raise ValueError(f"--file {spec!r}: kind {kind} but hpinspect sniffs "
                             f"{'no' if codec == 'none' else codec} compression")
        compression = (codec, skip) if kind == "compressed" else None
        out.append(Workload(path.name, path, kind, compression=compression))
    return out


def ensure(workloads: list[Workload]) -> None:
    """Build missing files in child processes (this process stays small: RSS floors)."""
    FILES.mkdir(parents=True, exist_ok=True)
    bench.ensure_files([BENCH_KEYS[w.name] for w in workloads
                        if w.name in BENCH_KEYS and not w.path.exists()])
    if any(w.kind == "diff" for w in workloads):
        bench.ensure_files(["forest200"])
    for w in workloads:
        name = w.name
        if name in BUILDERS and not w.path.exists():
            print(f"building {w.path.name} ...", file=sys.stderr, flush=True)
            subprocess.run([sys.executable, __file__, "--_build", name], check=True)


# --------------------------------------------------------------------------- measuring
@dataclass
class Row:
    """All runs of every side on one workload."""

    workload: Workload
    runs: dict[str, list[bench.Run]] = field(default_factory=dict)

    def wall(self, side: str) -> float | None:
        runs = self.runs.get(side, [])
        if side not in PEERS:  # a peer's exit code is its verdict; ours must be a success
            runs = [r for r in runs if r.code in (0, 1, 3)]
        return statistics.median(r.wall for r in runs) if runs else None

    def peer_note(self, side: str) -> str:
        """What a peer printed on its last run: whether it read the whole file."""
        runs = self.runs.get(side, [])
        if not runs:
            return ""
        if runs[-1].code == -9:
            return f"killed after {PEER_TIMEOUT:.0f} s"
        text = runs[-1].stderr.strip().splitlines()
        return f"exit {runs[-1].code}" + (f", {text[-1][:90]}" if text else "")

    def mib(self, side: str) -> float | None:
        runs = self.runs.get(side, [])
        return statistics.median(r.maxrss_kib for r in runs) / 1024 if runs else None


def hp(py: str, *args: str) -> list[str]:
    return [py, "-m", "hpinspect", *args]


def sides(w: Workload, peers_python: str | None, others: dict[str, str],
          ) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Side name -> (command, extra environment)."""
    py = sys.executable
    path = str(w.path)
    if w.kind == "diff":  # diff of two files against inspecting both in one process
        pair = [str(DIFF_A), path]
        return {"hpinspect": (hp(py, "diff", "--format", "json", *pair), {}),
                "inspect-both": (hp(py, "--format", "json", *pair), {}),
                "start-up": ([py, "-c", STARTUP], {})}
    out: dict[str, tuple[list[str], dict[str, str]]] = {
        "hpinspect": (hp(py, "--format", "json", path), {}),
    }
    if w.kind.startswith("scale"):
        return out
    if w.kind == "small":
        out["hpinspect-terminal"] = (hp(py, path), {})
    out.update({
        "hpinspect-1t": (hp(py, "--format", "json", path), POOL_ONE),
        "naive": ([py, "-c", NAIVE, path], {}),
        "start-up": ([py, "-c", STARTUP], {}),
        "sha256": ([py, "-c", SHA256, path], {}),
        "cat": (["cat", path], {}),
    })
    for name, tree in (others if w.kind in ("dict", "small", "large") else {}).items():
        # another checkout (plain pickles), run from outside this one
        out[f"hpinspect@{name}"] = (hp(py, "--format", "json", path), {"PYTHONPATH": tree,
                                                                        CWD_KEY: "/"})
        if w.kind == "small":
            out[f"hpinspect-terminal@{name}"] = (hp(py, path), {"PYTHONPATH": tree, CWD_KEY: "/"})
    if w.kind == "compressed":
        codec, skip = w.compression or sniff(w.path)
        out["decompress"] = ([py, "-c", DECOMPRESS, path, str(skip), *CODECS[codec]], {})
    if w.kind == "dict":
        out["C-unpickler"] = ([py, "-c", C_UNPICKLER, path], {})
        out["genops"] = ([py, "-c", GENOPS, path], {})
    if w.name == "torch-1GB":
        out["naive"] = ([py, "-c", "import sys, torch; torch.load(sys.argv[1])", path], {})
    if peers_python and w.quick:  # (not on the 1 GB files: a peer may take minutes there)
        for name, args in PEERS.items():
            out[name] = ([peers_python, *args, path], {})
    return out


SMALL_ROUNDS = 3
"""Small files (and ``--help``) run this many times ``--repeat`` rounds: a run is about 0.15 s,
the ratios are differences of about 10 ms, and one run on a shared 2-core machine varies by
30 ms or more; medians of three times the rounds cost seconds and hold still."""

CWD_KEY = "_FLOORS_CWD"
"""Pseudo variable: the working directory of a side (``python -m`` imports from there first)."""
PEER_TIMEOUT = 120.0


def run_side(cmd: list[str], extra: dict[str, str], timeout: float | None = None) -> bench.Run:
    """One child with stdout to /dev/null: wall time, its own peak RSS, exit code (-9 when it
    ran past ``timeout`` and was killed)."""
    env = {k: v for k, v in os.environ.items()
           if k not in POOL_NAMES and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    cwd = env.pop(CWD_KEY, None)
    with open(os.devnull, "wb") as null, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=null, stderr=err,
                                env=env, cwd=cwd)
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return bench.Run(wall, usage.ru_maxrss, proc.returncode, text)


def bench_workload(w: Workload, repeat: int, peers_python: str | None,
                   others: dict[str, str]) -> Row:
    bench.warm_cache(w.path)
    plan = sides(w, peers_python, others)
    names = list(plan)
    row = Row(w)
    timeouts = {n: PEER_TIMEOUT if n in PEERS else None for n in names}
    for name in names:  # untimed warm-up of each side (page cache, .pyc files)
        run_side(*plan[name], timeout=timeouts[name])
    for i in range(repeat * (SMALL_ROUNDS if w.kind == "small" else 1)):
        rotated = names[i % len(names):] + names[: i % len(names)]
        for name in rotated:
            row.runs.setdefault(name, []).append(run_side(*plan[name], timeout=timeouts[name]))
    return row


# --------------------------------------------------------------------------- reporting
def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def targets(row: Row) -> list[str]:
    """The issue's ratios for this workload, each with PASS/FAIL."""
    w, hp = row.workload, row.wall("hpinspect")
    start = row.wall("start-up") or 0.0
    out: list[str] = []

    def check(label: str, value: float | None, limit: float) -> None:
        if value is not None:
            out.append(f"{label} {value:.2f} (<= {limit}) {'PASS' if value <= limit else 'FAIL'}")

    one_t = row.wall("hpinspect-1t")
    check("default/1-thread", _ratio(hp, one_t), 1.10)
    check("vs naive time", _ratio(hp, row.wall("naive")), 1.0)
    check("vs naive memory", _ratio(row.mib("hpinspect"), row.mib("naive")), 1.0)
    if w.kind == "large":
        check("vs sha256+start-up", _ratio(hp, (row.wall("sha256") or 0) + start), 1.5)
    if w.kind == "compressed":
        check("vs decompress+start-up", _ratio(hp, (row.wall("decompress") or 0) + start), 1.3)
    if w.kind == "dict":
        check("vs C-unpickler+start-up",
              _ratio(hp, (row.wall("C-unpickler") or 0) + start), 3.0)
    if w.kind == "small":
        check("vs start-up", _ratio(hp, start), 1.3)
        check("terminal vs start-up", _ratio(row.wall("hpinspect-terminal"), start), 1.3)
    if w.kind == "diff":
        check("diff vs inspecting both", _ratio(hp, row.wall("inspect-both")), 1.1)
    for side in row.runs:
        mine, at, other = side.partition("@")
        if at and mine in ("hpinspect", "hpinspect-terminal"):
            ratio = _ratio(row.wall(mine), row.wall(side))
            if ratio is not None:
                out.append(f"this tree / {other} {ratio:.2f}" + (
                    " (terminal)" if mine != "hpinspect" else ""))
    return out


def print_report(rows: list[Row], repeat: int) -> None:
    print(f"Machine: {bench.machine()}")
    print(f"Median of {repeat} interleaved runs ({repeat * SMALL_ROUNDS} for small files and "
          "--help; the order rotated each round); seconds and peak MiB (ru_maxrss) per child.\n")
    all_sides = list(dict.fromkeys(s for r in rows for s in r.runs))
    print("| workload | MB | " + " | ".join(all_sides) + " |")
    print("|---|---:|" + "---:|" * len(all_sides))
    for r in rows:
        cells = []
        for s in all_sides:
            wall, mib = r.wall(s), r.mib(s)
            cells.append("—" if wall is None or mib is None else f"{wall:.3f} s / {mib:.0f}")
        size = r.workload.path.stat().st_size / 1e6
        print(f"| {r.workload.name} | {size:,.1f} | " + " | ".join(cells) + " |")
    print("\nTargets (issue 16):")
    for r in rows:
        print(f"- {r.workload.name}: " + "; ".join(targets(r)))
    notes = [(r.workload.name, p, r.peer_note(p)) for r in rows for p in PEERS if p in r.runs]
    if notes:
        print("\nWhat each peer did (exit code, last stderr line):")
        for name, peer, note in notes:
            print(f"- {name} / {peer}: {note}")


def help_ratio(repeat: int) -> str:
    """``--help`` against ``python -c "import typer"``, interleaved."""
    py = sys.executable
    plan = {"help": [py, "-m", "hpinspect", "--help"], "typer": [py, "-c", "import typer"]}
    runs: dict[str, list[float]] = {"help": [], "typer": []}
    for name in plan:
        run_side(plan[name], {})
    for i in range(repeat):
        for name in (("help", "typer") if i % 2 == 0 else ("typer", "help")):
            runs[name].append(run_side(plan[name], {}).wall)
    a, b = statistics.median(runs["help"]), statistics.median(runs["typer"])
    return (f"- --help: {a:.3f} s vs import typer {b:.3f} s: {a / b:.2f} (<= 1.2) "
            f"{'PASS' if a / b <= 1.2 else 'FAIL'}")


def scaling_report(rows: list[Row]) -> None:
    """Time and memory per tree / per word: linear when the per-unit figures stay flat."""
    print("\nScaling (hpinspect --format json; per unit = (time - smallest file's time) / "
          "(units - smallest units)):\n")
    print("| file | units | s | MiB | ms per 1,000 units (marginal) |")
    print("|---|---:|---:|---:|---:|")
    for kind in ("scale-trees", "scale-words"):
        group = [r for r in rows if r.workload.kind == kind]
        if not group:
            continue
        units = [int(r.workload.name.removeprefix("trees").removeprefix("vocab")
                     .replace("k", "000")) for r in group]
        base_t, base_u = group[0].wall("hpinspect") or 0.0, units[0]
        for r, n in zip(group, units, strict=True):
            t = r.wall("hpinspect") or 0.0
            marginal = "—" if n == base_u else f"{(t - base_t) / (n - base_u) * 1e6:.2f}"
            print(f"| {r.workload.name} | {n:,} | {t:.3f} | {r.mib('hpinspect') or 0:.0f} | "
                  f"{marginal} |")


def precompile(trees: Iterable[str]) -> None:
    """Write the bytecode of every hpinspect package measured, as ``pip install`` does.

    These machines set ``PYTHONDONTWRITEBYTECODE=1``: without this step a checkout run through
    ``PYTHONPATH`` recompiles every module whose ``.pyc`` is missing or stale on each run
    (about 40 ms of a small file), which no installed copy pays."""
    spec = importlib.util.find_spec("hpinspect")
    packages = [Path(spec.origin).parent] if spec is not None and spec.origin else []
    packages += [Path(tree) / "hpinspect" for tree in trees]
    for package in packages:
        compileall.compile_dir(str(package), quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1 GB files and vocab1M")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these workloads")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--peers-python", help="python of a venv with picklescan/fickling/"
                        "modelscan installed (kept apart: their pins clash with ours)")
    parser.add_argument("--other", action="append", default=[], metavar="NAME=DIR",
                        help="also run the hpinspect package found in DIR (another checkout)")
    parser.add_argument("--scaling", action="store_true",
                        help="also the scaling tables (trees 50-1,500, words 10k-1M)")
    parser.add_argument("--file", action="append", default=[], metavar="KIND=PATH",
                        help="also measure PATH as a workload of KIND (small, large, compressed, "
                        "dict: the same floors and targets as the built-in ones; the "
                        "decompression floor uses the file's own codec); repeatable; without "
                        "--only, only these files are run")
    parser.add_argument("--_build", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    every = [*WORKLOADS, *scaling_workloads()]
    if args._build:
        w = next(w for w in every if w.name == args._build)
        BUILDERS[w.name](w.path)
        return 0
    others = dict(item.split("=", 1) for item in args.other)
    try:
        files = file_workloads(args.file)
    except ValueError as exc:
        parser.error(str(exc))
    chosen = [] if files and not args.only else [
        w for w in WORKLOADS if (w.name in args.only if args.only else
                                 (w.quick or not args.quick))]
    scaled = scaling_workloads() if args.scaling else []
    ensure(chosen + scaled)
    chosen += files
    precompile(others.values())
    load_start = os.getloadavg()
    rows = []
    for w in chosen + scaled:
        print(f"benchmarking {w.name} ...", file=sys.stderr, flush=True)
        rows.append(bench_workload(w, args.repeat, args.peers_python, others))
    help_line = help_ratio(max(args.repeat, 5) * SMALL_ROUNDS)
    load_end = os.getloadavg()
    print_report([r for r in rows if not r.workload.kind.startswith("scale")], args.repeat)
    print(help_line)
    if scaled:
        scaling_report([r for r in rows if r.workload.kind.startswith("scale")])
    print(f"\nLoad average (1/5/15 min) at the start {' '.join(f'{x:.2f}' for x in load_start)}"
          f", at the end {' '.join(f'{x:.2f}' for x in load_end)} "
          f"({os.cpu_count()} cores; other jobs share the machine when it exceeds 1-2).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
