"""Rows of one table that a poll has read or written, so that none is read twice in one poll.

A catch-up applies page after page to the same day partitions and the same matrix cells.
Reading the rows each page touches costs a query per 14 keys (Table Storage allows at most 15
comparisons in one filter), and most of a first poll's lookups find nothing. So once a poll
wants many rows of one partition, the whole partition is read once and kept; afterwards a key
that is not there is known to be absent. Writes update the kept rows with their new ETags.

The kept rows can fall behind another writer (a webhook recording at the same time). Every
write is still conditional on the kept ETag, so such a write fails; the caller `forget`s those
rows and reads them again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from coord.store import Entity, Table, escape_key

V = TypeVar("V")

# Table Storage allows at most 15 discrete comparisons in one $filter.
_FILTER_CHUNK = 14


@dataclass(slots=True)
class _Partition(Generic[V]):
    # RowKey -> (value, ETag), or None when the row is known to be absent.
    rows: dict[str, tuple[V, str] | None] = field(default_factory=dict)
    complete: bool = False


class RowCache(Generic[V]):
    """What one poll knows of one table's rows, decoded by `decode`."""

    def __init__(self, table: Table, decode: Callable[[Entity], V], *, scan_from: int) -> None:
        self._table = table
        self._decode = decode
        # A lookup of at least this many unknown keys of one partition reads the whole partition.
        self._scan_from = scan_from
        self._partitions: dict[str, _Partition[V]] = {}

    def lookup(self, partition: str, keys: Iterable[str]) -> dict[str, tuple[V, str]]:
        """The stored (value, ETag) of each of these rows that exists."""
        wanted = set(keys)
        part = self._partitions.setdefault(partition, _Partition())
        unknown = set() if part.complete else {k for k in wanted if k not in part.rows}
        if len(unknown) >= self._scan_from:
            part.rows = {e["RowKey"]: (self._decode(e), e.etag) for e in self._table.partition(partition)}
            part.complete = True
        elif unknown:
            found = {e["RowKey"]: (self._decode(e), e.etag) for e in _rows(self._table, partition, unknown)}
            for key in unknown:
                part.rows[key] = found.get(key)
        return {k: row for k in wanted if (row := part.rows.get(k)) is not None}

    def wrote(self, partition: str, etags: dict[tuple[str, str], str], values: dict[str, V]) -> None:
        """Keep what was just written: `values` by RowKey, with the ETags the write returned."""
        part = self._partitions.setdefault(partition, _Partition())
        for key, value in values.items():
            etag = etags.get((partition, key))
            if etag is None:
                part.rows.pop(key, None)
                part.complete = False
            else:
                part.rows[key] = (value, etag)

    def forget(self, partition: str, keys: Iterable[str]) -> None:
        """Drop these rows (another writer changed them): the next lookup reads them again."""
        part = self._partitions.get(partition)
        if part is None:
            return
        for key in keys:
            part.rows.pop(key, None)
        part.complete = False


def _rows(table: Table, partition: str, row_keys: Iterable[str]) -> Iterator[Entity]:
    keys = sorted(row_keys)
    for i in range(0, len(keys), _FILTER_CHUNK):
        chunk = keys[i : i + _FILTER_CHUNK]
        names = {f"r{n}": escape_key(key) for n, key in enumerate(chunk)}
        clause = " or ".join(f"RowKey eq @{name}" for name in names)
        parameters = {"pk": escape_key(partition), **names}
        yield from table.query(f"PartitionKey eq @pk and ({clause})", parameters=parameters)
