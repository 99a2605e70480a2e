"""Many threads and many processes racing for one claim and one lease: exactly one wins, every round.

Each round races on a fresh key and lease name; odd rounds race for a lease whose previous
holder let it expire, so both the insert path and the conditional-replace path are raced.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from coord.store import TableStore, acquire_lease, claim, read_claim, read_lease

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
TTL = timedelta(minutes=5)
THREADS = 8
PROCESSES = 6
ROUNDS = 16
BARRIER_TIMEOUT = 60


def _prepare_rounds(store: TableStore, rounds: int) -> None:
    """Create the tables, and an expired lease for every odd round."""
    store.table("claims")
    leases = store.table("leases")
    for r in range(1, rounds, 2):
        assert acquire_lease(leases, f"lease-{r}", "crashed", TTL, NOW - 2 * TTL) is not None


def _race_rounds(store: TableStore, racer: str, rounds: int, wait: Any) -> list[tuple[int, str, bool, bool]]:
    """One racer's attempts: for each round, wait for the others, then claim and acquire."""
    claims, leases = store.table("claims"), store.table("leases")
    results = []
    for r in range(rounds):
        wait()
        won_claim = claim(claims, f"key-{r}", data={"Winner": racer})
        lease = acquire_lease(leases, f"lease-{r}", racer, TTL, NOW)
        results.append((r, racer, won_claim, lease is not None))
    return results


def _process_racer(connection: str, prefix: str, racer: str, rounds: int, barrier: Any, out: Any) -> None:
    with TableStore.connect(connection, prefix) as store:
        out.put(_race_rounds(store, racer, rounds, lambda: barrier.wait(BARRIER_TIMEOUT)))


def _assert_one_winner_per_round(
    store: TableStore, results: list[tuple[int, str, bool, bool]], racers: int, rounds: int
) -> None:
    assert len(results) == racers * rounds
    claim_winners = {r: racer for r, racer, won, _ in results if won}
    lease_winners = {r: racer for r, racer, _, won in results if won}
    assert Counter(r for r, _, won, _ in results if won) == dict.fromkeys(range(rounds), 1)
    assert Counter(r for r, _, _, won in results if won) == dict.fromkeys(range(rounds), 1)
    for r in range(rounds):
        stored_claim = read_claim(store.table("claims"), f"key-{r}")
        stored_lease = read_lease(store.table("leases"), f"lease-{r}")
        assert stored_claim is not None
        assert stored_lease is not None
        assert stored_claim["Winner"] == claim_winners[r]
        assert stored_lease.holder == lease_winners[r]


def test_racing_threads_each_round_have_exactly_one_winner(table_store: TableStore) -> None:
    _prepare_rounds(table_store, ROUNDS)
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str, bool, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(racer: str) -> None:
        try:
            mine = _race_rounds(table_store, racer, ROUNDS, lambda: barrier.wait(BARRIER_TIMEOUT))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
            raise
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=run, args=(f"thread-{n}",)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(BARRIER_TIMEOUT * ROUNDS)
    assert not errors
    _assert_one_winner_per_round(table_store, results, THREADS, ROUNDS)


def test_racing_processes_each_round_have_exactly_one_winner(
    table_store: TableStore, azurite_connection_string: str, table_prefix: str
) -> None:
    _prepare_rounds(table_store, ROUNDS)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    out = ctx.Queue()
    processes = [
        ctx.Process(
            target=_process_racer,
            args=(azurite_connection_string, table_prefix, f"process-{n}", ROUNDS, barrier, out),
        )
        for n in range(PROCESSES)
    ]
    for p in processes:
        p.start()
    try:
        results = [row for _ in processes for row in out.get(timeout=BARRIER_TIMEOUT * 2)]
    finally:
        for p in processes:
            p.join(BARRIER_TIMEOUT)
            if p.is_alive():
                p.kill()
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    _assert_one_winner_per_round(table_store, results, PROCESSES, ROUNDS)
