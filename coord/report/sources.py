"""What the report reads besides deployments: promotion runs, skipped slots, and how far history goes.

Skipped schedule slots (promotions and the report itself) are kept in the `slots` table,
partition `skipped`, one row per slot key, so the next report can list them (interface.md,
"Notification and schedule guarantees").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from coord.domain.schedule import Slot
from coord.report.model import RunSummary, SkippedSlot
from coord.store import AlreadyExists, Table

if TYPE_CHECKING:
    from coord.bootstrap import Services

SLOTS_TABLE = "slots"
SKIPPED = "skipped"
_HORIZON = ("report", "horizon")  # (partition, row) of the first moment coord's history covers


def promotion_runs_between(services: Services, start: datetime, end: datetime) -> list[RunSummary]:
    """Promotion runs that started or ended in [start, end), as the report lists them."""
    from coord.promotion.runner import runs  # noqa: PLC0415 (the report loads promotions only here)

    summaries = []
    for run in runs(services).runs_between(start, end):
        statuses = [step.status.value for step in run.steps]
        summaries.append(
            RunSummary(
                run_id=run.id,
                group=run.group,
                source=run.source,
                target=run.target,
                outcome=_OUTCOMES.get(run.phase.value, "running"),
                started=run.started or run.created,
                finished=run.finished,
                promotion=run.promotion,
                deployed=statuses.count("succeeded"),
                failed=statuses.count("failed"),
                skipped=statuses.count("skipped"),
                blocked=statuses.count("blocked"),
            )
        )
    return sorted(summaries, key=lambda s: s.started)


# Run phases as the report words them.
_OUTCOMES = {
    "Succeeded": "succeeded",
    "Failed": "failed",
    "RolledBack": "rolled back",
    "Canceled": "canceled",
    "Halting": "halted",
}


def record_skipped_slots(table: Table, slots: Iterable[Slot], now: datetime) -> int:
    """Record slots that were missed by more than the grace period; returns how many were new."""
    new = 0
    for slot in slots:
        kind, name, _ = slot.key.split(":", 2)
        row = {
            "PartitionKey": SKIPPED,
            "RowKey": slot.key,
            "Kind": kind,
            "Name": name,
            "SlotTime": slot.utc_time.astimezone(UTC),
            "RecordedAt": now.astimezone(UTC),
        }
        try:
            table.insert(row)  # the first record of a slot stands; a repeat changes nothing
        except AlreadyExists:
            continue
        new += 1
    return new


def skipped_slots_between(table: Table, start: datetime, end: datetime) -> list[SkippedSlot]:
    """Slots due in [start, end), or found skipped then: what the report of that day lists."""
    rows = table.query(
        "PartitionKey eq @pk and ((SlotTime ge @s and SlotTime lt @e)"
        " or (RecordedAt ge @s and RecordedAt lt @e))",
        {"pk": SKIPPED, "s": start.astimezone(UTC), "e": end.astimezone(UTC)},
    )
    return [
        SkippedSlot(
            key=str(row["RowKey"]),
            kind=str(row["Kind"]),
            name=str(row["Name"]),
            slot_time=row["SlotTime"],
            recorded_at=row["RecordedAt"],
        )
        for row in rows
    ]


def note_history_start(services: Services, now: datetime) -> None:
    """Remember, once, the backfill horizon of the first poll: the start of the data coord keeps."""
    table = services.store.table(SLOTS_TABLE)
    if table.get(*_HORIZON) is not None:
        return
    cursor, _ = services.repo.load_cursor()
    if cursor is None:
        return  # nothing polled yet
    since = now - timedelta(days=services.settings.backfill_days)
    try:
        table.insert({"PartitionKey": _HORIZON[0], "RowKey": _HORIZON[1], "Since": since.astimezone(UTC)})
    except AlreadyExists:
        return


def history_start(services: Services) -> datetime | None:
    """The earliest moment coord has deployment data for, or None before the first poll.

    That is the first poll's backfill horizon when it was noted, or the creation day of the
    earliest stored deployment when that is older (a deployment created before the horizon
    and finished after it is recorded too).
    """
    cursor, _ = services.repo.load_cursor()
    if cursor is None:
        return None
    candidates: list[datetime] = []
    noted = services.store.table(SLOTS_TABLE).get(*_HORIZON)
    if noted is not None:
        candidates.append(noted["Since"])
    # Rows are returned in PartitionKey order and partitions are UTC dates: the first is the oldest.
    first = next(
        iter(services.store.table("deployments").query("PartitionKey ge @lo", {"lo": "0"}, ["PartitionKey"])),
        None,
    )
    if first is not None:
        candidates.append(datetime.fromisoformat(str(first["PartitionKey"])).replace(tzinfo=UTC))
    return min(candidates) if candidates else cursor.through
