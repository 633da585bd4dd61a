"""Large arrays are summarised only when asked: skipped while reading plain joblib files and
read again, or held where the pickle put their bytes.

Every file here is a real ``joblib.dump`` or ``pickle.dump``. The same objects dumped with
zlib are read the old way (their bytes streamed through statistics as they are decompressed),
so each statistic read again from an uncompressed file can be compared with the streamed one
exactly; pickled arrays are compared with the statistics of what a real load gives.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

from hpinspect import inspect_file, report_of
from hpinspect.errors import CorruptFileError, FileAccessError
from hpinspect.load import ArrayStub, read_model
from hpinspect.load.arrays import ArrayStats, compute_stats
from hpinspect.load.regions import FileRegion, MemoryRegion


def _same(a: ArrayStats, b: ArrayStats) -> bool:
    """Equal statistics, NaN equal to NaN (a field of infinities of both signs has a NaN
    mean), fields compared the same way."""
    for field in dataclasses.fields(ArrayStats):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if field.name == "fields":
            if x.keys() != y.keys() or not all(_same(x[k], y[k]) for k in x):
                return False
        elif not (x == y or (isinstance(x, float) and isinstance(y, float) and
                             math.isnan(x) and math.isnan(y))):
            return False
    return True


def _records(n: int, seed: int) -> np.ndarray[Any, Any]:
    """A structured array like a tree's nodes, with NaNs, infinities of both signs, zeros
    and negatives, and a field not aligned to its own size."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype({"names": ["left", "right", "threshold", "flag", "weight", "odd"],
                      "formats": ["<i8", "<i8", "<f8", "u1", "<f4", "<i4"],
                      "offsets": [0, 8, 16, 24, 25, 29], "itemsize": 40})
    out = np.zeros(n, dtype)
    out["left"] = rng.integers(-1, 50, n)
    out["right"] = rng.integers(-3, 50, n)
    out["threshold"] = rng.normal(size=n)
    out["threshold"][::97] = np.nan
    out["flag"] = rng.integers(0, 2, n)
    out["weight"] = rng.normal(size=n).astype(np.float32)
    out["weight"][5] = np.inf
    out["weight"][9] = -np.inf
    out["odd"] = rng.integers(-5, 5, n)
    return out


