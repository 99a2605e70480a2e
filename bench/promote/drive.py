"""Driving a promotion run to its end the ways coord can be driven, and measuring each.

- On the simulator's manual clock: the timer's ticks (with or without following the run between
  ticks), with or without Octopus's subscription webhooks reaching coord's route over HTTP. The
  clock moves in steps of at most a second; after each step every webhook due has been answered,
  so a webhook takes no simulated time and the clock never moves while coord works.
- On a real clock: `promote --wait`'s follow of one run, and the loop it replaces.

Every advance is metered: coord's runner is wrapped (here, not in coord) to count the Octopus
requests and table operations each one makes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from world import (
    GROUP,
    SOURCE,
    TARGET,
    Correctness,
    World,
    build_simulator,
    check_deployments,
    config_text,
    make_services,
    ops_delta,
)

from coord import heartbeat
from coord.bootstrap import Services
from coord.feed import service as feed_service
from coord.promotion import events as promotion_events
from coord.promotion.model import Run
from coord.promotion.pace import WAIT_PACE
from coord.promotion.runner import advance_run, runs
from coord.promotion.start import StartCommand, start_run
from coord.promotion.watch import follow_run
from coord.schedules.cron import next_timer_firing
from tests.fixtures.webhooks import HEADER, SECRET, Handled, WebhookReceiver
from tests.octosim import SimServer, Simulator


@dataclass(frozen=True)
class Scenario:
    """One way of driving the run."""

    label: str
    tick: timedelta
    follow: bool = False
    webhooks: bool = False
    max_parallel: int | None = None

    @property
    def schedule(self) -> str:
        """COORD_TICK_SCHEDULE for the tick interval (whole minutes)."""
        minutes = int(self.tick.total_seconds() // 60)
        return "0 * * * * *" if minutes == 1 else f"0 */{minutes} * * * *"


@dataclass(frozen=True)
class Cost:
    """Octopus requests and table operations of one piece of work."""

    requests: int
    reads: int
    writes: int
    started: int = 0  # deployments it created


@dataclass
class Outcome:
    """A run driven to its end: its times, what each part cost, and what it created."""

    label: str
    projects: int
    run: Run
    started_at: datetime
    start: Cost
    start_wall_s: float
    ticks: list[Cost] = field(default_factory=list)
    advances: list[Cost] = field(default_factory=list)
    webhooks: list[Handled] = field(default_factory=list)
    requests: int = 0  # every Octopus request coord made, start to end
    writes: int = 0  # every table write coord made
    wall_s: float = 0.0
    correctness: Correctness = field(default_factory=Correctness)

    @property
    def makespan(self) -> timedelta:
        assert self.run.finished is not None
        return self.run.finished - self.started_at


class AdvanceMeter:
    """Counts each run advance and what it cost, by wrapping the runner's try_advance_run."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.costs: list[Cost] = []
        self._lock = threading.Lock()

    @contextmanager
    def installed(self) -> Iterator[AdvanceMeter]:
        original = promotion_events.try_advance_run

        def metered(services: Services, run_id: str, **kwargs: Any) -> tuple[bool, Run | None]:
            requests, ops = services.octopus.request_count, services.store.operations.snapshot()
            created = self.sim.observations.counter("deployments_created")
            try:
                return original(services, run_id, **kwargs)
            finally:
                spent = ops_delta(services.store.operations.snapshot(), ops)
                cost = Cost(
                    services.octopus.request_count - requests,
                    spent.reads + spent.queries,
                    spent.writes + spent.transactions,
                    self.sim.observations.counter("deployments_created") - created,
                )
                with self._lock:
                    self.costs.append(cost)

        promotion_events.try_advance_run = metered  # type: ignore[assignment]
        try:
            yield self
        finally:
            promotion_events.try_advance_run = original


def measure(services: Services, work: Callable[[], Any]) -> tuple[Any, Cost]:
    """Run `work` and return what it returned with the Octopus requests and table operations it made."""
    requests, ops = services.octopus.request_count, services.store.operations.snapshot()
    result = work()
    spent = ops_delta(services.store.operations.snapshot(), ops)
    return result, Cost(services.octopus.request_count - requests, spent.reads + spent.queries, spent.writes)


