"""Fair locks in Table Storage: the adapter that reads a lock, asks `fair.next_move`, and writes.

Every write is conditional on the ETags just read, and a grant (holder row written, queue row
removed, history recorded) is one transaction in the lock's partition, so any number of
threads, processes or Function instances racing for a lock leave exactly one holder. Time
comes from the injected clock; waiting sleeps through the injected `sleep`.
"""

from __future__ import annotations

import contextlib
import math
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from coord.clock import Clock
from coord.locks.fair import (
    HOLDER_ROW,
    QUEUE_PREFIX,
    STATE_END,
    Enqueue,
    Held,
    Holder,
    LockPolicy,
    LockState,
    Take,
    Wait,
    Waiter,
    new_ticket,
    next_move,
)
from coord.locks.history import LockEvent, LockEventKind, expiry_event, record_entity
from coord.store import AlreadyExists, BatchOp, Entity, StaleState, Table, escape_key

Sleep = Callable[[float], None]
# Lost races in a row before a caller backs off and sleeps like a waiter.
_CONFLICTS = 8
_RELEASE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Grant:
    """The lock is yours until `expires_at`; `token` releases it."""

    name: str
    holder: str
    granted_at: datetime
    expires_at: datetime
    waited: timedelta
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Not granted within the wait: who holds it, and where the caller stands in the queue."""

    name: str
    holder: Holder | None
    position: int
    ticket: str | None


class NotHeld(Exception):
    """No holder with this token: it was released already, or expired (and perhaps was taken)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"lock {name!r}: {reason}")
        self.name = name
        self.reason = reason


