"""The ``hpinspect`` command: parse options, call the library, print, map errors to exit codes.

This module is the only place that knows exit codes (DESIGN §4):
0 inspected and nothing unsafe · 1 ``check`` failed or ``diff --exit-code`` found differences ·
2 usage error, unreadable or broken file, limit exceeded · 3 dangerous or unknown callables.
Start-up imports typer only; numpy and the loader are imported when a file is read.
"""

from __future__ import annotations

import os
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hpinspect import __version__
from hpinspect.errors import HpinspectError
from hpinspect.render import Format

if TYPE_CHECKING:
    from hpinspect.classify.config import Overrides
    from hpinspect.load.unpickler import Limits
    from hpinspect.report import Report

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2
EXIT_UNSAFE = 3
PROGRESS_BYTES = 50 * 1024 * 1024

EXIT_CODES_HELP = (
    "Exit codes: 0 inspected, nothing unsafe; 1 check failed or diff --exit-code found "
    "differences; 2 usage error, unreadable/broken file or limit exceeded; 3 the file "
    "references dangerous or unknown callables (the report is still printed)."
)

app = typer.Typer(
    name="hpinspect",
    help=(
        "Inspect pickle/joblib model files WITHOUT executing them: hyperparameters, learned "
        "parameters and auxiliary attributes of every estimator, side by side.\n\n"
        "Example: hpinspect model.joblib  |  hpinspect --format json model.joblib | jq .safety"
        f"\n\n{EXIT_CODES_HELP}"
    ),
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Only(str, Enum):
    """Category filter for ``--only``."""

    hyperparameter = "hyperparameter"
    learned = "learned"
    auxiliary = "auxiliary"


def fail(message: str) -> None:
    """Print one error line on stderr (never a traceback)."""
    sys.stderr.write(f"hpinspect: error: {message}\n")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"hpinspect {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback,
                                          is_eager=True, help="Print the version and exit.")
                       ] = False,
) -> None:
    """Root options."""


def use_color(no_color: bool, output: Path | None) -> bool:
    """Colour only for a terminal, never with --no-color, NO_COLOR or --output."""
    if no_color or output is not None or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def terminal_width(width: int | None) -> int:
    """Requested width, else the terminal's (120 when not a terminal)."""
    if width:
        return width
    return shutil.get_terminal_size((120, 24)).columns


def make_limits(max_bytes: int | None, max_opcodes: int | None,
                max_depth: int | None) -> Limits:
    """Resource limits from options (defaults where not given)."""
    from hpinspect.load.unpickler import Limits

    limits = Limits()
    if max_bytes is not None:
        limits.max_bytes = max_bytes
    if max_opcodes is not None:
        limits.max_opcodes = max_opcodes
    if max_depth is not None:
        limits.max_depth = max_depth
    return limits


def load_reports(paths: list[Path], limits: Limits, overrides: Overrides | None,
                 expand_members: bool = False) -> tuple[list[Report], int]:
    """Inspect every file; errors are printed as one line each. Returns (reports, worst code)."""
    from hpinspect import inspect_file

    reports: list[Report] = []
    worst = EXIT_OK
    for path in paths:
        try:
            progress = _progress_for(path)
            if progress is None:
                report = inspect_file(path, limits=limits, overrides=overrides,
                                      expand_members=expand_members)
            else:
                with progress as (bar, callback):
                    report = inspect_file(path, limits=limits, overrides=overrides,
                                          expand_members=expand_members, progress=callback)
                    del bar
        except HpinspectError as exc:
            fail(str(exc))
            worst = max(worst, EXIT_ERROR)
            continue
        reports.append(report)
        if report.safety.unsafe:
            worst = max(worst, EXIT_UNSAFE)
    return reports, worst


class _ProgressBar:
    """A transient rich progress bar on stderr for large files (only on a terminal)."""

    def __init__(self, path: Path, total: int) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self.progress = Progress(console=Console(stderr=True), transient=True)
        self.task = self.progress.add_task(f"reading {path.name}", total=total)

    def __enter__(self) -> tuple[Any, Any]:
        self.progress.start()

        def update(done: int, total: int) -> None:
            self.progress.update(self.task, completed=done, total=total)

        return self.progress, update

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _progress_for(path: Path) -> _ProgressBar | None:
    if not sys.stderr.isatty():
        return None
    try:
        size = path.stat().st_size
    except OSError:
        return None
    return _ProgressBar(path, size) if size > PROGRESS_BYTES else None


