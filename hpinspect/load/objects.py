"""Inert stand-ins for everything a pickle names but hpinspect refuses to import or call."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from hpinspect.load.arrays import ArrayStats, numeric_field

if TYPE_CHECKING:
    from hpinspect.load.regions import Region


class GlobalRef:
    """A global (``module.name``) the file refers to; never imported."""

    __slots__ = ("dotted", "module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self.dotted = f"{module}.{name}"
        """``module.name`` (made once: looked up for every object a call makes)."""

    def __repr__(self) -> str:
        return f"<global {self.dotted}>"


class Stub:
    """An object a real load would have created by calling or instantiating ``factory``.

    ``args``/``kwargs`` are what the factory would have been called with, ``state`` what
    BUILD would have passed to ``__setstate__`` (for scikit-learn estimators: the whole
    ``__dict__``), ``list_items``/``dict_items`` what APPEND(S)/SETITEM(S) would have added.
    """

    __slots__ = ("args", "builds", "dict_items", "factory", "how", "kwargs", "list_items",
                 "ops", "state")

    def __init__(self, factory: GlobalRef | Stub, args: tuple[Any, ...], how: str) -> None:
        self.factory = factory
        self.args = args
        self.kwargs: dict[str, Any] = {}
        self.how = how
        self.state: Any = None
        self.list_items: list[Any] = []
        self.dict_items: list[tuple[Any, Any]] = []
        self.ops: list[str] = []
        """Methods a real load calls on the object, in order (``__setstate__``, ``extend``...)."""
        self.builds = 0

    @property
    def dotted(self) -> str:
        """Dotted name of the class or callable that made this object."""
        factory = self.factory
        calls = 0
        while isinstance(factory, Stub):  # iterative: a call of a call of ... has no depth limit
            factory = factory.factory
            calls += 1
        return factory.dotted + "(...)" * min(calls, 1)

    @property
    def attrs(self) -> dict[str, Any]:
        """The instance ``__dict__`` a real load would have set (empty when unknown)."""
        state = self.state
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
            # (state, slotstate) from objects with __slots__
            merged = dict(state[0]) if isinstance(state[0], dict) else {}
            merged.update(state[1])
            return merged
        return state if isinstance(state, dict) else {}

    def __repr__(self) -> str:
        return f"<{self.dotted} (not constructed)>"


UNHASHABLE = "unhashable type: 'numpy.ndarray'"
"""What hashing a numpy array raises (a dict key or set member that is an array)."""


@dataclass(frozen=True, eq=False)
class ArrayStub:
    """A numpy array too large to keep: its layout, and its statistics when asked.

    ``summary`` is either the statistics, taken while the bytes went past (compressed files),
    or the :class:`~hpinspect.load.regions.Region` the bytes lie in (the file, or the bytes
    the pickle held), summarised the first time :attr:`stats` is asked for. Unhashable, as a
    numpy array is; compared by identity.
    """

    shape: tuple[int, ...]
    dtype: Any  # numpy.dtype; typed loosely so this module does not import numpy
    fortran_order: bool
    summary: ArrayStats | Region

    @cached_property
    def stats(self) -> ArrayStats:
        """Shape, dtype, size, and min/max/mean/std/zeros/NaNs of numeric data."""
        summary = self.summary
        if isinstance(summary, ArrayStats):
            return summary
        return summary.stats(self.shape, self.dtype)

    def field_stats(self, name: str) -> ArrayStats | None:
        """The statistics of one numeric field of a structured array (None for any other
        name), reading only that field's values when the whole was not summarised yet."""
        known: ArrayStats | Region = self.__dict__.get("stats", self.summary)
        if isinstance(known, ArrayStats):
            return known.fields.get(name)
        if not numeric_field(self.dtype, name):
            return None
        read = self._fields_read
        if name not in read:
            read[name] = known.field_stats(self.dtype, name)
        return read[name]

    def field_negatives(self, name: str) -> int | None:
        """How many values of numeric field ``name`` are below zero (None for any other
        name): :meth:`field_stats`' ``negatives``, read alone when that field was not."""
        known: ArrayStats | Region = self.__dict__.get("stats", self.summary)
        if isinstance(known, ArrayStats):
            field = known.fields.get(name)
            return None if field is None else field.negatives
        if name in self._fields_read:
            return self._fields_read[name].negatives
        if not numeric_field(self.dtype, name):
            return None
        counted = self._negatives_read
        if name not in counted:
            counted[name] = known.field_negatives(self.dtype, name)
        return counted[name]

    @cached_property
    def _fields_read(self) -> dict[str, ArrayStats]:
        """The fields :meth:`field_stats` read so far (each is read once)."""
        return {}

    @cached_property
    def _negatives_read(self) -> dict[str, int]:
        """The fields :meth:`field_negatives` counted so far."""
        return {}

    @property
    def nbytes(self) -> int:
        """Size of the array data in bytes."""
        return self.summary.nbytes

    def __hash__(self) -> int:
        raise TypeError(UNHASHABLE)


OBJECT_ITEMSIZE = 8
"""Bytes numpy reports per element of an object array (a pointer), for ``nbytes``."""


@dataclass(frozen=True, eq=False)
class ObjectArray:
    """A numpy object array as hpinspect's own inert value: never a numpy object array.

    numpy pickles an object array's elements as a list in C (row-major) order whatever its
    memory order, and a real load stores them back in that order; here they stay a tuple of
    the values the restricted reader made, element by element. Compared by identity (the
    elements may be anything the file built); unhashable, as a numpy array is.
    """

    shape: tuple[int, ...]
    items: tuple[Any, ...]
    """The elements in C order (``len(items)`` is the product of ``shape``)."""
    fortran_order: bool = False

    @property
    def dtype(self) -> str:
        """The dtype's name, as ``str(ndarray.dtype)`` gives it."""
        return "object"

    @property
    def size(self) -> int:
        """Number of elements."""
        return len(self.items)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        """What ``ndarray.nbytes`` says of it (one pointer per element)."""
        return self.size * OBJECT_ITEMSIZE

    @property
    def stats(self) -> ArrayStats:
        """Layout only: object elements have no statistics."""
        return ArrayStats(shape=self.shape, dtype="object", nbytes=self.nbytes, count=self.size)

    def __hash__(self) -> int:
        raise TypeError(UNHASHABLE)

    def index_of(self, flat: int) -> tuple[int, ...]:
        """The index of element ``flat`` (its position in :attr:`items`, C order), as
        ``numpy.ndenumerate`` gives it."""
        index: list[int] = []
        for dim in reversed(self.shape):
            flat, rest = divmod(flat, dim) if dim else (0, 0)
            index.append(rest)
        return tuple(reversed(index))


def object_array(shape: tuple[int, ...], nested: Any) -> ObjectArray | None:
    """The :class:`ObjectArray` of ``shape`` whose elements ``nested`` lists give (as
    ``numpy.array(nested, dtype=object)`` builds it), or None when the nesting does not
    match the shape."""
    level: list[Any] = [nested]
    for dim in shape:
        if not all(isinstance(x, list) and len(x) == dim for x in level):
            return None
        level = [y for x in level for y in x]
    return ObjectArray(shape, tuple(level))
