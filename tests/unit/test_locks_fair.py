"""The fair-lock decisions (pure), and a model run: one holder at a time, served in ticket order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from coord.locks.fair import (
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

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
POLICY = LockPolicy()
S = timedelta(seconds=1)


def holder(name: str = "A", *, expires: timedelta = 60 * S, ticket: str = "", request_id: str = "") -> Holder:
    return Holder(name, NOW - S, NOW + expires, "token-" + name, ticket, request_id)


def waiter(ticket: str, *, expires: timedelta = 20 * S) -> Waiter:
    return Waiter(ticket, "w" + ticket, NOW - 5 * S, NOW + expires)


def test_a_free_lock_with_no_queue_is_taken_at_once() -> None:
    assert next_move(LockState("db"), NOW, POLICY) == Take(None, None)


def test_an_expired_holder_is_replaced() -> None:
    old = holder(expires=-S)
    assert next_move(LockState("db", old), NOW, POLICY) == Take(old, None)


def test_a_newcomer_joins_the_queue_while_the_lock_is_held_or_promised() -> None:
    assert next_move(LockState("db", holder()), NOW, POLICY) == Enqueue()
    assert next_move(LockState("db", None, (waiter("1"),)), NOW, POLICY) == Enqueue()


def test_a_try_lock_never_queues() -> None:
    move = next_move(LockState("db", holder()), NOW, POLICY, queue=False)
    assert isinstance(move, Wait) and move.own is None and move.position == 1


def test_only_the_head_of_the_queue_takes_a_free_lock() -> None:
    state = LockState("db", None, (waiter("1"), waiter("2")))
    assert next_move(state, NOW, POLICY, ticket="1") == Take(None, waiter("1"))
    second = next_move(state, NOW, POLICY, ticket="2")
    assert isinstance(second, Wait) and second.position == 2 and second.holder is None


def test_waiters_that_stopped_polling_are_skipped_and_dropped() -> None:
    gone = waiter("1", expires=-S)
    move = next_move(LockState("db", None, (gone, waiter("2"))), NOW, POLICY, ticket="2")
    assert move == Take(None, waiter("2"), (gone,))


def test_a_waiter_refreshes_its_place_before_it_would_expire() -> None:
    soon = waiter("1", expires=5 * S)
    move = next_move(LockState("db", holder(), (soon,)), NOW, POLICY, ticket="1")
    assert isinstance(move, Wait) and move.refresh
    fresh = next_move(LockState("db", holder(), (waiter("1", expires=29 * S),)), NOW, POLICY, ticket="1")
    assert isinstance(fresh, Wait) and not fresh.refresh


def test_a_retried_request_finds_its_grant() -> None:
    mine = holder(ticket="7", request_id="Deployments-1/step")
    assert next_move(LockState("db", mine), NOW, POLICY, ticket="7") == Held(mine)
    assert next_move(LockState("db", mine), NOW, POLICY, request_id="Deployments-1/step") == Held(mine)
    assert next_move(LockState("db", mine), NOW, POLICY, request_id="Deployments-2/step") == Enqueue()


def test_tickets_sort_in_the_order_they_were_issued() -> None:
    times = [NOW + timedelta(microseconds=n) for n in (0, 1, 999_999, 1_000_000)] + [
        NOW + timedelta(days=400)
    ]
    tickets = [new_ticket(t, "ffff") for t in times]
    assert tickets == sorted(tickets)


# A model run: callers arrive, poll, release or die at random; the decisions are applied as the
# adapter applies them. However the steps interleave, one holder at a time, served in ticket order.
ACTIONS = st.lists(
    st.tuples(st.sampled_from(["ask", "poll", "release", "die", "tick"]), st.integers(0, 4)), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(ACTIONS)
def test_one_holder_at_a_time_and_grants_follow_the_queue(actions: list[tuple[str, int]]) -> None:
    now = NOW
    state = LockState("db")
    tickets: dict[int, str] = {}
    grants: list[str] = []
    serial = 0
    for action, caller in actions:
        if action == "tick":
            now += 7 * S
            continue
        if action == "release":
            if state.holder is not None and state.holder.holder == str(caller):
                state = LockState("db", None, state.queue)
            continue
        if action == "die":
            tickets.pop(caller, None)  # stops polling: its row expires on its own
            continue
        if action == "ask" and caller in tickets:
            continue
        if action == "poll" and caller not in tickets:
            continue
        move = next_move(state, now, POLICY, ticket=tickets.get(caller))
        queue = tuple(w for w in state.queue if w not in getattr(move, "abandoned", ()))
        if isinstance(move, Enqueue):
            serial += 1
            ticket = new_ticket(now, f"{serial:04d}")
            tickets[caller] = ticket
            queue = (*queue, Waiter(ticket, str(caller), now, now + POLICY.waiter_grace))
        elif isinstance(move, Take):
            live_ahead = [
                w for w in queue if w.is_live(now) and (move.own is None or w.ticket < move.own.ticket)
            ]
            assert not live_ahead, "a caller went ahead of a live waiter"
            assert state.holder is None or not state.holder.is_live(now), "two holders at once"
            queue = tuple(w for w in queue if w != move.own)
            tickets.pop(caller, None)
            grants.append(move.own.ticket if move.own else "")
            state = LockState("db", Holder(str(caller), now, now + 60 * S, f"t{serial}", ""), queue)
            continue
        elif isinstance(move, Wait) and move.refresh and move.own is not None:
            own = move.own
            queue = tuple(
                Waiter(w.ticket, w.holder, w.queued_at, now + POLICY.waiter_grace) if w == own else w
                for w in queue
            )
        state = LockState("db", state.holder, queue)
    queued_grants = [t for t in grants if t]
    assert queued_grants == sorted(queued_grants)
