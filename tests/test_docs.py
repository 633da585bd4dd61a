"""The documentation tells the truth: help texts, the README's commands and its Python API.

- every command's ``--help`` has an ``Example:`` line, and the README names every command;
- the README's quick-start test command is exactly what ``.ci/run`` runs, and its inspect
  command works on the sample it names;
- the README's Python API block runs as written (in a subprocess, next to real model files).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, run_cli

from hpinspect.cli import COMMANDS

README = (REPO / "README.md").read_text(encoding="utf-8")
CI = (REPO / ".ci" / "run").read_text(encoding="utf-8")

# Lines of .ci/run that set the stage (shell options, the fresh venv) rather than test.
CI_PLUMBING = re.compile(r"^(set |cd |python3 -m venv |\. \.venv/bin/activate|"
                         r"python -m pip install --quiet --upgrade pip|"
                         r"command -v chromedriver )")  # apt install of the browser tests' browser


def section(title: str) -> str:
    """The README text under ``## title`` up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, flags=re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def code_blocks(text: str, language: str) -> list[str]:
    return [block.strip() for block in re.findall(rf"```{language}\n(.*?)\n```", text, re.S)]


def ci_commands() -> list[str]:
    lines = [line.strip() for line in CI.splitlines()]
    return [line for line in lines
            if line and not line.startswith("#") and not CI_PLUMBING.match(line)]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_an_example(command: str | None) -> None:
    proc = run_cli(*([command] if command else []), "--help")
    assert proc.returncode == 0, proc.stderr
    examples = [line for line in proc.stdout.splitlines() if line.strip().startswith("Example:")]
    assert examples, f"hpinspect {command or ''} --help has no Example: line\n{proc.stdout}"
    assert all("hpinspect" in line for line in examples)


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_names_every_command(command: str) -> None:
    assert re.search(rf"\bhpinspect {command}\b", README), f"README never shows {command}"


def test_quick_start_test_command_is_what_ci_runs() -> None:
    blocks = code_blocks(section("Quick start"), "bash")
    assert len(blocks) == 2, blocks
    install_and_inspect, test_command = blocks
    assert ci_commands() == [test_command]
    assert install_and_inspect.startswith("pip install . && hpinspect ")


def test_quick_start_inspect_command_works() -> None:
    install_and_inspect = code_blocks(section("Quick start"), "bash")[0]
    _install, _, command = install_and_inspect.partition(" && ")
    argv = shlex.split(command)
    assert argv[0] == "hpinspect"
    proc = run_cli(*argv[1:], "--no-color", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "Pipeline" in proc.stdout and "ColumnTransformer" in proc.stdout


def test_python_api_block_runs(tmp_path: Path) -> None:
    (block,) = code_blocks(section("Python API"), "python")
    # The block names model.joblib and other.joblib: two real files with different C.
    shutil.copyfile(REPO / "tests" / "data" / "golden_models" / "logreg.joblib",
                    tmp_path / "model.joblib")
    shutil.copyfile(REPO / "tests" / "data" / "golden_models" / "search.joblib",
                    tmp_path / "other.joblib")
    script = tmp_path / "api.py"
    script.write_text(block + "\n", encoding="utf-8")
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "C 0.5" in proc.stdout  # the loop printed the hyperparameters
