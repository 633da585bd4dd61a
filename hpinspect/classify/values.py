"""Short, JSON-safe descriptions of attribute values: arrays, trees, sparse matrices, states.

:func:`describe` never recurses deeper than a few levels and never walks more than a few dozen
items, so a pathological value (a list nested 900 levels deep, a 10-million-item vocabulary)
costs the same as a small one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

from hpinspect.load.arrays import ArrayStats, compute_stats
from hpinspect.load.common import MAX_INT_BITS, int_text, safe_repr
from hpinspect.load.objects import ArrayStub, GlobalRef, ObjectArray, Stub
from hpinspect.render.text import format_float, format_number

MAX_ITEMS = 12
MAX_DEPTH = 3
MAX_STR = 200
SMALL_ARRAY = 16
ITEMS_CAP = 1000
"""Most elements of a label-like array kept in :attr:`~hpinspect.report.Attribute.items`."""
NUMERIC_ITEMS_CAP = 64
"""Integer arrays longer than this are data (indices, counts), not labels: no items."""
ROUTING_ATTRS = frozenset({"transformers", "transformers_"})
"""ColumnTransformer attributes whose column routing goes to
:attr:`~hpinspect.report.Attribute.routing`."""


@dataclass(frozen=True)
class Described:
    """What a renderer needs to show one value."""

    kind: str
    value: Any
    """JSON-safe value, or None when a summary is all that makes sense."""
    summary: str
    stats: dict[str, Any] | None = None


def stats_dict(stats: ArrayStats) -> dict[str, Any]:
    """JSON-safe mapping of array statistics (non-finite floats left for the JSON layer)."""
    out: dict[str, Any] = {
        "shape": list(stats.shape), "dtype": stats.dtype, "nbytes": stats.nbytes,
    }
    if stats.numeric:
        out.update(min=stats.min, max=stats.max, mean=stats.mean, std=stats.std,
                   zeros=stats.zeros, nans=stats.nans)
    if stats.fields:
        out["fields"] = sorted(stats.fields)
    return out


ARRAYS = (np.ndarray, ArrayStub, ObjectArray)
"""Every value that stands for a numpy array."""


def array_stats(value: np.ndarray[Any, Any] | ArrayStub | ObjectArray) -> ArrayStats:
    """Statistics of a kept array or of a summarised one (layout only for object arrays)."""
    if isinstance(value, (ArrayStub, ObjectArray)):
        return value.stats
    return compute_stats(value)


def _array_summary(stats: ArrayStats) -> str:
    shape = "×".join(str(d) for d in stats.shape) or "scalar"
    text = f"{stats.dtype} ({shape})"
    if stats.numeric:
        as_int = stats.dtype.lstrip("<>=|")[:1] in ("i", "u", "b") and stats.min is not None \
            and not stats.dtype.startswith("bfloat")  # torch's bfloat16
        low = format_number(int(stats.min) if as_int and stats.min is not None else stats.min)
        high = format_number(int(stats.max) if as_int and stats.max is not None else stats.max)
        text += f" min={low} max={high} mean={format_number(stats.mean)}"
        if stats.nans:
            text += f" nans={stats.nans}"
    elif stats.fields:
        text += f" fields: {', '.join(list(stats.fields)[:4])}"
    return text


def to_json_value(value: Any, depth: int = 0) -> tuple[Any, bool]:
    """(JSON-safe rendering, complete?) of small plain values; big ones come back elided."""
    if isinstance(value, int) and not isinstance(value, bool) and \
            value.bit_length() > MAX_INT_BITS:
        return None, False  # too wide for text (and for a JSON reader's number)
    if value is None or isinstance(value, (bool, int, str)):
        if isinstance(value, str) and len(value) > MAX_STR:
            return value[:MAX_STR] + "…", False
        return value, True
    if isinstance(value, float):
        return value, True
    if isinstance(value, np.generic):
        return to_json_value(value.item(), depth)
    if isinstance(value, GlobalRef):
        return value.dotted, True
    if depth >= MAX_DEPTH:
        return None, False
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return _json_container(value, depth)
    if isinstance(value, np.ndarray) and value.size <= SMALL_ARRAY and not value.dtype.names:
        return to_json_value(value.tolist(), depth)
    if isinstance(value, ObjectArray) and value.size <= SMALL_ARRAY:
        return to_json_value(list(value.items), depth)
    return None, False


def _json_container(value: Any, depth: int) -> tuple[Any, bool]:
    """:func:`to_json_value` of a list, tuple, set (sorted) or dict: the first few items."""
    complete = len(value) <= MAX_ITEMS
    if isinstance(value, dict):
        out_d: dict[str, Any] = {}
        for k, v in islice(value.items(), MAX_ITEMS):
            jv, ok = to_json_value(v, depth + 1)
            out_d[k if isinstance(k, str) else safe_repr(k)] = jv
            complete = complete and ok
        return out_d, complete
    items = list(islice(value, MAX_ITEMS)) if not isinstance(value, (set, frozenset)) else \
        sorted(islice(value, 10 * MAX_ITEMS), key=safe_repr)[:MAX_ITEMS]
    out = []
    for item in items:
        v, ok = to_json_value(item, depth + 1)
        out.append(v)
        complete = complete and ok
    return out, complete


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_text(value: Any, depth: int = 0) -> str:
    """Compact human text of a value, bounded in size and depth."""
    if isinstance(value, str):
        true_length = f" ({len(value):,} characters)" if len(value) > 60 else ""
        return repr(_short(value, 60)) + true_length
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int_text(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, np.generic):
        return display_text(value.item(), depth)
    if isinstance(value, GlobalRef):
        return value.dotted
    if isinstance(value, Stub):
        return stub_text(value)
    if isinstance(value, ARRAYS):
        return _array_summary(array_stats(value))
    if depth >= MAX_DEPTH:
        return "…"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return _container_text(value, depth)
    if isinstance(value, (bytes, bytearray)):
        return f"{type(value).__name__}[{len(value)}]"
    return _short(safe_repr(value), 80)


def _container_text(value: Any, depth: int) -> str:
    """A list, tuple, set or dict: the first few items, then how many there are."""
    if isinstance(value, dict):
        parts = [f"{display_text(k, depth + 1)}: {display_text(v, depth + 1)}" for k, v in
                 islice(value.items(), 4)]
        if len(value) > 4:
            parts.append(f"… {len(value)} keys")
        return _short("{" + ", ".join(parts) + "}", 120)
    brackets = "[]" if type(value) is list else "()" if type(value) is tuple else "{}"
    parts = [display_text(v, depth + 1) for v in islice(value, 6)]
    if len(value) > 6:
        parts.append(f"… {len(value)} items")
    trailing = "," if isinstance(value, tuple) and len(value) == 1 else ""
    return _short(brackets[0] + ", ".join(parts) + trailing + brackets[1], 120)


def stub_text(stub: Stub) -> str:
    """How an object the loader did not construct is shown: its class, plus a hint."""
    dotted = stub.dotted
    name = dotted.rsplit(".", 1)[-1]
    if name == "newObj" and stub.args and isinstance(stub.args[0], GlobalRef):
        return stub.args[0].name  # scikit-learn's Cython rebuild helper: newObj(KDTree)
    if "randomstate" in dotted.lower() or "generator_ctor" in dotted:
        bitgen = _bit_generator(stub)
        kind = "Generator" if "generator_ctor" in dotted else "RandomState"
        return f"{kind}({bitgen})"
    return f"{name} (not constructed)" if stub.how == "reduce" else name


def _bit_generator(stub: Stub) -> str:
    for arg in stub.args:
        if isinstance(arg, str):
            return arg
        if isinstance(arg, GlobalRef):
            return arg.name
        if isinstance(arg, Stub):
            inner = arg.dotted.rsplit(".", 1)[-1]
            return inner if not inner.startswith("__") else _bit_generator(arg)
    return "?"


def tree_facts(stub: Stub) -> dict[str, Any] | None:
    """Node count, depth and leaves of a scikit-learn ``Tree`` or HistGB ``TreePredictor``."""
    state = stub.attrs
    nodes = state.get("nodes")
    if nodes is None:
        return None
    leaves: int | None = None
    depth = state.get("max_depth")
    if isinstance(nodes, np.ndarray) and nodes.dtype.names:
        if "left_child" in nodes.dtype.names and "is_leaf" not in nodes.dtype.names:
            leaves = int(np.count_nonzero(nodes["left_child"] == -1))
        if "is_leaf" in nodes.dtype.names:
            leaves = int(np.count_nonzero(nodes["is_leaf"]))
        if depth is None and "depth" in nodes.dtype.names and nodes.size:
            depth = int(nodes["depth"].max())
        count = int(nodes.shape[0]) if nodes.ndim else 0
    elif isinstance(nodes, ArrayStub):  # only the fields asked for are read again
        is_leaf = nodes.field_stats("is_leaf")
        if is_leaf is not None:
            leaves = round((is_leaf.mean or 0) * is_leaf.count)
        else:  # a scikit-learn tree's leaves: left_child is -1 (only that field is counted)
            leaves = nodes.field_negatives("left_child")
        deepest = nodes.field_stats("depth") if depth is None else None
        if deepest is not None and deepest.max is not None:
            depth = int(deepest.max)
        count = nodes.shape[0] if nodes.shape else 0
    else:
        return None
    node_count = state.get("node_count", count)
    return {
        "node_count": int(node_count) if isinstance(node_count, (int, np.integer)) else count,
        "max_depth": int(depth) if isinstance(depth, (int, np.integer)) else None,
        "leaves": leaves,
    }


def sparse_facts(stub: Stub) -> dict[str, Any] | None:
    """Shape, nnz and density of a scipy sparse matrix or array."""
    state = stub.attrs
    shape = state.get("_shape")
    data = state.get("data")
    if not isinstance(shape, tuple) or data is None:
        return None
    if isinstance(data, np.ndarray):
        nnz = int(data.size)
    elif isinstance(data, ArrayStub):
        nnz = data.stats.count
    else:
        return None
    cells = 1
    for d in shape:
        cells *= int(d)
    return {"shape": [int(d) for d in shape], "nnz": nnz,
            "density": (nnz / cells) if cells else 0.0}


# ------------------------------------------------------------------ numpy subclasses, pandas
_ARRAY_CLASSES = {"matrix": "matrix", "recarray": "record array", "chararray": "char array",
                  "MaskedArray": "masked array"}
_INDEX_MAKERS = ("._new_Index", "._new_DatetimeIndex", "._new_TimedeltaIndex",
                 "._new_IntervalIndex", "._new_PeriodIndex")


def _shape(shape: Any) -> str:
    return "×".join(str(d) for d in shape) if isinstance(shape, tuple) else "?"


def subclass_array_text(stub: Stub) -> str | None:
    """``matrix int64 (2×2)``: an ndarray subclass a load rebuilds from its state."""
    if not stub.args or not isinstance(stub.args[0], GlobalRef):
        return None
    kind = _ARRAY_CLASSES.get(stub.args[0].name)
    state = stub.state
    if kind is None or not isinstance(state, tuple) or len(state) < 5:
        return None
    shape, dtype = state[1], state[2]
    # a record array's fields, not its '|V15' item: str() of a structured dtype lists them
    shown = dtype if getattr(dtype, "names", None) else getattr(dtype, "str", dtype)
    text = f"{kind} {shown} ({_shape(shape)})"
    if kind == "masked array" and len(state) >= 6 and isinstance(state[5], bytes):
        text += f" masked={sum(1 for b in state[5] if b)}"
    return text


def _length(value: Any) -> int | None:
    if isinstance(value, ARRAYS):
        return int(value.shape[0]) if value.shape else None
    if isinstance(value, (list, tuple)):
        return len(value)
    if isinstance(value, Stub):
        index = index_facts(value)
        if index is not None:
            return index[0]
        state = value.state
        if isinstance(state, tuple) and len(state) == 1 and isinstance(state[0], dict):
            state = state[0]  # a Cython (dict,) state: pandas 1.x PeriodArray
        parts = state if isinstance(state, tuple) else tuple(
            state.get(k) for k in _EXTENSION_DATA) if isinstance(state, dict) else ()
        for part in parts:
            if isinstance(part, ARRAYS):
                return _length(part)
    return None


_EXTENSION_DATA = ("_codes", "_data", "_ndarray")
"""Where a pandas extension array pickled by its ``__dict__`` keeps its values."""


def index_facts(stub: Stub) -> tuple[int | None, list[str]] | None:
    """(length, first labels) of a pandas index a load rebuilds by ``_new_Index(cls, d)``."""
    if not stub.dotted.endswith(_INDEX_MAKERS) or len(stub.args) != 2 or \
            not isinstance(stub.args[1], dict):
        return None
    d = stub.args[1]
    labels: list[str] = []
    length: int | None = None
    if "data" in d:
        data = d["data"]
        length = _length(data)
        if isinstance(data, Stub) and isinstance(data.state, tuple):  # an extension array
            data = next((p for p in data.state if isinstance(p, (np.ndarray, ObjectArray))),
                        None)
        if isinstance(data, np.ndarray):
            labels = [display_text(v).strip("'") for v in data.ravel()[:MAX_ITEMS]]
        elif isinstance(data, ObjectArray):
            labels = [display_text(v).strip("'") for v in data.items[:MAX_ITEMS]]
    elif {"start", "stop", "step"} <= d.keys() and all(
            isinstance(d[k], int) for k in ("start", "stop", "step")) and d["step"]:
        length = len(range(d["start"], d["stop"], d["step"]))
    elif isinstance(d.get("codes"), list) and d["codes"]:
        length = _length(d["codes"][0])
    elif isinstance(d.get("left"), Stub):  # IntervalIndex: its left bounds
        length = _length(d["left"])
    return length, labels


def _block_dtype(block: Any) -> str:
    values = block.args[0] if isinstance(block, Stub) and block.args else None
    if isinstance(values, ARRAYS):
        return str(values.dtype)
    if isinstance(values, Stub):
        cls = values.args[0] if values.args and isinstance(values.args[0], GlobalRef) else None
        return cls.name if cls is not None else values.dotted.rsplit(".", 1)[-1]
    return "?"


def pandas_text(stub: Stub) -> str | None:
    """``DataFrame 3×2, columns a, b; dtypes int64, StringArray`` and the like."""
    name = stub.dotted.rsplit(".", 1)[-1]
    mgr = stub.attrs.get("_mgr")
    if name == "Series" and isinstance(mgr, Stub) and isinstance(mgr.state, tuple) and \
            len(mgr.state) >= 2 and isinstance(mgr.state[0], list) and mgr.state[0]:
        # the pre-0.14.1 layout pandas still writes for a SingleBlockManager: (axes, values ...)
        values = mgr.state[1][0] if isinstance(mgr.state[1], list) and mgr.state[1] else None
        dtype = str(values.dtype) if isinstance(values, ARRAYS) else \
            _block_dtype(Stub(GlobalRef("", ""), (values,), "reduce"))
        return f"Series {_length(mgr.state[0][0])} rows, dtype {dtype}"
    if name in ("DataFrame", "Series") and isinstance(mgr, Stub) and not mgr.args:
        mgr = _legacy_manager(mgr)  # pandas < 1.3 pickles the manager's state, not its blocks
    if name in ("DataFrame", "Series") and isinstance(mgr, Stub) and len(mgr.args) == 2:
        blocks, axes = mgr.args
        blocks = blocks if isinstance(blocks, (tuple, list)) else (blocks,)
        axes = axes if isinstance(axes, (tuple, list)) else (axes,)
        dtypes = ", ".join(dict.fromkeys(_block_dtype(b) for b in blocks[:MAX_ITEMS]))
        if name == "Series":
            return f"Series {_length(axes[0])} rows, dtype {dtypes}"
        columns = index_facts(axes[0]) if isinstance(axes[0], Stub) else None
        rows = _length(axes[1]) if len(axes) > 1 else None
        width = columns[0] if columns else None
        listed = ", ".join(columns[1]) if columns and columns[1] else "?"
        return f"DataFrame {rows}×{width}, columns {listed}; dtypes {dtypes}"
    index = index_facts(stub)
    if index is not None and stub.args and isinstance(stub.args[0], GlobalRef):
        return f"{stub.args[0].name} ({index[0]} entries)"
    if name in ("_unpickle_timestamp", "Timestamp") and stub.args and \
            isinstance(stub.args[0], int) and -(1 << 62) < stub.args[0] < 1 << 62:
        unit = {7: "s", 8: "ms", 9: "us", 10: "ns"}.get(stub.args[-1], "ns")  # pandas < 2: ns
        return f"Timestamp {np.datetime64(stub.args[0], unit)}"  # type: ignore[call-overload]
    if name == "__pyx_unpickle_NDArrayBacked" and stub.args and \
            isinstance(stub.args[0], GlobalRef):
        return f"{stub.args[0].name} ({_length(stub)})"
    if name.endswith(("Array", "Categorical")) and stub.attrs and _length(stub) is not None:
        return f"{name} ({_length(stub)})"
    return None


def _legacy_manager(mgr: Stub) -> Stub | None:
    """The ``_unpickle_block``-style manager a pandas < 1.3 BlockManager state stands for:
    its ``{"0.14.1": {"axes", "blocks": [{"values", "mgr_locs"}]}}`` part, blocks in column
    order."""
    state = mgr.state
    extra = state[3] if isinstance(state, tuple) and len(state) == 4 else None
    layout = extra.get("0.14.1") if isinstance(extra, dict) else None
    if not isinstance(layout, dict) or not isinstance(layout.get("blocks"), list) or \
            not isinstance(layout.get("axes"), list):
        return None
    entries = [b for b in layout["blocks"][:MAX_ITEMS] if isinstance(b, dict)]
    entries.sort(key=lambda b: getattr(b.get("mgr_locs"), "start", 0) or 0)
    blocks = tuple(Stub(GlobalRef("", ""), (b.get("values"),), "reduce") for b in entries)
    return Stub(mgr.factory, (blocks, tuple(layout["axes"])), "reduce")


def _describe_stub(value: Stub) -> Described:
    """A tree, a sparse matrix, an ndarray subclass or pandas object, a random state, or an
    object the loader did not construct."""
    dotted = value.dotted
    tree = tree_facts(value) if dotted.endswith(("._tree.Tree", "TreePredictor")) else None
    if tree is not None:
        return Described("tree", tree, f"{tree['node_count']} nodes, depth "
                         f"{tree['max_depth']}, {tree['leaves']} leaves")
    if dotted.startswith("scipy.sparse."):
        facts = sparse_facts(value)
        if facts is not None:
            shape = "×".join(str(d) for d in facts["shape"])
            return Described("sparse", facts, f"{dotted.rsplit('.', 1)[-1]} ({shape}) "
                             f"nnz={facts['nnz']} "
                             f"density={format_float(facts['density'], 3, mark_float=False)}")
    special = subclass_array_text(value) or (
        pandas_text(value) if dotted.startswith("pandas.") else None)
    if special is not None:
        return Described("array" if dotted.startswith("numpy.") else "table", None,
                         special)
    text = stub_text(value)
    kind = "random_state" if text.startswith(("RandomState(", "Generator(")) else "object"
    return Described(kind, text if kind == "random_state" else dotted, text)


def describe(value: Any) -> Described:
    """Kind, JSON value, summary and statistics of one attribute value."""
    if value is None:
        return Described("none", None, "None")
    if isinstance(value, (np.ndarray, ArrayStub)):
        stats = array_stats(value)
        json_value, complete = to_json_value(value) if isinstance(value, np.ndarray) else \
            (None, False)
        return Described("array", json_value if complete else None, _array_summary(stats),
                         stats_dict(stats))
    if isinstance(value, ObjectArray):
        json_value, complete = to_json_value(value)
        shape = "×".join(str(d) for d in value.shape)
        return Described("array", json_value if complete else None,
                         f"object ({shape}) {display_text(list(value.items[:6]))}",
                         {"shape": list(value.shape), "dtype": "object",
                          "nbytes": value.nbytes})
    if isinstance(value, Stub):
        return _describe_stub(value)
    if isinstance(value, GlobalRef):
        return Described("callable", value.dotted, value.dotted)
    if isinstance(value, (bool, np.bool_)):
        return Described("scalar", bool(value), repr(bool(value)))
    if isinstance(value, (int, float, np.integer, np.floating)):
        py = value.item() if isinstance(value, np.generic) else value
        if isinstance(py, int) and py.bit_length() > MAX_INT_BITS:
            return Described("scalar", None, int_text(py))
        return Described("scalar", py, format_number(py))
    if isinstance(value, str):
        json_value, _ = to_json_value(value)
        return Described("string", json_value, display_text(value))
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        json_value, complete = to_json_value(value)
        kind = "dict" if isinstance(value, dict) else "list"
        return Described(kind, json_value if complete else None, display_text(value))
    return Described("object", None, display_text(value))


@dataclass(frozen=True)
class ValueFacts:
    """JSON-safe facts of a loaded value that renderers show beyond its summary."""

    items: list[Any] | None = None
    item_count: int | None = None
    size: int | None = None
    routing: list[dict[str, Any]] | None = None


_LABEL_KINDS = "USiub"


def _label_scalar(item: Any) -> tuple[Any, bool]:
    """(JSON scalar, ok) of one element of a label-like array."""
    if isinstance(item, np.generic):
        item = item.item()
    if isinstance(item, bytes):
        item = item.decode("utf-8", "backslashreplace")
    if isinstance(item, (bool, str)):
        return (item[:MAX_STR] if isinstance(item, str) else item), True
    if isinstance(item, int):
        return item, item.bit_length() <= MAX_INT_BITS
    if isinstance(item, float):
        return item, math.isfinite(item)
    return None, False


def label_items(value: Any) -> list[Any] | None:
    """The first :data:`ITEMS_CAP` elements of a 1-D array of strings, of an object array of
    plain scalars, or of up to :data:`NUMERIC_ITEMS_CAP` integers or booleans, else None
    (floats have statistics)."""
    if isinstance(value, ObjectArray) and value.ndim == 1:
        elements: list[Any] = list(value.items[:ITEMS_CAP])
    elif not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.names or \
            value.dtype.kind not in _LABEL_KINDS:
        return None
    elif value.dtype.kind in "iub" and value.shape[0] > NUMERIC_ITEMS_CAP:
        return None  # indices or counts, not labels: the statistics say enough
    else:
        elements = value[:ITEMS_CAP].tolist()
    out = []
    for item in elements:
        scalar, ok = _label_scalar(item)
        if not ok:
            return None
        out.append(scalar)
    return out


def _columns(columns: Any) -> tuple[Any, int | None]:
    """A ColumnTransformer step's columns as JSON (list, or the selector's text) and count."""
    if isinstance(columns, (np.ndarray, ObjectArray)):
        items = label_items(columns)
        return (items, int(columns.shape[0])) if items is not None else (None, None)
    if isinstance(columns, (list, tuple)):
        plain = [c[:MAX_STR] if isinstance(c, str) else c for c in columns[:ITEMS_CAP]
                 if isinstance(c, (str, int)) and not isinstance(c, bool)]
        return (plain, len(columns)) if len(plain) == min(len(columns), ITEMS_CAP) else \
            (None, None)
    if isinstance(columns, (str, int)) and not isinstance(columns, bool):
        return [columns[:MAX_STR] if isinstance(columns, str) else columns], 1
    if isinstance(columns, Stub):
        return columns.dotted.rsplit(".", 1)[-1], None
    return None, None


def column_routing(value: Any) -> list[dict[str, Any]] | None:
    """``[{"name", "transformer", "columns", "column_count"}]`` of ColumnTransformer steps."""
    if not isinstance(value, list):
        return None
    routing = []
    for entry in value[:ITEMS_CAP]:
        if not (isinstance(entry, tuple) and len(entry) >= 3 and isinstance(entry[0], str)):
            continue
        columns, count = _columns(entry[2])
        if columns is None:
            continue
        step = entry[1]
        transformer = step.dotted.rsplit(".", 1)[-1] if isinstance(step, (Stub, GlobalRef)) \
            else step if isinstance(step, str) else type(step).__name__
        routing.append({"name": entry[0][:MAX_STR], "transformer": transformer,
                        "columns": columns, "column_count": count})
    return routing or None


def value_facts(name: str, value: Any) -> ValueFacts:
    """Items of label-like arrays (or of a list of them), the size of a list of arrays, and
    the column routing of a ColumnTransformer's transformers."""
    items = label_items(value)
    if items is not None:
        return ValueFacts(items=items, item_count=int(value.shape[0]))
    if name in ROUTING_ATTRS:
        return ValueFacts(routing=column_routing(value))
    if isinstance(value, (list, tuple)) and value and \
            all(isinstance(v, ARRAYS) for v in value[:ITEMS_CAP]):
        lists = [label_items(v) for v in value[:ITEMS_CAP]]
        if all(lst is not None for lst in lists):
            return ValueFacts(items=lists, item_count=len(value))
        return ValueFacts(size=sum(math.prod(v.shape) for v in value[:ITEMS_CAP]))
    return ValueFacts()


def _arrays_equal(a: Any, b: Any, depth: int) -> bool:
    if isinstance(a, ObjectArray) or isinstance(b, ObjectArray):
        return isinstance(a, ObjectArray) and isinstance(b, ObjectArray) and \
            a.shape == b.shape and values_equal(list(a.items), list(b.items), depth + 1)
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    except (TypeError, ValueError):
        return False


def values_equal(a: Any, b: Any, depth: int = 0) -> bool:
    """Equality as scikit-learn's ``print_changed_only``: NaN equals NaN, arrays by value."""
    if depth > 20:
        return False
    if isinstance(a, np.generic):
        a = a.item()
    if isinstance(b, np.generic):
        b = b.item()
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, (np.ndarray, ObjectArray)) or isinstance(b, (np.ndarray, ObjectArray)):
        return _arrays_equal(a, b, depth)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y, depth + 1) for x, y in
                                        zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k], depth + 1) for k in a)
    try:
        return bool(a == b)
    except Exception:
        return False
