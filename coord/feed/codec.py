"""Records to Table entities and back.

A record is stored as one JSON property plus the few columns that queries filter on, so
adding a field to a record never needs a table migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from coord.domain.records import DeploymentRecord, MatrixCell
from coord.feed.events import EventCursor

_RECORD = TypeAdapter(DeploymentRecord)
_CELL = TypeAdapter(MatrixCell)
_CURSOR = TypeAdapter(EventCursor)


def record_to_json(record: DeploymentRecord) -> str:
    return _RECORD.dump_json(record).decode()


def record_from_json(text: str) -> DeploymentRecord:
    return _RECORD.validate_json(text)


def cell_to_json(cell: MatrixCell) -> str:
    return _CELL.dump_json(cell).decode()


def cell_from_json(text: str) -> MatrixCell:
    return _CELL.validate_json(text)


def cursor_to_json(cursor: EventCursor) -> str:
    return _CURSOR.dump_json(cursor).decode()


def cursor_from_json(text: str) -> EventCursor:
    return _CURSOR.validate_json(text)


def day_partition(instant: datetime) -> str:
    """The partition of a deployment: the UTC date it was created, which never changes."""
    return instant.strftime("%Y-%m-%d")


def matrix_row_key(project_id: str, environment_id: str, tenant_id: str | None) -> str:
    return f"{project_id}|{environment_id}|{tenant_id or '-'}"


def record_entity(record: DeploymentRecord) -> dict[str, Any]:
    return {
        "PartitionKey": day_partition(record.created),
        "RowKey": record.deployment_id,
        "State": record.state.value,
        "ProjectId": record.project_id,
        "EnvironmentId": record.environment_id,
        "Record": record_to_json(record),
    }


def cell_entity(cell: MatrixCell) -> dict[str, Any]:
    return {
        "PartitionKey": "matrix",
        "RowKey": matrix_row_key(cell.project_id, cell.environment_id, cell.tenant_id),
        "Cell": cell_to_json(cell),
    }