def emit(text: str, output: Path | None) -> None:
    """Write the rendered text to stdout or to ``--output``."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: cannot write output: {exc.strerror or exc}")
        raise typer.Exit(EXIT_ERROR) from exc


def load_overrides_or_exit(config: Path | None) -> Overrides:
    """User classification overrides (``--config`` or pyproject.toml); exit 2 when bad."""
    from hpinspect.classify.config import load_overrides

    try:
        return load_overrides(config)
    except HpinspectError as exc:
        fail(str(exc))
        raise typer.Exit(EXIT_ERROR) from exc


ModelsArg = Annotated[list[Path], typer.Argument(
    help="Model files (.joblib, .pkl, … — the format is detected from the content).",
    show_default=False)]
MaxBytes = Annotated[int | None, typer.Option(
    "--max-bytes", help="Cap on decompressed and materialised bytes "
    "[default: max(4 × file size, 2 GiB)].", show_default=False)]
MaxOpcodes = Annotated[int | None, typer.Option(
    "--max-opcodes", help="Cap on pickle opcodes [default: 50,000,000].", show_default=False)]
MaxDepth = Annotated[int | None, typer.Option(
    "--max-depth", help="Cap on object nesting depth [default: 1000].", show_default=False)]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="TOML file moving attribute names between categories "
    "(default: [tool.hpinspect.classify] in the nearest pyproject.toml).",
    show_default=False)]


@app.command(epilog=EXIT_CODES_HELP)
def inspect(
    models: ModelsArg,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")
                   ] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Write to FILE instead of stdout.",
                                                show_default=False)] = None,
    only: Annotated[Only | None, typer.Option("--only", help="Show one category only.",
                                              show_default=False)] = None,
    explain: Annotated[bool, typer.Option("--explain",
                                          help="Add a column with the reason behind each "
                                          "classification.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Every ensemble member and longer "
                                           "values.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours (NO_COLOR is "
                                           "respected too).")] = False,
    width: Annotated[int | None, typer.Option("--width", help="Layout width for tables "
                                              "[default: terminal width].",
                                              show_default=False)] = None,
    config: ConfigOpt = None,
    max_bytes: MaxBytes = None,
    max_opcodes: MaxOpcodes = None,
    max_depth: MaxDepth = None,
) -> None:
    """Show every estimator in MODEL… with its hyperparameters, learned parameters and
    auxiliary attributes (the default command: `hpinspect model.joblib` is the same).

    Example: hpinspect --format json model.joblib | jq '.model.attributes[] | select(.category=="hyperparameter")'
    """  # noqa: E501
    from hpinspect.render import RenderOptions, get_renderer

    overrides = load_overrides_or_exit(config)
    limits = make_limits(max_bytes, max_opcodes, max_depth)
    reports, code = load_reports(models, limits, overrides, expand_members=show_all)
    if reports:
        options = RenderOptions(
            only=only.value if only is not None else None,
            explain=explain, show_all=show_all, color=use_color(no_color, output),
            width=terminal_width(width))
        emit(get_renderer(fmt).render(reports, options), output)
    raise typer.Exit(code)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the `--format json` document.

    Example: hpinspect schema > hpinspect.schema.json
    """
    from importlib import resources

    text = resources.files("hpinspect").joinpath("schema/report.schema.json").read_text(
        encoding="utf-8")
    sys.stdout.write(text)


# ---------------------------------------------------------------------------- diff and check
# (commands added below this line)


# ---------------------------------------------------------------------------- entry point
COMMANDS = ("inspect", "schema", "diff", "check")
ROOT_OPTIONS = ("-h", "--help", "--version", "--install-completion", "--show-completion")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``hpinspect MODEL`` means ``hpinspect inspect MODEL``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] not in COMMANDS and args[0] not in ROOT_OPTIONS:
        args.insert(0, "inspect")
    try:
        app(args=args, prog_name="hpinspect")
    except KeyboardInterrupt:
        fail("interrupted")
        sys.exit(130)
    except Exception as exc:  # the promise is one line, never a traceback
        fail(f"internal error ({type(exc).__name__}: {exc}); please report it")
        sys.exit(EXIT_ERROR)
