"""A safe reader for the YAML subset MLflow writes in ``MLmodel`` files (no PyYAML needed).

MLflow writes ``MLmodel`` with ``yaml.safe_dump``: block mappings and block sequences (PyYAML
puts a sequence under a key at the key's own indentation), plain, single- and double-quoted
scalars (long ones folded over several lines), ``null``/booleans/numbers, ``{}`` and ``[]``.
:func:`parse` reads exactly that and builds only dicts, lists, strings, numbers, booleans and
``None``; tags (``!!python/object``), anchors and aliases are refused, as are documents larger
than :data:`MAX_BYTES` or nested deeper than :data:`MAX_DEPTH`. Nothing is ever constructed
from the text. The tests compare it with ``yaml.safe_load`` on real MLmodel files and on
random documents ``yaml.safe_dump`` writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_BYTES", "MAX_DEPTH", "YamlError", "parse"]

MAX_BYTES = 1 << 20
MAX_DEPTH = 64
# PyYAML's (YAML 1.1) resolvers for the forms MLmodel files use; other implicit types
# (octal, hex, binary and sexagesimal numbers, timestamps, merge keys) are refused rather
# than read differently from yaml.safe_load.
_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"[-+]?([0-9][0-9_]*)\.[0-9_]*([eE][-+][0-9]+)?$"
                    r"|\.[0-9][0-9_]*([eE][-+][0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"([-+]?)\.(inf|Inf|INF)$|\.(nan|NaN|NAN)$")
# Each is anchored at both ends, as PyYAML's are: a plain scalar that merely starts like one
# (a model_uuid such as ``0b3f...``) is a string there and here.
_REFUSED = re.compile(r"(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+"
                      r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"
                      r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
                      r"|[0-9]{4}-[0-9]{2}-[0-9]{2}"
                      r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
                      r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?"
                      r"|<<|=)$")
_CONSTANTS: dict[str, Any] = {"null": None, "Null": None, "NULL": None, "~": None, "": None}
for _word, _value in (("true", True), ("yes", True), ("on", True), ("false", False),
                      ("no", False), ("off", False)):
    _CONSTANTS.update({_word: _value, _word.title(): _value, _word.upper(): _value})
_KEY = re.compile(r"""((?:'(?:[^']|'')*')|(?:"(?:[^"\\]|\\.)*")"""
                  r"""|[^'"#\s](?:[^#]|(?<=\S)#)*?):(?:\s+|$)""")


class YamlError(ValueError):
    """The text is not in the YAML subset MLmodel files use."""


@dataclass(frozen=True)
class _Line:
    indent: int
    text: str
    """The line without its indentation (trailing spaces kept: quoted scalars need them)."""
    number: int

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    @property
    def structural(self) -> bool:
        """Not blank and not a comment: a line a mapping or sequence may start on."""
        return not self.blank and not self.text.lstrip().startswith("#")


def _lines(text: str) -> list[_Line]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.strip() in ("---", "..."):
            continue
        body = raw.lstrip(" ")
        if body.startswith("\t") and body.strip():
            raise YamlError(f"line {number}: tab in indentation")
        out.append(_Line(len(raw) - len(body), body, number))
    return out


_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
            "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
            "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX = {"x": 2, "u": 4, "U": 8}


