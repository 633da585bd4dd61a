"""The command line on the committed sample models: exit codes, formats, help, imports."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import REPO, SAMPLES, run_cli
from typer.testing import CliRunner

from hpinspect.cli import app
from hpinspect.render import Format

SCHEMA = json.loads(resources.files("hpinspect").joinpath("schema/report.schema.json")
                    .read_text(encoding="utf-8"))
runner = CliRunner()


def test_samples_exist() -> None:
    assert len(SAMPLES) >= 5
    assert any(p.name.startswith("pipeline") for p in SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sample_json_validates(sample: Path) -> None:
    result = runner.invoke(app, ["inspect", "--format", "json", str(sample)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["safety"]["verdict"] == "safe"
    assert doc["model"]["class"].startswith("sklearn.")
    cats = {a["category"] for a in doc["model"]["attributes"]}
    assert "hyperparameter" in cats


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sample_table_side_by_side_at_200(sample: Path) -> None:
    result = runner.invoke(app, ["inspect", "--no-color", "--width", "200", str(sample)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("hyperparameter" in ln and ("learned" in ln or "auxiliary" in ln)
               for ln in lines), result.stdout[:3000]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sample_markdown_has_hyperparameter_table(sample: Path) -> None:
    result = runner.invoke(app, ["inspect", "--format", "markdown", str(sample)])
    assert result.exit_code == 0, result.output
    assert "| Hyperparameter |" in result.stdout


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
def test_every_format_renders(fmt: Format) -> None:
    sample = REPO / "sample_models" / "logreg.joblib"
    result = runner.invoke(app, ["inspect", "--format", fmt.value, str(sample)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


def test_default_command_and_python_m(tmp_path: Path) -> None:
    sample = REPO / "sample_models" / "logreg.joblib"
    proc = run_cli("--format", "json", str(sample))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["file"]["path"] == str(sample)
    # the console script of the running interpreter's environment, never one found on PATH
    script = Path(sys.executable).with_name("hpinspect")
    proc2 = subprocess.run([str(script), "inspect", "--format", "json", str(sample)],
                           capture_output=True, text=True, check=False)
    assert proc2.returncode == 0 and json.loads(proc2.stdout)["schema_version"] == "1"


def test_several_files_json_array_and_jsonl() -> None:
    paths = [str(p) for p in SAMPLES[:3]]
    proc = run_cli("--format", "json", *paths)
    docs = json.loads(proc.stdout)
    assert isinstance(docs, list) and [d["file"]["path"] for d in docs] == paths
    proc = run_cli("--format", "jsonl", *paths)
    lines = proc.stdout.strip().splitlines()
    assert [json.loads(ln)["file"]["path"] for ln in lines] == paths


def test_only_and_output_file(tmp_path: Path) -> None:
    sample = REPO / "sample_models" / "logreg.joblib"
    out = tmp_path / "report.json"
    proc = run_cli("--format", "json", "--only", "learned", "--output", str(out), str(sample))
    assert proc.returncode == 0 and proc.stdout == ""
    doc = json.loads(out.read_text())
    assert {a["category"] for a in doc["model"]["attributes"]} == {"learned"}


def test_missing_file_one_line() -> None:
    proc = run_cli("/no/such/file")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "hpinspect: error: /no/such/file: no such file"


def test_help_documents_exit_codes() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "Exit codes" in proc.stdout and "3 the file" in proc.stdout
    inspect_help = run_cli("inspect", "--help").stdout
    assert "Example" in inspect_help and "--format" in inspect_help


def test_version() -> None:
    from hpinspect import __version__

    assert run_cli("--version").stdout.strip() == f"hpinspect {__version__}"


def test_schema_command_prints_schema() -> None:
    assert json.loads(run_cli("schema").stdout) == SCHEMA


def _imported_modules(*args: str) -> set[str]:
    code = ("import sys\nfrom hpinspect.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('\\n'.join(sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=False)
    return set(proc.stderr.splitlines())


def test_help_and_version_import_no_numpy() -> None:
    for args in (["--help"], ["--version"]):
        modules = _imported_modules(*args)
        assert "typer" in modules
        assert "numpy" not in modules and "sklearn" not in modules, args


def test_inspect_imports_no_sklearn() -> None:
    sample = REPO / "sample_models" / "pipeline_columntransformer.joblib"
    modules = _imported_modules("--format", "json", str(sample))
    assert "numpy" in modules
    assert not {m for m in modules if m.split(".")[0] in ("sklearn", "scipy", "joblib")}


def test_no_color_env_respected() -> None:
    sample = REPO / "sample_models" / "logreg.joblib"
    proc = run_cli(str(sample), env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert proc.returncode == 0 and "\x1b[" not in proc.stdout
    colored = run_cli(str(sample), env={"FORCE_COLOR": "1"})
    assert "\x1b[" in colored.stdout


def _closing(fd: int) -> Any:
    import os

    return lambda: os.close(fd)


@pytest.mark.parametrize("args", [["inspect"], ["--format", "json"], ["schema"], ["--help"],
                                  ["check"], ["scan"]], ids=" ".join)
def test_a_closed_stdout_is_one_clear_error(args: list[str], tmp_path: Path) -> None:
    """Started with its standard output closed (``hpinspect m >&-``): one line on stderr
    naming the problem and exit 2, never a traceback; ``--output`` still writes the file."""
    target = [] if args[0] in ("schema", "--help") else [
        str(SAMPLES[0].parent) if args[0] == "scan" else str(SAMPLES[0])]
    proc = subprocess.run([sys.executable, "-m", "hpinspect", *args, *target],
                          capture_output=False, stderr=subprocess.PIPE, text=True,
                          preexec_fn=_closing(1), check=False)  # noqa: PLW1509
    assert proc.returncode == 2
    assert proc.stderr == ("hpinspect: error: cannot write output: standard output is closed "
                           "(--output FILE writes to a file)\n")
    if args[0] == "inspect":
        out = tmp_path / "report.txt"
        proc = subprocess.run([sys.executable, "-m", "hpinspect", str(SAMPLES[0]), "-o",
                               str(out)], stderr=subprocess.PIPE, text=True,
                              preexec_fn=_closing(1), check=False)  # noqa: PLW1509
        assert proc.returncode == 0, proc.stderr
        assert SAMPLES[0].name in out.read_text(encoding="utf-8")


def test_a_closed_stderr_keeps_the_exit_code() -> None:
    """With standard error closed an error has nowhere to go; its exit code still says it."""
    proc = subprocess.run([sys.executable, "-m", "hpinspect", "no-such-file.pkl"],
                          stdout=subprocess.PIPE, preexec_fn=_closing(2),  # noqa: PLW1509
                          check=False)
    assert proc.returncode == 2
    assert proc.stdout == b""