def drive_timer(
    scenario: Scenario,
    world: World,
    connection: str,
    *,
    task: timedelta,
    queue_delay: timedelta,
    limit: timedelta = timedelta(hours=12),
) -> Outcome:
    """Start the run at a tick, then tick (and deliver webhooks) until it ends."""
    sim = build_simulator(world, task=task, queue_delay=queue_delay)
    prefix = f"bench{''.join(c for c in scenario.label if c.isalnum())}{int(time.time())}"
    config = config_text(world, scenario.max_parallel)
    with SimServer(sim) as server:
        services = make_services(server, connection, prefix, config, scenario.schedule)
        hook = make_services(server, connection, prefix, config, scenario.schedule)
        receiver = WebhookReceiver(lambda: hook)
        receiver.start()
        try:
            feed_service.poll(services)  # the history of Staging, as an installation already running
            if scenario.webhooks:
                sim.add_subscription(receiver.url, header_key=HEADER, header_value=SECRET)

            def move(seconds: float) -> None:
                # In steps of at most a second, each followed by every webhook it made due.
                left = seconds
                while left > 1e-9:
                    step = min(1.0, left)
                    sim.clock.advance(step)
                    left -= step
                    if scenario.webhooks:
                        sim.webhooks.flush(timeout=600)

            services.sleep = move
            sim.clock.set(next_timer_firing(scenario.schedule, sim.clock.now()))
            outcome = _drive(scenario, world, sim, services, hook, move, limit)
            outcome.webhooks = list(receiver.handled)
        finally:
            sim.webhooks.stop()
            receiver.stop()
            services.close()
            hook.close()
    outcome.correctness = check_deployments(world, sim, outcome.started_at)
    return outcome


def _drive(
    scenario: Scenario,
    world: World,
    sim: Simulator,
    services: Services,
    hook: Services,
    move: Callable[[float], None],
    limit: timedelta,
) -> Outcome:
    def totals() -> tuple[int, int]:
        requests = services.octopus.request_count + hook.octopus.request_count
        ops = [s.store.operations.snapshot() for s in (services, hook)]
        return requests, sum(o.writes + o.transactions for o in ops)

    requests0, writes0 = totals()
    wall0 = time.perf_counter()
    started_at = sim.clock.now()
    with AdvanceMeter(sim).installed() as meter:
        command = StartCommand(group=GROUP, source=SOURCE, target=TARGET)
        started, start_cost = measure(services, lambda: start_run(services, command))
        outcome = Outcome(
            scenario.label,
            len(world.projects),
            started.run,
            started_at,
            start_cost,
            time.perf_counter() - wall0,
        )
        store = runs(services)
        next_tick = started_at + scenario.tick
        while sim.clock.now() - started_at < limit:
            move((next_tick - sim.clock.now()).total_seconds())
            _, cost = measure(services, lambda: heartbeat.tick(services, follow=scenario.follow))
            outcome.ticks.append(cost)
            next_tick += scenario.tick
            stored = store.load(outcome.run.id)
            assert stored is not None
            outcome.run = stored.run
            if stored.run.phase.is_terminal:
                break
        else:
            msg = f"{scenario.label}: the run did not end within {limit} ({outcome.run.waiting})"
            raise RuntimeError(msg)
        outcome.advances = list(meter.costs)
    requests1, writes1 = totals()
    outcome.requests, outcome.writes = requests1 - requests0, writes1 - writes0
    outcome.wall_s = time.perf_counter() - wall0
    return outcome


@dataclass
class WaitOutcome:
    """A small run followed to its end on a real clock."""

    label: str
    run: Run
    critical_path: timedelta
    requests: int
    reads: int
    writes: int
    advances: int
    correctness: Correctness

    @property
    def span(self) -> timedelta:
        assert self.run.finished is not None
        return self.run.finished - self.run.created


def drive_wait(
    label: str, world: World, connection: str, *, task: timedelta, queue_delay: timedelta, naive: bool
) -> WaitOutcome:
    """`promote --wait` on a real clock: start the run, then follow it (or run the loop it replaces)."""
    sim = build_simulator(world, task=task, queue_delay=queue_delay, real_clock=True)
    prefix = f"benchwait{'naive' if naive else ''}{int(time.time())}"
    with SimServer(sim) as server:
        services = make_services(server, connection, prefix, config_text(world, None), "0 * * * * *")
        try:
            feed_service.poll(services)
            with AdvanceMeter(sim).installed() as meter:
                requests, ops = services.octopus.request_count, services.store.operations.snapshot()
                run = start_run(services, StartCommand(group=GROUP, source=SOURCE, target=TARGET)).run
                assert run is not None
                if naive:
                    run, advances = _poll_and_sleep(services, run)
                else:
                    run = follow_run(services, run, WAIT_PACE)
                    advances = len(meter.costs)
                spent = ops_delta(services.store.operations.snapshot(), ops)
            requests = services.octopus.request_count - requests
        finally:
            services.close()
    return WaitOutcome(
        label,
        run,
        len(world.levels) * (task + queue_delay),
        requests,
        spent.reads + spent.queries,
        spent.writes + spent.transactions,
        advances,
        check_deployments(world, sim, run.created),
    )


def _poll_and_sleep(services: Services, run: Run) -> tuple[Run, int]:
    """The --wait loop before: sleep 0.5 s doubling to 5 s, then poll and advance, until the run ends."""
    interval, advances = 0.5, 1  # the start's own advance
    while not run.phase.is_terminal:
        time.sleep(interval)
        interval = min(interval * 2, 5.0)
        feed_service.poll(services)
        run = advance_run(services, run.id) or run
        advances += 1
    return run, advances
