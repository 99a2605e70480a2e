"""Fair locks in Table Storage (Azurite): grants, queue order, expiry, abandonment and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coord.clock import FixedClock
from coord.locks.fair import LockPolicy
from coord.locks.history import LockEventKind, lock_history
from coord.locks.table import FairLocks, Grant, NotHeld, Refusal
from coord.store import TableStore

START = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
TTL = timedelta(minutes=10)
POLICY = LockPolicy(poll_interval=timedelta(seconds=1), waiter_grace=timedelta(seconds=30))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def locks(table_store: TableStore, clock: FixedClock) -> FairLocks:
    """Locks whose waiting moves the test's clock instead of sleeping."""
    return FairLocks(
        table_store.table("locks"), clock, sleep=lambda s: clock.advance(timedelta(seconds=s)), policy=POLICY
    )


def test_a_free_lock_is_granted_at_once_and_a_second_caller_is_refused(locks: FairLocks) -> None:
    first = locks.acquire("db", "Checkout 3.2", TTL)
    assert isinstance(first, Grant)
    assert first.expires_at == START + TTL
    second = locks.acquire("db", "Catalog 1.4", TTL)
    assert isinstance(second, Refusal)
    assert second.holder is not None and second.holder.holder == "Checkout 3.2"
    assert second.ticket is None  # a try-lock does not queue


def test_release_frees_the_lock_and_a_wrong_token_is_not_held(locks: FairLocks) -> None:
    grant = locks.acquire("db", "a", TTL)
    assert isinstance(grant, Grant)
    with pytest.raises(NotHeld):
        locks.release("db", "not-the-token")
    released = locks.release("db", grant.token)
    assert released.kind is LockEventKind.RELEASED
    with pytest.raises(NotHeld):
        locks.release("db", grant.token)  # twice is a wrong token
    assert isinstance(locks.acquire("db", "b", TTL), Grant)


def test_a_waiter_gets_the_lock_when_the_holder_expires(locks: FairLocks, clock: FixedClock) -> None:
    dead = locks.acquire("db", "crashed deployment", timedelta(seconds=20))
    assert isinstance(dead, Grant)
    grant = locks.acquire("db", "next", TTL, wait=timedelta(seconds=60))
    assert isinstance(grant, Grant)
    assert clock.now() - START == timedelta(seconds=20)
    assert grant.waited == timedelta(seconds=20)
    with pytest.raises(NotHeld, match="released, or it expired"):
        locks.release("db", dead.token)


def test_an_expired_token_cannot_release_and_its_expiry_is_recorded(
    locks: FairLocks, clock: FixedClock
) -> None:
    grant = locks.acquire("db", "slow", timedelta(seconds=5))
    assert isinstance(grant, Grant)
    clock.advance(timedelta(seconds=6))
    with pytest.raises(NotHeld, match="expired at"):
        locks.release("db", grant.token)
    kinds = [e.kind for e in lock_history(locks.table, START, clock.now(), clock.now())]
    assert kinds == [LockEventKind.GRANTED, LockEventKind.EXPIRED]


def test_waiters_are_served_first_come_first_served(locks: FairLocks, clock: FixedClock) -> None:
    holder = locks.acquire("db", "A", TTL)
    assert isinstance(holder, Grant)
    b = locks.acquire("db", "B", TTL, wait=timedelta(seconds=2))
    clock.advance(timedelta(seconds=1))
    c = locks.acquire("db", "C", TTL, wait=timedelta(seconds=2))
    assert isinstance(b, Refusal) and isinstance(c, Refusal)
    assert (b.position, c.position) == (1, 2)
    locks.release("db", holder.token)
    # C asks first after the release, but B is ahead of it in the queue.
    c_again = locks.acquire("db", "C", TTL, ticket=c.ticket)
    assert isinstance(c_again, Refusal) and c_again.position == 2 and c_again.holder is None
    newcomer = locks.acquire("db", "D", TTL)
    assert isinstance(newcomer, Refusal)  # a try-lock respects the queue too
    b_again = locks.acquire("db", "B", TTL, ticket=b.ticket)
    assert isinstance(b_again, Grant) and b_again.holder == "B"
    assert b_again.waited == clock.now() - START  # from the moment B joined the queue
    locks.release("db", b_again.token)
    c_last = locks.acquire("db", "C", TTL, ticket=c.ticket)
    assert isinstance(c_last, Grant) and c_last.holder == "C"


