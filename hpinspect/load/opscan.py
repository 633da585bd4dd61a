"""Guard the C unpickler against sizes it acts on before reading: a walk of its opcodes.

CPython's C unpickler trusts a few numbers from the file before it has read what they
describe: a memo index (``PUT``, ``LONG_BINPUT``) grows its memo array to twice that index and
zeroes it -- ``LONG_BINPUT 2**28`` touches 4 GiB --, and a declared length (``BYTEARRAY8``,
``BINBYTES8``, ``BINUNICODE8``, ``FRAME``, ``LONG4``, the 4-byte counts) allocates that much
(``BYTEARRAY8`` of 16 GiB is touched whole on Linux). hpinspect does not let it meet them:
:class:`GuardedInput` is the file object the C reader is given, and every byte it hands over
is first walked by :class:`OpWalker` -- opcode by opcode, exactly as the C reader will parse
them (the argument widths are CPython's, as :mod:`pickletools` lists them). A memo index at or above
``Limits.max_memo``, or a declared length above the bytes left in the file's budget, is a
*hazard*: the bytes before it are delivered, and the reader's next request for the hazard's
bytes raises :class:`~hpinspect.errors.LimitExceededError` instead, so everything the reading
found before it is kept (the byte offset is in the message). A stream that ends at its STOP
before the hazard reads normally: the walker looks ahead only as far as the reader peeks.

The pure-Python unpickler (the joblib reading) keeps its memo in a dict; its one touching
allocation (``BYTEARRAY8``) is checked in :mod:`hpinspect.load.unpickler`.

A *strict* walk (``OpWalker(strict=True)``) is the guard of the C reader standing in for the
pure-Python one (an object array's nested pickle in a joblib file): every opcode the two
unpicklers might parse differently, or that a protocol-2 pickler never writes, is a hazard too
(:data:`DIVERGING`), and :attr:`OpWalker.diverged` says so; the caller then reads with the
pure-Python unpickler after all. A *whole-stream* strict walk (``refuse=WHOLE_STREAM``, the C
reader standing in for joblib's reader on a whole joblib stream: :mod:`hpinspect.load.joblib_c`)
refuses more (:data:`WHOLE_STREAM`) and collects the memo indices of every GET
(:attr:`OpWalker.gets`); :class:`FramedInput` is its file object.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, BinaryIO

from hpinspect.errors import LimitExceededError

OPCODE_TABLE = (
    "INT:49:line BININT:4a:4 BININT1:4b:1 BININT2:4d:2 LONG:4c:line LONG1:8a:n1 LONG4:8b:n4 "
    "STRING:53:line BINSTRING:54:n4 SHORT_BINSTRING:55:n1 BINBYTES:42:n4 SHORT_BINBYTES:43:n1 "
    "BINBYTES8:8e:n8 BYTEARRAY8:96:n8 NEXT_BUFFER:97:0 READONLY_BUFFER:98:0 NONE:4e:0 "
    "NEWTRUE:88:0 NEWFALSE:89:0 UNICODE:56:line SHORT_BINUNICODE:8c:n1 BINUNICODE:58:n4 "
    "BINUNICODE8:8d:n8 FLOAT:46:line BINFLOAT:47:8 EMPTY_LIST:5d:0 APPEND:61:0 APPENDS:65:0 "
    "LIST:6c:0 EMPTY_TUPLE:29:0 TUPLE:74:0 TUPLE1:85:0 TUPLE2:86:0 TUPLE3:87:0 EMPTY_DICT:7d:0 "
    "DICT:64:0 SETITEM:73:0 SETITEMS:75:0 EMPTY_SET:8f:0 ADDITEMS:90:0 FROZENSET:91:0 POP:30:0 "
    "DUP:32:0 MARK:28:0 POP_MARK:31:0 GET:67:line BINGET:68:1 LONG_BINGET:6a:4 PUT:70:line "
    "BINPUT:71:1 LONG_BINPUT:72:4 MEMOIZE:94:0 EXT1:82:1 EXT2:83:2 EXT4:84:4 GLOBAL:63:lines "
    "STACK_GLOBAL:93:0 REDUCE:52:0 BUILD:62:0 INST:69:lines OBJ:6f:0 NEWOBJ:81:0 NEWOBJ_EX:92:0 "
    "PROTO:80:1 STOP:2e:0 FRAME:95:8 PERSID:50:line BINPERSID:51:0")
"""Every opcode of CPython's pickle module: ``NAME:code:argument``, the code in hex and the
argument a fixed width in bytes, ``line``/``lines`` (one or two newline-ended lines) or
``nW`` (a W-byte count, then that many bytes). Written out, not built from
:mod:`pickletools` when this module loads (importing it is about 1.5 ms of every run); a
test checks it against pickletools' own table."""

