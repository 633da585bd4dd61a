"""The opcode walk's written-out opcode table is CPython's own (:mod:`pickletools`)."""

from __future__ import annotations

import pickletools
import subprocess
import sys

from hpinspect.load import opscan

_COUNTED = {pickletools.TAKEN_FROM_ARGUMENT1: "n1", pickletools.TAKEN_FROM_ARGUMENT4: "n4",
            pickletools.TAKEN_FROM_ARGUMENT4U: "n4", pickletools.TAKEN_FROM_ARGUMENT8U: "n8"}


def _argument(op: pickletools.OpcodeInfo) -> str:
    if op.arg is None:
        return "0"
    if op.arg.n >= 0:
        return str(op.arg.n)
    if op.arg.n == pickletools.UP_TO_NEWLINE:
        return "lines" if op.arg.name.endswith("_pair") else "line"
    return _COUNTED[op.arg.n]


def test_the_table_is_pickletools_table() -> None:
    expected = [(op.name, ord(op.code), _argument(op)) for op in pickletools.opcodes]
    assert expected == opscan.OPCODES
    assert {ord(op.code): op.name for op in pickletools.opcodes} == opscan.NAMES


def test_widths_follow_the_arguments() -> None:
    for op in pickletools.opcodes:
        code, n = ord(op.code), op.arg.n if op.arg is not None else 0
        if op.name in ("STOP", "LONG_BINPUT", "PUT"):
            continue
        if n >= 0:
            assert opscan.WIDTH[code] == (n if op.name == "FRAME" else 1 + n), op.name
        elif n == pickletools.UP_TO_NEWLINE:
            assert opscan.WIDTH[code] == (2 if op.arg.name.endswith("_pair") else 1), op.name
        else:
            assert opscan.WIDTH[code] == int(_COUNTED[n][1:]), op.name
    known = {ord(op.code) for op in pickletools.opcodes}
    assert [c for c in range(256) if opscan.KIND[c] != 0] == sorted(known)


def test_loading_the_walk_does_not_import_pickletools() -> None:
    code = "import sys, hpinspect.load.opscan; print('pickletools' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
