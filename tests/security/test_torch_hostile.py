"""Hostile torch files (legacy multi-pickle, zip, rebuild-function abuse), zip-slip, zip bombs.

Every hostile file is built here; a subprocess proves with a canary file that the payload is
real under ``torch.load(weights_only=False)``, and hpinspect must report it unsafe (exit 3)
without the canary appearing.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from helpers import run_cli
from hostile_corpus import (  # tests/ is on sys.path; the sweep builds these files too
    build_torch_legacy_payload,
    build_torch_rebuild_abuse,
    build_torch_short_storage,
    build_torch_zip_payload,
    build_zip_slip,
)


def torch_load_runs_payload(path: Path, canary: Path) -> bool:
    """Whether a real ``torch.load(weights_only=False)`` touches the canary (subprocess)."""
    code = ("import sys, torch\n"
            "try:\n    torch.load(sys.argv[1], weights_only=False)\n"
            "except Exception:\n    pass\n")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120,
                   capture_output=True)
    ran = canary.exists()
    if ran:
        canary.unlink()
    return ran


def assert_unsafe_without_running(path: Path, canary: Path, culprit: str) -> None:
    proc = run_cli("--format", "json", str(path))
    assert proc.returncode == 3, proc.stderr
    assert not canary.exists()
    assert culprit in proc.stdout and '"verdict": "unsafe"' in proc.stdout


@pytest.mark.parametrize("position", [2, 3, 4])
def test_legacy_payload_in_any_pickle(tmp_path: Path, position: int) -> None:
    canary = tmp_path / "canary"
    path = build_torch_legacy_payload(position)(tmp_path, canary)
    assert torch_load_runs_payload(path, canary)
    assert_unsafe_without_running(path, canary, "system")


def test_zip_checkpoint_with_payload(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = build_torch_zip_payload(tmp_path, canary)
    assert torch_load_runs_payload(path, canary)
    assert_unsafe_without_running(path, canary, "system")


def test_rebuild_from_type_with_a_foreign_function(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = build_torch_rebuild_abuse(tmp_path, canary)
    assert torch_load_runs_payload(path, canary)
    assert_unsafe_without_running(path, canary, "system")


def test_weights_only_allowlist_is_known_not_unsafe(tmp_path: Path) -> None:
    path = tmp_path / "plain.pt"
    torch.save({"w": torch.randn(3, 3), "n": torch.nn.Parameter(torch.ones(2)),
                "s": torch.eye(2).to_sparse(), "size": torch.Size([2, 3])}, path)
    torch.load(path, weights_only=True)  # torch itself accepts every global in it
    proc = run_cli("--format", "json", str(path))
    assert proc.returncode == 0 and '"verdict": "safe"' in proc.stdout


def test_zip_slip_member_is_a_finding(tmp_path: Path) -> None:
    path = build_zip_slip(tmp_path, tmp_path / "canary")
    proc = run_cli("--format", "json", str(path))
    assert proc.returncode == 3
    assert "zip-slip" in proc.stdout
    assert not (tmp_path.parent / "outside.pkl").exists()


def test_zip_bomb_member_hits_the_byte_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.pkl", pickle.dumps(bytes(64 << 20), protocol=4))
    assert path.stat().st_size < 1 << 20
    proc = run_cli("--max-bytes", str(16 << 20), str(path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert "budget" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_storage_shorter_than_its_tensor(tmp_path: Path) -> None:
    bad = build_torch_short_storage(tmp_path, tmp_path / "canary")
    proc = run_cli(str(bad))
    assert proc.returncode == 2 and proc.stdout == ""
    assert "storage" in proc.stderr and "Traceback" not in proc.stderr
