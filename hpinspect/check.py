"""Gate model files in CI: ``hpinspect check MODEL… --expect C=0.5 --require-fitted …``.

Rules come from command-line options, a ``--rules FILE.toml`` or the ``[tool.hpinspect.check]``
table of the nearest ``pyproject.toml``; :func:`merge_rules` layers them. :func:`run_check`
evaluates them against one :class:`~hpinspect.report.Report` and returns every failure; nothing
here prints or exits. Safety is not a rule: the CLI refuses unsafe files (exit 3) before any rule
runs, using :func:`is_unsafe`.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from hpinspect.errors import UsageError
from hpinspect.report import Category, Node, Report

__all__ = [
    "SKEW_LEVELS",
    "CheckFailure",
    "CheckResult",
    "MaxSkew",
    "Param",
    "Rules",
    "find_pyproject_rules",
    "github_annotations",
    "is_unsafe",
    "load_rules_file",
    "merge_rules",
    "param_map",
    "parse_expect",
    "parse_range",
    "parse_rules",
    "run_check",
    "unsafe_annotations",
]

MaxSkew = Literal["none", "patch", "minor", "major"]
SKEW_LEVELS: tuple[MaxSkew, ...] = ("none", "patch", "minor", "major")
RuleName = Literal["expect", "range", "require-fitted", "max-skew", "strict", "max-size"]
RULE_NAMES: tuple[RuleName, ...] = (
    "expect", "range", "require-fitted", "max-skew", "strict", "max-size",
)

REL_TOL = 1e-9
ABS_TOL = 1e-12

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_RULE_KEYS = ("require_fitted", "max_skew", "strict", "max_size", "expect", "range")


@dataclass(frozen=True)
class Rules:
    """What a model file must satisfy. Every field's empty value means "not checked"."""

    expect: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    """get_params-style path -> expected value (JSON-safe)."""
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=lambda: _EMPTY)
    """get_params-style path -> inclusive (low, high)."""
    require_fitted: bool = False
    """The root estimator must be fitted."""
    max_skew: MaxSkew | None = None
    """Largest allowed distance between saved-with and installed library versions."""
    strict: bool = False
    """Unknown (custom) classes fail too."""
    max_size: int | None = None
    """Largest allowed file size in bytes."""
    source: str = ""
    """Where the rules came from (a file path, ``command line``), for messages."""

    @property
    def empty(self) -> bool:
        """True when no rule is set."""
        return not (self.expect or self.ranges or self.require_fitted or self.strict
                    or self.max_skew is not None or self.max_size is not None)


@dataclass(frozen=True)
class CheckFailure:
    """One rule a file breaks."""

    file: str
    """The model file, as given."""
    rule: RuleName
    """expect, range, require-fitted, max-skew, strict or max-size."""
    subject: str
    """What the rule looked at: a parameter path, a library, a class, or ``""``."""
    expected: str
    """What the rule asked for, as text."""
    actual: str
    """What the file has, as text."""
    message: str
    """One readable sentence, including the hint."""
    hint: str = ""
    """Advice beyond expected/actual, e.g. ``did you mean 'clf__n_estimators'?``."""

    @property
    def line(self) -> str:
        """``file: rule subject: expected X, got Y`` (``; hint``) on one line."""
        where = f"{self.rule} {self.subject}" if self.subject else self.rule
        hint = f"; {self.hint}" if self.hint else ""
        return f"{self.file}: {where}: expected {self.expected}, got {self.actual}{hint}"


@dataclass(frozen=True)
class CheckResult:
    """Outcome of every rule for one file."""

    file: str
    """The model file, as given."""
    failures: tuple[CheckFailure, ...]
    """Broken rules, in rule order."""
    passed: tuple[str, ...] = ()
    """One line per rule that passed, e.g. ``expect C = 0.5``."""
    notes: tuple[str, ...] = ()
    """Things worth knowing that are not failures (a library not installed here …)."""

    @property
    def ok(self) -> bool:
        """True when no rule failed."""
        return not self.failures


