"""PyTorch tensors read statically: storages by persistent id, tensor stand-ins, torch's policy.

``torch.save`` pickles every storage as a persistent id ``('storage', <torch.FloatStorage>,
key, location, numel)`` and every tensor as a call of one of ``torch._utils``' rebuild
functions. Here those calls are evaluated by hpinspect itself (the functions are never
imported): a :class:`TensorStub` records shape, stride, offset, dtype and ``requires_grad``, and
its statistics are streamed from the storage bytes within the byte budget (bfloat16 widened to
float32 by hand, since numpy has no such type). The torch globals that torch's own
``weights_only`` loader (``torch/_weights_only_unpickler.py``) allows are the reference for
which names are inert. :func:`unpickle` is the one place that drives the pickle engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

import numpy as np

from hpinspect.errors import CorruptFileError, HpinspectError
from hpinspect.load.arrays import ArrayStats, StatsAccumulator
from hpinspect.load.objects import ArrayStub, GlobalRef, Stub
from hpinspect.load.policy import unreviewed_calls
from hpinspect.load.standins import ref_of
from hpinspect.load.unpickler import UNEXPECTED, Evaluator, Session, read_pickle
from hpinspect.report import SEVERITIES, Finding, Severity

CHUNK = 8 << 20
STRIDED_LIMIT = 64 << 20
"""Non-contiguous views of storages up to this size are gathered in memory for exact stats."""

# torch dtype name -> numpy dtype used to read the bytes ("bf16" and "opaque" are special).
NUMPY_OF: dict[str, str] = {
    "float32": "f4", "float64": "f8", "float16": "f2", "bfloat16": "bf16", "int64": "i8",
    "int32": "i4", "int16": "i2", "int8": "i1", "uint8": "u1", "uint16": "u2", "uint32": "u4",
    "uint64": "u8", "bool": "?", "complex64": "c8", "complex128": "c16", "qint8": "i1",
    "quint8": "u1", "qint32": "i4", "float8_e4m3fn": "opaque", "float8_e5m2": "opaque",
    "float8_e4m3fnuz": "opaque", "float8_e5m2fnuz": "opaque", "float8_e8m0fnu": "opaque",
    "complex32": "opaque", "quint4x2": "opaque", "quint2x4": "opaque",
}
ITEMSIZE: dict[str, int] = {"complex32": 4, "quint4x2": 1, "quint2x4": 1}
STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4",
    "UntypedStorage": "uint8",
}
KEEP_BYTES = 64 << 10
KEEP_TOTAL = 32 << 20
"""Small tensors keep their values (for diff); per-file total as numpy arrays' limit."""
LAYOUTS = frozenset({"torch.strided", "torch.sparse_coo", "torch.sparse_csr",
                     "torch.sparse_csc", "torch.sparse_bsr", "torch.sparse_bsc"})


def itemsize(dtype: str) -> int:
    """Bytes per element of a torch dtype name."""
    code = NUMPY_OF[dtype]
    if code == "bf16":
        return 2
    if code == "opaque":
        return ITEMSIZE.get(dtype, 1)
    return np.dtype(code).itemsize


@dataclass(frozen=True)
class StorageRef:
    """A storage as its persistent id names it (the bytes stay in the file)."""

    key: str
    dtype: str
    """torch dtype name of the storage (``uint8`` for untyped storages)."""
    location: str
    numel: int
    builds: list[Any] = dataclasses.field(default_factory=list, compare=False, repr=False)
    """States a BUILD opcode gave it (see :meth:`__setstate__`)."""

    def __setstate__(self, state: Any) -> None:
        """BUILD on a storage: recorded, never applied (torch.load's weights_only reader
        updates the real storage's ``__dict__``, e.g. its ``dtype``, before a tensor is rebuilt
        from it: :meth:`TensorFactory.tensor` turns it into a finding)."""
        self.builds.append(state)

    def __reduce__(self) -> tuple[Any, ...]:
        """Copies and pickles of it rebuild it from its fields (not through BUILD)."""
        return type(self), tuple(getattr(self, f.name) for f in dataclasses.fields(self))


