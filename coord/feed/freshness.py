"""When coord last polled Octopus, and whether it worked: how old the data on a page is.

One row in the `state` table (partition `poll`, row `last`), merged after every poll attempt:
`AttemptAt` always, `SucceededAt` on success, `Error` with what went wrong (empty on success).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from coord.feed.status import PollFreshness

if TYPE_CHECKING:
    from coord.store import Table

_ROW = ("poll", "last")


def record_poll(table: Table, now: datetime, error: str | None = None) -> None:
    """Note a poll attempt at `now`: a success when `error` is None."""
    row: dict[str, object] = {"PartitionKey": _ROW[0], "RowKey": _ROW[1], "AttemptAt": now.astimezone(UTC)}
    row["Error"] = (error or "")[:1000]
    if error is None:
        row["SucceededAt"] = now.astimezone(UTC)
    table.upsert(row, merge=True)


def read_freshness(table: Table) -> PollFreshness:
    """What the last polls left: empty before the first one."""
    row = table.get(*_ROW)
    if row is None:
        return PollFreshness()
    return PollFreshness(row.get("AttemptAt"), row.get("SucceededAt"), str(row.get("Error") or ""))
