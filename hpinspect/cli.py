"""The ``hpinspect`` command: parse options, call the library, print, map errors to exit codes.

This module is the only place that knows exit codes (DESIGN §4):
0 inspected and nothing unsafe · 1 ``check`` failed or ``diff --exit-code`` found differences ·
2 usage error, unreadable or broken file, limit exceeded · 3 dangerous or unknown callables.
Start-up imports typer only; numpy and the loader are imported when a file is read.
"""

from __future__ import annotations

import contextlib
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
from hpinspect.threads import limit_thread_pools

if TYPE_CHECKING:
    from hpinspect.classify.config import Overrides
    from hpinspect.load import Progress
    from hpinspect.load.limits import Limits
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
    """Print one error line on stderr (never a traceback; file-derived text escaped)."""
    from hpinspect.render.neutral import terminal

    sys.stderr.write(f"hpinspect: error: {terminal(message)}\n")


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
    from hpinspect.load.limits import Limits

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
            with _progress_for(path) or contextlib.nullcontext() as progress:
                report = inspect_file(path, limits=limits, overrides=overrides,
                                      expand_members=expand_members, progress=progress)
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

    def __enter__(self) -> Progress:
        self.progress.start()

        def update(done: int, total: int) -> None:
            self.progress.update(self.task, completed=done, total=total)

        return update

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
    "--max-opcodes", help="Cap on pickle opcodes [default: 10,000,000].", show_default=False)]
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
            only=only,
            explain=explain, show_all=show_all, color=use_color(no_color, output),
            width=terminal_width(width), several=len(models) > 1)
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

if TYPE_CHECKING:
    from hpinspect.check import CheckResult, Rules


class DiffOutput(str, Enum):
    """Output formats of ``hpinspect diff``."""

    table = "table"
    json = "json"
    markdown = "markdown"


class CheckOutput(str, Enum):
    """Output formats of ``hpinspect check``."""

    table = "table"
    json = "json"
    sarif = "sarif"


class SkewLevel(str, Enum):
    """Values of ``--max-skew``."""

    none = "none"
    patch = "patch"
    minor = "minor"
    major = "major"


OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write to FILE instead of stdout.", show_default=False)]
NoColorOpt = Annotated[bool, typer.Option(
    "--no-color", help="No colours (NO_COLOR is respected too).")]
WidthOpt = Annotated[int | None, typer.Option(
    "--width", help="Layout width for tables [default: terminal width].", show_default=False)]


@app.command(epilog=EXIT_CODES_HELP)
def diff(
    model_a: Annotated[Path, typer.Argument(metavar="A", help="The first (older) model file.",
                                            show_default=False)],
    model_b: Annotated[Path, typer.Argument(metavar="B", help="The second (newer) model file.",
                                            show_default=False)],
    fmt: Annotated[DiffOutput, typer.Option("--format", "-f", help="Output format.")
                   ] = DiffOutput.table,
    show_all: Annotated[bool, typer.Option("--all", help="Show every compared row, not only "
                                           "the differences.")] = False,
    ignore: Annotated[list[Only] | None, typer.Option(
        "--ignore", help="Leave a category out (repeatable); --ignore learned --ignore "
        "auxiliary compares configuration only.", show_default=False)] = None,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when the files "
                                            "differ, 0 when they do not (like git diff).")
                         ] = False,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
    config: ConfigOpt = None,
    max_bytes: MaxBytes = None,
    max_opcodes: MaxOpcodes = None,
    max_depth: MaxDepth = None,
) -> None:
    """Compare two model files estimator by estimator: hyperparameters, learned parameters
    (shape, dtype, largest value difference), auxiliary attributes, structure, versions and
    safety.

    Example: hpinspect diff --ignore learned --ignore auxiliary --exit-code old.joblib new.joblib
    """
    from hpinspect.diff import diff_reports
    from hpinspect.render.diff_render import DiffFormat, render_diff

    overrides = load_overrides_or_exit(config)
    limits = make_limits(max_bytes, max_opcodes, max_depth)
    reports, code = load_reports([model_a, model_b], limits, overrides)
    if len(reports) < 2:
        raise typer.Exit(EXIT_ERROR)
    ignored = frozenset(category.value for category in ignore or ())
    result = diff_reports(reports[0], reports[1], ignore=ignored,  # type: ignore[arg-type]
                          include_equal=show_all)
    emit(render_diff(result, DiffFormat(fmt.value), color=use_color(no_color, output),
                     width=terminal_width(width)), output)
    if exit_code and result.has_differences:
        code = max(code, EXIT_FAILED)
    raise typer.Exit(code)