@dataclass(frozen=True)
class TensorStub(ArrayStub):
    """A torch tensor (or Parameter) rebuilt statically: layout and streamed statistics."""

    torch_dtype: str = "float32"
    stride: tuple[int, ...] = ()
    offset: int = 0
    requires_grad: bool = False
    parameter: bool = False
    """Rebuilt through ``_rebuild_parameter``: an ``nn.Parameter``."""
    storage: str = ""
    """Storage key (tensors sharing a storage share it)."""
    layout: str = "strided"
    values: Any = dataclasses.field(default=None, compare=False, repr=False)
    """The elements as a read-only numpy array when small (bfloat16 widened to float32), for
    ``diff``; None for large tensors (statistics only)."""
    builds: list[Any] = dataclasses.field(default_factory=list, compare=False, repr=False)
    """States BUILD opcodes gave tensors of one factory (shared by them; see
    :meth:`__setstate__`)."""

    def __setstate__(self, state: Any) -> None:
        """BUILD on a tensor: recorded, never applied, so nothing the file sends changes what
        is shown (a frozen dataclass with a ``__dict__`` would otherwise take the state
        straight into it). A real load calls ``Tensor.set_(*state)`` or
        ``Parameter.__setstate__``: the shown tensor would not be the loaded one, which the
        ``(tensor state)`` finding says."""
        self.builds.append(state)

    def __reduce__(self) -> tuple[Any, ...]:
        """Copies and pickles of it rebuild it from its fields (not through BUILD)."""
        return type(self), tuple(getattr(self, f.name) for f in dataclasses.fields(self))


class StorageBytes(Protocol):
    """Where storage bytes come from: a zip member or a region of a legacy file."""

    def size(self, key: str) -> int:
        """Bytes available for storage ``key``."""

    def chunks(self, key: str, start: int, nbytes: int) -> Iterator[bytes | memoryview]:
        """``nbytes`` bytes of storage ``key`` from byte ``start``, charged to the budget.

        A part may be a view of a reused buffer: it is valid until the next part is asked for.
        """


def _numpy_dtype(dtype: str, byteorder: Any) -> np.dtype[Any]:
    code = NUMPY_OF[dtype]
    if code == "bf16":
        return np.dtype("f4")
    if code == "opaque":
        return np.dtype(f"V{ITEMSIZE.get(dtype, 1)}")
    return np.dtype(code).newbyteorder(byteorder)


def _decode(raw: Any, dtype: str, byteorder: Any) -> np.ndarray[Any, Any]:
    """Elements of ``raw`` as a numpy array (bfloat16 widened to float32)."""
    if NUMPY_OF[dtype] == "bf16":
        halves = np.frombuffer(raw, dtype=np.dtype("u2").newbyteorder(byteorder))
        return (halves.astype(np.uint32) << 16).view(np.float32)
    return np.frombuffer(raw, dtype=_numpy_dtype(dtype, byteorder))


def _contiguous(shape: tuple[int, ...], stride: tuple[int, ...]) -> bool:
    expected = 1
    for dim, step in zip(reversed(shape), reversed(stride), strict=True):
        if dim != 1 and step != expected:
            return False
        expected *= dim
    return True