# Opcode kinds (from OPCODE_TABLE's arguments).
_UNKNOWN, _FIXED, _COUNTED, _LINES, _STOP, _MEMO4, _PUT = range(7)


def _opcodes() -> list[tuple[str, int, str]]:
    out = []
    for entry in OPCODE_TABLE.split():
        name, code, arg = entry.split(":")
        out.append((name, int(code, 16), arg))
    return out


def _tables() -> tuple[list[int], list[int]]:
    kind = [_UNKNOWN] * 256
    width = [0] * 256
    for name, code, arg in OPCODES:
        if name == "STOP":
            kind[code] = _STOP
        elif name == "LONG_BINPUT":
            kind[code], width[code] = _MEMO4, 5
        elif name == "PUT":
            kind[code], width[code] = _PUT, 1
        elif name == "FRAME":
            kind[code], width[code] = _COUNTED, 8  # its length is checked; content: opcodes
        elif arg.isdigit():
            kind[code], width[code] = _FIXED, 1 + int(arg)
        elif arg.startswith("line"):
            kind[code], width[code] = _LINES, 2 if arg == "lines" else 1
        else:
            kind[code], width[code] = _COUNTED, int(arg[1:])
    return kind, width


OPCODES = _opcodes()
"""(name, code, argument) of every opcode, parsed once from :data:`OPCODE_TABLE`."""
KIND, WIDTH = _tables()
NAMES = {code: name for name, code, _arg in OPCODES}
CODES = {name: code for name, code, _arg in OPCODES}
FRAME = CODES["FRAME"]
SIGNED_COUNT = frozenset({CODES["LONG4"]})
"""LONG4's count is signed in the C reader (negative: an error); every other is unsigned."""
CHECKED_COUNT = 4
"""Counts of this width or more are compared with the budget (1-byte ones are small)."""
MAX_PUT_LINE = 1 << 20
"""A text PUT argument longer than this is a hazard (the pickler writes ``p<digits>``)."""
DIVERGING = frozenset(CODES[name] for name in (
    "INT", "LONG", "FLOAT", "STRING", "UNICODE", "PERSID", "INST", "PUT", "GET", "OBJ",
    "EXT1", "EXT2", "EXT4", "NEXT_BUFFER", "READONLY_BUFFER", "POP", "POP_MARK"))
"""Opcodes a strict walk refuses: the text ones but GLOBAL (C and Python parse numbers and
lines their own ways), OBJ/INST and the extension codes (old protocols' class calls),
out-of-band buffers (only with a ``buffers`` argument, which no loader here passes), and POP
and POP_MARK (without them, a batch is empty only right after its MARK: see
:data:`BATCHES`). Frames are checked instead (:meth:`OpWalker._walk_strict`), and the largest
BYTEARRAY8 after the reading (:attr:`OpWalker.largest_bytearray`)."""
WHOLE_STREAM = DIVERGING | frozenset(CODES[name] for name in (
    "DUP", "BINPUT", "LONG_BINPUT", "PROTO"))
"""What a whole-stream strict walk refuses besides :data:`DIVERGING` (PROTO but at byte 0): the
in-place reading of joblib's arrays (:mod:`hpinspect.load.joblib_c`) differs from joblib's only
where a reference to an array wrapper made before its BUILD is used after it -- a DUP, or a GET
of the memo slot the wrapper was put in; with MEMOIZE alone (protocol 4 and 5 pickles) a memo
slot is never written twice, so the GETs collected and the memo at the end say it all."""
GETS = frozenset({CODES["BINGET"], CODES["LONG_BINGET"]})
PROTO = CODES["PROTO"]
MARK = CODES["MARK"]
BATCHES = frozenset(CODES[name] for name in ("APPENDS", "SETITEMS", "ADDITEMS"))
"""On an empty batch the C reader returns at once; the pure-Python one still looks up the
object below the mark (an error when there is none) and calls ``extend([])`` on it: a strict
walk refuses a MARK whose next opcode, past FRAME and PROTO, is one of these."""
_SILENT = {FRAME: 9, CODES["PROTO"]: 2}
"""Opcodes that push nothing and cannot fail between a MARK and its batch (their widths)."""


