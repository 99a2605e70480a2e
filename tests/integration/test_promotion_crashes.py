"""A process that dies after any I/O call of a promotion run: the next tick finishes the run, once.

Faults are injected at the adapter boundary: proxies around the Octopus client and the tables
perform each call, then raise `Crash` after the Nth one, as if the process had died right after
the call returned (a POST that landed, a write that committed). Fresh services then resume.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import GeneratorType
from typing import Any

import pytest

from coord.octopus import OctopusClient
from coord.promotion.jobs import advance_active_runs
from coord.promotion.model import RunPhase
from coord.promotion.start import StartCommand, start_run
from coord.promotion.store import RUNS_TABLE, RunStore
from coord.store import TableStore
from tests.integration.test_promotion_world import PromotionWorld, build_world


class Crash(BaseException):
    """The process died (BaseException: no `except Exception` in coord may swallow it)."""


class Fuse:
    """Counts I/O calls and blows after the Nth one."""

    def __init__(self, after: int | None) -> None:
        self.after = after
        self.calls = 0

    def tick(self, what: str) -> None:
        self.calls += 1
        if self.after is not None and self.calls >= self.after:
            raise Crash(f"crash after call {self.calls}: {what}")


def _materialized(result: Any) -> Any:
    # Lazy results (pages, query iterators) do their I/O when read: read them inside the call.
    if isinstance(result, GeneratorType | Iterator) and not isinstance(result, list | dict | str):
        return list(result)
    return result


class _Proxy:
    def __init__(self, real: Any, fuse: Fuse, name: str) -> None:
        self._real, self._fuse, self._name = real, fuse, name

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if name.startswith("_") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = _materialized(attr(*args, **kwargs))
            if name == "table":
                return _Proxy(result, self._fuse, f"table {args[0]}")
            self._fuse.tick(f"{self._name}.{name}")
            return result

        return call


def crashing_services(world: PromotionWorld, fuse: Fuse):
    services = world.fresh_services()
    services.octopus_client = _Proxy(  # type: ignore[assignment]
        OctopusClient(world.octosim.url, world.octosim.api_key), fuse, "octopus"
    )
    store = TableStore.connect(world.connection, world.prefix)
    services.__dict__["store"] = _Proxy(store, fuse, "store")
    return services


def drive(world: PromotionWorld, services, run_id: str | None) -> str | None:
    """Start the run (if not started) and tick it to its end with these services."""
    if run_id is None:
        command = StartCommand(group="shop", source="Staging", target="Production")
        run_id = start_run(services, command, poll=False).run.id
    for _ in range(12):
        world.sim.clock.advance(60)
        from coord.feed import service as feed_service  # noqa: PLC0415

        feed_service.poll(world.services)  # the poll is the poller's I/O; the runner's is what crashes
        advance_active_runs(services)
        stored = RunStore(world.services.store.table(RUNS_TABLE)).load(run_id)
        if stored.run.phase.is_terminal:
            break
    return run_id


def only_run_id(world: PromotionWorld) -> str | None:
    table = world.services.store.table(RUNS_TABLE)
    ids = [str(e["PartitionKey"]) for e in table.query("RowKey eq @r", {"r": "run"})]
    assert len(ids) <= 1
    return ids[0] if ids else None


@pytest.mark.slow
def test_a_crash_after_any_io_call_is_resumed_with_exactly_one_deployment_per_step(
    octosim_factory, azurite_connection_string: str, table_prefix: str
) -> None:
    crash_points = 0
    for after in range(1, 400):
        server = octosim_factory("small")
        try:
            world = build_world(server, azurite_connection_string, f"{table_prefix}c{after}")
            try:
                drive(world, crashing_services(world, Fuse(after)), None)
            except Crash:
                crash_points += 1
            else:
                break  # the whole run needed fewer calls than `after`: every point has been tried
            resume_and_check(world, after)
        finally:
            server.stop()
    assert crash_points > 30  # the run makes many I/O calls; each one was a crash point


def resume_and_check(world: PromotionWorld, after: int) -> None:
    world.sim.clock.advance(180)  # past the dead runner's lease
    run_id = only_run_id(world)
    if run_id is None:
        world.sim.clock.advance(660)  # an index row without a run frees itself
        advance_active_runs(world.services)
    run_id = drive(world, world.fresh_services(), run_id)
    run = RunStore(world.services.store.table(RUNS_TABLE)).load(run_id).run
    assert run.phase is RunPhase.SUCCEEDED, (after, run.phase, run.outcome, run.waiting)
    keys = world.api_deployments()
    assert set(keys.values()) == {1}, (after, keys)
    assert len(keys) == 5, (after, keys)
    outbox = world.services.store.table("outbox")
    assert [e["RowKey"] for e in outbox.query("PartitionKey eq @p", {"p": "outbox"})] == [
        f"promotion:{run_id}"
    ]
    world.services.close()
