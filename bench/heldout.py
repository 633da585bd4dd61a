"""Build a held-out benchmark corpus for ``bench/floors.py --file`` (issue 16).

issue 16 is judged on the floors benchmark's own workloads and on "a held-out run of the same
kind on files built by another script". This is that other script: it shares no builder with
``bench.py`` or ``floors.py`` (other estimators, shapes, datasets, protocols and compressors), so
a speed-up tuned to the built-in files has to hold on these too.

Every file is fitted with the real scikit-learn on seeded synthetic data (``random_state`` 1 to
99, never the built-in files' 0) and belongs to one of the floors' kinds:

* ``large`` (uncompressed, floor: sha256 + start-up): deep forests, boosting, bagging, an
  isolation forest, a histogram gradient boosting model and a forest pickled with protocol 5;
* ``compressed`` (floor: decompression + start-up): one forest dumped by joblib with zlib, gzip,
  bz2, lzma and xz;
* ``dict`` (floor: C unpickler with stand-ins + start-up): vectorizers with 300k varied words,
  a DictVectorizer, a OneHotEncoder over three columns, a RandomizedSearchCV, a LabelEncoder
  with 500k object classes (plain pickles);
* ``small`` (floor: start-up): five small models.

Usage::

    python bench/heldout.py                       # build what is missing in bench/files/heldout/
    python bench/heldout.py /tmp/corpus --force   # rebuild everything elsewhere
    python bench/heldout.py --only bz2-forest dict-vectorizer
    python bench/floors.py --repeat 3 $(python bench/heldout.py --file-args)

It prints one line per file (name, kind, MB, seconds to build); ``--file-args`` prints only the
``--file KIND=PATH`` arguments of the files present (building nothing).
"""

from __future__ import annotations

import argparse
import functools
import pickle
import string
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(__file__).resolve().parent / "files" / "heldout"
N_JOBS = 2


@dataclass(frozen=True)
class Entry:
    """One held-out file: its name on disk, its floors kind and how to write it."""

    name: str
    kind: str
    build: Callable[[Path], None]


# --------------------------------------------------------------------------- saving
def _joblib(model: Any, path: Path, compress: Any = 0) -> None:
    import joblib

    joblib.dump(model, path, compress=compress)


def _pickle(model: Any, path: Path, protocol: int = 4) -> None:
    with path.open("wb") as handle:
        pickle.dump(model, handle, protocol=protocol)


def _unjob(model: Any) -> Any:
    """The fitted model without the n_jobs used to fit it (as one would ship it)."""
    if "n_jobs" in model.get_params():
        model.set_params(n_jobs=None)
    return model


# --------------------------------------------------------------------------- large
def _regression(n: int, features: int, seed: int) -> tuple[Any, Any]:
    from sklearn.datasets import make_regression

    x, y = make_regression(n_samples=n, n_features=features, noise=25.0, random_state=seed)
    return x, y


def _classification(n: int, features: int, classes: int, seed: int) -> tuple[Any, Any]:
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=n, n_features=features,
                               n_informative=min(10, features - 2),
                               n_classes=classes, flip_y=0.08, random_state=seed)
    return x, y


def _random_forest_regressor(path: Path) -> None:
    from sklearn.ensemble import RandomForestRegressor

    x, y = _regression(6_000, 24, 11)
    model = RandomForestRegressor(n_estimators=200, max_features=0.5, random_state=11,
                                  n_jobs=N_JOBS)
    _joblib(_unjob(model.fit(x, y)), path)


def _extra_trees_classifier(path: Path) -> None:
    from sklearn.ensemble import ExtraTreesClassifier

    x, y = _classification(3_000, 16, 5, 12)
    model = ExtraTreesClassifier(n_estimators=300, random_state=12, n_jobs=N_JOBS)
    _joblib(_unjob(model.fit(x, y)), path)


def _gradient_boosting(path: Path) -> None:
    from sklearn.ensemble import GradientBoostingClassifier

    x, y = _classification(6_000, 12, 3, 13)
    model = GradientBoostingClassifier(n_estimators=300, max_depth=None, min_samples_leaf=10,
                                       subsample=0.8, learning_rate=0.05, random_state=13)
    _joblib(model.fit(x, y), path)


def _isolation_forest(path: Path) -> None:
    from sklearn.ensemble import IsolationForest

    x, _ = _regression(20_000, 10, 14)
    model = IsolationForest(n_estimators=500, max_samples=8192, random_state=14, n_jobs=N_JOBS)
    _joblib(_unjob(model.fit(x)), path)