_JOIN = 1 << 12
"""Bytes of new data joined to an incomplete opcode to finish it (doubled while it is not)."""


def _charclass(codes: list[int]) -> bytes:
    return b"[" + b"".join(b"\\x%02x" % c for c in codes) + b"]"


SMALL_COUNT = 32
"""Counted opcodes shorter than this are walked by the regex. The regex engine tries an
alternation's branches in turn, so each branch costs every opcode that reaches it: 32 (most
dictionary keys, names and short strings) walks a 200,000-word vocabulary faster than 256 did,
and compiles in 1 ms instead of 7-11 ms on every plain pickle; longer ones take the Python
step, which checks nothing more for them."""


def _counted_small(widths: int) -> bytes:
    """A count of ``widths`` bytes below :data:`SMALL_COUNT`, then that many bytes."""
    zeros = b"\\x00" * (widths - 1)
    return b"(?:" + b"|".join(b"\\x%02x" % n + zeros + (b".{%d}" % n if n else b"")
                              for n in range(SMALL_COUNT)) + b")"


_MARK_NOT_EMPTY = b"\\((?=(?:\\x95.{8}|\\x80.)*+[^ue\\x90\\x95\\x80])"
"""A MARK whose next opcode past FRAME and PROTO (:data:`_SILENT`) is here and is no batch: the
check of :func:`_step_mark`, in the regex (a MARK it does not take is stepped in Python)."""


def _alternatives(memo_high: int, refused: frozenset[int], mark: bytes) -> list[bytes]:
    by_width: dict[int, list[int]] = {}
    for code in range(256):
        if KIND[code] == _FIXED and code not in refused:
            by_width.setdefault(WIDTH[code], []).append(code)
    alternatives = [_charclass(codes) + (b".{%d}" % (w - 1) if w > 1 else b"")
                    for w, codes in sorted(by_width.items())]
    if MARK in refused and mark:
        alternatives.insert(1, mark)
    for widths in (1, 4):
        codes = [c for c in range(256) if KIND[c] == _COUNTED and WIDTH[c] == widths
                 and c != FRAME and c not in SIGNED_COUNT and c not in refused]
        alternatives.append(_charclass(codes) + _counted_small(widths))
    if memo_high and CODES["LONG_BINPUT"] not in refused:
        alternatives.append(b"r..[\\x00-\\x%02x]\\x00" % (memo_high - 1))
    return alternatives


def _run_pattern(memo_high: int, refused: frozenset[int]) -> re.Pattern[bytes]:
    """A regex matching a run of opcodes that need no check (walked in C, not in Python):
    fixed-width ones, counted ones shorter than :data:`SMALL_COUNT` bytes, LONG_BINPUT below
    ``memo_high`` x 65,536 (at most the memo limit); none of ``refused`` (a MARK, when refused,
    where its batch is not empty)."""
    alternatives = _alternatives(memo_high, refused, _MARK_NOT_EMPTY)
    return re.compile(b"(?:" + b"|".join(alternatives) + b")*+", re.DOTALL)


def _get_pattern(memo_high: int, refused: frozenset[int]) -> re.Pattern[bytes]:
    """A regex whose ``findall`` over a run :func:`_run_pattern` matched gives each GET in it
    (BINGET or LONG_BINGET with its argument), stepping the run's other opcodes (a MARK of the
    run needs no look-ahead again), and one empty match at the run's end: without it, the
    opcodes after the last GET would be scanned again from each of their bytes in turn
    (quadratic in a run without GETs: minutes for a list of 100,000 booleans)."""
    alternatives = _alternatives(memo_high, refused | GETS, b"\\(")
    return re.compile(b"(?:" + b"|".join(alternatives) + b")*+(h.|j.{4}|\\Z)", re.DOTALL)


_RUNS: dict[tuple[int, frozenset[int]], re.Pattern[bytes]] = {}
_GET_RUNS: dict[tuple[int, frozenset[int]], re.Pattern[bytes]] = {}

