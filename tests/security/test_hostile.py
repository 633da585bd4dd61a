"""Hostile corpus: every payload really fires under a plain load, and hpinspect flags it
without firing it.

The corpus is generated in ``tmp_path`` by :mod:`hostile_corpus`; no hostile file is ever
committed. For each technique:

* ``test_payload_fires_under_plain_load`` loads the file with ``joblib.load`` / ``pickle.load``
  in a subprocess and checks that the canary file was created (``canary`` plus the technique's
  ``canary_suffix``, e.g. ``.npz`` for numpy.savez) -- or, for destructive gadgets, that the
  prepared canary directory was deleted (proving the payload is real);
* ``test_hpinspect_flags_without_executing`` runs ``python -m hpinspect --format json`` on a
  fresh copy and checks that the canary was NOT touched, exit code 3, an ``unsafe`` verdict
  and a ``dangerous`` finding (a few techniques also accept ``unknown call``) for one of the
  technique's globals.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hostile_corpus import TECHNIQUES, Technique  # tests/ is on sys.path, like helpers

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBPROCESS_TIMEOUT = 120.0
EXIT_DANGEROUS = 3

_LOAD_SCRIPTS: dict[str, str] = {
    "joblib": "import sys\nimport joblib\njoblib.load(sys.argv[1])\n",
    "pickle": "import pickle, sys\nwith open(sys.argv[1], 'rb') as fh:\n    pickle.load(fh)\n",
}

PRECIOUS = "precious.txt"
REQUIRED_COMPRESSIONS = frozenset({"zlib", "gzip", "bz2", "xz", "lzma", "lz4"})


@dataclass(frozen=True)
class Built:
    technique: Technique
    path: Path
    canary: Path


@pytest.fixture(params=TECHNIQUES, ids=[t.name for t in TECHNIQUES])
def built(request: pytest.FixtureRequest, tmp_path: Path) -> Built:
    technique: Technique = request.param
    canary = tmp_path / "canary"
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    path = technique.build(corpus_dir, canary)
    assert path.is_file()
    assert not canary.exists(), "building the hostile file must not run its payload"
    assert not technique.created(canary).exists(), "building must not run the payload"
    if technique.effect == "delete":
        canary.mkdir()
        (canary / PRECIOUS).write_text("must survive inspection\n", encoding="utf-8")
    return Built(technique, path, canary)


def _payload_fired(built: Built) -> bool:
    if built.technique.effect == "delete":
        return not built.canary.exists()
    return built.technique.created(built.canary).exists()


def _tail(text: str, limit: int = 3000) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]


def _describe(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"exit code: {result.returncode}\n"
        f"--- stdout ---\n{_tail(result.stdout)}\n"
        f"--- stderr ---\n{_tail(result.stderr)}"
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hpinspect_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def test_registry_covers_the_brief() -> None:
    names = [t.name for t in TECHNIQUES]
    assert len(names) == len(set(names)), "technique names must be unique"
    assert len(names) >= 25
    assert {t.compression for t in TECHNIQUES} >= REQUIRED_COMPRESSIONS
    assert {t.loader for t in TECHNIQUES} == {"joblib", "pickle"}
    for technique in TECHNIQUES:
        assert technique.expected_globals, technique.name
        assert set(technique.severities) <= {"dangerous", "unknown call"}, technique.name
        assert all("." in name for name in technique.expected_globals), technique.name


def test_payload_fires_under_plain_load(built: Built) -> None:
    """The payload is real: a plain load creates (or deletes) the canary.

    Exceptions raised by the load after the payload ran are fine.
    """
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPTS[built.technique.loader], str(built.path)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        cwd=built.path.parent,
        check=False,
    )
    assert _payload_fired(built), (
        f"{built.technique.name}: {built.technique.loader}.load did not fire the payload\n"
        + _describe(result)
    )
    created = built.technique.created(built.canary)
    if created.is_dir():  # a few write primitives create a directory
        shutil.rmtree(created)
    elif created.exists():
        created.unlink()


def test_hpinspect_flags_without_executing(built: Built) -> None:
    """hpinspect reports the dangerous global, exits 3, and never runs the payload."""
    technique = built.technique
    digest_before = _sha256(built.path)
    result = subprocess.run(
        [sys.executable, "-m", "hpinspect", "--format", "json", str(built.path)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        cwd=built.path.parent,
        env=_hpinspect_env(),
        check=False,
    )
    details = _describe(result)
    assert not _payload_fired(built), f"hpinspect EXECUTED the payload!\n{details}"
    if technique.effect == "delete":
        assert (built.canary / PRECIOUS).exists(), f"hpinspect deleted files!\n{details}"
    assert _sha256(built.path) == digest_before, "hpinspect modified the inspected file"

    try:
        doc: Any = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"stdout is not JSON ({exc})\n{details}")
    # On failure show what matters: exit code, the file and safety sections, stderr.
    summary = (
        f"{technique.name} ({technique.description})\nexit code: {result.returncode}\n"
        f"file: {json.dumps(doc.get('file'))}\n"
        f"safety: {json.dumps(doc.get('safety'), indent=1)}\n"
        f"--- stderr ---\n{_tail(result.stderr)}"
    )
    assert result.returncode == EXIT_DANGEROUS, summary
    assert doc["safety"]["verdict"] == "unsafe", summary

    findings: list[dict[str, Any]] = doc["safety"]["findings"]
    hits = [
        f
        for f in findings
        if f.get("global") in technique.expected_globals
        and f.get("severity") in technique.severities
    ]
    assert hits, (
        f"no {'/'.join(technique.severities)} finding for any of "
        f"{technique.expected_globals}\n{summary}"
    )

    if technique.compression is not None:
        assert doc["file"]["compression"] == technique.compression, summary