def test_a_waiter_that_stops_polling_loses_its_place(locks: FairLocks, clock: FixedClock) -> None:
    holder = locks.acquire("db", "A", TTL)
    assert isinstance(holder, Grant)
    gone = locks.acquire("db", "canceled deployment", TTL, wait=timedelta(seconds=1))
    assert isinstance(gone, Refusal) and gone.position == 1
    clock.advance(timedelta(seconds=5))
    patient = locks.acquire("db", "B", TTL, wait=timedelta(seconds=1))
    assert isinstance(patient, Refusal) and patient.position == 2
    locks.release("db", holder.token)
    clock.advance(POLICY.waiter_grace)
    # The first waiter never came back: B, still polling, goes ahead.
    granted = locks.acquire("db", "B", TTL, ticket=patient.ticket, wait=timedelta(seconds=5))
    assert isinstance(granted, Grant)
    kinds = [e.kind for e in lock_history(locks.table, START, clock.now() + TTL, clock.now())]
    assert LockEventKind.ABANDONED in kinds
    # Coming back late means joining the queue again at its end.
    late = locks.acquire("db", "canceled deployment", TTL, ticket=gone.ticket)
    assert isinstance(late, Refusal) and late.ticket != gone.ticket


def test_a_waiter_polling_through_a_long_wait_keeps_its_place(locks: FairLocks, clock: FixedClock) -> None:
    holder = locks.acquire("db", "A", timedelta(seconds=200))
    assert isinstance(holder, Grant)
    # 150 s of waiting is five grace periods: the waiter's row is refreshed as it polls.
    first = locks.acquire("db", "B", TTL, wait=timedelta(seconds=150))
    assert isinstance(first, Refusal) and first.position == 1
    later = locks.acquire("db", "C", TTL, wait=timedelta(seconds=1))
    assert isinstance(later, Refusal) and later.position == 2
    granted = locks.acquire("db", "B", TTL, ticket=first.ticket, wait=timedelta(seconds=60))
    assert isinstance(granted, Grant) and granted.holder == "B"


def test_withdrawing_leaves_the_queue_at_once(locks: FairLocks) -> None:
    holder = locks.acquire("db", "A", TTL)
    waiter = locks.acquire("db", "B", TTL, wait=timedelta(seconds=1))
    assert isinstance(holder, Grant) and isinstance(waiter, Refusal) and waiter.ticket
    assert locks.withdraw("db", waiter.ticket) is True
    assert locks.withdraw("db", waiter.ticket) is False
    locks.release("db", holder.token)
    assert isinstance(locks.acquire("db", "C", TTL), Grant)


def test_a_retried_request_gets_its_own_grant_back(locks: FairLocks) -> None:
    grant = locks.acquire("db", "A", TTL, request_id="Deployments-7/acquire")
    retried = locks.acquire("db", "A", TTL, request_id="Deployments-7/acquire")
    assert isinstance(grant, Grant) and isinstance(retried, Grant)
    assert retried.token == grant.token
    assert isinstance(locks.acquire("db", "B", TTL, request_id="Deployments-8/acquire"), Refusal)


def test_locks_with_different_names_are_independent(locks: FairLocks) -> None:
    assert isinstance(locks.acquire("Production", "a", TTL), Grant)
    assert isinstance(locks.acquire("Staging", "b", TTL), Grant)
    assert isinstance(locks.acquire("db/migrations #1?", "c", TTL), Grant)  # keys are escaped


def test_history_records_every_grant_and_release_in_order(locks: FairLocks, clock: FixedClock) -> None:
    for holder in ("A", "B", "C"):
        grant = locks.acquire("db", holder, TTL)
        assert isinstance(grant, Grant)
        clock.advance(timedelta(seconds=10))
        locks.release("db", grant.token)
    events = lock_history(locks.table, START, clock.now() + timedelta(seconds=1), clock.now())
    assert [(e.kind.value, e.holder) for e in events] == [
        ("granted", "A"),
        ("released", "A"),
        ("granted", "B"),
        ("released", "B"),
        ("granted", "C"),
        ("released", "C"),
    ]
    assert {e.held_seconds for e in events if e.kind is LockEventKind.RELEASED} == {10.0}


def test_history_reports_an_expiry_nobody_noticed(locks: FairLocks, clock: FixedClock) -> None:
    grant = locks.acquire("db", "crashed", timedelta(seconds=30))
    assert isinstance(grant, Grant)
    clock.advance(timedelta(minutes=5))
    events = lock_history(locks.table, START, clock.now(), clock.now())
    assert [(e.kind.value, e.at) for e in events] == [
        ("granted", START),
        ("expired", START + timedelta(seconds=30)),
    ]