RUN_REGEX_FROM = 16 << 10
"""Bytes a walk steps in Python before it compiles its run regexes. They are an accelerator
(every opcode they take, the Python steps take the same way); compiling one costs about
2.3 ms, which a small file's whole walk does not: its pickle is stepped in Python alone."""
_NO_RUN = re.compile(b"").match
"""The run matcher before :data:`RUN_REGEX_FROM`: an empty run everywhere."""


def _no_gets(data: Any, start: int, end: int) -> list[bytes]:
    """The GET scan of an empty run (all :data:`_NO_RUN` ever matches)."""
    return []


class OpWalker:
    """Walks the opcodes of one pickle as it is delivered, and finds the first hazard."""

    def __init__(self, max_memo: int, budget_left: Callable[[], int], *,
                 strict: bool = False, refuse: frozenset[int] = DIVERGING) -> None:
        self.max_memo = max_memo
        self.budget_left = budget_left
        """Bytes still allowed by the file's budget."""
        self.fed = 0
        """Offset (from the pickle's start) of the first byte of :attr:`tail`."""
        self.tail = b""
        """The bytes seen of an opcode not complete yet (a header, a text PUT line)."""
        self.lines = 0
        """Newlines still to pass inside a line-argument opcode (its text is not kept)."""
        self.done = False
        """STOP (or an opcode the reader rejects) reached: nothing further is parsed."""
        self.hazard: int | None = None
        self.why = ""
        self.refused = refuse if strict else frozenset()
        self.diverged = False
        """Whether the hazard is where the two unpicklers may part (a strict walk)."""
        self.frame_end = 0
        """Offset where the last FRAME's content ends (a strict walk)."""
        self.largest_bytearray = 0
        """The largest BYTEARRAY8 length walked. The pure-Python reader compares each with
        the budget left when it runs (``unpickler._load_bytearray8``), after calls that may
        have charged it; the walk, when its bytes arrive: a strict reading is vouched for only
        when the largest fits what is left at its end (see :func:`bytearrays_fit`)."""
        self._walk_data = self._walk_strict if strict else self._walk
        high = min(max_memo >> 16, 256)
        # (a strict walk checks each MARK: in the regex or in _step_mark)
        self._key = (high, self.refused | {MARK} if strict else self.refused)
        self.run: Callable[..., re.Match[bytes] | None] = _NO_RUN
        """The run matcher: :data:`_NO_RUN` until :data:`RUN_REGEX_FROM` bytes are walked."""
        self.gets: set[bytes] | None = None
        """Every GET walked (its opcode and argument), in a whole-stream walk."""
        self.get_scan: Callable[[Any, int, int], list[bytes]] | None = None
        if strict and refuse is WHOLE_STREAM:
            self.gets, self.get_scan = set(), _no_gets
        if _RUNS.get(self._key) is not None:
            self._compile_runs()  # (compiled already in this process: nothing to save)

    def _compile_runs(self) -> None:
        """The run regexes of this walk's kind (compiled once per process)."""
        key = self._key
        run = _RUNS.get(key)
        if run is None:
            run = _RUNS[key] = _run_pattern(*key)
        self.run = run.match
        if self.get_scan is not None:
            scan = _GET_RUNS.get(key)
            if scan is None:
                scan = _GET_RUNS[key] = _get_pattern(*key)
            self.get_scan = scan.findall  # (b"" too: the end of each run)

    def clean_at(self, pos: int) -> bool:
        """Whether everything before ``pos`` is walked, with nothing pending or found."""
        return (self.fed == pos and not self.tail and not self.lines and not self.done
                and self.hazard is None)

    def get_indices(self) -> set[int]:
        """The memo indices of :attr:`gets`."""
        return {g[1] if g[0] == _BINGET else int.from_bytes(g[1:], "little")
                for g in self.gets or () if g}

    def feed(self, data: Any, start: int) -> None:
        """Walk ``data``, the bytes at offsets ``start`` ... of the pickle.

        The walk reads the reader's own buffer through a view; only an opcode left incomplete
        at the end of the previous data (:attr:`tail`) is joined with the first bytes of this
        one, so a megabyte the reader peeks is not copied to be walked.
        """
        with memoryview(data) as view:
            while True:
                seen = self.fed + len(self.tail)
                if self.done or self.hazard is not None or start + len(view) <= seen:
                    return
                if seen < start:  # the reader never skips bytes it was not given
                    self._hazard(seen, "a read past bytes the C unpickler was not given")
                    return
                if self.run is _NO_RUN and start + len(view) > RUN_REGEX_FROM:
                    self._compile_runs()
                with view[seen - start:] as rest:
                    if not self.tail:
                        self._walk_data(rest, len(rest))
                        return
                    joined = self.tail + bytes(rest[:max(_JOIN, len(self.tail))])
                self._walk_data(joined, len(self.tail))

    def _walk(self, buf: Any, stop: int) -> None:
        """Walk ``buf`` (bytes at offsets :attr:`fed` ... of the pickle) until an opcode ends
        at or past ``stop``; what is left of an opcode not complete yet becomes :attr:`tail`.
        """
        base = self.fed
        i = self._pass_lines(buf, 0) if self.lines else 0
        end = len(buf)
        run = self.run
        while i < stop and not self.lines and not self.done and self.hazard is None:
            i = run(buf, i).end()  # type: ignore[union-attr]  # a run may be empty
            if i >= end:
                break
            code = buf[i]
            kind = KIND[code]
            if kind == _FIXED:
                if i + WIDTH[code] > end:
                    break
                i += WIDTH[code]
                continue
            step = _STEPS[kind](self, buf, i, base)
            if step < 0:
                break  # the opcode is not all here yet
            i = step
        self._settle(buf, base, i, stop)

    def _walk_strict(self, buf: Any, stop: int) -> None:
        """:meth:`_walk` that also stops where the pure-Python unpickler would read other
        than the C one: an opcode of :data:`DIVERGING`; a FRAME before the last one's content
        is all read, an opcode or a text line running past a frame's end (Python raises
        there, C reads on: it never checks frames); a text line inside a frame."""
        base = self.fed
        i = self._pass_lines(buf, 0) if self.lines else 0
        end = len(buf)
        run, refused, gets, scan = self.run, self.refused, self.gets, self.get_scan
        while i < stop and not self.lines and not self.done and self.hazard is None:
            frame = self.frame_end - base
            inside = i < frame
            j = run(buf, i, min(end, frame) if inside else end).end()  # type: ignore[union-attr]
            if scan is not None and j > i:
                gets.update(scan(buf, i, j))  # type: ignore[union-attr]
            i = j
            if i >= end or (inside and i == frame):
                continue  # the data's end (the loop ends: i >= stop), or the frame's
            code = buf[i]
            kind = KIND[code]
            if (code in refused and not (code == PROTO and base + i == 0)) or (
                    inside and (code == FRAME or kind == _LINES)) or (
                    inside and kind == _STOP and base + i + 1 != self.frame_end):
                # (a STOP before its frame's end: Python has read the whole frame, C not)
                self._diverge(base + i, NAMES[code])
                break
            if code == MARK:
                nxt = _step_mark(self, buf, i, base)
            else:
                nxt = i + WIDTH[code] if kind == _FIXED else _STEPS[kind](self, buf, i, base)
            if nxt < 0 or (nxt > end and kind == _FIXED):
                break  # the opcode is not all here yet
            if inside and nxt > frame:
                self._diverge(base + i, f"{NAMES[code]} across a frame's end")
                break
            if code in GETS and gets is not None:
                gets.add(bytes(buf[i:nxt]))
            if code == FRAME and self.hazard is None:
                self.frame_end = base + nxt + int.from_bytes(buf[i + 1:nxt], "little")
            i = nxt
        self._settle(buf, base, i, stop)

    def _diverge(self, offset: int, what: str) -> None:
        self._hazard(offset, f"{what}, which the C and the pure-Python unpicklers may read "
                     "differently")
        self.diverged = True

    def _settle(self, buf: Any, base: int, i: int, stop: int) -> None:
        """Where a walk of ``buf`` stopped at ``i``: what is fed, what is left to finish."""
        end = len(buf)
        if self.lines:
            self.fed, self.tail = base + end, b""
        elif i >= stop or self.done or self.hazard is not None:  # nothing left to finish
            self.fed, self.tail = base + i, b""
        else:
            self.fed, self.tail = base + i, bytes(buf[i:])
            if len(self.tail) > MAX_PUT_LINE:
                self._hazard(self.fed, "a text PUT argument over 1 MiB")

    def _pass_lines(self, buf: Any, i: int) -> int:
        """Pass the newlines of a line-argument opcode (to the data's end if not all here)."""
        while self.lines:
            nl = _newline(buf, i)
            if nl < 0:
                return len(buf)
            self.lines -= 1
            i = nl + 1
        return i

    def _hazard(self, offset: int, why: str) -> None:
        self.hazard = offset
        self.why = why

    def memo_index(self, index: int, offset: int) -> None:
        if offset == 0:  # nothing on the stack yet: the C reader raises stack underflow
            self.done = True  # before it touches the memo (a text file's leading "r")
            return
        if index >= self.max_memo:
            self._hazard(offset, f"a memo index of {index:,} (the C unpickler would grow its "
                         f"memo array to {2 * index:,} entries first; limit {self.max_memo:,})")