class FairLocks:
    """Named, fair, expiring locks over one table."""

    def __init__(
        self,
        table: Table,
        clock: Clock,
        *,
        sleep: Sleep = time.sleep,
        policy: LockPolicy | None = None,
    ) -> None:
        self._table = table
        self._clock = clock
        self._sleep = sleep
        self.policy = policy or LockPolicy()

    @property
    def table(self) -> Table:
        """The table the locks and their history live in."""
        return self._table

    def acquire(
        self,
        name: str,
        holder: str,
        ttl: timedelta,
        *,
        wait: timedelta = timedelta(0),
        ticket: str | None = None,
        request_id: str = "",
    ) -> Grant | Refusal:
        """Take lock `name` for `ttl`, waiting up to `wait` in the queue behind earlier callers.

        Without a ticket and with no wait this is a try-lock that never queues. A Refusal after a
        wait carries the caller's ticket: sending it back keeps the caller's place.
        """
        start = self._clock.now()
        deadline = start + wait
        naps = math.ceil(wait / self.policy.poll_interval) if wait > timedelta(0) else 0
        queue = wait > timedelta(0) or ticket is not None
        conflicts = 0
        while True:
            now = self._clock.now()
            state = self.read(name)
            move = next_move(state, now, self.policy, ticket=ticket, request_id=request_id, queue=queue)
            if isinstance(move, Held):
                return _grant(name, move.holder, move.holder.granted_at - start)
            if isinstance(move, Enqueue):
                ticket = self._enqueue(name, holder, request_id, now, move)
                conflicts += 1
                if conflicts < _CONFLICTS:
                    continue
                position, current = len(state.queue) + 1, state.holder
            elif isinstance(move, Take):
                grant = self._take(
                    name, holder=holder, ttl=ttl, request_id=request_id, now=now, move=move, start=start
                )
                if grant is not None:
                    return grant
                conflicts += 1
                if conflicts < _CONFLICTS:
                    continue  # another caller wrote first: read again at once
                position, current = 1, None
            else:
                position, current = move.position, move.holder
                self._tend(name, now, move)
            if naps <= 0 or now >= deadline:
                return Refusal(name, current, position, ticket if queue else None)
            remaining = (deadline - now).total_seconds()
            self._sleep(min(self.policy.poll_interval.total_seconds(), remaining))
            naps -= 1
            conflicts = 0

    def release(self, name: str, token: str) -> LockEvent:
        """Release lock `name` held with `token`; NotHeld if the token does not hold it (any more)."""
        for _ in range(_RELEASE_ATTEMPTS):
            now = self._clock.now()
            row = self._table.get(name, HOLDER_ROW)
            holder = _holder(row) if row is not None else None
            if holder is None or not secrets.compare_digest(holder.token, token):
                raise NotHeld(name, "no holder has this token; it was released, or it expired")
            if holder.is_live(now):
                held = (now - holder.granted_at).total_seconds()
                event = LockEvent(name, LockEventKind.RELEASED, holder.holder, now, held_seconds=held)
            else:
                event = expiry_event(name, holder)
            try:
                self._table.write_batch([_delete(name, HOLDER_ROW, holder.etag), _record(event)])
            except StaleState:
                continue  # renewed or replaced meanwhile: look again
            if event.kind is LockEventKind.EXPIRED:
                raise NotHeld(name, f"the token expired at {holder.expires_at.isoformat()}")
            return event
        raise NotHeld(name, "the lock kept changing while being released")

    def withdraw(self, name: str, ticket: str) -> bool:
        """Leave the queue of lock `name`; False when the ticket is not (or no longer) queued."""
        row = self._table.get(name, QUEUE_PREFIX + ticket)
        if row is None:
            return False
        waiter = _waiter(row)
        event = LockEvent(name, LockEventKind.WITHDRAWN, waiter.holder, self._clock.now())
        try:
            self._table.write_batch([_delete(name, row["RowKey"], row.etag), _record(event)])
        except StaleState:
            return False
        return True

    def read(self, name: str) -> LockState:
        """The stored state of lock `name`: its holder (live or expired) and its queue."""
        params = {"pk": escape_key(name), "lo": HOLDER_ROW, "hi": STATE_END}
        holder: Holder | None = None
        queue: list[Waiter] = []
        for row in self._table.query("PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi", params):
            if row["RowKey"] == HOLDER_ROW:
                holder = _holder(row)
            elif str(row["RowKey"]).startswith(QUEUE_PREFIX):
                queue.append(_waiter(row))
        return LockState(name, holder, tuple(sorted(queue, key=lambda w: w.ticket)))

    def all_states(self) -> list[LockState]:
        """Every lock with a holder row or a queue, live or expired (one query; history rows excluded)."""
        found: dict[str, tuple[list[Holder], list[Waiter]]] = {}
        for row in self._table.query("RowKey ge @lo and RowKey lt @hi", {"lo": HOLDER_ROW, "hi": STATE_END}):
            holders, queue = found.setdefault(str(row["PartitionKey"]), ([], []))
            if row["RowKey"] == HOLDER_ROW:
                holders.append(_holder(row))
            elif str(row["RowKey"]).startswith(QUEUE_PREFIX):
                queue.append(_waiter(row))
        return [
            LockState(name, holders[0] if holders else None, tuple(sorted(queue, key=lambda w: w.ticket)))
            for name, (holders, queue) in sorted(found.items())
        ]

    def _enqueue(self, name: str, holder: str, request_id: str, now: datetime, move: Enqueue) -> str:
        ticket = new_ticket(now, uuid.uuid4().hex[:12])
        row = {
            "PartitionKey": name,
            "RowKey": QUEUE_PREFIX + ticket,
            "Holder": holder,
            "QueuedAt": now,
            "ExpiresAt": now + self.policy.waiter_grace,
            "RequestId": request_id,
        }
        self._table.insert(row)
        self._drop(name, move.abandoned)
        return ticket

    def _take(
        self,
        name: str,
        *,
        holder: str,
        ttl: timedelta,
        request_id: str,
        now: datetime,
        move: Take,
        start: datetime,
    ) -> Grant | None:
        queued_at = move.own.queued_at if move.own is not None else start
        # Hex, never URL-safe base64: a token starting with '-' reads as an option on a command line.
        token = secrets.token_hex(24)
        taken = Holder(
            holder=holder,
            granted_at=now,
            expires_at=now + ttl,
            token=token,
            ticket=move.own.ticket if move.own is not None else "",
            request_id=request_id,
        )
        waited = max(now - queued_at, timedelta(0))
        ops: list[BatchOp] = []
        if move.expired is None:
            ops.append(("insert", _holder_entity(name, taken), None))
        else:
            ops.append(("replace", _holder_entity(name, taken), move.expired.etag))
            ops.append(_record(expiry_event(name, move.expired)))
        if move.own is not None:
            ops.append(_delete(name, QUEUE_PREFIX + move.own.ticket, move.own.etag))
        granted = LockEvent(name, LockEventKind.GRANTED, holder, now, waited_seconds=waited.total_seconds())
        ops.append(_record(granted))
        ops += _abandon(name, move.abandoned, now)
        try:
            self._table.write_batch(ops)
        except (StaleState, AlreadyExists):
            return None
        return _grant(name, taken, waited)

    def _tend(self, name: str, now: datetime, move: Wait) -> None:
        """Keep the caller's place alive, and clear out waiters that stopped polling."""
        if move.refresh and move.own is not None:
            row = {
                "PartitionKey": name,
                "RowKey": QUEUE_PREFIX + move.own.ticket,
                "ExpiresAt": now + self.policy.waiter_grace,
            }
            # StaleState: dropped as abandoned meanwhile, and the next read queues the caller again.
            with contextlib.suppress(StaleState):
                self._table.merge(row, etag=move.own.etag)
        self._drop(name, move.abandoned)

    def _drop(self, name: str, abandoned: tuple[Waiter, ...]) -> None:
        if not abandoned:
            return
        with contextlib.suppress(StaleState):  # another caller cleared them first
            self._table.write_batch(_abandon(name, abandoned, self._clock.now()))


