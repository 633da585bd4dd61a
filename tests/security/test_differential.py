"""Differential test: the names hpinspect reports equal what CPython's real loaders resolve.

The oracle (``tests/security/oracle.py``) runs in a subprocess: the C ``pickle.Unpickler`` and
the real ``joblib.load``, with a ``find_class`` that imports nothing and records every name.
Cases: every hostile technique of ``hostile_corpus``, benign model files, and seeded byte
mutations of real model files. Properties:

- every name a real load resolves is in hpinspect's findings (nothing hidden);
- when hpinspect refuses a file (exit 2), no name the real load *called* first is unsafe
  (findings survive errors, so such a file must come back ``unsafe`` instead);
- on benign files the two sets are equal and the values match the real load's.

``scripts/fidelity_long.py`` runs the same comparison on tens of thousands of mutations.
"""

from __future__ import annotations

import contextlib
import copyreg
import importlib.util
import json
import pickle
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import pytest
from hostile_corpus import TECHNIQUES, fresh_model

from hpinspect.errors import HpinspectError
from hpinspect.load import read_model
from hpinspect.load.policy import severity_of

ORACLE = Path(__file__).with_name("oracle.py")
MUTATIONS = 300
GRAMMAR_STREAMS = 300
SEED = 20261201
"""A seeded run of a few hundred cases of each kind (about 20 s on one core); the long run is
``scripts/fidelity_long.py``."""


