"""Resource limits shared by every reader: one byte budget per file, opcode/memo/depth caps."""

from __future__ import annotations

from dataclasses import dataclass

MIN_BUDGET = 2 << 30
"""The smallest default byte budget (2 GiB), whatever the file size."""


@dataclass
class Limits:
    """Resource limits; ``None`` means derived from the file size."""

    max_bytes: int | None = None
    """Decompressed bytes and materialised data; default max(4 x file size, 2 GiB)."""
    max_opcodes: int = 10_000_000
    max_memo: int = 2_000_000
    max_stack: int = 2_000_000
    """Items on the pickle stack (each held in memory until a container takes it)."""
    max_depth: int = 1_000
    """Deepest nesting of containers/objects (also of MARKs)."""
    keep_array_bytes: int = 64 << 10
    """Arrays up to this size are kept as numpy arrays; larger ones become ArrayStubs."""
    keep_total_bytes: int = 32 << 20
    """Total size of kept arrays; beyond it every further array is summarised only."""
    max_worker_bytes: int | None = None
    """Memory a ``scan`` worker process may take on while it reads one file (its
    ``RLIMIT_DATA`` is what it holds already plus this plus the reader thread's stack);
    default 2 x the file's byte budget."""

    def budget_for(self, size: int) -> int:
        """The per-file byte budget: ``max_bytes``, else max(4 x ``size``, 2 GiB)."""
        return self.max_bytes or max(4 * size, MIN_BUDGET)

    def keeps(self, nbytes: int, kept: int) -> bool:
        """Whether an array of ``nbytes`` is kept whole when ``kept`` bytes of arrays already
        are (else it is summarised by its statistics)."""
        return nbytes <= self.keep_array_bytes and kept + nbytes <= self.keep_total_bytes

    def worker_bytes_for(self, size: int) -> int:
        """The memory a scan worker may add reading a file of ``size`` bytes (see
        :attr:`max_worker_bytes`)."""
        return self.max_worker_bytes or 2 * self.budget_for(size)
