"""``hpinspect.scan`` on a mixed folder: every path accounted for, verdicts, parallel = serial.

The hostile file's payload is proven real under a plain ``pickle.load`` in a subprocess (the
canary appears), and the scan is proven not to run it (the canary stays absent).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mixed_folder import Mixed, build_mixed_in_subprocess

import hpinspect
from hpinspect.render.json import report_doc
from hpinspect.scan import Kind, ScanResult, chunk_sizes


@pytest.fixture
def mixed(tmp_path: Path, hostile: tuple[Path, Path]) -> Mixed:
    return build_mixed_in_subprocess(tmp_path, hostile)


def _by_rel(result: ScanResult, root: Path) -> dict[str, Any]:
    return {str(Path(e.path).relative_to(root)).replace("\\", "/"): e for e in result.entries}


def _docs(result: ScanResult) -> list[dict[str, Any]]:
    return [report_doc(r) for r in result.reports]


def test_every_path_is_accounted_for(mixed: Mixed) -> None:
    result = hpinspect.scan([mixed.root], jobs=2)
    entries = _by_rel(result, mixed.root)
    verdicts = {rel: e.report.safety.verdict for rel, e in entries.items()
                if e.kind is Kind.MODEL}
    assert verdicts == mixed.models
    assert {rel for rel, e in entries.items() if e.kind is Kind.OTHER} == set(mixed.others)
    assert {rel for rel, e in entries.items() if e.kind is Kind.BROKEN} == set(mixed.broken)
    assert {rel for rel, e in entries.items() if e.kind is Kind.SKIPPED} == set(mixed.skipped)
    assert result.counts() == {"model": len(mixed.models), "other": len(mixed.others),
                               "broken": len(mixed.broken), "skipped": len(mixed.skipped)}
    assert result.unsafe and result.broken
    assert not mixed.canary.exists()
    # an MLflow folder is one model: its files are not walked one by one
    assert not any(rel.startswith("mlflow-pickle/") for rel in entries)
    assert entries["mlflow-skops"].report.file.format == "mlflow"
    assert entries["team-a/pipe.skops"].report.file.format == "skops"
    assert "truncated" in entries["team-a/truncated.joblib"].detail
    assert "zip" in entries["team-a/corrupt.skops"].detail


def test_the_hostile_payload_is_real_under_a_plain_load(mixed: Mixed) -> None:
    target = mixed.root / "incoming" / "model.bin"
    subprocess.run([sys.executable, "-c",
                    "import pickle,sys; pickle.load(open(sys.argv[1],'rb'))", str(target)],
                   capture_output=True, timeout=120, check=False, cwd=target.parent)
    assert mixed.canary.exists()
    mixed.canary.unlink()
    result = hpinspect.scan([target], jobs=1)
    assert result.reports[0].safety.verdict == "unsafe"
    assert any(f.global_name in ("posix.system", "os.system")
               for f in result.reports[0].safety.findings)
    assert not mixed.canary.exists()


def test_parallel_equals_serial(mixed: Mixed) -> None:
    serial = hpinspect.scan([mixed.root], jobs=1)
    parallel = hpinspect.scan([mixed.root], jobs=2)
    assert [(e.path, e.kind, e.detail) for e in serial.entries] == \
        [(e.path, e.kind, e.detail) for e in parallel.entries]
    assert _docs(serial) == _docs(parallel)


def test_reports_match_inspect_file(mixed: Mixed) -> None:
    result = hpinspect.scan([mixed.root / "logreg.joblib", mixed.root / "team-a"], jobs=2)
    by_path = {r.file.path: r for r in result.reports}
    for path, report in by_path.items():
        assert report_doc(report) == report_doc(hpinspect.inspect_file(path)), path


def test_exclude_and_max_files(mixed: Mixed) -> None:
    result = hpinspect.scan([mixed.root], jobs=1, exclude=["docs", "*.skops", "incoming/*"])
    rels = set(_by_rel(result, mixed.root))
    assert not any(r.startswith(("docs/", "incoming/")) or r.endswith(".skops") for r in rels)
    assert "logreg.joblib" in rels and "team-a/forest.z" in rels
    capped = hpinspect.scan([mixed.root], jobs=1, max_files=3)
    assert capped.truncated
    counts = capped.counts()
    assert counts["model"] + counts["other"] + counts["broken"] == 3
    full = hpinspect.scan([mixed.root], jobs=1)
    assert len(capped.entries) == len(full.entries)  # the rest is counted as skipped


def test_progress_is_called_with_every_file(mixed: Mixed) -> None:
    seen: list[tuple[int, int]] = []
    result = hpinspect.scan([mixed.root], jobs=2, progress=lambda d, t: seen.append((d, t)))
    total = sum(1 for e in result.entries if e.kind is not Kind.SKIPPED)
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_any_executor_runs_the_chunks(mixed: Mixed) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        threaded = hpinspect.scan([mixed.root], executor=pool)
    assert _docs(threaded) == _docs(hpinspect.scan([mixed.root], jobs=1))


def test_missing_path_is_broken_not_fatal(tmp_path: Path, mixed: Mixed) -> None:
    result = hpinspect.scan([tmp_path / "nope", mixed.root / "logreg.joblib"], jobs=1)
    assert [e.kind for e in result.entries] == [Kind.BROKEN, Kind.MODEL]


def test_chunks_are_bounded_and_shrink_towards_the_end() -> None:
    sizes = chunk_sizes(1000, 2)
    assert sum(sizes) == 1000
    assert max(sizes) == 64 and sizes[0] == 64
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-1] <= 2 and min(sizes[:-1]) == 2
    assert chunk_sizes(10, 2) == [2, 2, 2, 2, 2]
    assert chunk_sizes(3, 2) == [2, 1]
    assert chunk_sizes(0, 2) == []
