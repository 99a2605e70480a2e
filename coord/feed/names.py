"""The space's names (projects, environments, tenants) kept in Table Storage.

One row per item, so a space of thousands of projects stays far below the 64 KiB
property limit, and a refresh writes only the rows whose content changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from coord.domain.catalogue import Catalogue, EnvironmentInfo, ProjectInfo, TenantInfo
from coord.store import BatchOp, TableStore

_PARTITION = "catalogue"
# Rows that are not names (load() and refresh() leave them alone).
_MISS_ROW = "meta|refreshed-on-miss"
_CHANGES_ROW = "meta|changes-seen"
_SPACE = "space"  # one row, `space|<id>`: the space the names belong to
_KINDS: dict[str, type[Any]] = {"project": ProjectInfo, "environment": EnvironmentInfo, "tenant": TenantInfo}


class NameCatalogue:
    """Reads and refreshes the stored catalogue of names."""

    def __init__(self, store: TableStore) -> None:
        self._store = store

    def load(self) -> Catalogue:
        """The stored catalogue (empty before the first refresh)."""
        found: dict[str, dict[str, Any]] = {kind: {} for kind in _KINDS}
        space_id: str | None = None
        for entity in self._store.table("state").partition(_PARTITION):
            kind, _, item_id = str(entity["RowKey"]).partition("|")
            if kind in _KINDS:
                found[kind][item_id] = _decode(kind, entity["Data"])
            elif kind == _SPACE:
                space_id = item_id
        return Catalogue(
            projects=found["project"],
            environments=found["environment"],
            tenants=found["tenant"],
            space_id=space_id,
        )

    def refresh(self, fresh: Catalogue) -> int:
        """Store `fresh`, writing only changed rows; returns how many rows were written or removed."""
        table = self._store.table("state")
        stored = {e["RowKey"]: e["Data"] for e in table.partition(_PARTITION) if "Data" in e}
        wanted: dict[str, str] = {}
        for kind, items in (
            ("project", fresh.projects),
            ("environment", fresh.environments),
            ("tenant", fresh.tenants),
        ):
            for item_id, item in items.items():
                wanted[f"{kind}|{item_id}"] = json.dumps(asdict(item), sort_keys=True)
        if fresh.space_id:
            wanted[f"{_SPACE}|{fresh.space_id}"] = ""
        ops: list[BatchOp] = [
            ("upsert", {"PartitionKey": _PARTITION, "RowKey": key, "Data": data}, None)
            for key, data in wanted.items()
            if stored.get(key) != data
        ]
        ops += [
            ("delete", {"PartitionKey": _PARTITION, "RowKey": key}, None)
            for key in stored
            if key not in wanted
        ]
        table.write_batch(ops)
        return len(ops)

    def refreshed_on_miss(self) -> datetime | None:
        """When the names were last read because one did not resolve (coord's clock)."""
        return self._moment(_MISS_ROW)

    def mark_refreshed_on_miss(self, now: datetime) -> None:
        """Remember that the names were read now because one did not resolve."""
        self._mark(_MISS_ROW, now)

    def changes_seen(self) -> datetime | None:
        """The newest change event (Octopus's `Occurred`) after which the names were read."""
        return self._moment(_CHANGES_ROW)

    def mark_changes_seen(self, occurred: datetime) -> None:
        """Remember that the names were read after the change event of `occurred`."""
        self._mark(_CHANGES_ROW, occurred)

    def _moment(self, row: str) -> datetime | None:
        entity = self._store.table("state").get(_PARTITION, row)
        at = entity.get("At") if entity is not None else None
        return at if isinstance(at, datetime) else None

    def _mark(self, row: str, at: datetime) -> None:
        entity = {"PartitionKey": _PARTITION, "RowKey": row, "At": at.astimezone(UTC)}
        self._store.table("state").upsert(entity)


def _decode(kind: str, data: str) -> Any:
    values = json.loads(data)
    if kind == "tenant":
        values["project_environments"] = {k: tuple(v) for k, v in values["project_environments"].items()}
    return _KINDS[kind](**values)
