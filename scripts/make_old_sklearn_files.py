"""Regenerate the old-scikit-learn model fixtures under ``tests/data/sklearn-<version>/``.

For every scikit-learn version listed in ``VERSIONS`` this script

1. creates a throwaway virtual environment in a temporary directory,
2. installs that scikit-learn release together with period-appropriate pins of
   numpy, joblib and scipy, and
3. runs ``CHILD_SCRIPT`` with the venv's interpreter.  The child fits a handful of
   small estimators on deterministic data, saves them with ``joblib.dump`` and
   ``pickle.dump`` and writes ``manifest.json`` describing, from the live fitted
   objects, what each file contains (class, params, pickled state, globals).

The files are fixtures for hpinspect's static (non-unpickling) reader: the manifest is
the ground truth the tests compare against.  Usage::

    python scripts/make_old_sklearn_files.py            # all versions
    python scripts/make_old_sklearn_files.py 1.3.2      # just one

Needs network access to PyPI (through pip) and a Python 3.11 interpreter.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "tests" / "data"

VERSIONS: tuple[str, ...] = ("1.2.2", "1.3.2")

# Companion pins shared by every version.  All of them resolve to Python 3.11 wheels.
EXTRA_PINS: tuple[str, ...] = ("numpy<2", "joblib<1.5", "scipy<1.14")

CHILD_SCRIPT = r'''
"""Fit small models, dump them and describe them (runs inside the old venv)."""
import hashlib
import json
import math
import pickle
import pickletools
import platform
import sys
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

OUT = Path(sys.argv[1])
JSON_SCALARS = (int, float, str, bool, type(None))

# name -> formats.  Every model gets ".joblib"; the others are spread around.
#   joblib: joblib.dump, uncompressed     z3.joblib: joblib.dump(compress=3)
#   p4.pkl: pickle.dump(protocol=4)       p2.pkl: pickle.dump(protocol=2)
FORMATS = {
    "logreg": ["joblib", "p4.pkl", "p2.pkl"],
    "forest": ["joblib", "z3.joblib", "p4.pkl"],
    "gboost": ["joblib", "p4.pkl", "p2.pkl"],
    "pipeline": ["joblib", "p2.pkl"],
    "histgb": ["joblib", "p4.pkl"],
    "kmeans": ["joblib", "z3.joblib"],
    "gridsearch": ["joblib", "p4.pkl"],
}


def dotted(obj_type):
    return obj_type.__module__ + "." + obj_type.__qualname__


def is_json_scalar(value):
    # Exact type check: numpy scalars (np.float64 subclasses float) are not plain values.
    return type(value) in JSON_SCALARS


def encode_scalar(value):
    if type(value) is float and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def describe(value):
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            dtype = "object" if value.dtype == object else str(value.dtype)
            return {"type": "ndarray", "dtype": dtype, "shape": list(value.shape)}
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return {
            "type": "ndarray",
            "shape": list(value.shape),
            "dtype": str(value.dtype),
            "sha256": digest,
        }
    if is_json_scalar(value):
        return {"type": "value", "value": encode_scalar(value)}
    return {"type": "other", "class": dotted(type(value))}


def pickle_globals(data):
    """Every module.name a pickle stream references (GLOBAL and STACK_GLOBAL)."""
    found = set()
    memo = {}
    recent = []  # values pushed by string / memo-get opcodes; None for anything else
    for op, arg, _pos in pickletools.genops(data):
        name = op.name
        if name == "GLOBAL":
            module, _, attr = arg.partition(" ")
            found.add(module + "." + attr)
            recent.append(None)
        elif name == "STACK_GLOBAL":
            module, attr = recent[-2], recent[-1]
            if not (isinstance(module, str) and isinstance(attr, str)):
                raise ValueError("cannot resolve STACK_GLOBAL operands")
            found.add(module + "." + attr)
            recent.append(None)
        elif name == "MEMOIZE":
            memo[len(memo)] = recent[-1] if recent else None
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = recent[-1] if recent else None
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            recent.append(memo.get(arg))
        elif name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            recent.append(arg)
        else:
            recent.append(None)
    return sorted(found)


def fit_models():
    Xc, yc = make_classification(
        n_samples=80, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )
    Xr, yr = make_regression(n_samples=80, n_features=4, noise=0.5, random_state=0)
    return {
        "logreg": LogisticRegression(C=0.5, max_iter=200).fit(Xc, yc),
        "forest": RandomForestClassifier(
            n_estimators=3, max_depth=3, random_state=0
        ).fit(Xc, yc),
        "gboost": GradientBoostingClassifier(n_estimators=5, random_state=0).fit(Xc, yc),
        "pipeline": Pipeline(
            [("scale", StandardScaler()), ("svc", SVC(C=2.0))]
        ).fit(Xc, yc),
        # random_state=0 only so that _random_seed (and so the bytes) are reproducible.
        "histgb": HistGradientBoostingRegressor(max_iter=5, random_state=0).fit(Xr, yr),
        "kmeans": KMeans(n_clusters=3, n_init=3, random_state=0).fit(Xc),
        "gridsearch": GridSearchCV(
            LogisticRegression(max_iter=200), {"C": [0.1, 1.0]}, cv=3
        ).fit(Xc, yc),
    }


def dtype_info(dtype):
    return {
        "str": str(dtype),
        "descr": [list(field) for field in dtype.descr],
        "names": list(dtype.names or ()),
        "itemsize": dtype.itemsize,
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    models = fit_models()
    manifest = {}
    for name, obj in models.items():
        params = {
            key: encode_scalar(val)
            for key, val in obj.get_params(deep=False).items()
            if is_json_scalar(val)
        }
        state = {key: describe(val) for key, val in obj.__getstate__().items()}
        for fmt in FORMATS[name]:
            fname = name + "." + fmt
            path = OUT / fname
            globals_ = None
            if fmt == "joblib":
                joblib.dump(obj, path)
            elif fmt == "z3.joblib":
                joblib.dump(obj, path, compress=3)
            else:
                protocol = {"p4.pkl": 4, "p2.pkl": 2}[fmt]
                data = pickle.dumps(obj, protocol=protocol)
                path.write_bytes(data)
                globals_ = pickle_globals(data)
            manifest[fname] = {
                "class": dotted(type(obj)),
                "sklearn_version": sklearn.__version__,
                "numpy_version": np.__version__,
                "params": params,
                "state": state,
                "globals": globals_,
            }
    nodes = models["forest"].estimators_[0].tree_.__getstate__()["nodes"]
    manifest["tree_nodes_dtype"] = dtype_info(nodes.dtype)
    text = json.dumps(manifest, indent=1, sort_keys=True, allow_nan=False)
    (OUT / "manifest.json").write_text(text + "\n", encoding="utf-8")
    print(
        "python", platform.python_version(), "sklearn", sklearn.__version__,
        "numpy", np.__version__, "joblib", joblib.__version__,
    )
    print("tree nodes dtype:", nodes.dtype)


main()
'''


def venv_python(env_dir: Path) -> Path:
    """Path of the interpreter inside a venv created at ``env_dir``."""
    if os.name == "nt":
        return env_dir / "Scripts" / "python.exe"
    return env_dir / "bin" / "python"


def run(cmd: list[str], cwd: Path | None = None) -> None:
    """Run ``cmd``, echoing it first, and raise if it fails."""
    print("+", " ".join(cmd), flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    subprocess.run(cmd, check=True, cwd=cwd, env=env)


def build_version(version: str, out_root: Path) -> None:
    """Create a venv with scikit-learn ``version`` and write its fixtures."""
    out_dir = out_root / f"sklearn-{version}"
    with tempfile.TemporaryDirectory(prefix=f"hpinspect-sklearn-{version}-") as tmp:
        tmp_path = Path(tmp)
        env_dir = tmp_path / "venv"
        venv.create(env_dir, with_pip=True, clear=True)
        python = str(venv_python(env_dir))
        run([python, "-m", "pip", "install", "--quiet", f"scikit-learn=={version}", *EXTRA_PINS])
        run([python, "-m", "pip", "freeze"])
        if out_dir.exists():
            shutil.rmtree(out_dir)
        child = tmp_path / "child.py"
        child.write_text(CHILD_SCRIPT, encoding="utf-8")
        run([python, str(child), str(out_dir)], cwd=tmp_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "versions",
        nargs="*",
        default=list(VERSIONS),
        help=f"scikit-learn versions to build (default: {' '.join(VERSIONS)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DATA_DIR,
        help="directory that receives sklearn-<version>/ (default: tests/data)",
    )
    args = parser.parse_args(argv)
    for version in args.versions:
        build_version(version, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