class TensorFactory:
    """Evaluates torch's rebuild functions into :class:`TensorStub` values."""

    def __init__(self, source: StorageBytes, byteorder: str, path: str,
                 stats: bool = True) -> None:
        self.source = source
        self.byteorder = "<" if byteorder == "little" else ">"
        self.path = path
        self.stats = stats
        """False for a first pass that only needs the graph (legacy files)."""
        self._cache: dict[tuple[Any, ...], TensorStub] = {}
        self.kept = 0
        self.builds: list[Any] = []
        """BUILD states given to this factory's tensors and to the storages they were
        rebuilt from (one list, shared by every TensorStub it makes)."""

    def error(self, message: str) -> CorruptFileError:
        return CorruptFileError(message, self.path)

    def tensor(self, storage: Any, offset: Any, size: Any, stride: Any,
               dtype: str | None = None, requires_grad: bool = False) -> TensorStub:
        """A strided tensor over ``storage`` (bounds checked against the storage)."""
        if not isinstance(storage, StorageRef):
            raise self.error("tensor rebuilt from something that is not a storage")
        self.builds.extend(storage.builds)
        shape, steps = _dims(self, size), _dims(self, stride)
        if not isinstance(offset, int) or offset < 0 or len(shape) != len(steps):
            raise self.error("malformed tensor layout")
        dtype = dtype or storage.dtype
        width = itemsize(dtype)
        numel = storage.numel if storage.dtype == dtype else \
            storage.numel * itemsize(storage.dtype) // width
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        last = offset + sum((d - 1) * s for d, s in zip(shape, steps, strict=True)) \
            if count else offset - 1
        if count and (last >= numel or self.source.size(storage.key) < (last + 1) * width):
            raise self.error(f"tensor reaches past the end of storage {storage.key!r}")
        key = (storage.key, offset, shape, steps, dtype)
        cached = self._cache.get(key)
        if cached is None or cached.requires_grad != requires_grad:
            stats, values = self._stats(storage.key, offset, shape, steps, dtype, count)
            cached = TensorStub(shape, _numpy_dtype(dtype, self.byteorder), False, stats,
                                dtype, steps, offset, requires_grad, False, storage.key,
                                values=values, builds=self.builds)
            self._cache.setdefault(key, cached)
        return cached

    def _stats(self, key: str, offset: int, shape: tuple[int, ...], steps: tuple[int, ...],
               dtype: str, count: int) -> tuple[ArrayStats, Any]:
        width = itemsize(dtype)
        acc = StatsAccumulator(shape, _numpy_dtype(dtype, self.byteorder))
        keep = self.stats and count * width <= KEEP_BYTES and self.kept <= KEEP_TOTAL
        parts: list[np.ndarray[Any, Any]] = []
        if not self.stats or count == 0:
            acc.count = count if not self.stats else 0
        elif _contiguous(shape, steps):
            for chunk in self.source.chunks(key, offset * width, count * width):
                part = _decode(chunk, dtype, self.byteorder)
                acc.update(part)
                if keep:
                    parts.append(part.copy())  # the chunk's buffer is reused
        else:
            span = (offset + sum((d - 1) * s for d, s in zip(shape, steps, strict=True)) + 1)
            if span * width > STRIDED_LIMIT:
                raise self.error(f"strided view over a {span * width:,}-byte storage "
                                 "is not summarised")
            flat = _decode(b"".join(self.source.chunks(key, 0, span * width)), dtype,
                           self.byteorder)
            item = flat.itemsize
            view = np.lib.stride_tricks.as_strided(
                flat[offset:], shape, tuple(s * item for s in steps), writeable=False)
            acc = StatsAccumulator(shape, flat.dtype)
            parts.append(np.ascontiguousarray(view).ravel())
            acc.update(parts[-1])
        result = dataclasses.replace(acc.result(), dtype=dtype, nbytes=count * width)
        values = None
        if keep and parts and NUMPY_OF[dtype] != "opaque":
            values = np.concatenate(parts).reshape(shape)
            values.flags.writeable = False
            self.kept += int(values.nbytes)
        return result, values

    # ------------------------------------------------------------------ evaluators
    def evaluators(self) -> dict[str, Evaluator]:
        """The torch constructors this factory evaluates, as the engine's evaluators.

        A refusal (``NotImplemented`` from the rule, or keyword arguments) is
        :data:`~hpinspect.load.unpickler.UNEXPECTED`: the call stays a Stub and its global is
        flagged unvetted (an unknown call, fail closed).
        """
        return {name: _engine(rule) for name, rule in self.rules().items()}

    def rules(self) -> dict[str, Callable[[tuple[Any, ...]], Any]]:
        """The rules by dotted name: args (stand-in classes as GlobalRefs) -> value or
        NotImplemented."""
        return {
            "torch._utils._rebuild_tensor": self._v1,
            "torch._utils._rebuild_tensor_v2": self._v2,
            "torch._utils._rebuild_tensor_v3": self._v3,
            "torch._utils._rebuild_parameter": self._parameter,
            "torch._utils._rebuild_parameter_with_state": self._parameter,
            "torch._utils._rebuild_sparse_tensor": self._sparse,
            "torch._utils._rebuild_meta_tensor_no_storage": self._meta,
            "torch._tensor._rebuild_from_type_v2": self._from_type,
            "torch.serialization._get_layout": _layout,
            "torch.Size": _size,
            "torch.device": _device,
        }

    def _v1(self, args: tuple[Any, ...]) -> Any:
        if len(args) != 4:
            return NotImplemented
        return self.tensor(*args)

    def _v2(self, args: tuple[Any, ...]) -> Any:
        if len(args) not in (6, 7) or not _no_hooks(args[5]) or not isinstance(args[4], bool):
            return NotImplemented
        return self.tensor(args[0], args[1], args[2], args[3], None, args[4])

    def _v3(self, args: tuple[Any, ...]) -> Any:
        if len(args) not in (7, 8) or not _no_hooks(args[5]) or not isinstance(args[4], bool):
            return NotImplemented
        dtype = _dtype_ref(args[6])
        if dtype is None:
            return NotImplemented
        return self.tensor(args[0], args[1], args[2], args[3], dtype, args[4])

    def _parameter(self, args: tuple[Any, ...]) -> Any:
        if len(args) not in (3, 4) or not isinstance(args[0], TensorStub) or \
                not isinstance(args[1], bool) or not _no_hooks(args[2]):
            return NotImplemented
        if len(args) == 4 and not _plain_state(args[3]):
            return NotImplemented
        return dataclasses.replace(args[0], requires_grad=args[1], parameter=True)

    def _sparse(self, args: tuple[Any, ...]) -> Any:
        if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], tuple):
            return NotImplemented
        parts = args[1]
        tensors = [p for p in parts if isinstance(p, TensorStub)]
        sizes = [p for p in parts if isinstance(p, tuple)]
        if len(tensors) < 2 or not sizes:
            return NotImplemented
        values = tensors[-1]
        shape = _dims(self, sizes[-1])
        return dataclasses.replace(values, shape=shape, layout=args[0].removeprefix("torch."),
                                   summary=dataclasses.replace(values.stats, shape=shape))

    def _meta(self, args: tuple[Any, ...]) -> Any:
        if len(args) not in (4, 5) or (dtype := _dtype_ref(args[0])) is None:
            return NotImplemented
        shape = _dims(self, args[1])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        stats = ArrayStats(shape, dtype, count * itemsize(dtype), count)
        return TensorStub(shape, _numpy_dtype(dtype, self.byteorder), False, stats, dtype,
                          _dims(self, args[2]), 0, bool(args[3]), False, "", "meta",
                          builds=self.builds)

    def _from_type(self, args: tuple[Any, ...]) -> Any:
        if len(args) != 4 or not isinstance(args[0], GlobalRef) or not isinstance(
                args[1], GlobalRef) or not isinstance(args[2], tuple):
            return NotImplemented
        func, kind, inner, state = args
        inner = _plain_args(inner)
        if kind.dotted not in ("torch.Tensor", "torch.nn.parameter.Parameter") or \
                not _plain_state(state) or func.dotted not in TENSOR_REBUILDERS:
            return NotImplemented
        value = self.rules()[func.dotted](inner)
        if value is not NotImplemented and kind.dotted.endswith("Parameter"):
            value = dataclasses.replace(value, parameter=True)
        return value