_BINGET = CODES["BINGET"]
_BYTEARRAY8 = CODES["BYTEARRAY8"]


def bytearrays_fit(walker: OpWalker, left: int, slack: int) -> bool:
    """Whether every BYTEARRAY8 the walk met fits ``left`` bytes of budget less ``slack`` (how
    much more the pure-Python reading may have charged by then: what its buffered reader
    reads ahead): then the pure-Python reader refuses none of them either."""
    return walker.largest_bytearray == 0 or walker.largest_bytearray <= left - slack
_NEWLINE = re.compile(b"\n")


def _newline(buf: Any, i: int) -> int:
    """``buf.find(b"\\n", i)`` for bytes and memoryviews alike."""
    found = _NEWLINE.search(buf, i)
    return -1 if found is None else found.start()


def _step_mark(walker: OpWalker, buf: bytes, i: int, base: int) -> int:
    """A MARK in a strict walk: refused when its batch is empty (see :data:`BATCHES`)."""
    j = i + 1
    while j < len(buf) and buf[j] in _SILENT:
        j += _SILENT[buf[j]]
    if j >= len(buf):
        return -1  # its next opcode is not here yet
    if buf[j] in BATCHES:
        walker._diverge(base + i, "an empty batch")
        return i
    return i + 1


def _step_stop(walker: OpWalker, buf: bytes, i: int, base: int) -> int:
    walker.done = True
    return i + 1