@dataclass(frozen=True)
class Param:
    """One hyperparameter reachable by a get_params-style path."""

    path: str
    """``C``, ``clf__n_estimators``, ``best_estimator_.C``."""
    value: Any
    """JSON-safe value (None when only a summary exists)."""
    summary: str
    """Short text of the value."""
    kind: str
    """Attribute kind (scalar, string, none, list … or ``estimator`` for a step)."""
    classes: tuple[str, ...] = ()
    """For ``estimator`` entries: the dotted and the short class name."""


# --------------------------------------------------------------------------- parsing


def parse_value(text: str) -> Any:
    """A command-line VALUE: JSON, else a Python literal, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def parse_expect(text: str) -> tuple[str, Any]:
    """Split ``PATH=VALUE`` (``clf__n_estimators=30``) into the path and the parsed value."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise UsageError(f"--expect wants PATH=VALUE (e.g. C=0.5 or clf__n_estimators=30), "
                         f"got {text!r}")
    return path, parse_value(raw.strip())


def parse_range(text: str) -> tuple[str, tuple[float, float]]:
    """Split ``PATH=LOW:HIGH`` or ``PATH=[LOW, HIGH]`` into the path and the bounds."""
    path, value = parse_expect(text)
    if isinstance(value, str) and ":" in value:
        low, _, high = value.partition(":")
        value = [parse_value(low.strip()), parse_value(high.strip())]
    return path, _bounds(value, f"range {path!r}", "command line")


def _bounds(value: Any, what: str, source: str) -> tuple[float, float]:
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(_is_number(v) for v in value)):
        low, high = float(value[0]), float(value[1])
        if low > high:
            raise UsageError(f"{what}: low {value[0]} is above high {value[1]}", source)
        return low, high
    raise UsageError(f"{what} must be [low, high] (two numbers), got {value!r}", source)


