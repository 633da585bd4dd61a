"""Regenerate the old-pandas pickle fixtures under ``tests/data/pandas/<version>/``.

pandas has changed how it pickles its objects several times (``BlockManager`` state tuples,
``_unpickle_block``/``new_block``, ``_new_Index`` with ``Int64Index`` or ``Index``,
``__pyx_unpickle_NDArrayBacked`` for datetime/period arrays, ``_unpickle_timestamp`` with or
without a unit). For every pandas release in ``VERSIONS`` this script

1. creates a throwaway virtual environment with the pyenv Python that release supports,
2. installs that pandas with a numpy of its time, and
3. runs ``CHILD_SCRIPT`` with the venv's interpreter: it builds a bundle of DataFrames,
   Series, every Index kind, a Categorical and a Timestamp, writes it with ``pickle`` at
   protocols 2 and 4, and writes ``expected.json`` -- pandas' own answer for every entry
   (class, shape, columns, dtypes as strings, index class).

The files only reference pandas and numpy: they are benign, safe to commit, and small.
Usage::

    python scripts/make_pandas_fixtures.py            # all versions
    python scripts/make_pandas_fixtures.py 1.5.3      # just one

Needs network access to PyPI (through pip) and the pyenv Pythons named in ``VERSIONS``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "tests" / "data" / "pandas"
PYENV = Path.home() / ".pyenv" / "versions"


@dataclass(frozen=True)
class Release:
    """One pandas release and the interpreter and numpy it is installed with."""

    pandas: str
    numpy: str
    python: str
    """A version under ``~/.pyenv/versions``."""


VERSIONS: tuple[Release, ...] = (
    Release("1.1.5", "1.19.5", "3.8.18"),
    Release("1.5.3", "1.23.5", "3.10.13"),
    Release("2.0.3", "1.24.4", "3.10.13"),
    Release("2.2.3", "2.0.2", "3.12.1"),
)

CHILD_SCRIPT = r'''
"""Build a bundle of pandas objects, pickle it, describe it (runs inside the old venv)."""
import json
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(sys.argv[1])


def bundle():
    n = 4
    frame = pd.DataFrame({
        "i": np.arange(n, dtype="int64"),
        "f": np.linspace(0.0, 1.5, n),
        "b": [True, False, True, False],
        "s": ["a", "b", "c", "d"],
        "c": pd.Categorical(["x", "y", "x", "y"]),
        "t": pd.date_range("2021-01-01", periods=n, freq="D", tz="UTC"),
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
    })
    return {
        "frame": frame,
        "frame_str_index": pd.DataFrame({"v": [1.0, 2.0]}, index=pd.Index(["r1", "r2"])),
        "frame_multi": pd.DataFrame({"v": [1, 2, 3]}, index=pd.MultiIndex.from_tuples(
            [(1, "a"), (1, "b"), (2, "a")], names=["k", "l"])),
        "series": pd.Series([1.0, 2.5, 4.0], name="s"),
        "series_obj": pd.Series(["u", "v"], index=pd.Index([10, 20])),
        "index_int": pd.Index([3, 1, 2]),
        "index_str": pd.Index(["p", "q"]),
        "index_range": pd.RangeIndex(0, 10, 2),
        "index_dt": pd.DatetimeIndex(["2020-01-01", "2020-01-03"]),
        "index_period": pd.period_range("2020-01", periods=3, freq="M"),
        "index_interval": pd.interval_range(0, 3),
        "index_cat": pd.CategoricalIndex(["a", "b", "a"]),
        "index_multi": pd.MultiIndex.from_product([[1, 2], ["x", "y"]]),
        "categorical": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True),
        "timestamp": pd.Timestamp("2020-01-01 12:30"),
        "timestamp_tz": pd.Timestamp("2020-06-01 08:00", tz="UTC"),
    }


def answer(value):
    kind = type(value).__name__
    out = {"class": kind}
    if isinstance(value, pd.DataFrame):
        out.update(shape=list(value.shape), columns=[str(c) for c in value.columns],
                   dtypes=[str(d) for d in value.dtypes], index=type(value.index).__name__)
    elif isinstance(value, pd.Series):
        out.update(shape=list(value.shape), dtype=str(value.dtype),
                   index=type(value.index).__name__)
    elif isinstance(value, pd.Index):
        out.update(shape=list(value.shape), dtype=str(value.dtype))
    elif isinstance(value, pd.Categorical):
        out.update(shape=[len(value)], categories=[str(c) for c in value.categories])
    elif isinstance(value, pd.Timestamp):
        out.update(iso=value.isoformat())
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    data = bundle()
    for protocol in (2, 4):
        (OUT / f"bundle_p{protocol}.pkl").write_bytes(pickle.dumps(data, protocol=protocol))
    expected = {"pandas": pd.__version__, "numpy": np.__version__,
                "python": sys.version.split()[0],
                "entries": {k: answer(v) for k, v in data.items()}}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


main()
'''


def interpreter(release: Release) -> Path:
    """The pyenv interpreter of ``release``."""
    python = PYENV / release.python / "bin" / "python3"
    if not python.exists():
        raise SystemExit(f"{python}: not installed (pyenv install {release.python})")
    return python


def make(release: Release, workdir: Path) -> None:
    """Create a venv for ``release``, install pandas, and write its fixtures."""
    env_dir = workdir / f"pandas-{release.pandas}"
    subprocess.run([str(interpreter(release)), "-m", "venv", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--only-binary=:all:",
                    f"pandas=={release.pandas}", f"numpy=={release.numpy}"], check=True)
    out = DATA_DIR / release.pandas
    if out.exists():
        shutil.rmtree(out)
    subprocess.run([str(py), "-c", CHILD_SCRIPT, str(out)], check=True)
    print(f"{release.pandas}: wrote {sorted(p.name for p in out.iterdir())}")


def main() -> None:
    """Parse the versions to build and build them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", help="pandas versions (default: all)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the venvs here (default: a temporary folder)")
    args = parser.parse_args()
    chosen = [r for r in VERSIONS if not args.versions or r.pandas in args.versions]
    if not chosen:
        raise SystemExit(f"unknown version; known: {', '.join(r.pandas for r in VERSIONS)}")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        for release in chosen:
            make(release, args.workdir)
        return
    with tempfile.TemporaryDirectory(prefix="hp-pandas-") as tmp:
        for release in chosen:
            make(release, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
