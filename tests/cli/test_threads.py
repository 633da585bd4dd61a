"""The command line caps BLAS/OpenMP pools at one thread unless the user chose otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hpinspect.threads import POOL_VARIABLES, limit_thread_pools

PROBE = (
    "import json, sys\n"
    "from hpinspect.threads import limit_thread_pools\n"
    "limit_thread_pools()\n"
    "import numpy\n"
    "from threadpoolctl import threadpool_info\n"
    "print(json.dumps([p['num_threads'] for p in threadpool_info()]))\n"
)


def _pools(env: dict[str, str]) -> list[int]:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, check=True)
    pools: list[int] = json.loads(proc.stdout)
    return pools


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in POOL_VARIABLES}


def test_unset_variables_become_one_and_set_ones_are_kept() -> None:
    env = {"OMP_NUM_THREADS": "3"}
    done = limit_thread_pools(env)
    assert env["OMP_NUM_THREADS"] == "3" and "OMP_NUM_THREADS" not in done
    assert all(env[name] == "1" for name in POOL_VARIABLES if name != "OMP_NUM_THREADS")


def test_numpy_pools_are_single_threaded_after_the_cap() -> None:
    pools = _pools(_clean_env())
    assert pools and all(n == 1 for n in pools)


def test_a_users_choice_wins() -> None:
    env = _clean_env() | {name: "2" for name in POOL_VARIABLES}
    assert 2 in _pools(env)


def test_the_cli_applies_the_cap_before_numpy() -> None:
    code = ("import sys, os\nfrom hpinspect import cli\n"
            "try:\n    cli.main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(os.environ['OPENBLAS_NUM_THREADS'], 'numpy' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_clean_env(), check=True)
    assert proc.stdout.split()[-2:] == ["1", "False"]
