"""The lock history: every grant, release, expiry and departure, kept beside the lock it concerns.

Records live in the lock's own partition (RowKey `record|TIME|NONCE`), so each one is written in
the same transaction as the change it records: a grant is never without its record, nor a record
without its grant. A holder that expired unnoticed (nobody asked for the lock since) is reported
from its holder row, at the moment it expired.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from coord.locks.fair import HOLDER_ROW, Holder, record_key
from coord.store import Entity, Table


class LockEventKind(StrEnum):
    """What happened to a lock."""

    GRANTED = "granted"
    RELEASED = "released"
    EXPIRED = "expired"  # the holder's time to live ran out before it released
    ABANDONED = "abandoned"  # a waiter stopped polling and lost its place
    WITHDRAWN = "withdrawn"  # a waiter gave up and left the queue


@dataclass(frozen=True, slots=True)
class LockEvent:
    """One entry of the history."""

    lock: str
    kind: LockEventKind
    holder: str
    at: datetime
    waited_seconds: float | None = None
    held_seconds: float | None = None


def record_entity(event: LockEvent) -> dict[str, Any]:
    """The row that records `event` in its lock's partition."""
    row: dict[str, Any] = {
        "PartitionKey": event.lock,
        "RowKey": record_key(event.at, uuid.uuid4().hex[:12]),
        "Event": event.kind.value,
        "Holder": event.holder,
        "At": event.at,
    }
    if event.waited_seconds is not None:
        row["WaitedSeconds"] = round(event.waited_seconds, 3)
    if event.held_seconds is not None:
        row["HeldSeconds"] = round(event.held_seconds, 3)
    return row


def expiry_event(lock: str, holder: Holder) -> LockEvent:
    """The record of a holder whose time ran out."""
    held = (holder.expires_at - holder.granted_at).total_seconds()
    return LockEvent(lock, LockEventKind.EXPIRED, holder.holder, holder.expires_at, held_seconds=held)


def lock_history(table: Table, start: datetime, end: datetime, now: datetime) -> list[LockEvent]:
    """Every lock event in [start, end), in time order, including expiries nobody has noticed yet."""
    params = {"lo": record_key(start, ""), "hi": record_key(end, "")}
    events = [_event(row) for row in table.query("RowKey ge @lo and RowKey lt @hi", params)]
    for row in table.query("RowKey eq @holder", {"holder": HOLDER_ROW}):
        expires_at = row["ExpiresAt"]
        if start <= expires_at < end and expires_at <= now:
            held = (expires_at - row["GrantedAt"]).total_seconds()
            lock = str(row["PartitionKey"])
            events.append(
                LockEvent(lock, LockEventKind.EXPIRED, str(row["Holder"]), expires_at, held_seconds=held)
            )
    # At one instant a lock is freed before it is granted again.
    return sorted(events, key=lambda e: (e.at, e.lock, e.kind is LockEventKind.GRANTED))


def _event(row: Entity) -> LockEvent:
    return LockEvent(
        lock=str(row["PartitionKey"]),
        kind=LockEventKind(row["Event"]),
        holder=str(row.get("Holder", "")),
        at=row["At"],
        waited_seconds=row.get("WaitedSeconds"),
        held_seconds=row.get("HeldSeconds"),
    )
