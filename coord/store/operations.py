"""Counts of the calls a TableStore makes: what benchmarks report as storage cost."""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class OperationCounts:
    """How many calls a TableStore made, by kind: what benchmarks report as storage cost."""

    reads: int = 0
    writes: int = 0
    queries: int = 0
    transactions: int = 0
    entities_written: int = 0
    tables_created: int = 0


class Operations:
    """Thread-safe counters of the calls made through one TableStore."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = OperationCounts()

    def add(self, **deltas: int) -> None:
        """Add to the named counters."""
        with self._lock:
            current = self._counts
            self._counts = OperationCounts(
                **{f.name: getattr(current, f.name) + deltas.get(f.name, 0) for f in fields(current)}
            )

    def snapshot(self) -> OperationCounts:
        """The counts so far."""
        return self._counts

    def reset(self) -> OperationCounts:
        """Return the counts so far and start again from zero."""
        with self._lock:
            counts, self._counts = self._counts, OperationCounts()
        return counts
