"""Shared by the HTML tests: a hostile-names pickle built opcode by opcode, and page writing.

The hostile file is a Pipeline whose step labels, class names, attribute names, values and
called globals are markup, script, ``javascript:`` URLs, quotes, bidi overrides, a lone
surrogate and an ANSI escape. Its first attribute is a real ``posix.system`` payload (touching
a canary) so the test can prove that a plain load runs it and hpinspect does not.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from hostile_corpus import op_call, op_stack_global, op_tuple

HOSTILE: tuple[str, ...] = (
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    '" onmouseover="alert(1)" x="',
    "' onfocus='alert(1)' autofocus x='",
    "\u202egnp.exe\u202c",
    "lone\ud800surrogate",
    "\x1b[31mred\x1b[0m<b>",
    "</style><style>body{display:none}</style>",
)
"""Every string the hostile file uses as a name, label, class or value."""

CLASS_MODULE = "x</script><script>alert(2)</script>"
CLASS_NAME = "<img src=x onerror=alert(3)>"


def op_u(value: str) -> bytes:
    """BINUNICODE, surrogates allowed (CPython's unpickler decodes with surrogatepass)."""
    data = value.encode("utf-8", "surrogatepass")
    return b"X" + len(data).to_bytes(4, "little") + data


def _stub(module: str, name: str, pairs: list[tuple[bytes, bytes]]) -> bytes:
    """NEWOBJ of ``module.name`` with BUILD state ``{key: value, ...}``."""
    items = b"".join(key + value for key, value in pairs)
    return op_stack_global(module, name) + b")\x81}(" + items + b"ub"


def hostile_names_pickle(canary: Path) -> bytes:
    """The protocol-4 stream described in the module docstring."""
    payload = op_call(op_stack_global("posix", "system"), op_u(f"touch {shlex.quote(str(canary))}"))
    attrs = [(op_u(h), op_u(h)) for h in HOSTILE]
    regression = _stub("sklearn.linear_model._base", "LinearRegression",
                       [(op_u("fit_intercept"), op_u(HOSTILE[0])), *attrs])
    called = op_call(op_stack_global(HOSTILE[1], HOSTILE[0]), op_u(HOSTILE[2]))
    unknown = _stub(CLASS_MODULE, CLASS_NAME, [(op_u(HOSTILE[3]), called), *attrs])
    steps = (b"](" + op_tuple(op_u(HOSTILE[0]), regression)
             + op_tuple(op_u(HOSTILE[1]), unknown) + b"e")
    pipeline = _stub("sklearn.pipeline", "Pipeline",
                     [(op_u("calibration_notes_"), payload), (op_u("steps"), steps),
                      (op_u("_sklearn_version"), op_u(HOSTILE[5]))])
    return b"\x80\x04" + pipeline + b"."


def write_hostile_names(directory: Path, canary: Path) -> Path:
    """Write the hostile-names pickle as ``directory/hostile.pkl``."""
    path = directory / "hostile.pkl"
    path.write_bytes(hostile_names_pickle(canary))
    return path
