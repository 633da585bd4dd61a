"""A joblib file read both ways: different objects for joblib.load and pickle.load is a finding.

The decoy is built here from a real ``joblib.dump``: the alignment padding before an array's
bytes is rewritten so that the padding and the array bytes are also valid pickle opcodes.
``joblib.load`` reads them as array data; ``pickle.load`` runs them. Both finish, with
different objects -- which the real loaders confirm in this test.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import joblib
import numpy as np

from hpinspect.load import read_model
from hpinspect.report import Severity, Verdict


def _decoy(tmp_path: Path) -> Path:
    source = tmp_path / "plain.joblib"
    joblib.dump([np.array([75, 7], dtype=np.uint8), 1], source, protocol=2)
    raw = source.read_bytes()
    found = re.search(rb"([\x00-\x10])(\xff*)K\x07", raw)  # padding length, padding, data
    assert found is not None
    # padding length 78 ('N') and 78 padding bytes 'N': NONE opcodes for pickle.load;
    # the array bytes 'K\x07' are BININT1 7.
    path = tmp_path / "decoy.joblib"
    path.write_bytes(raw[:found.start()] + b"N" * 79 + b"K\x07" + raw[found.end():])
    return path


def test_two_loaders_two_objects_is_a_review_finding(tmp_path: Path) -> None:
    path = _decoy(tmp_path)
    by_joblib = joblib.load(path)
    by_pickle = pickle.loads(path.read_bytes())  # benign content: joblib's own classes
    assert len(by_joblib) == 2 and by_joblib[1] == 1
    assert np.array_equal(by_joblib[0], [75, 7])
    assert len(by_pickle) == 82 and by_pickle[-2:] == [7, 1]  # wrapper, 78 x None, 7, 1

    result = read_model(path)
    assert result.safety.verdict == Verdict.REVIEW
    loaders = [f for f in result.safety.findings if f.global_name == "(loaders)"]
    assert len(loaders) == 1 and loaders[0].severity == Severity.UNKNOWN_CLASS
    assert "different content to different loaders" in loaders[0].detail
    # the report shows what joblib.load builds
    assert np.array_equal(np.asarray(result.root[0]), [75, 7]) and result.root[1] == 1


def test_benign_joblib_files_agree(tmp_path: Path, logreg: object) -> None:
    files = {
        "arrays.joblib": logreg,
        "objects.joblib": {"C": 1.0, "names": ["a", "b"], "nested": (1, 2.5, None)},
    }
    for name, value in files.items():
        for compress in (0, 3):
            path = tmp_path / f"{compress}-{name}"
            joblib.dump(value, path, compress=compress)
            result = read_model(path)
            assert result.safety.verdict == Verdict.SAFE, (path, result.safety.findings)
            assert all(f.global_name != "(loaders)" for f in result.safety.findings)
    # a pickle-only file written by joblib with no arrays reads the same both ways
    path = tmp_path / "objects-p4.joblib"
    joblib.dump(files["objects.joblib"], path, protocol=4)
    assert joblib.load(path) == pickle.loads(path.read_bytes())
    assert read_model(path).safety.findings == ()
