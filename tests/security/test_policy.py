"""Severity rules on hand-written opcode streams (each a real pickle a real load would run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpinspect.load import read_model


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _newobj_helper_call(module: str, name: str) -> bytes:
    """``sklearn.neighbors._kd_tree.newObj(<module.name>)``: newObj runs cls.__new__(cls)."""
    return (b"\x80\x02" + _global("sklearn.neighbors._kd_tree", "newObj")
            + _global(module, name) + b"\x85R}b.")


@pytest.mark.parametrize(("module", "name", "verdict", "severity"), [
    ("sklearn.neighbors._kd_tree", "KDTree", "safe", "known"),
    ("numpy.lib._datasource", "DataSource", "unsafe", "dangerous"),
    ("numpy.lib._utils_impl", "Unknown", "unsafe", "unknown call"),
    ("mypackage.models", "Evil", "unsafe", "unknown call"),
])
def test_class_handed_to_a_known_helper_is_judged_as_called(
        tmp_path: Path, module: str, name: str, verdict: str, severity: str) -> None:
    path = tmp_path / "gadget.pkl"
    path.write_bytes(_newobj_helper_call(module, name))
    result = read_model(path)
    assert result.safety.verdict == verdict
    finding = next(f for f in result.safety.findings if f.global_name == f"{module}.{name}")
    assert finding.severity == severity and finding.called


def test_custom_class_instantiated_is_review(tmp_path: Path) -> None:
    path = tmp_path / "custom.pkl"
    path.write_bytes(b"\x80\x02" + _global("mypackage.models", "MyEstimator")
                     + b")\x81}X\x05\x00\x00\x00alphaG?\xe0\x00\x00\x00\x00\x00\x00sb.")
    result = read_model(path)
    assert result.safety.verdict == "review"
    assert result.root.attrs == {"alpha": 0.5}


def test_result_of_known_class_called_is_unknown_call(tmp_path: Path) -> None:
    # Parallel()(tasks): calling what a known constructor returns is a call chain.
    path = tmp_path / "chain.pkl"
    path.write_bytes(b"\x80\x02" + _global("sklearn.utils.parallel", "Parallel") + b")R"
                     + b"]\x85R.")
    result = read_model(path)
    assert result.safety.verdict == "unsafe"
    finding = next(f for f in result.safety.findings
                   if f.global_name == "sklearn.utils.parallel.Parallel")
    assert finding.severity == "unknown call"


def test_dotted_name_walking_module_attributes_is_dangerous(tmp_path: Path) -> None:
    path = tmp_path / "dotted.pkl"
    module, name = b"sklearn.pipeline", b"np.loads"
    path.write_bytes(b"\x80\x04\x8c" + bytes([len(module)]) + module + b"\x8c"
                     + bytes([len(name)]) + name + b"\x93.")
    result = read_model(path)
    assert result.safety.verdict == "unsafe"
    assert result.safety.findings[0].severity == "dangerous"


def test_nested_pickle_bytes_are_scanned(tmp_path: Path) -> None:
    import pickle

    inner = b"\x80\x02" + _global("posix", "system") + b"X\x04\x00\x00\x00true\x85R."
    path = tmp_path / "nested.pkl"
    path.write_bytes(b"\x80\x02" + _global("pickle", "loads") + pickle.dumps(inner, 2)[2:-1]
                     + b"\x85R.")
    names = {f.global_name for f in read_model(path).safety.findings}
    assert {"pickle.loads", "posix.system"} <= names