def oracle(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """The oracle's answer per path; a path on which the oracle itself crashes is omitted."""
    out: dict[str, dict[str, Any]] = {}
    todo = [str(p) for p in paths]
    while todo:
        proc = subprocess.run([sys.executable, str(ORACLE), "--ext", *todo], capture_output=True,
                              text=True, timeout=600, check=False)
        for line in proc.stdout.splitlines():
            doc = json.loads(line)
            out[doc["path"]] = doc
        done = [p for p in todo if p in out]
        if len(done) == len(todo):
            break
        todo = todo[todo.index(next(p for p in todo if p not in out)) + 1:]
    return out


def hp_names(path: Path) -> set[str] | None:
    """Names in hpinspect's findings, or ``None`` when it refuses the file."""
    try:
        result = read_model(path)
    except HpinspectError:
        return None
    return {f.global_name for f in result.safety.findings
            if f.global_name not in ("(stream)", "(loaders)")}


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        i = rng.randrange(len(buf))
        if kind < 0.5:
            buf[i] = rng.randrange(256)
        elif kind < 0.75:
            del buf[i: i + rng.randint(1, 8)]
        else:
            buf[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(buf)


NAMES = (("os", "system"), ("builtins", "eval"), ("builtins", "getattr"),
         ("collections", "OrderedDict"), ("builtins", "list"), ("builtins", "set"),
         ("copyreg", "_reconstructor"), ("builtins", "object"), ("numpy", "dtype"),
         ("sklearn.utils._bunch", "Bunch"), ("sklearn.linear_model", "LogisticRegression"),
         ("_codecs", "encode"), ("no_such_module", "thing"), ("subprocess", "Popen"),
         ("sklearn.linear_model", "LogisticRegression.fit"), ("__builtin__", "apply"),
         ("__builtin__", "eval"), ("copy_reg", "_reconstructor"), ("dumbdbm", "_Database"),
         ("UserDict", "UserDict"), ("exceptions", "Exception"), ("cPickle", "loads"))
"""Globals the opcode grammar names (resolved by the oracle without importing anything); the
Python 2 names map to Python 3 ones only while the reader's protocol is below 3."""

EXTENSIONS = {1: ("os", "system"), 2: ("__builtin__", "eval"), 300: ("dumbdbm", "_Database"),
              70_000: ("collections", "OrderedDict")}
"""copyreg extension codes registered (in the oracle and around hpinspect's reading) while
the differential cases are judged; other codes are unregistered (a real load fails)."""


@contextlib.contextmanager
def extensions() -> Iterator[None]:
    """:data:`EXTENSIONS` registered in this process (as the oracle registers them)."""
    for code, (module, name) in EXTENSIONS.items():
        copyreg.add_extension(module, name, code)
    try:
        yield
    finally:
        for code, (module, name) in EXTENSIONS.items():
            copyreg.remove_extension(module, name, code)


def _short(text: str) -> bytes:
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data


def _fragment(rng: random.Random) -> bytes:
    """One random piece of a pickle: a push, a global, a call, a container op, a memo op,
    a frame, a persistent id or an extension code."""
    module, name = rng.choice(NAMES)
    pieces: tuple[bytes, ...] = (
        b"K" + bytes([rng.randrange(256)]), _short(rng.choice(("a", "extend", "__dict__"))),
        b"]", b"}", b")", b"N", b"(", b"\x8f",
        _short(module) + _short(name) + b"\x93", f"c{module}\n{name}\n".encode(),
        b"R", b"\x81", b"\x92", b"b", b"a", b"e", b"s", b"u", b"t", b"\x85", b"\x86",
        b"l", b"d", b"0", b"2", b"\x94", b"\x90", b"\x91",
        b"h" + bytes([rng.randrange(4)]), b"q" + bytes([rng.randrange(4)]),
        b"\x82" + bytes([rng.randrange(1, 4)]), b"Q",
        b"\x95" + rng.randrange(0, 64).to_bytes(8, "little"),
        b"I0" + str(rng.randrange(8)).encode() + b"\n",
        b"\x80" + bytes([rng.choice((0, 1, 2, 3, 4, 5))]),                    # mid-stream PROTO
        _ext(rng), b"Pid%d\n" % rng.randrange(3),                             # persistent id
        b"p%d\n" % rng.randrange(6), b"g%d\n" % rng.randrange(6),            # text memo
        b"r" + rng.randrange(6).to_bytes(4, "little"),                         # LONG_BINPUT
        b"j" + rng.choice((0, 5, 1 << 20)).to_bytes(4, "little"),              # LONG_BINGET
    )
    return rng.choice(pieces)


def _ext(rng: random.Random) -> bytes:
    """EXT1/EXT2/EXT4 of a registered code (or of one nobody registered)."""
    code = rng.choice((*EXTENSIONS, 5, 0))
    if code < 256 and rng.random() < 0.7:
        return b"\x82" + bytes([code])
    if code < 65536 and rng.random() < 0.7:
        return b"\x83" + code.to_bytes(2, "little")
    return b"\x84" + code.to_bytes(4, "little")


def _value(rng: random.Random, depth: int) -> bytes:
    """A well-formed value: a leaf, a global, a call, an instance built, a container filled,
    a memo round trip -- with a random fragment slipped in now and then."""
    module, name = rng.choice(NAMES)
    ref = (_short(module) + _short(name) + b"\x93" if rng.random() < 0.6
           else f"c{module}\n{name}\n".encode())
    leaf = rng.choice((b"K\x07", _short("x"), b"N", b"I010\n", b")", b"]", b"}"))
    if depth > 3:
        return leaf
    inner = [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    shapes = (
        leaf, ref,
        ref + b"(" + b"".join(inner) + b"tR",                      # call
        ref + b")\x81" + b"}" + _short("a") + (inner or [b"N"])[0] + b"sb",  # NEWOBJ + BUILD
        ref + b"(" + b"".join(inner) + b"t}\x92",                  # NEWOBJ_EX
        b"](" + b"".join(inner) + b"e",                             # list + APPENDS
        b"}(" + b"".join(x + x for x in inner) + b"u",              # dict + SETITEMS
        ref + b")R(" + b"".join(inner) + b"e",                      # APPENDS on an instance
        (inner or [leaf])[0] + b"\x94h\x00" + b"\x86",            # MEMOIZE, GET, pair
        b"\x80" + bytes([rng.choice((2, 4))]) + ref,               # PROTO mid-stream, global
        _ext(rng) + b")R",                                          # EXT code called
        (inner or [leaf])[0] + b"q\x05\x94" + b"h\x05" + b"\x86",  # BINPUT vs MEMOIZE games
        b"(" + b"".join(inner) + b"p7\n0g7\nl",                    # PUT/POP/GET a MARK slice
    )
    out = rng.choice(shapes)
    if rng.random() < 0.08:
        cut = rng.randrange(len(out) + 1)
        out = out[:cut] + _fragment(rng) + out[cut:]
    return out


def grammar_stream(rng: random.Random) -> bytes:
    """Pickles (one to five, concatenated) from the opcode grammar: frames, EXT with and
    without registrations, NEWOBJ_EX, persistent ids, memo games, mid-stream PROTO,
    attribute-traversal and Python 2 names, calls on instances; some truncated, some
    break, as hostile files do."""
    out = b""
    for _ in range(rng.choice((1, 1, 1, 2, 5))):
        proto = rng.choice((0, 2, 4, 5))
        body = _value(rng, 0)
        if proto >= 4 and rng.random() < 0.5:
            size = len(body) + 1 + rng.choice((0, 0, -2, 3))
            body = b"\x95" + max(size, 0).to_bytes(8, "little") + body
        out += (b"\x80" + bytes([proto]) if proto else b"") + body + b"."
    if rng.random() < 0.1:
        out = out[:rng.randrange(1, len(out) + 1)]                 # truncated ending
    return out


JOBLIB_OBJECT_ARRAY = (
    b"\x80\x02]q\x00(cjoblib.numpy_pickle\nNumpyArrayWrapper\nq\x01)\x81q\x02}q\x03("
    b"X\x08\x00\x00\x00subclassq\x04cnumpy\nndarray\nq\x05X\x05\x00\x00\x00shapeq\x06K\x02"
    b"\x85q\x07X\x05\x00\x00\x00orderq\x08X\x01\x00\x00\x00Cq\tX\x05\x00\x00\x00dtypeq\n"
    b"cnumpy\ndtype\nq\x0bX\x02\x00\x00\x00O8q\x0c\x89\x88\x87q\rRq\x0e(K\x03X\x01\x00\x00"
    b"\x00|q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tq\x10bX\n\x00\x00\x00allow_mmapq"
    b"\x11\x89X\x1b\x00\x00\x00numpy_array_alignment_bytesq\x12K\x10ub")
"""The start of ``joblib.dump([np.array([None, 'zz'], dtype=object), 7], protocol=2)``, up
to where the object array's nested pickle begins (joblib reads it with a fresh unpickler
whose ``find_class`` is the outer one: names map by the *outer* protocol, 2)."""


def joblib_nested_stream(rng: random.Random) -> bytes:
    """A joblib file whose object array's nested pickle is a grammar stream."""
    return JOBLIB_OBJECT_ARRAY + grammar_stream(rng) + b"K\x07e."


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("differential")
    hostile: list[Path] = []
    for i, technique in enumerate(TECHNIQUES):
        directory = root / f"h{i}"
        directory.mkdir()
        hostile.append(technique.build(directory, root / f"canary{i}"))
    benign: list[Path] = []
    for kind in ("logreg", "pipeline"):
        model = fresh_model(kind)  # type: ignore[arg-type]
        for protocol in (0, 2, 4, 5):
            path = root / f"{kind}-p{protocol}.pkl"
            path.write_bytes(pickle.dumps(model, protocol=protocol))
            benign.append(path)
        joblib.dump(model, root / f"{kind}.joblib")
        joblib.dump(model, root / f"{kind}-z.joblib", compress=3)
        benign += [root / f"{kind}.joblib", root / f"{kind}-z.joblib"]
    rng = random.Random(SEED)
    mutated: list[Path] = []
    for n in range(MUTATIONS):
        source = benign[n % len(benign)]
        path = root / f"mut{n}{source.suffix}"
        path.write_bytes(mutate(source.read_bytes(), rng))
        mutated.append(path)
    for n in range(GRAMMAR_STREAMS):
        path = root / f"gram{n}{'.joblib' if n % 4 == 0 else '.pkl'}"
        path.write_bytes(joblib_nested_stream(rng) if n % 8 == 4 else grammar_stream(rng))
        mutated.append(path)
    return {"hostile": hostile, "benign": benign, "mutated": mutated}


def _check(path: Path, answer: dict[str, Any]) -> str | None:
    """A description of the divergence, or ``None``."""
    real = set(answer["pickle"]["names"]) | set(answer["joblib"]["names"])
    called = set(answer["pickle"]["calls"]) | set(answer["joblib"]["calls"])
    mine = hp_names(path)
    if mine is None:
        # A name whose top-level module does not exist stops a real load at its import.
        unsafe = {n for n in called if importlib.util.find_spec(n.split(".")[0]) is not None
                  and severity_of(n, {"called"})[0] in ("dangerous", "unknown call")}
        return f"refused, but a real load calls {sorted(unsafe)}" if unsafe else None
    # hpinspect leaves out names of its plain-pickle reading of a joblib file whose module is no
    # identifier (array bytes read as a GLOBAL opcode): no such module can be imported.
    missing = {n for n in real - mine if path.suffix == ".pkl" or n in answer["joblib"]["names"]
               or all(p.isidentifier() for p in n.rpartition(".")[0].split("."))}
    return f"names a real load resolves but hpinspect does not report: {sorted(missing)}" \
        if missing else None


def test_hostile_and_mutated_files_name_everything_a_real_load_resolves(
        cases: dict[str, list[Path]]) -> None:
    paths = cases["hostile"] + cases["mutated"]
    answers = oracle(paths)
    assert len(answers) >= len(paths) * 0.9, "the oracle crashed on too many files"
    with extensions():
        divergences = {str(p): d for p in paths if str(p) in answers
                       for d in [_check(p, answers[str(p)])] if d}
    assert not divergences, json.dumps(divergences, indent=1)


def test_benign_files_equal_names_and_values(cases: dict[str, list[Path]]) -> None:
    answers = oracle(cases["benign"])
    for path in cases["benign"]:
        answer = answers[str(path)]
        real = set(answer["pickle"]["names"]) if path.suffix == ".pkl" else set(
            answer["joblib"]["names"])
        mine = hp_names(path)
        assert mine is not None
        assert real <= mine, (path, real - mine)
        # hpinspect reads .joblib both ways; the plain-pickle names are the only extra ones
        extra = mine - real - set(answer["pickle"]["names"])
        assert not extra, (path, extra)
        result = read_model(path)
        model = joblib.load(path) if path.suffix == ".joblib" else pickle.loads(
            path.read_bytes())
        root = result.root
        for name, value in model.get_params(deep=False).items():
            if isinstance(value, (int, float, str, bool, type(None))):
                assert root.attrs[name] == value, (path, name)