def _step_unknown(walker: OpWalker, buf: bytes, i: int, base: int) -> int:
    walker.done = True  # the C reader stops here ("invalid load key")
    return i + 1


def _step_memo4(walker: OpWalker, buf: bytes, i: int, base: int) -> int:
    if i + 5 > len(buf):
        return -1
    walker.memo_index(int.from_bytes(buf[i + 1:i + 5], "little"), base + i)
    return i + 5


def _step_put(walker: OpWalker, buf: bytes, i: int, base: int) -> int:
    nl = _newline(buf, i + 1)
    if nl < 0:
        return -1
    if nl - i > MAX_PUT_LINE:  # as refused when the line is not all here (the tail's length)
        walker._hazard(base + i, "a text PUT argument over 1 MiB")
        return i
    try:
        # the C reader parses the line as a C string: up to its first NUL ("0\0" is 0)
        index = int(bytes(buf[i + 1:nl]).split(b"\0", 1)[0])
    except ValueError:
        walker.done = True  # the C reader raises on it
        return nl + 1
    walker.memo_index(index, base + i)
    return nl + 1


def _step_lines(walker: OpWalker, buf: bytes, i: int, base: int) -> int:
    walker.lines = WIDTH[buf[i]]
    return walker._pass_lines(buf, i + 1)


def _step_counted(walker: OpWalker, buf: bytes, i: int, base: int) -> int:
    code = buf[i]
    width = WIDTH[code]
    if i + 1 + width > len(buf):
        return -1
    count = int.from_bytes(buf[i + 1:i + 1 + width], "little", signed=code in SIGNED_COUNT)
    if count < 0:
        walker.done = True  # "LONG pickle has negative byte count"
        return i + 1 + width
    # Data under 256 bytes is never a hazard (short strings need no check); FRAME and LONG4
    # counts always are compared with the budget.
    checked = width >= CHECKED_COUNT and (count > 0xFF or code == FRAME or code in SIGNED_COUNT)
    left = walker.budget_left() if checked else count
    if count > left:
        walker._hazard(base + i, f"{NAMES[code]} declares {count:,} bytes, more than the "
                       f"{max(left, 0):,} left of the file's budget")
        return i
    if code == FRAME:
        return i + 1 + width  # a frame's content is opcodes
    if code == _BYTEARRAY8:
        walker.largest_bytearray = max(walker.largest_bytearray, count)
    return i + 1 + width + count  # past the data's end: the rest of the payload is not walked


