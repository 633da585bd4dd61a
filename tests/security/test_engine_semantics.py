"""What the CPython-unpickler engine gets right that an emulator got wrong (issue 10).

Each hostile file is built here; a canary proves the payload runs under a real load (in a
subprocess) and that nothing ran under hpinspect.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import run_cli


def _global(module: str, name: str) -> bytes:
    return f"c{module}\n{name}\n".encode()


def _str(value: str) -> bytes:
    data = value.encode()
    return b"X" + len(data).to_bytes(4, "little") + data


def _touch(canary: Path) -> bytes:
    return _global("os", "system") + b"(" + _str(f"touch {canary}") + b"tR"


def _real_load(path: Path, streams: int = 1) -> None:
    code = ("import pickle, sys\nf = open(sys.argv[1], 'rb')\n"
            f"for _ in range({streams}):\n    try:\n        pickle.load(f)\n"
            "    except Exception:\n        break\n")
    subprocess.run([sys.executable, "-c", code, str(path)], check=False, timeout=60)


def _inspect(path: Path) -> tuple[int, dict[str, object] | None]:
    proc = run_cli("--format", "json", str(path))
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else None


def _names(doc: dict[str, object] | None) -> dict[str, str]:
    assert doc is not None
    safety = doc["safety"]
    assert isinstance(safety, dict)
    return {f["global"]: f["severity"] for f in safety["findings"]}


def test_int_with_leading_zero_is_octal_as_in_cpython(tmp_path: Path) -> None:
    path = tmp_path / "octal.pkl"
    path.write_bytes(b"\x80\x02" + _global("sklearn.linear_model._logistic", "LogisticRegression")
                     + b")\x81}" + _str("max_iter") + b"I0100\nsb.")
    assert run_cli("check", "--expect", "max_iter=64", str(path)).returncode == 0
    assert run_cli("check", "--expect", "max_iter=100", str(path)).returncode == 1


def test_payload_in_a_later_stream_is_named(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = tmp_path / "streams.pkl"
    path.write_bytes(b"\x80\x02}." + b"\x80\x02" + _touch(canary) + b".")
    code, doc = _inspect(path)
    assert not canary.exists()
    assert code == 3 and _names(doc)["os.system"] == "dangerous"
    _real_load(path, streams=2)
    assert canary.exists()


def test_findings_survive_a_break_after_the_payload(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    for tail in (b"\xff", b"\x82\x01.", b"0s."):  # bad opcode, EXT1, SETITEM on nothing
        path = tmp_path / f"broken{tail[0]}.pkl"
        path.write_bytes(b"\x80\x02" + _touch(canary) + b"0" + tail)
        code, doc = _inspect(path)
        assert not canary.exists()
        assert code == 3 and _names(doc)["os.system"] == "dangerous"
        assert _names(doc)["(stream)"] == "known"
    _real_load(path)
    assert canary.exists()


def test_bunch_getattr_routing_of_a_planted_extend_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "bunch.pkl"
    path.write_bytes(b"\x80\x02" + _global("sklearn.utils._bunch", "Bunch") + b")\x81"
                     + _str("extend") + _global("_osx_support", "_read_output") + b"s("
                     + _str("true") + b"e.")
    code, doc = _inspect(path)
    assert code == 3
    assert _names(doc)["sklearn.utils._bunch.Bunch"] == "unknown call"
    assert _names(doc)["_osx_support._read_output"] in ("unknown call", "dangerous")


def test_memoised_dict_swapped_in_as_instance_dict(tmp_path: Path) -> None:
    path = tmp_path / "swap.pkl"
    path.write_bytes(b"\x80\x02" + _global("sklearn.linear_model._logistic", "LogisticRegression")
                     + b")\x81N}" + _str("__dict__") + b"}q\x01s\x86b" + b"h\x01"
                     + _str("extend") + _global("numpy", "savez") + b"s0(" + _str("x") + b"e.")
    code, doc = _inspect(path)
    assert code == 3 and _names(doc)["numpy.savez"] == "dangerous"


def test_scoring_monitor_setstate_is_an_unknown_call(tmp_path: Path) -> None:
    path = tmp_path / "monitor.pkl"
    path.write_bytes(b"\x80\x02" + _global("sklearn.callback._scoring_monitor", "ScoringMonitor")
                     + b")\x81}" + _str("port") + b"K\x01sb.")
    code, doc = _inspect(path)
    assert code == 3
    assert _names(doc)["sklearn.callback._scoring_monitor.ScoringMonitor"] == "unknown call"