def _suggest(word: str, choices: Iterable[str]) -> str:
    """``did you mean 'a' or 'b'?`` for the closest choices, or ``""``."""
    options = list(choices)
    same_but_case = [c for c in options if c.lower() == word.lower()]
    # 'C' when the model is a bundle or pipeline: model__C, clf__C, best_estimator_.C
    nested = [c for c in options if c.endswith((f"__{word}", f".{word}"))][:3]
    close = same_but_case or nested or difflib.get_close_matches(word, options, n=3,
                                                                 cutoff=0.75)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def parse_rules(table: Mapping[str, Any], source: str) -> Rules:
    """Rules from a TOML table (a rules file, or ``[tool.hpinspect.check]``)."""
    for key in table:
        if key not in _RULE_KEYS:
            hint = _suggest(key, _RULE_KEYS)
            raise UsageError(
                f"unknown key {key!r}{'; ' + hint if hint else ''} "
                f"(known keys: {', '.join(_RULE_KEYS)})", source)

    def flag(key: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            raise UsageError(f"{key} must be true or false, got {value!r}", source)
        return value

    max_skew = table.get("max_skew")
    if max_skew is not None and max_skew not in SKEW_LEVELS:
        raise UsageError(f"max_skew must be one of {', '.join(SKEW_LEVELS)}, got {max_skew!r}",
                         source)
    max_size = table.get("max_size")
    if max_size is not None and (not isinstance(max_size, int) or isinstance(max_size, bool)
                                 or max_size < 0):
        raise UsageError(f"max_size must be a number of bytes, got {max_size!r}", source)
    expect = table.get("expect", {})
    if not isinstance(expect, Mapping):
        raise UsageError("expect must be a table of PATH = VALUE", source)
    for path, value in expect.items():
        _check_toml_value(value, f"expect {path!r}", source)
    ranges_table = table.get("range", {})
    if not isinstance(ranges_table, Mapping):
        raise UsageError("range must be a table of PATH = [low, high]", source)
    ranges = {path: _bounds(value, f"range {path!r}", source)
              for path, value in ranges_table.items()}
    return Rules(
        expect=MappingProxyType(dict(expect)),
        ranges=MappingProxyType(ranges),
        require_fitted=flag("require_fitted"),
        max_skew=cast("MaxSkew | None", max_skew),
        strict=flag("strict"),
        max_size=max_size,
        source=source,
    )


def _check_toml_value(value: Any, what: str, source: str) -> None:
    """Reject TOML values a model file's JSON-safe parameters can never hold (dates, times)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, list):
        for item in value:
            _check_toml_value(item, what, source)
        return
    if isinstance(value, Mapping):
        for item in value.values():
            _check_toml_value(item, what, source)
        return
    raise UsageError(f"{what}: unsupported value {value!r}", source)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise UsageError("rules file not found", str(path)) from None
    except IsADirectoryError:
        raise UsageError("rules file is a directory", str(path)) from None
    except OSError as exc:
        raise UsageError(f"cannot read rules file: {exc.strerror or exc}", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"invalid TOML: {exc}", str(path)) from None
    except UnicodeDecodeError:
        raise UsageError("invalid TOML: not UTF-8 text", str(path)) from None


def load_rules_file(path: str | os.PathLike[str]) -> Rules:
    """Rules from a TOML file; a missing file, invalid TOML or unknown key is a UsageError."""
    file = Path(path)
    return parse_rules(_read_toml(file), str(file))


def find_pyproject_rules(start_dir: str | os.PathLike[str]) -> Rules | None:
    """Rules under ``[tool.hpinspect.check]`` in the nearest pyproject.toml that has them."""
    directory = Path(start_dir).resolve()
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        if not candidate.is_file():
            continue
        data = _read_toml(candidate)
        tool = data.get("tool", {})
        section = tool.get("hpinspect", {}) if isinstance(tool, Mapping) else {}
        if isinstance(section, Mapping) and "check" in section:
            table = section["check"]
            source = f"{candidate} [tool.hpinspect.check]"
            if not isinstance(table, Mapping):
                raise UsageError("must be a table", source)
            return parse_rules(table, source)
    return None


def merge_rules(*layers: Rules | None) -> Rules:
    """Layer rules, later ones winning: pyproject, then a rules file, then command-line options.

    Expectations and ranges merge per path; flags are switched on by any layer; ``max_skew``
    and ``max_size`` take the last value that is set.
    """
    expect: dict[str, Any] = {}
    ranges: dict[str, tuple[float, float]] = {}
    require_fitted = strict = False
    max_skew: MaxSkew | None = None
    max_size: int | None = None
    sources: list[str] = []
    for layer in layers:
        if layer is None:
            continue
        expect.update(layer.expect)
        ranges.update(layer.ranges)
        require_fitted = require_fitted or layer.require_fitted
        strict = strict or layer.strict
        max_skew = layer.max_skew if layer.max_skew is not None else max_skew
        max_size = layer.max_size if layer.max_size is not None else max_size
        if layer.source:
            sources.append(layer.source)
    return Rules(MappingProxyType(expect), MappingProxyType(ranges), require_fitted, max_skew,
                 strict, max_size, " + ".join(sources))


# --------------------------------------------------------------------------- parameters


def param_map(report: Report) -> dict[str, Param]:
    """Every hyperparameter of every node by get_params-style path (first occurrence wins).

    A node reached through a ``name__`` prefix is also listed under ``name`` with its class,
    so ``--expect clf=RandomForestClassifier`` works like ``get_params()['clf']``.
    """
    params: dict[str, Param] = {}
    for node in report.nodes():
        for attr in node.by_category(Category.HYPERPARAMETER):
            params.setdefault(node.param_prefix + attr.name,
                              Param(node.param_prefix + attr.name, attr.value, attr.summary,
                                    attr.kind))
    for node in report.nodes():
        # Other attributes with a plain value (n_features_in_, a bundle's threshold) too.
        for attr in node.attributes:
            if attr.category != "hyperparameter" and attr.kind in ("scalar", "string", "none",
                                                                     "list", "dict"):
                params.setdefault(node.param_prefix + attr.name,
                                  Param(node.param_prefix + attr.name, attr.value,
                                        attr.summary, attr.kind))
    for node in report.nodes():
        if node.param_prefix.endswith("__"):
            path = node.param_prefix[:-2]
            params.setdefault(path, Param(path, node.class_name, node.short_class, "estimator",
                                          (node.class_name, node.short_class)))
    return params


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def values_match(expected: Any, actual: Any, depth: int = 0) -> bool:
    """Expected against actual: floats with a small tolerance, ``1 == 1.0``, NaN == NaN."""
    if depth > 32:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if _is_number(expected) and _is_number(actual):
        e, a = float(expected), float(actual)
        if math.isnan(e) or math.isnan(a):
            return math.isnan(e) and math.isnan(a)
        if isinstance(expected, int) and isinstance(actual, int):
            return expected == actual
        return math.isclose(e, a, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(
            values_match(e, a, depth + 1) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return (set(map(str, expected)) == set(map(str, actual))
                and all(values_match(v, _get(actual, k), depth + 1) for k, v in expected.items()))
    return type(expected) is type(actual) and bool(expected == actual)


def _get(mapping: Mapping[Any, Any], key: Any) -> Any:
    if key in mapping:
        return mapping[key]
    for k, v in mapping.items():
        if str(k) == str(key):
            return v
    return None


def _param_matches(expected: Any, param: Param) -> bool:
    if param.kind == "estimator":
        return isinstance(expected, str) and expected in param.classes
    if param.value is None and param.kind not in ("none", "scalar"):
        # Only a summary exists (a callable, an object …): compare text with text.
        return isinstance(expected, str) and expected == param.summary
    if isinstance(expected, str) and not isinstance(param.value, str):
        return expected == param.summary
    return values_match(expected, param.value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    try:
        return json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return repr(value)


def _actual_text(param: Param) -> str:
    if param.kind == "estimator":
        return param.summary
    if param.value is None and param.kind not in ("none", "scalar"):
        return param.summary
    return _text(param.value)


# --------------------------------------------------------------------------- rules


def is_unsafe(report: Report) -> bool:
    """True when a real load would run code hpinspect cannot vouch for (exit 3)."""
    return report.safety.unsafe


def _skew_rank(level: str) -> int:
    return SKEW_LEVELS.index(level) if level in SKEW_LEVELS else -1


def run_check(report: Report, rules: Rules) -> CheckResult:
    """Evaluate every rule against one report."""
    file = report.file.path
    failures: list[CheckFailure] = []
    passed: list[str] = []
    notes: list[str] = []

    def fail(rule: RuleName, subject: str, expected: str, actual: str, message: str,
             hint: str = "") -> None:
        if hint:
            message = f"{message}; {hint}"
        failures.append(CheckFailure(file, rule, subject, expected, actual, message, hint))

    params = param_map(report) if rules.expect or rules.ranges else {}
    for path, expected in rules.expect.items():
        param = params.get(path)
        if param is None:
            hint = _suggest(path, params)
            if isinstance(expected, Mapping) and not hint:
                # TOML reads a bare dotted key (best_estimator_.C = 1) as a nested table.
                hint = 'in TOML, quote a dotted path: "best_estimator_.C" = …'
            fail("expect", path, _text(expected), "no such parameter",
                 f"{path!r} is not a parameter of this model", hint)
        elif _param_matches(expected, param):
            passed.append(f"expect {path} = {_text(expected)}")
        else:
            fail("expect", path, _text(expected), _actual_text(param),
                 f"{path} is {_actual_text(param)}, not {_text(expected)}")

    for path, (low, high) in rules.ranges.items():
        param = params.get(path)
        bounds = f"[{_text(low)}, {_text(high)}]"
        if param is None:
            fail("range", path, bounds, "no such parameter",
                 f"{path!r} is not a parameter of this model", _suggest(path, params))
        elif not _is_number(param.value):
            fail("range", path, bounds, _actual_text(param), f"{path} is not a number")
        elif _in_range(float(param.value), low, high):
            passed.append(f"range {path} in {bounds}")
        else:
            fail("range", path, bounds, _actual_text(param), f"{path} is outside {bounds}")

    if rules.require_fitted:
        root = report.model
        if root.fitted:
            passed.append("require-fitted")
        else:
            fail("require-fitted", root.short_class, "fitted", "not fitted",
                 f"{root.short_class} has no learned attributes", "fit was never run")

    if rules.max_skew is not None:
        _check_skew(report, rules.max_skew, fail, passed, notes)

    if rules.strict:
        unknown = [f for f in report.safety.findings if f.severity == "unknown class"]
        for finding in unknown:
            where = f" at {finding.path}" if finding.path else ""
            fail("strict", finding.global_name, "known classes only", "unknown class",
                 f"{finding.global_name}{where} is not a class hpinspect knows")
        unknown_nodes = [n for n in report.nodes() if not n.known and not _listed(n, unknown)]
        for node in unknown_nodes:
            fail("strict", node.class_name, "known classes only", "unknown class",
                 f"{node.class_name} at {node.path or '(root)'} is not a class hpinspect knows")
        if not unknown and not unknown_nodes:
            passed.append("strict")

    if rules.max_size is not None:
        size = report.file.size_bytes
        if size <= rules.max_size:
            passed.append(f"max-size {rules.max_size}")
        else:
            fail("max-size", "", f"<= {rules.max_size} bytes", f"{size} bytes",
                 f"the file is {size - rules.max_size} bytes over the limit")

    return CheckResult(file, tuple(failures), tuple(passed), tuple(notes))


def _listed(node: Node, findings: Sequence[Any]) -> bool:
    return any(f.global_name == node.class_name for f in findings)


def _in_range(value: float, low: float, high: float) -> bool:
    if math.isnan(value):
        return False
    return (low <= value <= high
            or math.isclose(value, low, rel_tol=REL_TOL, abs_tol=ABS_TOL)
            or math.isclose(value, high, rel_tol=REL_TOL, abs_tol=ABS_TOL))


def _check_skew(report: Report, max_skew: MaxSkew,
                fail: Callable[[RuleName, str, str, str, str], None], passed: list[str],
                notes: list[str]) -> None:
    versions = report.versions
    if not versions.saved_with:
        notes.append("max-skew: the file records no library versions; nothing to compare")
        return
    limit = _skew_rank(max_skew)
    ok = True
    for lib in sorted(versions.saved_with):
        saved = versions.saved_with[lib]
        level = versions.skew.get(lib, "unknown")
        installed = versions.installed.get(lib)
        if level == "unknown":
            # Not installed here (or an unparsable version): there is nothing to be skewed
            # against, so the rule cannot fail; say so rather than pass silently.
            notes.append(f"max-skew: {lib} {saved} saved, "
                         f"{'not installed here' if installed is None else installed}; "
                         f"skew unknown")
            continue
        if _skew_rank(level) > limit:
            ok = False
            fail("max-skew", lib, f"skew <= {max_skew}", f"{level} ({saved} → {installed})",
                 f"saved with {lib} {saved}, installed {installed}: {level} skew is above "
                 f"{max_skew}")
    if ok:
        passed.append(f"max-skew {max_skew}")


# --------------------------------------------------------------------------- GitHub Actions


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: Literal["error", "warning", "notice"], file: str, title: str,
               message: str) -> str:
    """One GitHub Actions workflow command (``::error file=…,title=…::message``)."""
    return (f"::{level} file={_escape_property(file)},title={_escape_property(title)}"
            f"::{_escape_data(message)}")


def github_annotations(results: Iterable[CheckResult]) -> list[str]:
    """``::error`` lines for every failure, for GitHub Actions to attach to the model file."""
    lines: list[str] = []
    for result in results:
        for failure in result.failures:
            subject = f" {failure.subject}" if failure.subject else ""
            lines.append(annotation(
                "error", failure.file, f"hpinspect {failure.rule}",
                f"{failure.rule}{subject}: expected {failure.expected}, got {failure.actual}"
                + (f"; {failure.hint}" if failure.hint else "")))
    return lines


def unsafe_annotations(report: Report) -> list[str]:
    """``::error`` lines for the findings that make a file unsafe."""
    return [
        annotation("error", report.file.path, f"hpinspect {finding.severity}",
                   f"{finding.global_name}: {finding.detail}"
                   + (f" (at {finding.path})" if finding.path else ""))
        for finding in report.safety.findings
        if finding.severity in ("dangerous", "unknown call")
    ]