def _plain_args(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``args`` with the engine's stand-in classes as their GlobalRefs."""
    return tuple(ref_of(a) or a for a in args)


def _engine(rule: Callable[[tuple[Any, ...]], Any]) -> Evaluator:
    def run(session: Session, args: tuple[Any, ...], kwargs: dict[str, Any], how: str) -> Any:
        if kwargs:
            return UNEXPECTED
        value = rule(_plain_args(args))
        return UNEXPECTED if value is NotImplemented else value
    return run


TENSOR_REBUILDERS = frozenset({
    "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_meta_tensor_no_storage"})


def _dims(factory: TensorFactory, value: Any) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or len(value) > 64 or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value):
        raise factory.error("malformed tensor size or stride")
    return tuple(value)


def _no_hooks(value: Any) -> bool:
    return isinstance(value, dict) and not value


def _plain_state(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, dict) and all(
        isinstance(v, (int, float, str, bool, type(None))) for v in value.values())


def _dtype_ref(value: Any) -> str | None:
    if isinstance(value, GlobalRef) and value.module == "torch" and value.name in NUMPY_OF:
        return value.name
    return None


def _layout(args: tuple[Any, ...]) -> Any:
    if len(args) == 1 and args[0] in LAYOUTS:
        return args[0]
    return NotImplemented