def _unique_expectations(pairs: Any) -> dict[str, Any]:
    """--expect pairs by path; the same path twice with different values is a usage error."""
    out: dict[str, Any] = {}
    for path, value in pairs:
        if path in out and out[path] != value:
            raise HpinspectError(f"--expect {path} given twice with different values "
                                 f"({out[path]!r} and {value!r})")
        out[path] = value
    return out


def _check_rules_or_exit(expect: list[str], ranges: list[str], require_fitted: bool,
                         max_skew: SkewLevel | None, strict: bool, max_size: int | None,
                         rules_file: Path | None) -> Rules:
    """Command-line rules over ``--rules FILE`` (or pyproject.toml); exit 2 when bad."""
    from types import MappingProxyType

    from hpinspect.check import (
        Rules,
        find_pyproject_rules,
        load_rules_file,
        merge_rules,
        parse_expect,
        parse_range,
    )

    try:
        base = (load_rules_file(rules_file) if rules_file is not None
                else find_pyproject_rules(Path.cwd()))
        given = Rules(
            expect=MappingProxyType(_unique_expectations(parse_expect(item) for item in expect)),
            ranges=MappingProxyType(dict(parse_range(item) for item in ranges)),
            require_fitted=require_fitted,
            max_skew=max_skew.value if max_skew is not None else None,
            strict=strict,
            max_size=max_size,
            source="command line" if (expect or ranges or require_fitted or max_skew
                                      or strict or max_size is not None) else "",
        )
    except HpinspectError as exc:
        fail(str(exc))
        raise typer.Exit(EXIT_ERROR) from exc
    return merge_rules(base, given)


def _annotate(lines: list[str], to_stdout: bool) -> None:
    """GitHub Actions workflow commands; on stderr when stdout carries a JSON/SARIF document."""
    from hpinspect.render.neutral import terminal

    stream = sys.stdout if to_stdout else sys.stderr
    for line in lines:
        stream.write(terminal(line) + "\n")
    stream.flush()


def _check_json(reports: list[Report], results: list[CheckResult], unsafe: bool) -> str:
    from hpinspect.render.neutral import json_dumps

    files: list[dict[str, Any]] = []
    by_file = {result.file: result for result in results}
    for report in reports:
        entry: dict[str, Any] = {"file": report.file.path, "unsafe": report.safety.unsafe}
        result = by_file.get(report.file.path)
        if report.safety.unsafe:
            entry["ok"] = False
            entry["findings"] = [
                {"global": f.global_name, "severity": f.severity, "detail": f.detail,
                 "path": f.path}
                for f in report.safety.findings if f.severity in ("dangerous", "unknown call")]
        elif result is not None:
            entry["ok"] = result.ok
            entry["failures"] = [
                {"rule": f.rule, "subject": f.subject, "expected": f.expected,
                 "actual": f.actual, "message": f.message, "hint": f.hint}
                for f in result.failures]
            entry["passed"] = list(result.passed)
            entry["notes"] = list(result.notes)
        files.append(entry)
    document = {"schema_version": "1", "ok": not unsafe and all(r.ok for r in results),
                "files": files}
    return json_dumps(document)


def _check_text(reports: list[Report], results: list[CheckResult]) -> str:
    lines: list[str] = []
    by_file = {result.file: result for result in results}
    for report in reports:
        path = report.file.path
        if report.safety.unsafe:
            for finding in report.safety.findings:
                if finding.severity in ("dangerous", "unknown call"):
                    where = f" at {finding.path}" if finding.path else ""
                    lines.append(f"{path}: UNSAFE {finding.global_name} ({finding.severity})"
                                 f"{where}: {finding.detail}")
            lines.append(f"{path}: unsafe content; no rule was checked and nothing was run")
            continue
        result = by_file.get(path)
        if result is None:
            continue
        lines.extend(f"{path}: note: {note}" for note in result.notes)
        lines.extend(f"FAIL {failure.line}" for failure in result.failures)
        if result.ok:
            count = len(result.passed)
            lines.append(f"{path}: ok ({count} rule{'s' if count != 1 else ''} passed)"
                         if count else f"{path}: ok (safe; no rules given)")
    from hpinspect.render.neutral import terminal

    return "".join(terminal(line) + "\n" for line in lines)