def _bagging(path: Path) -> None:
    from sklearn.ensemble import BaggingClassifier
    from sklearn.tree import DecisionTreeClassifier

    x, y = _classification(25_000, 20, 2, 15)
    model = BaggingClassifier(DecisionTreeClassifier(), n_estimators=200, max_features=0.7,
                              random_state=15, n_jobs=N_JOBS)
    _joblib(_unjob(model.fit(x, y)), path)


def _hist_gradient_boosting(path: Path) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, y = _classification(30_000, 20, 3, 16)
    model = HistGradientBoostingClassifier(max_iter=600, max_leaf_nodes=255,
                                           min_samples_leaf=5, early_stopping=False,
                                           random_state=16)
    _joblib(model.fit(x, y), path)


def _forest_protocol5(path: Path) -> None:
    from sklearn.ensemble import RandomForestClassifier

    x, y = _classification(12_000, 18, 4, 17)
    model = RandomForestClassifier(n_estimators=200, random_state=17,
                                   n_jobs=N_JOBS)
    _pickle(_unjob(model.fit(x, y)), path, protocol=5)


# --------------------------------------------------------------------------- compressed
@functools.cache
def _compressible_forest() -> Any:
    """A 200-tree classification forest (~75 MB raw), fitted once for every compressor."""
    from sklearn.ensemble import RandomForestClassifier

    x, y = _classification(16_000, 14, 3, 21)
    model = RandomForestClassifier(n_estimators=200, random_state=21, n_jobs=N_JOBS)
    return _unjob(model.fit(x, y))


def _compressed(method: str) -> Callable[[Path], None]:
    """The builder of the compressible forest dumped with ``(method, 3)``."""

    def build(path: Path) -> None:
        _joblib(_compressible_forest(), path, compress=(method, 3))

    return build


# --------------------------------------------------------------------------- dict-heavy
def _words(count: int, seed: int) -> list[str]:
    """``count`` distinct lower-case words of 3-14 letters (some accented), seeded."""
    import random

    rng = random.Random(seed)
    letters = string.ascii_lowercase + "éèàüöñç"
    seen: set[str] = set()
    while len(seen) < count:
        seen.add("".join(rng.choices(letters, k=rng.randint(3, 14))))
    words = sorted(seen)
    rng.shuffle(words)
    return words


def _documents(words: list[str], per_doc: int) -> list[str]:
    return [" ".join(words[i:i + per_doc]) for i in range(0, len(words), per_doc)]


def _count_vectorizer(path: Path) -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    docs = _documents(_words(300_000, 31), 600)
    _pickle(CountVectorizer(token_pattern=r"(?u)\b\w+\b").fit(docs), path)


def _tfidf_vectorizer(path: Path) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = _documents(_words(300_000, 32), 250)
    model = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", sublinear_tf=True, min_df=1)
    _pickle(model.fit(docs + docs[::3]), path, protocol=5)


def _dict_vectorizer(path: Path) -> None:
    import random

    from sklearn.feature_extraction import DictVectorizer

    rng = random.Random(33)
    users = _words(60_000, 33)
    items = [f"sku-{rng.randrange(10**9):09d}" for _ in range(39_990)]
    rows = [{"user": users[i % len(users)], "item": items[i % len(items)],
             "price": rng.uniform(1, 500), "qty": rng.randint(1, 9)}
            for i in range(100_000)]
    _pickle(DictVectorizer(sparse=True).fit(rows), path)


def _one_hot(path: Path) -> None:
    import numpy as np
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(34)
    cities = np.array(_words(10_000, 34), dtype=object)
    columns = [cities, rng.permutation(10_000) * 7 + 100_003,
               np.round(rng.permutation(10_000) * 0.25 + 0.125, 3)]
    frame = np.empty((10_000, 3), dtype=object)
    for j, column in enumerate(columns):
        frame[:, j] = column
    _pickle(OneHotEncoder(handle_unknown="ignore").fit(frame), path)


def _randomized_search(path: Path) -> None:
    from scipy.stats import loguniform, randint, uniform
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import RandomizedSearchCV

    x, y = _classification(300, 8, 2, 35)
    space = {"alpha": loguniform(1e-6, 1e1), "l1_ratio": uniform(0, 1),
             "penalty": ["l2", "l1", "elasticnet"], "max_iter": randint(5, 60),
             "loss": ["hinge", "log_loss", "modified_huber"], "tol": loguniform(1e-5, 1e-1)}
    search = RandomizedSearchCV(SGDClassifier(random_state=35), space, n_iter=1_500, cv=3,
                                return_train_score=True, random_state=35, n_jobs=N_JOBS)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _pickle(_unjob(search.fit(x, y)), path)


def _label_encoder(path: Path) -> None:
    import numpy as np
    from sklearn.preprocessing import LabelEncoder

    labels = np.array([f"{w}-{i % 97}" for i, w in enumerate(_words(500_000, 36))],
                      dtype=object)
    _pickle(LabelEncoder().fit(labels), path, protocol=2)