def _grant(name: str, holder: Holder, waited: timedelta) -> Grant:
    return Grant(
        name, holder.holder, holder.granted_at, holder.expires_at, max(waited, timedelta(0)), holder.token
    )


def _abandon(name: str, waiters: tuple[Waiter, ...], now: datetime) -> list[BatchOp]:
    ops: list[BatchOp] = []
    for waiter in waiters:
        ops.append(_delete(name, QUEUE_PREFIX + waiter.ticket, waiter.etag))
        waited = (waiter.expires_at - waiter.queued_at).total_seconds()
        event = LockEvent(name, LockEventKind.ABANDONED, waiter.holder, min(now, waiter.expires_at), waited)
        ops.append(_record(event))
    return ops


def _delete(name: str, row_key: str, etag: str) -> BatchOp:
    return ("delete", {"PartitionKey": name, "RowKey": row_key}, etag)


def _record(event: LockEvent) -> BatchOp:
    return ("insert", record_entity(event), None)


def _holder_entity(name: str, holder: Holder) -> dict[str, Any]:
    return {
        "PartitionKey": name,
        "RowKey": HOLDER_ROW,
        "Holder": holder.holder,
        "Token": holder.token,
        "Ticket": holder.ticket,
        "RequestId": holder.request_id,
        "GrantedAt": holder.granted_at,
        "ExpiresAt": holder.expires_at,
    }


def _holder(row: Entity) -> Holder:
    return Holder(
        holder=str(row.get("Holder", "")),
        granted_at=row["GrantedAt"],
        expires_at=row["ExpiresAt"],
        token=str(row.get("Token", "")),
        ticket=str(row.get("Ticket", "")),
        request_id=str(row.get("RequestId", "")),
        etag=row.etag,
    )


def _waiter(row: Entity) -> Waiter:
    return Waiter(
        ticket=str(row["RowKey"]).removeprefix(QUEUE_PREFIX),
        holder=str(row.get("Holder", "")),
        queued_at=row["QueuedAt"],
        expires_at=row["ExpiresAt"],
        request_id=str(row.get("RequestId", "")),
        etag=row.etag,
    )
