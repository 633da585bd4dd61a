"""Long differential run: seeded mutations of real model files, hpinspect vs the real loaders.

Usage: ``python scripts/fidelity_long.py [N] [SEED]`` (default 40,000 cases). Builds benign
model files; one case in four is a byte mutation of one of them, the others are opcode-grammar
streams (frames, EXT codes with and without copyreg registrations, NEWOBJ_EX, persistent ids,
memo games, mid-stream PROTO, Python 2 names, one to five concatenated pickles, truncated
endings; every eighth a joblib object array whose nested pickle is a grammar stream). Asks the
oracle (``tests/security/oracle.py``: CPython's C
unpickler and the real ``joblib.load`` with a ``find_class`` that imports nothing) in batches,
and compares with hpinspect's findings (the checks of ``tests/security/test_differential.py``).
Prints the case count and the first divergence, if any, and exits 1 on a divergence.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "security"), str(REPO)]

BATCH = 500


def main(argv: list[str]) -> int:
    """Run ``argv[0]`` cases (default 20,000) with seed ``argv[1]``."""
    import pickle
    import resource
    import time

    import joblib
    from hostile_corpus import fresh_model

    # hpinspect reads the cases in this process: a case that exhausted memory would take the
    # (shared) machine with it; here it fails with MemoryError, which hpinspect reports.
    resource.setrlimit(resource.RLIMIT_AS, (12 << 30, 12 << 30))

    from test_differential import (
        _check,
        extensions,
        grammar_stream,
        joblib_nested_stream,
        mutate,
        oracle,
    )

    total = int(argv[0]) if argv else 40_000
    started = time.monotonic()
    counts = {"grammar": 0, "nested": 0, "mutation": 0}
    rng = random.Random(int(argv[1]) if len(argv) > 1 else 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sources: list[bytes] = []
        for kind in ("logreg", "pipeline", "forest"):
            model = fresh_model(kind)  # type: ignore[arg-type]
            sources += [pickle.dumps(model, protocol=p) for p in (0, 2, 4, 5)]
            joblib.dump(model, root / "m.joblib")
            sources.append((root / "m.joblib").read_bytes())
        done = 0
        while done < total:
            paths = []
            for i in range(min(BATCH, total - done)):
                kind = ("mutation" if i % 4 == 0 else "nested" if i % 8 == 1 else "grammar")
                path = root / f"case{i}{'.pkl' if kind == 'grammar' and i % 3 else '.joblib'}"
                path.write_bytes(mutate(rng.choice(sources), rng) if kind == "mutation" else
                                 joblib_nested_stream(rng) if kind == "nested" else
                                 grammar_stream(rng))
                paths.append((path, kind))
            answers = oracle([p for p, _ in paths])
            with extensions():
                for path, kind in paths:
                    answer = answers.get(str(path))
                    divergence = _check(path, answer) if answer else None
                    if divergence:
                        keep = REPO / f"fidelity-divergence{path.suffix}"
                        keep.write_bytes(path.read_bytes())
                        print(f"divergence after {done} cases: {divergence} (saved {keep})")
                        return 1
                    counts[kind] += 1
                    done += 1
            print(f"{done:,} cases ({counts}), no divergence, "
                  f"{time.monotonic() - started:,.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