# --------------------------------------------------------------------------- small
def _svc(path: Path) -> None:
    from sklearn.svm import SVC

    x, y = _classification(400, 12, 2, 41)
    _joblib(SVC(C=2.0, gamma="scale").fit(x, y), path)


def _mlp(path: Path) -> None:
    import warnings

    from sklearn.neural_network import MLPClassifier

    x, y = _classification(500, 12, 3, 42)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=60, random_state=42)
        _joblib(model.fit(x, y), path)


def _column_pipeline(path: Path) -> None:
    import numpy as np
    import pandas as pd  # type: ignore[import-untyped]
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(43)
    frame = pd.DataFrame({"age": rng.integers(18, 90, 600), "income": rng.normal(5e4, 1e4, 600),
                          "city": rng.choice(["oslo", "lima", "pune", "kyiv"], 600),
                          "plan": rng.choice(["free", "pro"], 600)})
    target = (frame["income"] > 5e4).astype(int)
    prep = ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                              ("cat", OneHotEncoder(), ["city", "plan"])])
    model = Pipeline([("prep", prep), ("clf", LogisticRegression(C=0.5))])
    _joblib(model.fit(frame, target), path)


def _kmeans(path: Path) -> None:
    from sklearn.cluster import KMeans

    x, _ = _regression(800, 6, 44)
    _joblib(KMeans(n_clusters=7, n_init=3, random_state=44).fit(x), path)


def _logistic_pickle(path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    x, y = _classification(600, 15, 4, 45)
    _pickle(LogisticRegression(max_iter=300).fit(x, y), path)


ENTRIES: tuple[Entry, ...] = (
    Entry("rf-regressor-200.joblib", "large", _random_forest_regressor),
    Entry("extra-trees-300x5.joblib", "large", _extra_trees_classifier),
    Entry("gbc-300x3.joblib", "large", _gradient_boosting),
    Entry("isolation-forest-500.joblib", "large", _isolation_forest),
    Entry("bagging-trees-200.joblib", "large", _bagging),
    Entry("hist-gbc-600x3.joblib", "large", _hist_gradient_boosting),
    Entry("rf-protocol5.pkl", "large", _forest_protocol5),
    *(Entry(f"forest200x3-{m}.joblib", "compressed", _compressed(m))
      for m in ("zlib", "gzip", "bz2", "lzma", "xz")),
    Entry("count-vectorizer-300k.pkl", "dict", _count_vectorizer),
    Entry("tfidf-300k-p5.pkl", "dict", _tfidf_vectorizer),
    Entry("dict-vectorizer-100k.pkl", "dict", _dict_vectorizer),
    Entry("onehot-3x10k.pkl", "dict", _one_hot),
    Entry("random-search-1500.pkl", "dict", _randomized_search),
    Entry("label-encoder-500k.pkl", "dict", _label_encoder),
    Entry("svc.joblib", "small", _svc),
    Entry("mlp.joblib", "small", _mlp),
    Entry("column-pipeline.joblib", "small", _column_pipeline),
    Entry("kmeans.joblib", "small", _kmeans),
    Entry("logreg.pkl", "small", _logistic_pickle),
)


def build_all(folder: Path, entries: list[Entry], force: bool) -> None:
    """Write every missing (or, with ``force``, every) file, printing one line per file."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        path = folder / entry.name
        start = time.perf_counter()
        if force or not path.exists():
            partial = path.with_name(path.name + ".partial")
            entry.build(partial)
            partial.replace(path)
            took = f"built in {time.perf_counter() - start:.0f} s"
        else:
            took = "already there"
        print(f"{entry.name:32} {entry.kind:10} {path.stat().st_size / 1e6:9.2f} MB  {took}",
              flush=True)


def file_args(folder: Path, entries: list[Entry]) -> str:
    """The ``floors.py --file KIND=PATH`` arguments of the files present in ``folder``."""
    return " ".join(f"--file {e.kind}={folder / e.name}" for e in entries
                    if (folder / e.name).exists())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_DIR,
                        help=f"where to write the corpus (default {DEFAULT_DIR})")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="only the entries whose file name starts with one of these")
    parser.add_argument("--force", action="store_true", help="rebuild files already there")
    parser.add_argument("--file-args", action="store_true",
                        help="print floors.py's --file arguments for the files present; no build")
    args = parser.parse_args(argv)
    entries = [e for e in ENTRIES if not args.only or e.name.startswith(tuple(args.only))]
    if args.only and not entries:
        parser.error(f"no entry matches {args.only}; names: {[e.name for e in ENTRIES]}")
    if args.file_args:
        print(file_args(args.folder, entries))
        return 0
    build_all(args.folder, entries, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
