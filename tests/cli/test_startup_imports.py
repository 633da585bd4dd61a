"""A plain pickle imports only the readers and families it reaches (issue 16: start-up).

The registry checks each reader's shape (folder, zip, file) before importing it and the family
table checks a value's package before importing a family; the readers tried on every file keep
their heavy imports inside ``read``. Checked in a fresh interpreter through the command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
from helpers import REPO
from sklearn.linear_model import LogisticRegression

NOT_FOR_A_PICKLE = {
    "hpinspect.load.mlflow", "hpinspect.load.mlmodel_yaml", "hpinspect.load.skops",
    "hpinspect.load.torch_zip", "hpinspect.load.zip_pickles", "hpinspect.load.zipsafe",
    "hpinspect.decode.ubjson", "hpinspect.decode.lightgbm_text",
    "hpinspect.decode.catboost_cbm", "hpinspect.classify.xgboost",
    "hpinspect.classify.lightgbm", "hpinspect.classify.catboost", "hpinspect.classify.boosters",
    "hpinspect.load.tensors",  # (the torch family is consulted; tensors exist only after it)
    # the readers that may claim any file: told apart by load/sniff.py before their import
    "hpinspect.load.torch_legacy", "hpinspect.load.safetensors", "hpinspect.load.boosters",
    "hpinspect.load.npy",
    # standard-library modules only some files need: a zip's names, a compressed file's
    # prefetching thread, OpenSSL's hashes for files from 256 KiB (difflib, for a mistyped
    # command, typer may import itself)
    "zipfile", "queue", "_hashlib",
}

SCRIPT = """
import json, sys
from hpinspect.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _modules_after(*args: str) -> tuple[int, set[str]]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True,
                          text=True, cwd=REPO, check=True, timeout=120)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], set(result["modules"])


def test_plain_pickle_imports_no_other_reader(tmp_path: Path, xy: tuple[object, object]) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(LogisticRegression(max_iter=200).fit(*xy), path)
    code, modules = _modules_after("--format", "json", str(path))
    assert code == 0
    assert "hpinspect.load.pickle_file" in modules and "hpinspect.classify.torch" in modules
    assert modules & NOT_FOR_A_PICKLE == set()
    code, modules = _modules_after(str(path))  # the terminal report too, drawn by its own
    assert code == 0 and "hpinspect.render.table" in modules  # renderables: no rich.table
    assert modules & (NOT_FOR_A_PICKLE | {"rich.table"}) == set()


def test_project_pyproject_without_hpinspect_is_not_parsed(
        tmp_path: Path, xy: tuple[object, object]) -> None:
    """A project's own pyproject.toml (no tool.hpinspect) costs no TOML parser."""
    path = tmp_path / "model.joblib"
    joblib.dump(LogisticRegression(max_iter=200).fit(*xy), path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", SCRIPT, "--format", "json", str(path)],
                          capture_output=True, text=True, cwd=tmp_path, check=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    modules = set(json.loads(done.stdout.strip().splitlines()[-1])["modules"])
    assert "hpinspect.load.pickle_file" in modules and "tomllib" not in modules


def test_zip_still_reaches_zip_readers(tmp_path: Path, xy: tuple[object, object]) -> None:
    import zipfile

    inner = tmp_path / "model.pkl"
    joblib.dump(LogisticRegression(max_iter=200).fit(*xy), inner)
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(inner, "model.pkl")
    code, modules = _modules_after("--format", "json", str(archive))
    assert code == 0
    assert {"hpinspect.load.skops", "hpinspect.load.torch_zip",
            "hpinspect.load.zip_pickles"} <= modules


def test_named_command_builds_only_itself() -> None:
    from hpinspect.cli import COMMANDS, _app_for, app

    for command in COMMANDS:
        names = [info.callback.__name__ for info in _app_for([command, "x"]).registered_commands
                 if info.callback is not None]
        assert len(names) == 1 and names[0].startswith(command), (command, names)
    assert _app_for(["--help"]) is app and _app_for([]) is app
    assert len(app.registered_commands) == len(COMMANDS)


def test_help_imports_neither_report_model_nor_numpy() -> None:
    """``--help`` needs the words (``vocab``), not the report's dataclasses or a reader."""
    for args in (["--help"], ["scan", "--help"], ["diff", "--help"], ["check", "--help"]):
        code, modules = _modules_after(*args)
        assert code == 0
        assert "hpinspect.vocab" in modules
        assert modules & {"hpinspect.report", "numpy", "hpinspect.load", "rich.table"} == set(), (
            args, modules & {"hpinspect.report", "numpy", "hpinspect.load", "rich.table"})


def test_a_json_diff_imports_no_terminal_table(tmp_path: Path, xy: tuple[object, object]) -> None:
    from sklearn.linear_model import LogisticRegression as Model

    paths = []
    for c in (0.5, 2.0):
        paths.append(tmp_path / f"model-{c}.joblib")
        joblib.dump(Model(C=c, max_iter=200).fit(*xy), paths[-1])
    code, modules = _modules_after("diff", "--format", "json", *map(str, paths))
    assert code == 0 and "hpinspect.render.diff_render" in modules
    assert "rich.table" not in modules
    code, modules = _modules_after("diff", *map(str, paths))
    assert code == 0 and "rich.table" in modules  # the terminal table still renders