def _size(args: tuple[Any, ...]) -> Any:
    if len(args) == 1 and isinstance(args[0], (tuple, list)) and all(
            isinstance(d, int) for d in args[0]):
        return tuple(args[0])
    return NotImplemented


def _device(args: tuple[Any, ...]) -> Any:
    if 1 <= len(args) <= 2 and isinstance(args[0], str) and len(args[0]) < 64 and all(
            isinstance(a, int) for a in args[1:]):
        return ":".join(str(a) for a in args)
    return NotImplemented


def storage_ref(pid: Any, path: str) -> StorageRef:
    """The :class:`StorageRef` a torch persistent id names (zip and legacy layouts)."""
    if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
        raise CorruptFileError(f"unsupported persistent id {str(pid)[:60]!r}", path)
    _tag, kind, key, location, numel = pid[:5]
    kind = ref_of(kind) or kind
    name = kind.name if isinstance(kind, GlobalRef) and kind.module in (
        "torch", "torch.storage") else None
    if name not in STORAGE_DTYPES or not isinstance(key, str) or not isinstance(
            numel, int) or numel < 0 or not isinstance(location, str):
        raise CorruptFileError("malformed storage persistent id", path)
    return StorageRef(key, STORAGE_DTYPES[name], location, numel)


def unpickle(stream: BinaryIO, session: Session,
             persistent_load: Callable[[Any], Any], factory: TensorFactory) -> Any:
    """One torch pickle through the engine with the torch hooks (the only engine use).

    CPython's C unpickler reads it, as ``torch.load`` does, with the factory's evaluators and
    ``persistent_load``; the graph is converted to the output vocabulary. The stream's position
    afterwards is just past the pickle's STOP (the C reader gives back what it prefetched).
    Any error of the real unpickler becomes a :class:`~hpinspect.errors.CorruptFileError`.
    """
    from hpinspect.load.convert import convert
    from hpinspect.load.pickle_file import in_reader_thread, why

    session.constructors.update(factory.evaluators())

    def run() -> Any:
        start = _position(stream)
        try:
            raw = read_pickle(stream, session, kind="pickle", persistent_load=persistent_load)
        except (HpinspectError, MemoryError, RecursionError):
            raise
        except Exception as exc:
            raise CorruptFileError(why(exc), session.path) from exc
        if start >= 0:  # zip members are charged by SafeZip up front
            session.charge(_position(stream) - start, "pickle data")
        value = convert(raw, session)
        session.tensor_builds += len(factory.builds)
        factory.builds.clear()
        return value

    return in_reader_thread(run)


def _position(stream: BinaryIO) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return -1