_STEPS = {_STOP: _step_stop, _UNKNOWN: _step_unknown, _MEMO4: _step_memo4, _PUT: _step_put,
          _LINES: _step_lines, _COUNTED: _step_counted}


STOP_BYTE = 0xFF
"""Not an opcode: the C reader stops on it with :data:`STOP_MESSAGE`."""
STOP_MESSAGE = "invalid load key, '\\xff'."


class GuardedInput:
    """The file object the C unpickler reads one pickle from: walked before it is handed over.

    Reads pass straight through to ``stream`` (its position stays exactly where the C reader
    leaves it), each byte walked once by :class:`OpWalker`. The first byte of a hazard is
    handed over as :data:`STOP_BYTE`, which is no opcode: the C reader parses everything
    before it exactly as it would (also inside a FRAME, which it reads whole before parsing)
    and stops there with :data:`STOP_MESSAGE`, which :meth:`refusal` turns into the limit
    error.
    """

    def __init__(self, stream: BinaryIO, walker: OpWalker, path: str) -> None:
        self._stream: Any = stream
        self._walker = walker
        self._path = path
        self._pos = 0
        self.stopped = False
        """Whether the stop byte was handed over."""

    def refusal(self, exc: BaseException) -> BaseException:
        """The error to report for ``exc``, raised by the C reader on these bytes."""
        if not self.stopped or str(exc) != STOP_MESSAGE or self._walker.hazard is None:
            return exc
        return self._refused()

    def _refused(self) -> LimitExceededError:
        w = self._walker
        return LimitExceededError(
            f"refused at byte {w.hazard:,} of this pickle: {w.why} (a limit on what the C "
            "unpickler allocates before reading)", self._path)

    def _deliver(self, data: Any, n: int) -> Any:
        """``data`` (``n`` bytes read at the current position), walked, with the stop byte."""
        w = self._walker
        if self._pos + n > w.fed + len(w.tail):
            with memoryview(data) as view, view[:n] as new:
                w.feed(new, self._pos)
        at = -1 if w.hazard is None else w.hazard - self._pos
        if at < 0 and w.hazard is not None:
            # found only now, by the bytes that complete its opcode: the opcode began in
            # bytes already handed over, so no stop byte can go before it. Nothing more is.
            raise self._refused()
        if 0 <= at < n:
            if isinstance(data, bytes):
                data = data[:at] + bytes([STOP_BYTE]) + data[at + 1:]
            else:
                data[at] = STOP_BYTE
            self.stopped = True
        self._pos += n
        return data

    def peek(self, n: int = 0) -> bytes:
        peek = getattr(self._stream, "peek", None)
        if peek is None:
            raise NotImplementedError("peek")  # the C reader then reads exactly what it needs
        data = bytes(peek(n))
        pos = self._pos
        data = self._deliver(data, len(data))
        self._pos = pos  # peeked, not consumed
        return data  # type: ignore[no-any-return]

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        return self._deliver(data, len(data))  # type: ignore[no-any-return]

    def readinto(self, buffer: Any) -> int:
        got: int = self._stream.readinto(buffer)
        with memoryview(buffer) as view, view.cast("B") as flat:
            self._deliver(flat, got)
        return got

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        return self._deliver(data, len(data))  # type: ignore[no-any-return]


_FRAME_BYTE = bytes([FRAME])
LOOSE_READS = 4096
FRAMED_PER_LOOSE = 16
"""Outside frames the C reader without ``peek`` reads each opcode's byte and its argument on
their own, each walked in Python: several times the pure-Python reader's cost per opcode. A
joblib stream has a few such reads per array (each FRAME's opcode, and what lies between an
array's bytes and the next frame, which holds the next wrapper's state: a few hundred bytes);
past :data:`LOOSE_READS` plus one per :data:`FRAMED_PER_LOOSE` bytes of frames read (so
that frames of a few bytes buy nothing), :class:`Unframed` hands the stream back."""


class Unframed(Exception):
    """The C reading of a stream that is mostly unframed is given up (it would be slower)."""