def _unescape(text: str, number: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = text[i + 1:i + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code in _HEX:
            digits = text[i + 2:i + 2 + _HEX[code]]
            if len(digits) != _HEX[code] or not all(c in "0123456789abcdefABCDEF"
                                                    for c in digits):
                raise YamlError(f"line {number}: bad \\{code} escape")
            out.append(chr(int(digits, 16)))
            i += 2 + _HEX[code]
        else:
            raise YamlError(f"line {number}: unknown escape \\{code}")
    return "".join(out)


def _fold(pieces: list[str], escaped_breaks: bool) -> str:
    """Join the lines of a multi-line flow scalar: one break is a space, n blank lines n
    newlines; in double quotes a line ending in an odd backslash joins without a space."""
    out = ""
    blanks = 0
    for index, piece in enumerate(pieces):
        if index and not piece.strip():
            blanks += 1
            continue
        if index:
            ends_escaped = escaped_breaks and (len(out) - len(out.rstrip("\\"))) % 2 == 1
            if ends_escaped and not blanks:
                out = out[:-1]
            else:
                out = out.rstrip(" \t") + ("\n" * blanks if blanks else " ")
        out += piece.lstrip(" \t") if index else piece
        blanks = 0
    return out


def _scalar(pieces: list[str], number: int) -> Any:
    first = pieces[0].lstrip()
    if first[:1] in ("!", "&", "*", "|", ">", "%", "@", "`", "[", "{", "?") and \
            first.rstrip() not in ("{}", "[]"):
        raise YamlError(f"line {number}: YAML feature outside the MLmodel subset "
                        f"({first[:1]!r})")
    if first.startswith("'"):
        text = _fold(pieces, False).strip()
        if len(text) < 2 or not text.endswith("'") or "'" in text[1:-1].replace("''", ""):
            raise YamlError(f"line {number}: bad single-quoted string")
        return text[1:-1].replace("''", "'")
    if first.startswith('"'):
        text = _fold(pieces, True).strip()
        body = text[1:-1]
        if len(text) < 2 or not text.endswith('"') or re.search(r'(?<!\\)(\\\\)*"', body):
            raise YamlError(f"line {number}: bad double-quoted string")
        return _unescape(body, number)
    text = _fold([p.split(" #")[0] for p in pieces], False).strip()
    return _plain(text)


def _plain(text: str) -> Any:
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    if text in ("{}", "[]"):
        return {} if text == "{}" else []
    special = _SPECIAL_FLOAT.match(text)
    if special:
        return float("nan") if special.group(3) else float(special.group(1) + "inf")
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _FLOAT.match(text):
        return float(text.replace("_", ""))
    if _REFUSED.match(text):
        raise YamlError(f"plain value {text[:40]!r} has a YAML 1.1 type outside the subset")
    return text


def _is_item(line: _Line) -> bool:
    text = line.text.rstrip()
    return text == "-" or text.startswith("- ")


class _Parser:
    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines
        self.pos = 0
        self.skip()

    def skip(self) -> None:
        while self.pos < len(self.lines) and not self.lines[self.pos].structural:
            self.pos += 1

    def at(self, indent: int) -> _Line | None:
        self.skip()
        if self.pos < len(self.lines) and self.lines[self.pos].indent == indent:
            return self.lines[self.pos]
        return None

    def block(self, indent: int, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise YamlError(f"nested deeper than {MAX_DEPTH} levels")
        line = self.lines[self.pos]
        return self.sequence(indent, depth) if _is_item(line) else self.mapping(indent, depth)

    def mapping(self, indent: int, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while (line := self.at(indent)) is not None:
            match = _KEY.match(line.text)
            if match is None or _is_item(line) or line.text.startswith("?"):
                raise YamlError(f"line {line.number}: expected 'key: value'")
            key = _scalar([match.group(1).strip()], line.number)
            if not isinstance(key, str):
                raise YamlError(f"line {line.number}: key {key!r} is not a string")
            if key in out:
                raise YamlError(f"line {line.number}: duplicate key {key!r}")
            self.pos += 1
            out[key] = self.value(line.text[match.end():], indent, line.number, depth)
        self._check_dedent(indent)
        return out

    def value(self, rest: str, indent: int, number: int, depth: int) -> Any:
        if rest.strip() and not rest.lstrip().startswith("#"):
            return _scalar(self.continued(rest, indent), number)
        self.skip()
        if self.pos >= len(self.lines):
            return None
        nxt = self.lines[self.pos]
        if nxt.indent > indent or (nxt.indent == indent and _is_item(nxt)):
            return self.block(nxt.indent, depth + 1)
        return None

    def continued(self, text: str, indent: int) -> list[str]:
        """The lines of a scalar folded over more-indented lines (PyYAML wraps long ones)."""
        pieces = [text]
        end = self.pos
        scan = self.pos
        while scan < len(self.lines) and (self.lines[scan].blank
                                          or self.lines[scan].indent > indent):
            scan += 1
            if not self.lines[scan - 1].blank:
                end = scan
        pieces += [line.text for line in self.lines[self.pos:end]]
        self.pos = end
        return pieces

    def sequence(self, indent: int, depth: int) -> list[Any]:
        out: list[Any] = []
        while (line := self.at(indent)) is not None and _is_item(line):
            rest = line.text[1:].lstrip(" ")
            if rest and (_KEY.match(rest) or _is_item(_Line(0, rest, 0))):
                # "- key: value" or "- - item": a block whose first line shares the dash
                inner = indent + len(line.text) - len(rest)
                self.lines[self.pos] = _Line(inner, rest, line.number)
                out.append(self.block(inner, depth + 1))
                continue
            self.pos += 1
            out.append(self.value(rest, indent, line.number, depth))
        return out

    def _check_dedent(self, indent: int) -> None:
        self.skip()
        if self.pos < len(self.lines) and self.lines[self.pos].indent > indent:
            line = self.lines[self.pos]
            raise YamlError(f"line {line.number}: unexpected indentation")


def parse(text: str) -> Any:
    """The document in ``text`` as plain Python values. Raises :class:`YamlError`."""
    if len(text) > MAX_BYTES:
        raise YamlError(f"larger than {MAX_BYTES:,} bytes")
    parser = _Parser(_lines(text))
    if parser.pos >= len(parser.lines):
        return None
    first = parser.lines[parser.pos]
    if not _KEY.match(first.text) and not _is_item(first):
        parser.pos += 1
        return _scalar(parser.continued(first.text, -1), first.number)
    result = parser.block(first.indent, 0)
    parser.skip()
    if parser.pos != len(parser.lines):
        raise YamlError(f"line {parser.lines[parser.pos].number}: unexpected content")
    return result
