"""Fair named locks: what a caller should do next, given the stored state of one lock (pure).

A lock is one Table Storage partition: a `holder` row (who holds it, until when, the token
that proves it) and a queue of `queue|TICKET` rows, one per waiter. Tickets sort by the time
they were issued, so the queue is first come, first served. Only the head of the queue may
take a free or expired lock; a caller with no ticket may take it straight away only when
nobody is queued. Waiters keep their row alive by polling; a waiter that stops polling
(its deployment died or was canceled) expires like a holder and is dropped from the queue.

Nothing here reads a clock or storage: `next_move` returns what to write, and the adapter
writes it conditionally on the ETags read, so two instances deciding at once cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

HOLDER_ROW = "holder"
QUEUE_PREFIX = "queue|"
RECORD_PREFIX = "record|"
# Every row of the state (holder and queue) sorts inside [HOLDER_ROW, STATE_END); records after it.
STATE_END = "queue}"


@dataclass(frozen=True, slots=True)
class LockPolicy:
    """How often waiters poll, and how long a silent waiter keeps its place."""

    poll_interval: timedelta = timedelta(seconds=1)
    # Long enough for a step script to come back after a 409 and a few retries of a 5xx.
    waiter_grace: timedelta = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Holder:
    """The holder row: who has the lock and until when."""

    holder: str
    granted_at: datetime
    expires_at: datetime
    token: str = field(repr=False)
    ticket: str = ""
    request_id: str = field(default="", repr=False)
    etag: str = field(default="", repr=False, compare=False)

    def is_live(self, now: datetime) -> bool:
        """Whether the lock is still held at `now` (an expired holder frees it on its own)."""
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class Waiter:
    """One queued request: its ticket (its place), who asks, and until when it keeps its place."""

    ticket: str
    holder: str
    queued_at: datetime
    expires_at: datetime
    request_id: str = field(default="", repr=False)
    etag: str = field(default="", repr=False, compare=False)

    def is_live(self, now: datetime) -> bool:
        """Whether the waiter still polls (its row was refreshed recently enough)."""
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class LockState:
    """One lock as stored: its holder (live or expired) and its queue in ticket order."""

    name: str
    holder: Holder | None = None
    queue: tuple[Waiter, ...] = ()


@dataclass(frozen=True, slots=True)
class Held:
    """The caller already holds the lock (a retried request whose grant was answered and lost)."""

    holder: Holder


@dataclass(frozen=True, slots=True)
class Take:
    """Take the lock now: replace `expired` (or insert when None), and drop the caller's queue row."""

    expired: Holder | None
    own: Waiter | None
    abandoned: tuple[Waiter, ...] = ()


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Join the queue (the caller has no live place in it yet)."""

    abandoned: tuple[Waiter, ...] = ()


@dataclass(frozen=True, slots=True)
class Wait:
    """Keep waiting at `position` (1 = next); `refresh` the caller's row when it would expire soon."""

    own: Waiter | None
    position: int
    holder: Holder | None
    refresh: bool = False
    abandoned: tuple[Waiter, ...] = ()


Move = Held | Take | Enqueue | Wait


def next_move(
    state: LockState,
    now: datetime,
    policy: LockPolicy,
    *,
    ticket: str | None = None,
    request_id: str = "",
    queue: bool = True,
) -> Move:
    """What a caller holding `ticket` (or none yet) does next; `queue=False` never joins the queue."""
    holder = state.holder
    if holder is not None and holder.is_live(now) and _same_request(holder, ticket, request_id):
        return Held(holder)
    live = [w for w in state.queue if w.is_live(now)]
    abandoned = tuple(w for w in state.queue if not w.is_live(now))
    own = _own(live, ticket, request_id)
    free = holder is None or not holder.is_live(now)
    expired = holder if holder is not None and not holder.is_live(now) else None
    if own is None:
        if free and not live:
            return Take(expired, None, abandoned)
        if queue:
            return Enqueue(abandoned)
        return Wait(None, len(live) + 1, holder if not free else None, abandoned=abandoned)
    position = live.index(own) + 1
    if free and position == 1:
        return Take(expired, own, abandoned)
    refresh = own.expires_at - now < policy.waiter_grace / 2
    return Wait(own, position, None if free else holder, refresh, abandoned)


def _same_request(holder: Holder, ticket: str | None, request_id: str) -> bool:
    return bool((ticket and holder.ticket == ticket) or (request_id and holder.request_id == request_id))


def _own(live: list[Waiter], ticket: str | None, request_id: str) -> Waiter | None:
    for waiter in live:
        if (ticket and waiter.ticket == ticket) or (request_id and waiter.request_id == request_id):
            return waiter
    return None


def new_ticket(now: datetime, nonce: str) -> str:
    """A queue ticket: the issue time to the microsecond (so tickets sort as they were issued), then a nonce.

    Tickets issued by different Function instances are ordered by their clocks, which Azure keeps
    within milliseconds of each other: requests closer together than that are simultaneous.
    """
    return f"{_stamp(now)}-{nonce}"


def record_key(at: datetime, nonce: str) -> str:
    """The RowKey of a history record: time-ordered, unique by its nonce."""
    return f"{RECORD_PREFIX}{_stamp(at)}|{nonce}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