# ---------------------------------------------------------------------- safety policy
TORCH_TYPES = frozenset({
    *(f"torch.{n}" for n in NUMPY_OF), *(f"torch.{n}" for n in STORAGE_DTYPES),
    "torch.storage.UntypedStorage", "torch.storage.TypedStorage", "torch.Size",
    "torch.Tensor", "torch.nn.parameter.Parameter", "torch.device",
    "torch._utils._rebuild_qtensor", "torch._utils._rebuild_nested_tensor",
    "torch._utils._rebuild_wrapper_subclass", "torch.per_tensor_affine",
    "torch.per_tensor_symmetric", "torch.per_channel_affine", "torch.per_channel_symmetric",
    "collections.Counter", *TENSOR_REBUILDERS,
})
"""Names torch's weights_only unpickler allows, safe whenever they are only named."""
KNOWN_CLASSES: tuple[str, ...] = ("torch.nn.modules.", "argparse.Namespace")
LIGHTNING_DICTS = ("lightning.fabric.utilities.data.AttributeDict",
                   "lightning_fabric.utilities.data.AttributeDict",
                   "pytorch_lightning.utilities.parsing.AttributeDict",
                   "lightning.pytorch.utilities.parsing.AttributeDict")


def _override(dotted: str, use: Any, evaluated: frozenset[str]) -> str | None:
    """The detail of a 'known' verdict torch's own allowlist justifies, else None."""
    if use.unvetted or use.result_called or use.traversal is not None or (
            use.methods and unreviewed_calls(dotted, Severity.KNOWN, use.methods)):
        return None  # (an unreviewed __setstate__/extend/... stays a finding: load/policy.py)
    if dotted in evaluated:
        return "torch data constructor (torch's weights_only allowlist), evaluated by hpinspect"
    if dotted in TORCH_TYPES and use.uses == {"referenced"}:
        return "torch type named as data (torch's weights_only allowlist)"
    if dotted == "collections.defaultdict" and all(_plain_defaultdict(o) for o in use.objects):
        return "defaultdict of a builtin container (OmegaConf metadata); its factory is data"
    if "called" not in use.uses and (dotted.startswith(KNOWN_CLASSES) or dotted in
                                     LIGHTNING_DICTS):
        return "torch.nn module or plain data class: a load restores its __dict__ only"
    return None


def _plain_defaultdict(obj: Any) -> bool:
    """``defaultdict()`` or ``defaultdict(<builtin container type>)``, nothing else."""
    if isinstance(obj, GlobalRef):
        return True  # the reference itself; its calls are the Stubs
    if not isinstance(obj, Stub) or len(obj.args) > 1 or obj.kwargs:
        return False
    factory = (ref_of(obj.args[0]) or obj.args[0]) if obj.args else None
    return factory is None or (isinstance(factory, GlobalRef) and factory.dotted in (
        "builtins.dict", "builtins.list", "builtins.set", "builtins.int"))


def torch_findings(findings: tuple[Finding, ...], session: Session) -> tuple[Finding, ...]:
    """Findings of a torch pickle: torch's inert names made known, everything else unchanged."""
    evaluated = frozenset(TensorFactory(_NoBytes(), "little", "").evaluators())
    out = []
    for finding in findings:
        use = session.globals.get(finding.global_name)
        detail = _override(finding.global_name, use, evaluated) if use is not None else None
        out.append(finding if detail is None or (
            finding.severity == "dangerous" and finding.global_name not in evaluated) else
                   dataclasses.replace(finding, severity=Severity.KNOWN, detail=detail))
    if session.tensor_builds:
        out.append(Finding(
            TENSOR_STATE, Severity.UNKNOWN_CLASS,
            f"{session.tensor_builds} BUILD opcode(s) give a rebuilt tensor or its storage a "
            "state from the file: torch.load calls Tensor.set_ / Parameter.__setstate__ or "
            "updates the storage's attributes with it, so the loaded tensor differs from the "
            "one shown (hpinspect shows the tensor as rebuilt, before the BUILD)",
            "(consumed while loading)", False))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda f: (rank[f.severity], f.global_name))
    return tuple(out)


TENSOR_STATE = "(tensor state)"
"""The finding's name (not a global of the file)."""


class _NoBytes:
    def size(self, key: str) -> int:
        return 0

    def chunks(self, key: str, start: int, nbytes: int) -> Iterator[bytes]:
        return iter(())


def is_tensor(value: Any) -> bool:
    """Whether ``value`` is a tensor stand-in (for the classifier)."""
    return isinstance(value, TensorStub)