@app.command(epilog=EXIT_CODES_HELP)
def check(
    models: ModelsArg,
    expect: Annotated[list[str] | None, typer.Option(
        "--expect", metavar="PATH=VALUE", help="A hyperparameter (or any attribute with a plain "
        "value) must have this value (repeatable). PATH is get_params style: C, "
        "clf__n_estimators, prep__num__with_mean; a search's fitted estimator is "
        "best_estimator_.C, a bundle entry model__C. VALUE is JSON or a Python literal, else a "
        "string. Floats compare with a small tolerance.", show_default=False)] = None,
    ranges: Annotated[list[str] | None, typer.Option(
        "--range", metavar="PATH=LOW:HIGH", help="A numeric hyperparameter must lie in "
        "[LOW, HIGH] (repeatable).", show_default=False)] = None,
    require_fitted: Annotated[bool, typer.Option(
        "--require-fitted", help="Fail when the estimator was never fitted.")] = False,
    max_skew: Annotated[SkewLevel | None, typer.Option(
        "--max-skew", help="Largest allowed distance between the library versions the file "
        "was saved with and the installed ones. A library not installed here has an unknown "
        "skew: that passes, with a note.", show_default=False)] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Classes hpinspect does not know (custom estimators) fail too.")
    ] = False,
    max_size: Annotated[int | None, typer.Option(
        "--max-size", metavar="BYTES", help="Largest allowed file size.", show_default=False)
    ] = None,
    rules: Annotated[Path | None, typer.Option(
        "--rules", metavar="FILE.toml", help="The same rules in TOML (require_fitted, "
        "max_skew, strict, max_size, [expect], [range]); default: [tool.hpinspect.check] in "
        "the nearest pyproject.toml.", show_default=False)] = None,
    fmt: Annotated[CheckOutput, typer.Option("--format", "-f", help="Output format.")
                   ] = CheckOutput.table,
    output: OutputOpt = None,
    config: ConfigOpt = None,
    max_bytes: MaxBytes = None,
    max_opcodes: MaxOpcodes = None,
    max_depth: MaxDepth = None,
) -> None:
    """Check MODEL… against rules, for CI: unsafe content first (exit 3), then every rule
    (exit 1 with one line per failure: file, rule, expected, actual). With GITHUB_ACTIONS=true,
    also prints ::error annotations.

    Example: hpinspect check model.joblib --expect C=0.5 --expect clf__n_estimators=30 --require-fitted --max-skew minor
    """  # noqa: E501
    from hpinspect.check import github_annotations, is_unsafe, run_check, unsafe_annotations
    from hpinspect.render.sarif import sarif_for_check

    merged = _check_rules_or_exit(expect or [], ranges or [], require_fitted, max_skew, strict,
                                  max_size, rules)
    overrides = load_overrides_or_exit(config)
    limits = make_limits(max_bytes, max_opcodes, max_depth)
    reports, code = load_reports(models, limits, overrides)
    unsafe = [report for report in reports if is_unsafe(report)]
    # Safety comes before every rule: an unsafe file is refused whatever the rules say.
    results = [] if unsafe else [run_check(report, merged) for report in reports]
    if fmt is CheckOutput.sarif:
        text = sarif_for_check(reports, results)
    elif fmt is CheckOutput.json:
        text = _check_json(reports, results, bool(unsafe))
    else:
        text = _check_text(reports, results)
    emit(text, output)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        lines = [line for report in unsafe for line in unsafe_annotations(report)]
        lines += github_annotations(results)
        _annotate(lines, to_stdout=fmt is CheckOutput.table or output is not None)
    if unsafe:
        raise typer.Exit(EXIT_UNSAFE)
    if any(not result.ok for result in results):
        code = max(code, EXIT_FAILED)
    raise typer.Exit(code)



# ---------------------------------------------------------------------------- entry point
COMMANDS = ("inspect", "schema", "diff", "check")
ROOT_OPTIONS = ("-h", "--help", "--version", "--install-completion", "--show-completion")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``hpinspect MODEL`` means ``hpinspect inspect MODEL``."""
    limit_thread_pools()  # before anything imports numpy
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
