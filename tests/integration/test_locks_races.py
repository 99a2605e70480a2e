"""Many threads and processes racing for one fair lock on Azurite, in real time.

Each racer takes the lock, checks nobody else is inside, holds it briefly and releases it,
for several rounds. Holding intervals are measured inside the grant and before the release,
so two that overlap prove two holders at once. Fairness: while a racer waits, no other racer
is granted more than once more than the queue ahead of it allows.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from coord.clock import SystemClock
from coord.locks.fair import LockPolicy
from coord.locks.history import LockEventKind, lock_history
from coord.locks.table import FairLocks, Grant
from coord.store import TableStore

THREADS = 6
PROCESSES = 4
ROUNDS = 5
HOLD = 0.02
POLICY = LockPolicy(poll_interval=timedelta(seconds=0.02), waiter_grace=timedelta(seconds=10))
WAIT = timedelta(seconds=60)


def _race(
    store: TableStore, racer: str, rounds: int, inside: Any = None
) -> list[tuple[str, float, float, float]]:
    """(racer, asked, granted, released) per round: wall-clock seconds, comparable across processes."""
    locks = FairLocks(store.table("locks"), SystemClock(), policy=POLICY)
    spans = []
    for _ in range(rounds):
        asked = time.time()
        grant = locks.acquire("shared", racer, timedelta(seconds=30), wait=WAIT)
        assert isinstance(grant, Grant), f"{racer} was refused: {grant}"
        granted = time.time()
        if inside is not None:
            inside.append(racer)
            assert len(inside) == 1, f"two holders at once: {inside}"
        time.sleep(HOLD)
        if inside is not None:
            inside.remove(racer)
        released = time.time()
        locks.release("shared", grant.token)
        spans.append((racer, asked, granted, released))
    return spans


def _process_racer(connection: str, prefix: str, racer: str, barrier: Any, out: Any) -> None:
    with TableStore.connect(connection, prefix) as store:
        barrier.wait(60)
        out.put(_race(store, racer, ROUNDS))


def _assert_one_holder_at_a_time(spans: list[tuple[str, float, float, float]]) -> None:
    ordered = sorted(spans, key=lambda s: s[2])
    for before, after in itertools.pairwise(ordered):
        assert before[3] <= after[2], f"{before[0]} still held the lock when {after[0]} got it"


def _max_overtaken(spans: list[tuple[str, float, float, float]]) -> int:
    """The most grants to others that any one request saw while it waited."""
    worst = 0
    for racer, asked, granted, _ in spans:
        others = sum(1 for r, _, g, _ in spans if r != racer and asked < g < granted)
        worst = max(worst, others)
    return worst


def test_threads_racing_take_turns_and_none_waits_behind_more_than_the_queue(table_store: TableStore) -> None:
    table_store.table("locks")
    inside: list[str] = []
    results: list[tuple[str, float, float, float]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def racer(n: int) -> None:
        try:
            barrier.wait(30)
            results.extend(_race(table_store, f"thread-{n}", ROUNDS, inside))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(results) == THREADS * ROUNDS  # nobody starved: every request was granted
    _assert_one_holder_at_a_time(results)
    # FIFO: at most the other racers already queued go first (plus one that asked as we joined).
    assert _max_overtaken(results) <= THREADS
    events = lock_history(table_store.table("locks"), _start(results), _end(results), _now())
    assert sum(e.kind is LockEventKind.GRANTED for e in events) == THREADS * ROUNDS
    assert sum(e.kind is LockEventKind.RELEASED for e in events) == THREADS * ROUNDS


def test_processes_racing_take_turns(azurite_connection_string: str, table_prefix: str) -> None:
    with TableStore.connect(azurite_connection_string, table_prefix) as store:
        store.table("locks")
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(PROCESSES)
        out = ctx.Queue()
        workers = [
            ctx.Process(
                target=_process_racer,
                args=(azurite_connection_string, table_prefix, f"process-{n}", barrier, out),
            )
            for n in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        results = [span for _ in workers for span in out.get(timeout=180)]
        for worker in workers:
            worker.join(30)
            assert worker.exitcode == 0
        assert len(results) == PROCESSES * ROUNDS
        _assert_one_holder_at_a_time(results)
        assert _max_overtaken(results) <= PROCESSES
        events = lock_history(store.table("locks"), _start(results), _end(results), _now())
        assert sum(e.kind is LockEventKind.GRANTED for e in events) == PROCESSES * ROUNDS


def test_a_crashed_holder_is_replaced_when_it_expires_while_others_race(table_store: TableStore) -> None:
    locks = FairLocks(table_store.table("locks"), SystemClock(), policy=POLICY)
    crashed = locks.acquire("shared", "crashed", timedelta(seconds=1))
    assert isinstance(crashed, Grant)
    results: list[tuple[str, float, float, float]] = []
    threads = [
        threading.Thread(target=lambda n=n: results.extend(_race(table_store, f"t{n}", 2))) for n in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 6
    assert min(granted for _, _, granted, _ in results) >= crashed.expires_at.timestamp() - 0.05
    _assert_one_holder_at_a_time(results)
    kinds = [e.kind for e in lock_history(table_store.table("locks"), crashed.granted_at, _now(5), _now())]
    assert kinds.count(LockEventKind.EXPIRED) == 1


def _start(spans: list[tuple[str, float, float, float]]) -> datetime:
    return datetime.fromtimestamp(min(s[1] for s in spans) - 1, UTC)


def _end(spans: list[tuple[str, float, float, float]]) -> datetime:
    return datetime.fromtimestamp(max(s[3] for s in spans) + 5, UTC)


def _now(later: float = 0) -> datetime:
    return SystemClock().now() + timedelta(seconds=later)
