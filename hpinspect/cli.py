"""The ``hpinspect`` command: parse options, call the library, print, map errors to exit codes.

This module is the only place that knows exit codes (DESIGN §4):
0 inspected and nothing unsafe · 1 ``check`` failed or ``diff --exit-code`` found differences ·
2 usage error, unreadable or broken file, limit exceeded · 3 dangerous or unknown callables.
Start-up imports typer only; numpy and the loader are imported when a file is read.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
from collections.abc import Iterator
from errno import EBADF
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hpinspect import __version__
from hpinspect.errors import HpinspectError
from hpinspect.threads import limit_thread_pools
from hpinspect.vocab import (
    SKEW_ORDER,
    Category,
    CheckFormat,
    DiffFormat,
    InspectFormat,
    ScanFormat,
    SkewLevel,
)

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


MIN_WIDTH, MAX_WIDTH = 40, 1000
"""Accepted ``--width`` range (and of ``COLUMNS``)."""


def terminal_width(width: int | None) -> int:
    """``--width`` (validated), else ``COLUMNS``, else the terminal of stdout, stderr or stdin
    (so ``hpinspect m | less`` lays out for the terminal it shows in), else 120."""
    if width is not None:
        if not MIN_WIDTH <= width <= MAX_WIDTH:
            fail(f"--width must be between {MIN_WIDTH} and {MAX_WIDTH}, got {width}")
            raise typer.Exit(EXIT_ERROR)
        return width
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and MIN_WIDTH <= int(columns) <= MAX_WIDTH:
        return int(columns)
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        try:
            return max(MIN_WIDTH, os.get_terminal_size(stream.fileno()).columns)
        except (AttributeError, OSError, ValueError):
            continue
    return 120


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
    from hpinspect import collector, inspect_file

    reports: list[Report] = []
    worst = EXIT_OK
    for index, path in enumerate(paths):
        if index:
            collector.between_files()
        try:
            with _progress_for(path) or contextlib.nullcontext() as progress:
                report = inspect_file(path, limits=limits, overrides=overrides,
                                      expand_members=expand_members, progress=progress)
        except HpinspectError as exc:  # one bad file does not stop the others
            fail(str(exc))
            worst = max(worst, exit_code_for(exc))
            continue
        reports.append(report)
        if report.safety.unsafe:
            worst = max(worst, EXIT_UNSAFE)
    return reports, worst


class _ProgressBar:
    """A transient rich progress bar on stderr for large files (only on a terminal)."""

    def __init__(self, path: Path, total: int) -> None:
        from rich.markup import escape
        from rich.progress import Progress

        from hpinspect.render.console import stderr_console

        self.progress = Progress(console=stderr_console(), transient=True)
        # The description is rich markup: a file name like "a[/b].pkl" must stay text.
        self.task = self.progress.add_task(f"reading {escape(path.name)}", total=total)

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


class ClosedOutput:
    """``sys.stdout`` of a process started with its standard output closed
    (``hpinspect m >&-``, where Python leaves it ``None``): not a terminal, and writing to it
    is the clear error :func:`emit` reports (``--output FILE`` still works)."""

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(EBADF, "standard output is closed")

    def write(self, text: str) -> int:
        raise OSError(EBADF, "standard output is closed")

    def flush(self) -> None:
        """Nothing was written."""


def _closed_output(exc: OSError) -> None:
    fail(f"cannot write output: {exc.strerror} (--output FILE writes to a file)")


def emit(text: str, output: Path | None) -> None:
    """Write the rendered text to stdout or to ``--output``."""
    if output is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError as exc:
            if exc.errno != EBADF:
                raise  # (a closed pipe: Python's own report and status, see __main__)
            _closed_output(exc)
            raise typer.Exit(EXIT_ERROR) from exc
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: cannot write output: {exc.strerror or exc}")
        raise typer.Exit(EXIT_ERROR) from exc


def exit_code_for(error: HpinspectError) -> int:
    """The exit code of a typed error: every error hpinspect raises on purpose is exit 2
    (usage, access, format, corruption, limits, missing extras); unsafe content is not an
    error but a verdict (exit 3, decided from the report)."""
    return EXIT_ERROR


@contextlib.contextmanager
def error_boundary() -> Iterator[None]:
    """The one place a typed error becomes its line on stderr and its exit code."""
    try:
        yield
    except HpinspectError as exc:
        fail(str(exc))
        raise typer.Exit(exit_code_for(exc)) from exc


def load_overrides_or_exit(config: Path | None) -> Overrides:
    """User classification overrides (``--config`` or pyproject.toml); exit 2 when bad."""
    from hpinspect.classify.config import load_overrides

    with error_boundary():
        return load_overrides(config)
    raise AssertionError("unreachable")  # pragma: no cover (mypy: the boundary re-raises)


# Old names of the option enums, kept importable (the vocabulary now lives in report.py).
Only = Category
DiffOutput = DiffFormat
CheckOutput = CheckFormat

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
# Output options, declared once for every command that has them.
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write to FILE instead of stdout.", show_default=False)]
NoColorOpt = Annotated[bool, typer.Option(
    "--no-color", help="No colours (NO_COLOR is respected too).")]
WidthOpt = Annotated[int | None, typer.Option(
    "--width", help="Layout width, 40-1000 [default: COLUMNS, else the terminal (also when "
    "piped), else 120].", show_default=False)]
ShowAllOpt = Annotated[bool, typer.Option("--all", help="Every ensemble member, template and "
                                          "default-valued row, and every row past a "
                                          "table's first 50 (values are never cut: they "
                                          "wrap).")]


@app.command(epilog=EXIT_CODES_HELP)
def inspect(
    models: ModelsArg,
    fmt: Annotated[InspectFormat, typer.Option("--format", "-f", help="Output format (html: "
                                               "one self-contained page, e.g. with -o "
                                               "report.html).")
                   ] = InspectFormat.table,
    output: OutputOpt = None,
    only: Annotated[Category | None, typer.Option("--only", help="Show one category only (a "
                                                  "prefix is enough: --only hyper).",
                                                  show_default=False)] = None,
    explain: Annotated[bool, typer.Option("--explain",
                                          help="Add a column with the reason behind each "
                                          "classification.")] = False,
    show_all: ShowAllOpt = False,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
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
    emit(text, None)


# ---------------------------------------------------------------------------- diff and check
# (commands added below this line)

if TYPE_CHECKING:
    from hpinspect.check import Rules


@app.command(epilog=EXIT_CODES_HELP)
def diff(
    model_a: Annotated[Path, typer.Argument(metavar="A", help="The first (older) model file.",
                                            show_default=False)],
    model_b: Annotated[Path, typer.Argument(metavar="B", help="The second (newer) model file.",
                                            show_default=False)],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format (html: A "
                                            "and B side by side in one page).")
                   ] = DiffFormat.table,
    show_all: Annotated[bool, typer.Option("--all", help="Show every compared row, not only "
                                           "the differences.")] = False,
    ignore: Annotated[list[Category] | None, typer.Option(
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
    from hpinspect.render import RenderOptions, get_diff_renderer

    overrides = load_overrides_or_exit(config)
    limits = make_limits(max_bytes, max_opcodes, max_depth)
    reports, code = load_reports([model_a, model_b], limits, overrides)
    if len(reports) < 2:
        raise typer.Exit(EXIT_ERROR)
    result = diff_reports(reports[0], reports[1], ignore=frozenset(ignore or ()),
                          include_equal=show_all)
    options = RenderOptions(color=use_color(no_color, output), width=terminal_width(width))
    emit(get_diff_renderer(fmt).render(result, options), output)
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

    with error_boundary():
        if max_skew is not None and max_skew not in SKEW_ORDER:
            raise HpinspectError(f"--max-skew must be one of {', '.join(SKEW_ORDER)}, "
                                 f"got {max_skew.value!r} (an unknown skew is not a limit)")
        base = (load_rules_file(rules_file) if rules_file is not None
                else find_pyproject_rules(Path.cwd()))
        given = Rules(
            expect=MappingProxyType(_unique_expectations(parse_expect(item) for item in expect)),
            ranges=MappingProxyType(dict(parse_range(item) for item in ranges)),
            require_fitted=require_fitted,
            max_skew=max_skew,
            strict=strict,
            max_size=max_size,
            source="command line" if (expect or ranges or require_fitted or max_skew
                                      or strict or max_size is not None) else "",
        )
        return merge_rules(base, given)
    raise AssertionError("unreachable")  # pragma: no cover (mypy: the boundary re-raises)


def _annotate(lines: list[str], to_stdout: bool) -> None:
    """GitHub Actions workflow commands; on stderr when stdout carries a JSON/SARIF document."""
    from hpinspect.render.neutral import terminal

    text = "".join(terminal(line) + "\n" for line in lines)
    if to_stdout:
        emit(text, None)
        return
    sys.stderr.write(text)
    sys.stderr.flush()


ExpectOpt = Annotated[list[str] | None, typer.Option(
    "--expect", metavar="PATH=VALUE", help="A hyperparameter (or any attribute with a plain "
    "value) must have this value (repeatable). PATH is get_params style: C, "
    "clf__n_estimators, prep__num__with_mean; a search's fitted estimator is "
    "best_estimator_.C, a bundle entry model__C. VALUE is JSON or a Python literal, else a "
    "string. Floats compare with a small tolerance.", show_default=False)]
RangeOpt = Annotated[list[str] | None, typer.Option(
    "--range", metavar="PATH=LOW:HIGH", help="A numeric hyperparameter must lie in "
    "[LOW, HIGH] (repeatable).", show_default=False)]
RequireFittedOpt = Annotated[bool, typer.Option(
    "--require-fitted", help="Fail when the estimator was never fitted.")]
MaxSkewOpt = Annotated[SkewLevel | None, typer.Option(
    "--max-skew", metavar="[" + "|".join(SKEW_ORDER) + "]",
    help="Largest allowed distance between the library versions the file was saved with and "
    "the installed ones. scikit-learn supports no unpickling across versions: a different "
    "feature release (1.2 -> 1.9) is a major skew for it, a different bug-fix release a patch "
    "skew, so --max-skew none is the only supported setting for scikit-learn files. A library "
    "not installed here has an unknown skew: that passes, with a note.", show_default=False)]
StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="Classes hpinspect does not know (custom estimators) fail too.")]
MaxSizeOpt = Annotated[int | None, typer.Option(
    "--max-size", metavar="BYTES", help="Largest allowed file size.", show_default=False)]
RulesOpt = Annotated[Path | None, typer.Option(
    "--rules", metavar="FILE.toml", help="The same rules in TOML (require_fitted, "
    "max_skew, strict, max_size, [expect], [range]); default: [tool.hpinspect.check] in "
    "the nearest pyproject.toml.", show_default=False)]


@app.command(epilog=EXIT_CODES_HELP)
def check(
    models: ModelsArg,
    expect: ExpectOpt = None,
    ranges: RangeOpt = None,
    require_fitted: RequireFittedOpt = False,
    max_skew: MaxSkewOpt = None,
    strict: StrictOpt = False,
    max_size: MaxSizeOpt = None,
    rules: RulesOpt = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")
                   ] = CheckFormat.table,
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
    from hpinspect.check import CheckRun, is_unsafe, run_check
    from hpinspect.render import RenderOptions, get_check_renderer
    from hpinspect.render.annotations import check_run_annotations

    merged = _check_rules_or_exit(expect or [], ranges or [], require_fitted, max_skew, strict,
                                  max_size, rules)
    overrides = load_overrides_or_exit(config)
    limits = make_limits(max_bytes, max_opcodes, max_depth)
    reports, code = load_reports(models, limits, overrides)
    # Safety comes before every rule: an unsafe file is refused whatever the rules say.
    unsafe = any(is_unsafe(report) for report in reports)
    run = CheckRun(tuple(reports),
                   () if unsafe else tuple(run_check(report, merged) for report in reports))
    emit(get_check_renderer(fmt).render(run, RenderOptions(color=False)), output)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        _annotate(check_run_annotations(run),
                  to_stdout=fmt is CheckFormat.table or output is not None)
    if unsafe:
        raise typer.Exit(EXIT_UNSAFE)
    if not run.ok:
        code = max(code, EXIT_FAILED)
    raise typer.Exit(code)



# ---------------------------------------------------------------------------- scan
if TYPE_CHECKING:
    from hpinspect.scan import ScanResult


def _scan_exit(result: ScanResult) -> int:
    """The worst code of all files; one stderr line per broken file."""
    for entry in result.entries:
        if entry.kind == "broken":
            fail(f"{entry.path}: {entry.detail}")
    return EXIT_UNSAFE if result.unsafe else EXIT_ERROR if result.broken else EXIT_OK


@app.command("scan", epilog=EXIT_CODES_HELP)
def scan_command(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH...", help="Files, folders (walked recursively) and, with fsspec "
        "installed, URLs (s3://, https://, file://).", show_default=False)],
    fmt: Annotated[ScanFormat, typer.Option(
        "--format", "-f", help="Output format: jsonl is one report per model file, sarif one "
        "run for all files, html one self-contained page with a row per file (write it with "
        "-o).")] = ScanFormat.table,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Worker processes [default: the CPU count].",
        show_default=False)] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", metavar="GLOB", help="Skip paths matching GLOB (relative path or base "
        "name; repeatable), e.g. --exclude '.git' --exclude '*.csv'.", show_default=False)
    ] = None,
    max_files: Annotated[int | None, typer.Option(
        "--max-files", min=1, help="Read at most N files (the rest are counted as skipped).",
        show_default=False)] = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also list the files that are not models and the skipped "
        "paths.")] = False,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    width: WidthOpt = None,
    config: ConfigOpt = None,
    max_bytes: MaxBytes = None,
    max_worker_bytes: Annotated[int | None, typer.Option(
        "--max-worker-bytes", min=1, help="Memory a worker process may take on while it "
        "reads one file (its RLIMIT_DATA beyond what it holds and the reader's 1 GiB stack); "
        "a file over it is that file's 'limit: memory' error [default: 2 × the file's byte "
        "budget].", show_default=False)] = None,
) -> None:
    """Scan folders of model files in parallel: every file is sniffed by content, each model
    is inspected, and a summary (file, format, model, fitted, verdict, findings) is printed.
    Files that are not models are counted (listed with --verbose). Exit code: the worst file's.

    Example: hpinspect scan models/ --exclude '.git' --format sarif -o hpinspect.sarif
    """
    from hpinspect.render.scan import ScanView, progress_bar, render_scan
    from hpinspect.scan import scan

    limits = make_limits(max_bytes, None, None)
    limits.max_worker_bytes = max_worker_bytes
    try:
        with progress_bar() as progress:
            result = scan(paths, jobs=jobs, exclude=exclude or (), max_files=max_files,
                          documents=fmt is ScanFormat.jsonl, limits=limits,
                          overrides=load_overrides_or_exit(config), progress=progress)
    except (HpinspectError, ValueError) as exc:
        fail(str(exc))
        raise typer.Exit(EXIT_ERROR) from exc
    view = ScanView(verbose=verbose, color=use_color(no_color, output),
                    width=terminal_width(width))
    emit(render_scan(result, fmt, view), output)
    raise typer.Exit(_scan_exit(result))


# ---------------------------------------------------------------------------- entry point
COMMANDS = ("inspect", "schema", "diff", "check", "scan")
ROOT_OPTIONS = ("-h", "--help", "--version", "--install-completion", "--show-completion")


def _expand_only(args: list[str]) -> list[str]:
    """``--only hyper`` (any unambiguous prefix) -> ``--only hyperparameter``."""
    out = list(args)
    for index, arg in enumerate(out):
        prefix = out[index + 1] if arg == "--only" and index + 1 < len(out) else \
            arg.partition("=")[2] if arg.startswith("--only=") else None
        if not prefix:
            continue
        matches = [c.value for c in Only if c.value.startswith(prefix)]
        if len(matches) == 1:
            if arg == "--only":
                out[index + 1] = matches[0]
            else:
                out[index] = f"--only={matches[0]}"
    return out


def _complete_default_command() -> None:
    """Shell completion of ``hpinspect --fo<TAB>`` (or ``hpinspect m.joblib --fo<TAB>``)
    offers inspect's options: the words are completed as if ``inspect`` had been typed (bash
    passes them in ``COMP_WORDS``, typer's zsh/fish/powershell scripts in
    ``_TYPER_COMPLETE_ARGS``)."""
    if "_HPINSPECT_COMPLETE" not in os.environ:
        return
    import shlex

    for variable in ("COMP_WORDS", "_TYPER_COMPLETE_ARGS"):
        try:
            words = shlex.split(os.environ.get(variable, ""))
        except ValueError:
            continue
        if _completes_inspect(words):
            words.insert(1, "inspect")
            os.environ[variable] = " ".join(shlex.quote(w) for w in words)
            cword = os.environ.get("COMP_CWORD", "")
            if variable == "COMP_WORDS" and cword.isdigit():
                os.environ["COMP_CWORD"] = str(int(cword) + 1)


def _completes_inspect(words: list[str]) -> bool:
    """Whether a command line being completed is the default command's."""
    if len(words) < 2 or words[1] in COMMANDS:
        return False
    first = words[1]
    if first.startswith("-"):
        return not any(option.startswith(first) for option in ROOT_OPTIONS)
    # a file name, not a command name being typed
    return Path(first).exists() or not any(c.startswith(first) for c in COMMANDS)


