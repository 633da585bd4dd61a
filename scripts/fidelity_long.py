"""Long differential run: seeded mutations of real model files, hpinspect vs the real loaders.

Usage: ``python scripts/fidelity_long.py [N] [SEED]`` (default 20,000 cases). Builds benign
model files, mutates them (every other case is an opcode-grammar stream instead), asks the
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

    import joblib
    from hostile_corpus import fresh_model
    from test_differential import _check, grammar_stream, mutate, oracle

    total = int(argv[0]) if argv else 20_000
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
                path = root / f"case{i}{'.joblib' if i % 8 == 1 else '.pkl'}"
                path.write_bytes(grammar_stream(rng) if i % 2 else
                                 mutate(rng.choice(sources), rng))
                paths.append(path)
            answers = oracle(paths)
            for path in paths:
                answer = answers.get(str(path))
                divergence = _check(path, answer) if answer else None
                if divergence:
                    keep = REPO / f"fidelity-divergence{path.suffix}"
                    keep.write_bytes(path.read_bytes())
                    print(f"divergence after {done} cases: {divergence} (saved {keep})")
                    return 1
                done += 1
            print(f"{done:,} cases, no divergence", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
