"""Deployment records, the current matrix and the in-flight set in Table Storage.

Tables (each prefixed with COORD_TABLE_PREFIX):
- `deployments`: one row per deployment, partitioned by the UTC date it was created, so a
  day's report reads two or three partitions and a record never moves.
- `matrix`: one partition, one row per project x environment x tenant: the latest deployment
  and the latest success, which is what promotions, gates and "all deployed" read.
- `state`: small rows: the poll cursor, and the deployments still in flight (partition
  `inflight`), so an idle poll knows without a scan which tasks to refresh.

Every write is conditional on the ETag read before it and merges are idempotent, so a webhook
racing a poll, or two polls at once, converge on the same rows. Within one poll, rows once read
or written are kept (`PollCache`), so a catch-up reads each partition at most once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from coord.domain.records import DeploymentRecord, MatrixCell, merge_records, update_cell
from coord.feed import codec
from coord.feed.events import EventCursor
from coord.feed.rows import RowCache
from coord.store import AlreadyExists, BatchOp, Entity, StaleState, Table, TableStore, pack_text, unpack_text

_T = TypeVar("_T")
_MAX_ATTEMPTS = 5
_BATCH = 100  # entities per transaction (azure-ecosystem.md §5.3)
# A lookup of this many unknown rows of one partition reads the whole partition instead: a day
# holds a few thousand deployments, read in a few pages, against a query per 14 keys.
_SCAN_DEPLOYMENTS_FROM = 200
_SCAN_MATRIX_FROM = 1000
_MATRIX = "matrix"


@dataclass(slots=True)
class PollCache:
    """The deployment rows and matrix cells one poll has read or written."""

    records: RowCache[DeploymentRecord]
    cells: RowCache[MatrixCell]


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an apply wrote: deployment rows and matrix cells that changed."""

    records: tuple[DeploymentRecord, ...] = ()
    cells: tuple[MatrixCell, ...] = ()
    # Every observed deployment as it is stored now, changed or not.
    current: tuple[DeploymentRecord, ...] = ()