class FramedInput(GuardedInput):
    """:class:`GuardedInput` of a whole-stream strict walk (``OpWalker(strict=True,
    refuse=WHOLE_STREAM)``): the C reader reading a joblib stream for joblib's own reader.

    It has no ``peek``: the C reader then reads a FRAME's header and its content with one read
    each, and otherwise exactly the bytes it parses, so the file is always where joblib's
    pure-Python reader (which reads a frame whole too) would have it -- past the frame holding a
    BUILD, which is where an array's bytes begin. The bytes the BUILD hook reads from the file
    itself are passed with :meth:`skip`. A frame's header, and a frame the run regex walks in
    one match, take a fast path; anything else is walked exactly as by :class:`GuardedInput`.
    """

    def __init__(self, stream: BinaryIO, walker: OpWalker, path: str) -> None:
        super().__init__(stream, walker, path)
        self._framed = 0
        """Bytes of the frames read so far."""
        self._loose = 0
        """Reads outside any frame (see :data:`LOOSE_READS`)."""

    def peek(self, n: int = 0) -> bytes:
        raise NotImplementedError("peek")  # the C reader then reads exactly what it needs

    def read(self, n: int = -1) -> bytes:
        w = self._walker
        pos = self._pos
        if n == 8 and w.tail == _FRAME_BYTE and w.fed + 1 == pos and not w.lines and \
                w.hazard is None:
            data = self._stream.read(8)
            count = int.from_bytes(data, "little")
            if len(data) == 8 and count <= w.budget_left():
                w.fed, w.tail, w.frame_end = pos + 8, b"", pos + 8 + count
                self._pos = pos + 8
                self._framed += count
                return data  # type: ignore[no-any-return]
            return self._deliver(data, len(data))  # type: ignore[no-any-return]
        if pos >= w.frame_end:  # (a FRAME's own opcode too)
            self._loose += 1
            if self._loose > LOOSE_READS + self._framed // FRAMED_PER_LOOSE:
                raise Unframed("a stream mostly outside frames (each opcode its own read)")
        if not w.clean_at(pos):
            return super().read(n)
        if n == 1 and pos >= w.frame_end:
            data = self._stream.read(1)
            if data == _FRAME_BYTE:
                return self._whole_frame(pos)
            return self._deliver(data, len(data))  # type: ignore[no-any-return]
        if 0 < n == w.frame_end - pos:
            data = self._stream.read(n)
            if len(data) == n and w.run(data, 0, n).end() == n:  # type: ignore[union-attr]
                w.gets.update(w.get_scan(data, 0, n))  # type: ignore[union-attr,misc]
                w.fed = self._pos = pos + n
                return data  # type: ignore[no-any-return]
            return self._deliver(data, len(data))  # type: ignore[no-any-return]
        return super().read(n)

    def _whole_frame(self, pos: int) -> bytes:
        """A FRAME's opcode (asked for alone, at ``pos``) with its header and content.

        The C reader keeps what a read gives beyond what it asked for in its buffer, and
        reads a FRAME's header and content next without running anything in between; one
        read instead of three changes nothing it does (a frame cut short, or one whose
        content the run regex does not walk whole, is walked byte for byte as always)."""
        w = self._walker
        head = self._stream.read(8)
        count = int.from_bytes(head, "little")
        data: bytes = _FRAME_BYTE + head
        if len(head) < 8 or count > w.budget_left():
            return self._deliver(data, len(data))  # type: ignore[no-any-return]
        data += self._stream.read(count)
        end = 9 + count
        if len(data) == end and w.run(data, 9, end).end() == end:  # type: ignore[union-attr]
            w.gets.update(w.get_scan(data, 9, end))  # type: ignore[union-attr,misc]
            w.fed = w.frame_end = self._pos = pos + end
            self._framed += count
            return data
        return self._deliver(data, len(data))  # type: ignore[no-any-return]

    @property
    def position(self) -> int:
        """Bytes handed over or passed so far."""
        return self._pos

    def skip(self, n: int) -> bool:
        """Pass ``n`` bytes the caller read from the stream itself, when nothing is pending
        (else ``False``: the walk cannot vouch for the bytes around them)."""
        w = self._walker
        if n < 0 or not w.clean_at(self._pos):
            return False
        w.fed = self._pos = self._pos + n
        return True
