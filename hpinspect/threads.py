"""Thread pools: hpinspect's numeric work is elementwise and single-threaded (DESIGN §5).

OpenBLAS and OpenMP start one spinning worker per core when numpy is imported; on a 2-core
runner they only contend with the reader and the hashing thread (measured 2-4x slower in the
default environment). The command line therefore caps every pool at one thread before numpy
is imported, unless the user set a variable themselves; the library API leaves the caller's
process alone.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

POOL_VARIABLES: tuple[str, ...] = (
    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)


def limit_thread_pools(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set every pool variable the user left unset to ``1``; returns the ones it set."""
    env = os.environ if environ is None else environ
    done = {name: "1" for name in POOL_VARIABLES if not env.get(name)}
    env.update(done)
    return done