def _values(seed: int) -> dict[str, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(seed)
    return {
        "nodes": _records(30_000, seed),
        "big_nodes": _records(300_000, seed + 1),  # 12 MB: more than one read chunk
        "floats": rng.normal(size=(400, 300)),
        "fortran": np.asfortranarray(rng.integers(-9, 9, size=(300, 200))),
        "halves": rng.normal(size=100_000).astype(np.float16),
        "bools": rng.integers(0, 2, 200_000).astype(bool),
    }


def _dump_both(tmp_path: Path, value: Any) -> tuple[Path, Path]:
    plain, packed = tmp_path / "plain.joblib", tmp_path / "packed.joblib"
    joblib.dump(value, plain)
    joblib.dump(value, packed, compress=("zlib", 3))
    return plain, packed


def test_stats_read_again_equal_the_streamed_ones(tmp_path: Path) -> None:
    values = _values(0)
    plain, packed = _dump_both(tmp_path, values)
    again, streamed = read_model(plain).root, read_model(packed).root
    real = joblib.load(plain)
    for name in values:
        lazy, eager = again[name], streamed[name]
        assert isinstance(lazy, ArrayStub) and isinstance(lazy.summary, FileRegion), name
        assert isinstance(eager, ArrayStub) and isinstance(eager.summary, ArrayStats), name
        assert lazy.shape == real[name].shape and lazy.dtype == real[name].dtype
        assert lazy.fortran_order == (not real[name].flags.c_contiguous)
        assert lazy.nbytes == real[name].nbytes == eager.nbytes
        assert _same(lazy.stats, eager.stats), name
        truth = compute_stats(real[name])  # the values joblib.load gives
        assert lazy.stats.count == truth.count and lazy.stats.nans == truth.nans
        assert lazy.stats.zeros == truth.zeros and lazy.stats.negatives == truth.negatives
        assert lazy.stats.min == truth.min and lazy.stats.max == truth.max
        assert lazy.stats.fields.keys() == truth.fields.keys()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_field_read_alone_equals_the_whole_summary(tmp_path: Path, seed: int) -> None:
    values = _values(seed)
    plain, packed = _dump_both(tmp_path, {"nodes": values["nodes"],
                                          "big_nodes": values["big_nodes"]})
    for name in ("nodes", "big_nodes"):
        eager = read_model(packed).root[name].stats
        counted = read_model(plain).root[name]  # negatives counted alone, nothing else read
        for field in values[name].dtype.names:
            assert counted.field_negatives(field) == eager.fields[field].negatives, field
        assert "stats" not in counted.__dict__ and not counted._fields_read
        assert counted.field_negatives("no such field") is None
        lazy = read_model(plain).root[name]
        for field in values[name].dtype.names:
            alone = lazy.field_stats(field)
            assert alone is not None and _same(alone, eager.fields[field]), (name, field)
            assert lazy.field_stats(field) is alone  # read once
            assert lazy.field_negatives(field) == alone.negatives
        assert "stats" not in lazy.__dict__  # the whole was never summarised
        assert _same(lazy.stats, eager)
        assert lazy.field_stats("threshold") is lazy.stats.fields["threshold"]
        assert lazy.field_stats("no such field") is None
        assert all(lazy.field_negatives(f) == lazy.stats.fields[f].negatives
                   for f in lazy.stats.fields)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickled_arrays_are_summarised_from_the_bytes_held(tmp_path: Path,
                                                           protocol: int) -> None:
    values = _values(protocol)
    path = tmp_path / "values.pkl"
    path.write_bytes(pickle.dumps(values, protocol=protocol))
    real = pickle.loads(path.read_bytes())  # numpy arrays only: nothing runs
    held = read_model(path).root
    for name in values:
        stub = held[name]
        assert isinstance(stub, ArrayStub) and isinstance(stub.summary, MemoryRegion), name
        assert stub.shape == real[name].shape and stub.nbytes == real[name].nbytes
        truth = compute_stats(real[name])
        for field in real[name].dtype.names or ():
            assert stub.field_negatives(field) == truth.fields[field].negatives, (name, field)
            alone = stub.field_stats(field)
            assert alone is not None and _same(alone, truth.fields[field]), (name, field)
            assert alone.negatives == int(np.count_nonzero(real[name][field] < 0))
        assert _same(stub.stats, truth), name


def test_forest_leaves_come_from_the_nodes_read_again(tmp_path: Path) -> None:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    x, y = make_classification(n_samples=12_000, n_features=12, flip_y=0.3, random_state=4)
    forest = RandomForestClassifier(n_estimators=12, random_state=4, n_jobs=1).fit(x, y)
    plain, packed = _dump_both(tmp_path, forest)
    loaded = read_model(plain)
    trees = loaded.root.attrs["estimators_"]
    nodes = [tree.attrs["tree_"].attrs["nodes"] for tree in trees]
    assert all(isinstance(n, ArrayStub) and isinstance(n.summary, FileRegion) for n in nodes)
    report = report_of(loaded)
    assert not any("stats" in n.__dict__ for n in nodes)  # only left_child was read
    (group,) = [g for g in report.model.groups if g.attribute == "estimators_"]
    real = [t.tree_.n_leaves for t in forest.estimators_]
    leaves = group.stats["leaves"]
    assert (leaves["min"], leaves["max"], leaves["total"]) == (min(real), max(real), sum(real))
    members = [c for c in report_of(read_model(plain), expand_members=True).model.children
               if c.class_name.endswith("DecisionTreeClassifier") and c.fitted]
    assert [next(a.value for a in c.attributes if a.name == "tree_") for c in members] == [
        {"node_count": t.tree_.node_count, "max_depth": t.tree_.max_depth,
         "leaves": t.tree_.n_leaves} for t in forest.estimators_]
    assert inspect_file(packed).model.groups == report.model.groups
    pickled = tmp_path / "forest.pkl"
    pickled.write_bytes(pickle.dumps(forest, protocol=5))
    assert inspect_file(pickled).model.groups == report.model.groups


def test_a_file_rewritten_after_a_first_re_read_is_an_error_too(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump({"nodes": _records(30_000, 5), "w": np.arange(100_000.0)}, path)
    loaded = read_model(path)
    nodes, weights = loaded.root["nodes"], loaded.root["w"]
    assert nodes.field_stats("left") is not None  # the file is open for re-reads now
    with open(path, "r+b") as handle:  # the same inode, rewritten in place
        handle.seek(-8, os.SEEK_END)
        handle.write(b"\xff" * 8)
    os.utime(path, ns=(2, 2))
    with pytest.raises(FileAccessError, match="changed while it was being read"):
        weights.stats  # noqa: B018


def test_a_file_changed_after_reading_is_an_error_not_a_wrong_report(tmp_path: Path) -> None:
    values = {"w": np.arange(100_000.0)}
    path = tmp_path / "model.joblib"
    joblib.dump(values, path)
    loaded = read_model(path)
    joblib.dump({"w": -np.arange(100_000.0)}, path)  # same size, other bytes
    os.utime(path, ns=(1, 1))
    with pytest.raises(FileAccessError) as caught:
        report_of(loaded)
    assert str(path) in str(caught.value) and "changed" in str(caught.value)


def test_a_file_cut_inside_a_skipped_array_breaks_where_joblib_does(tmp_path: Path) -> None:
    whole, _ = _dump_both(tmp_path, {"w": np.arange(300_000.0), "after": 1})
    data = whole.read_bytes()
    cut = tmp_path / "cut.joblib"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(Exception, match="EOF"):  # the real load
        joblib.load(cut)
    with pytest.raises(CorruptFileError) as caught:
        inspect_file(cut)
    assert f"breaks before byte {len(data) // 2:,}: " in str(caught.value)
    assert "EOF: reading array data" in str(caught.value)


@pytest.mark.parametrize("key", [np.arange(100_000.0), np.array([1, "a", None], dtype=object),
                                 np.arange(3)], ids=["large", "object", "small"])
def test_arrays_as_dict_keys_fail_as_a_real_load_fails(tmp_path: Path,
                                                       key: np.ndarray[Any, Any]) -> None:
    body = pickle.dumps(key, protocol=4)
    path = tmp_path / "key.pkl"
    path.write_bytes(b"\x80\x04}" + body[2:-1] + b"K\x01s.")  # {array: 1}
    with pytest.raises(TypeError) as real:
        pickle.loads(path.read_bytes())
    with pytest.raises(CorruptFileError) as caught:
        inspect_file(path)
    assert f"(TypeError: {real.value})" in str(caught.value)


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_files_open_for_re_reads_are_bounded_and_closed_with_their_values(
        tmp_path: Path) -> None:
    import gc

    from hpinspect.load.regions import OPEN_FILES

    paths = []
    for i in range(OPEN_FILES + 4):
        paths.append(tmp_path / f"m{i}.joblib")
        joblib.dump({"nodes": _records(10_000, i)}, paths[-1])
    gc.collect()
    before = _open_files()
    kept = []
    for path in paths:
        loaded = read_model(path)
        assert loaded.root["nodes"].field_stats("left") is not None  # opens the file
        kept.append(loaded)
        assert _open_files() - before <= OPEN_FILES
    again = kept[0].root["nodes"]  # closed to make room: opened again, still checked
    assert _same(again.stats, read_model(paths[0]).root["nodes"].stats)
    del kept, again, loaded
    gc.collect()
    assert _open_files() <= before  # (fewer if earlier tests' files were closed for room)


def test_a_kept_protocol5_array_is_a_read_only_view_of_its_bytearray(tmp_path: Path) -> None:
    """numpy pickles a writable array as a BYTEARRAY8 at protocol 5 and ``pickle.load`` makes
    the array a view of that bytearray. hpinspect's kept array is a view of it too (no copy
    of its bytes), read-only, with numpy's values, dtype and order."""
    arrays = {"w": np.arange(12, dtype=np.float64).reshape(3, 4),
              "f": np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3)),
              "s": np.zeros(3, dtype=[("a", "<u2"), ("b", "<f4")])}
    path = tmp_path / "p5.pkl"
    path.write_bytes(pickle.dumps(arrays, protocol=5))
    real = pickle.loads(path.read_bytes())
    assert not real["w"].flags.owndata  # (numpy's own reading: a view of the bytearray)
    root = read_model(path).root
    for name, want in real.items():
        got = root[name]
        assert isinstance(got, np.ndarray) and not got.flags.writeable
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.flags.f_contiguous == want.flags.f_contiguous
        assert np.array_equal(got, want)
