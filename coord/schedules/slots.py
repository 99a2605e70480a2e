"""The `slots` table: where schedule slots are claimed once, and missed ones recorded as skipped.

Promotions and the daily report both claim their slots here (insert-only), so any number of
ticks or instances run a slot once. Skipped slots are kept in partition `skipped`, one row per
slot key, so the next report can list them (interface.md, "Notification and schedule guarantees").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from coord.schedules.cron import SkippedSlot, Slot
from coord.store import AlreadyExists, Table

SLOTS_TABLE = "slots"
SKIPPED = "skipped"


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
