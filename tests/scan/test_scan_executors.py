"""``hpinspect.scan`` on a real dask.distributed cluster and over fsspec URLs (no mocks).

The cluster is a ``LocalCluster`` of two worker processes; the HTTP test serves a folder from
``http.server`` on 127.0.0.1 and scans it through fsspec's HTTP filesystem.
"""

from __future__ import annotations

import functools
import http.server
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hpinspect
from hpinspect.render.json import report_doc
from hpinspect.scan import Kind


@pytest.fixture
def small_folder(tmp_path: Path, logreg: Any, xy: tuple[Any, Any]) -> Path:
    import joblib
    from sklearn.tree import DecisionTreeClassifier

    folder = tmp_path / "models"
    (folder / "sub").mkdir(parents=True)
    joblib.dump(logreg, folder / "logreg.joblib")
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(*xy)
    with open(folder / "sub" / "tree.pkl", "wb") as handle:
        pickle.dump(tree, handle)
    (folder / "notes.txt").write_text("trained on 2026-11-30\n", encoding="utf-8")
    return folder


def _summary(result: hpinspect.scan.ScanResult) -> list[tuple[str, str, str]]:
    return [(Path(e.path).name, e.kind.value,
             e.report.model.class_name if e.report else e.detail) for e in result.entries]


def test_dask_localcluster_executor(small_folder: Path) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        result = hpinspect.scan([small_folder], executor=client.get_executor())
        workers = client.run(lambda: __import__("os").getpid())
    assert len(workers) == 2
    expected = hpinspect.scan([small_folder], jobs=1)
    assert _summary(result) == _summary(expected)
    assert [report_doc(r) for r in result.reports] == [report_doc(r) for r in expected.reports]
    assert result.counts() == {"model": 2, "other": 1, "broken": 0, "skipped": 0}


def test_file_url_is_the_local_folder(small_folder: Path) -> None:
    result = hpinspect.scan([small_folder.as_uri()], jobs=1)
    assert _summary(result) == _summary(hpinspect.scan([small_folder], jobs=1))


@pytest.fixture
def http_root(small_folder: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(small_folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_url_through_fsspec(http_root: str, small_folder: Path) -> None:
    result = hpinspect.scan([f"{http_root}/"], jobs=2)
    by_name = {Path(e.path).name: e for e in result.entries}
    assert by_name["logreg.joblib"].kind is Kind.MODEL
    assert by_name["tree.pkl"].kind is Kind.MODEL
    assert by_name["notes.txt"].kind is Kind.OTHER
    report = by_name["logreg.joblib"].report
    assert report.file.path == f"{http_root}/logreg.joblib"
    local = hpinspect.inspect_file(small_folder / "logreg.joblib")
    assert report.file.sha256 == local.file.sha256
    assert report_doc(report)["model"] == report_doc(local)["model"]


def test_missing_url_is_broken(http_root: str) -> None:
    result = hpinspect.scan([f"{http_root}/nothing-here.pkl"], jobs=1)
    assert [e.kind for e in result.entries] == [Kind.BROKEN]