def _app_for(args: list[str]) -> typer.Typer:
    """The app, with only the command being run when it is named (typer builds the options of
    every registered command before parsing: the other four cost a few milliseconds of a small
    file's start-up). The root help, root options and shell completion get the whole app."""
    if not args or args[0] not in COMMANDS or "_HPINSPECT_COMPLETE" in os.environ:
        return app
    one = copy.copy(app)
    one.registered_commands = [
        info for info in app.registered_commands
        if (info.name or typer.main.get_command_name(getattr(info.callback, "__name__", "")))
        == args[0]]
    return one


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``hpinspect MODEL`` means ``hpinspect inspect MODEL``."""
    limit_thread_pools()  # before anything imports numpy
    if sys.stdout is None:
        sys.stdout = ClosedOutput()
    if sys.stderr is None:  # started with standard error closed: its lines go nowhere
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (the process's)
    _complete_default_command()
    args = _expand_only(list(sys.argv[1:] if argv is None else argv))
    if args and args[0] not in COMMANDS and args[0] not in ROOT_OPTIONS:
        if not Path(args[0]).exists():
            import difflib  # (only for a mistyped command: not on a model file's path)

            guess = difflib.get_close_matches(args[0], COMMANDS, n=1, cutoff=0.7)
            if guess:
                fail(f"{args[0]}: no such command or file; did you mean '{guess[0]}'?")
                sys.exit(EXIT_ERROR)
        args.insert(0, "inspect")
    try:
        _app_for(args)(args=args, prog_name="hpinspect")
    except KeyboardInterrupt:
        fail("interrupted")
        sys.exit(130)
    except Exception as exc:  # the promise is one line, never a traceback
        if isinstance(exc, OSError) and exc.errno == EBADF:
            _closed_output(exc)  # typer's own output (--help) to a closed stdout
        else:
            fail(f"internal error ({type(exc).__name__}: {exc}); please report it")
        sys.exit(EXIT_ERROR)