class DeploymentRepository:
    """Reads and conditional writes of coord's deployment state."""

    def __init__(self, store: TableStore) -> None:
        self._store = store

    @property
    def _deployments(self) -> Table:
        return self._store.table("deployments")

    @property
    def _matrix(self) -> Table:
        return self._store.table("matrix")

    @property
    def _state(self) -> Table:
        return self._store.table("state")

    # --- cursor -------------------------------------------------------------------------

    def load_cursor(self) -> tuple[EventCursor | None, str | None]:
        """The events cursor and its ETag (None, None before the first poll)."""
        entity = self._state.get("poll", "cursor")
        if entity is None:
            return None, None
        return codec.cursor_from_json(unpack_text(entity, "Cursor") or ""), entity.etag

    def save_cursor(self, cursor: EventCursor, etag: str | None) -> str:
        """Store the cursor and return its new ETag; StaleState when another poll moved it meanwhile."""
        # Compressed: after a burst the ids remembered inside the overlap outgrow one property.
        entity = {
            "PartitionKey": "poll",
            "RowKey": "cursor",
            **pack_text("Cursor", codec.cursor_to_json(cursor)),
        }
        try:
            return self._state.insert(entity) if etag is None else self._state.replace(entity, etag=etag)
        except AlreadyExists:
            raise StaleState("the poll cursor was created by another poll") from None

    # --- in flight ----------------------------------------------------------------------

    def inflight(self) -> dict[str, DeploymentRecord]:
        """Deployments whose task had not completed when last seen."""
        return {e["RowKey"]: codec.record_from_json(e["Record"]) for e in self._state.partition("inflight")}

    # --- records ------------------------------------------------------------------------

    def poll_cache(self) -> PollCache:
        """A fresh cache of rows for one poll (never shared between polls or threads)."""
        return PollCache(
            RowCache(self._deployments, _decode_record, scan_from=_SCAN_DEPLOYMENTS_FROM),
            RowCache(self._matrix, _decode_cell, scan_from=_SCAN_MATRIX_FROM),
        )

    def apply(
        self,
        observed: Iterable[DeploymentRecord],
        inflight: dict[str, DeploymentRecord] | None = None,
        cache: PollCache | None = None,
    ) -> ApplyResult:
        """Merge observations into the stored rows, the matrix and the in-flight set.

        The matrix and the in-flight set are brought up to date from the merged rows even when
        a row itself did not change, so a crash between these writes heals on the next poll.
        """
        cache = cache or self.poll_cache()
        latest: dict[str, DeploymentRecord] = {}
        for record in observed:
            previous = latest.get(record.deployment_id)
            merged = merge_records(previous, record) if previous else record
            latest[record.deployment_id] = merged or previous or record
        if not latest:
            return ApplyResult()
        current, changed = self._apply_records(list(latest.values()), cache.records)
        cells = self._apply_matrix(current, cache.cells)
        self._apply_inflight(current, self.inflight() if inflight is None else inflight)
        return ApplyResult(records=tuple(changed), cells=tuple(cells), current=tuple(current))

    def _apply_records(
        self, observed: list[DeploymentRecord], cache: RowCache[DeploymentRecord]
    ) -> tuple[list[DeploymentRecord], list[DeploymentRecord]]:
        by_partition: dict[str, list[DeploymentRecord]] = defaultdict(list)
        for record in observed:
            by_partition[codec.day_partition(record.created)].append(record)
        current: list[DeploymentRecord] = []
        changed: list[DeploymentRecord] = []
        for partition, records in by_partition.items():
            # One lookup for the whole partition decides between reading keys and reading it all.
            cache.lookup(partition, (r.deployment_id for r in records))
            for chunk in _chunks(records, _BATCH):
                now_stored, written = self._commit_records(partition, chunk, cache)
                current += now_stored
                changed += written
        return current, changed

    def _commit_records(
        self, partition: str, records: list[DeploymentRecord], cache: RowCache[DeploymentRecord]
    ) -> tuple[list[DeploymentRecord], list[DeploymentRecord]]:
        """Merge and write one transaction's worth of rows, re-reading after a lost race."""
        keys = [r.deployment_id for r in records]
        for attempt in range(_MAX_ATTEMPTS):
            stored = cache.lookup(partition, keys)
            ops: list[BatchOp] = []
            current: list[DeploymentRecord] = []
            written: list[DeploymentRecord] = []
            for record in records:
                existing, etag = stored.get(record.deployment_id, (None, None))
                merged = merge_records(existing, record)
                if merged is None:
                    current.append(existing or record)
                    continue
                current.append(merged)
                written.append(merged)
                ops.append(("insert" if etag is None else "replace", codec.record_entity(merged), etag))
            try:
                etags = self._deployments.write_batch_etags(ops)
            except (StaleState, AlreadyExists):
                cache.forget(partition, keys)
                if attempt == _MAX_ATTEMPTS - 1:
                    raise
                continue
            cache.wrote(partition, etags, {r.deployment_id: r for r in written})
            return current, written
        return [], []

    def _apply_matrix(self, records: list[DeploymentRecord], cache: RowCache[MatrixCell]) -> list[MatrixCell]:
        by_key: dict[str, list[DeploymentRecord]] = defaultdict(list)
        for record in sorted(records, key=lambda r: r.created):
            by_key[codec.matrix_row_key(*record.matrix_key)].append(record)
        cache.lookup(_MATRIX, by_key)
        changed: list[MatrixCell] = []
        for keys in _chunks(sorted(by_key), _BATCH):
            changed += self._commit_cells({k: by_key[k] for k in keys}, cache)
        return changed

    def _commit_cells(
        self, by_key: dict[str, list[DeploymentRecord]], cache: RowCache[MatrixCell]
    ) -> list[MatrixCell]:
        for attempt in range(_MAX_ATTEMPTS):
            stored = cache.lookup(_MATRIX, by_key)
            ops: list[BatchOp] = []
            new_cells: list[MatrixCell] = []
            for key, records in by_key.items():
                cell, etag = stored.get(key, (None, None))
                current = cell
                for record in records:
                    current = update_cell(current, record) or current
                if current is not None and current != cell:
                    new_cells.append(current)
                    ops.append(("insert" if etag is None else "replace", codec.cell_entity(current), etag))
            try:
                etags = self._matrix.write_batch_etags(ops)
            except (StaleState, AlreadyExists):
                cache.forget(_MATRIX, by_key)
                if attempt == _MAX_ATTEMPTS - 1:
                    raise
                continue
            cache.wrote(_MATRIX, etags, {codec.matrix_row_key(*c.latest.matrix_key): c for c in new_cells})
            return new_cells
        return []

    def _apply_inflight(self, records: list[DeploymentRecord], known: dict[str, DeploymentRecord]) -> None:
        upserts: list[BatchOp] = []
        for record in records:
            if record.is_completed and record.deployment_id in known:
                # One by one: a delete inside a transaction fails the whole batch when a
                # concurrent poll removed the row first, and completions are few.
                self._state.delete("inflight", record.deployment_id)
            elif not record.is_completed and known.get(record.deployment_id) != record:
                entity = {"PartitionKey": "inflight", "RowKey": record.deployment_id}
                upserts.append(("upsert", {**entity, "Record": codec.record_to_json(record)}, None))
        self._state.write_batch(upserts)

    # --- reads for features -------------------------------------------------------------

    def matrix(self) -> list[MatrixCell]:
        """Every cell of the current matrix."""
        return [_decode_cell(e) for e in self._matrix.partition(_MATRIX)]

    def cell(self, project_id: str, environment_id: str, tenant_id: str | None) -> MatrixCell | None:
        """One cell of the matrix (a point read), or None before its first deployment."""
        entity = self._matrix.get("matrix", codec.matrix_row_key(project_id, environment_id, tenant_id))
        return codec.cell_from_json(entity["Cell"]) if entity is not None else None

    def records_between(self, start: datetime, end: datetime) -> list[DeploymentRecord]:
        """Deployments that belong to [start, end): finished then, or still running and queued then.

        Partitions are by created date, so the read starts two days early to include long
        deployments that were created before `start` and finished inside it.
        """
        day = (start - timedelta(days=2)).date()
        found: list[DeploymentRecord] = []
        while day <= end.date():
            for entity in self._deployments.partition(day.isoformat()):
                record = codec.record_from_json(entity["Record"])
                if start <= record.belongs_at < end:
                    found.append(record)
            day += timedelta(days=1)
        return sorted(found, key=lambda r: (r.belongs_at, r.deployment_id))


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _decode_record(entity: Entity) -> DeploymentRecord:
    return codec.record_from_json(entity["Record"])


def _decode_cell(entity: Entity) -> MatrixCell:
    return codec.cell_from_json(entity["Cell"])
