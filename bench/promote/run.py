"""Benchmark: how close a promotion run comes to the critical path of its dependency graph.

    python bench/promote/run.py [--projects 200] [--levels 5] [--task-minutes 5] [--tick-seconds 60]
                                [--queue-delay-seconds 2] [--baseline-projects 20] [--seed 7]

A world built with the simulator's in-process API, served over HTTP on loopback (manual clock):
Staging and Production, one lifecycle allowing both, and `--projects` projects in `--levels`
dependency levels of equal size, each project of a level depending on 1 to 3 projects of the
level below (seeded). Every project has release 1.0.0 deployed successfully to Staging and
nothing in Production. Every deployment created through the API takes T (`--task-minutes`)
after the simulator's queue delay.

An ad-hoc run promotes the whole group from Staging to Production; then, as the timer would,
each tick moves the simulator's clock by the tick interval and calls `coord.heartbeat.tick` until the
run has ended. Reported:

- the run's makespan (simulated time from the start request to the run's end) against the
  critical path (levels x T: no run can be shorter) and against deploying one project at a time
  (projects x T, computed, and simulated with `max_parallel: 1` on a world of
  `--baseline-projects`);
- Octopus requests and Table Storage operations per tick, on ticks where the run only waits
  (no deployment created) and on ticks where a level starts;
- wall time and CPU time (coord's thread alone, and the whole process, simulator included);
- correctness: one deployment per step key (idempotency key in Octopus's Comments), one
  deployment per project, and no deployment created before its dependencies had succeeded.

Target: makespan <= 1.1 x critical path + one tick interval per level. The exit status is 1
when the target or a correctness check fails.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import dev  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from coord import heartbeat  # noqa: E402
from coord.bootstrap import Services  # noqa: E402
from coord.config import parse_config  # noqa: E402
from coord.feed import service as feed_service  # noqa: E402
from coord.promotion.model import Run  # noqa: E402
from coord.promotion.runner import runs  # noqa: E402
from coord.promotion.start import StartCommand, start_run  # noqa: E402
from coord.settings import Settings, StorageTarget  # noqa: E402
from coord.store.operations import OperationCounts  # noqa: E402
from tests.octosim import SimServer, Simulator  # noqa: E402
from tests.octosim.model import Deployment, Script  # noqa: E402

SOURCE, TARGET, GROUP = "Staging", "Production", "fleet"
KEY_MARK = "[coord:"


class SimulatorTime:
    """coord's clock reads the simulator's, so both agree on what 'now' is."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def now(self) -> datetime:
        return self._sim.clock.now()


@dataclass(frozen=True)
class World:
    """The projects by level and what each depends on."""

    levels: tuple[tuple[str, ...], ...]
    depends_on: dict[str, tuple[str, ...]]

    @property
    def projects(self) -> list[str]:
        return [name for level in self.levels for name in level]


@dataclass
class Tick:
    """What one tick cost and did."""

    at: datetime
    requests: int
    routes: Counter[str]
    ops: OperationCounts
    created: int
    cpu_s: float
    wall_s: float


@dataclass
class Outcome:
    """A run driven to its end, with the figures of each tick."""

    label: str
    projects: int
    run: Run
    started_at: datetime
    start_requests: int
    start_ops: OperationCounts
    start_wall_s: float
    ticks: list[Tick] = field(default_factory=list)
    wall_s: float = 0.0
    coord_cpu_s: float = 0.0
    process_cpu_s: float = 0.0
    duplicates: int = 0
    deployments: int = 0
    projects_deployed_twice: int = 0
    order_violations: int = 0
    level_spans: list[tuple[timedelta, timedelta]] = field(default_factory=list)

    @property
    def makespan(self) -> timedelta:
        assert self.run.finished is not None
        return self.run.finished - self.started_at


def make_world(projects: int, levels: int, seed: int) -> World:
    """`levels` levels of equal size; each project above the first needs 1-3 of the level below."""
    rng = random.Random(seed)
    per_level = projects // levels
    names = tuple(tuple(f"svc-l{level + 1}-{i + 1:03d}" for i in range(per_level)) for level in range(levels))
    depends_on: dict[str, tuple[str, ...]] = {}
    for below, level in pairwise(names):
        for name in level:
            depends_on[name] = tuple(sorted(rng.sample(below, rng.randint(1, min(3, len(below))))))
    return World(names, depends_on)


def build_simulator(world: World, task: timedelta, queue_delay: timedelta) -> Simulator:
    """Staging and Production, one lifecycle, 1.0.0 of every project succeeded in Staging."""
    sim = Simulator()
    sim.add_environment(SOURCE)
    sim.add_environment(TARGET)
    sim.add_lifecycle(
        "Staging then Production",
        [{"name": SOURCE, "optional": [SOURCE]}, {"name": TARGET, "optional": [TARGET]}],
    )
    for name in world.projects:
        sim.add_project(name, lifecycle="Staging then Production")
        sim.create_release(name, "1.0.0")
        sim.deploy(name, "1.0.0", SOURCE, duration=timedelta(seconds=30))
    sim.run_until_idle()
    sim.clock.advance(timedelta(minutes=5))
    # Every deployment coord creates through the API takes T once it leaves the queue.
    sim.defaults = Script(duration=task, queue_delay=queue_delay)
    return sim


def config_text(world: World, max_parallel: int | None) -> str:
    lines = ["timezone: UTC", "groups:", f"  {GROUP}:", "    projects:"]
    lines += [f"      - {name}" for name in world.projects]
    lines.append("    depends_on:")
    lines += [f"      {name}: [{', '.join(needs)}]" for name, needs in world.depends_on.items()]
    if max_parallel is not None:
        lines += [
            "promotions:",
            "  - name: one-by-one",
            f"    group: {GROUP}",
            f"    from: {SOURCE}",
            f"    to: {TARGET}",
            f"    max_parallel: {max_parallel}",
        ]
    return "\n".join(lines) + "\n"


def make_services(
    server: SimServer, sim: Simulator, connection: str, prefix: str, config_yaml: str
) -> Services:
    settings = Settings(
        octopus_server_url=server.url,
        octopus_api_key=SecretStr(server.api_key),
        storage=StorageTarget(connection_string=SecretStr(connection)),
        table_prefix=prefix,
    )
    return Services(settings=settings, config=parse_config(config_yaml, "bench"), clock=SimulatorTime(sim))


def ops_delta(after: OperationCounts, before: OperationCounts) -> OperationCounts:
    return OperationCounts(
        reads=after.reads - before.reads,
        writes=after.writes - before.writes,
        queries=after.queries - before.queries,
        transactions=after.transactions - before.transactions,
        entities_written=after.entities_written - before.entities_written,
        tables_created=after.tables_created - before.tables_created,
    )


def promote(
    label: str,
    world: World,
    connection: str,
    *,
    task: timedelta,
    tick: timedelta,
    queue_delay: timedelta,
    max_parallel: int | None = None,
) -> Outcome:
    """Build the world, start the run, tick until it ends, then check the simulator's deployments."""
    sim = build_simulator(world, task, queue_delay)
    prefix = f"bench{label.replace('-', '')}{int(time.time())}"
    with SimServer(sim) as server:
        services = make_services(server, sim, connection, prefix, config_text(world, max_parallel))
        try:
            feed_service.poll(services)  # the history of Staging, as an installation that was already running
            outcome = drive(label, world, sim, services, task=task, tick=tick)
        finally:
            services.close()
    check_deployments(outcome, world, sim)
    return outcome


def drive(
    label: str, world: World, sim: Simulator, services: Services, *, task: timedelta, tick: timedelta
) -> Outcome:
    client, store = services.octopus, services.store

    def created() -> int:
        return sim.observations.counter("deployments_created")

    wall0, process0 = time.perf_counter(), time.process_time()
    coord_cpu = 0.0
    started_at = sim.clock.now()
    requests, ops, cpu = client.request_count, store.operations.snapshot(), time.thread_time()
    started = start_run(services, StartCommand(group=GROUP, source=SOURCE, target=TARGET))
    coord_cpu += time.thread_time() - cpu
    assert started.run is not None
    outcome = Outcome(
        label,
        len(world.projects),
        started.run,
        started_at,
        client.request_count - requests,
        ops_delta(store.operations.snapshot(), ops),
        time.perf_counter() - wall0,
    )
    store_of_runs = runs(services)
    # Generous: one-by-one needs a tick after each deployment on top of its duration.
    limit = int(len(world.projects) * (task + 2 * tick) / tick) + 20
    for _ in range(limit):
        sim.clock.advance(tick)
        before = (client.request_count, store.operations.snapshot(), created(), client.request_counts)
        wall, cpu = time.perf_counter(), time.thread_time()
        heartbeat.tick(services)
        spent_cpu = time.thread_time() - cpu
        coord_cpu += spent_cpu
        outcome.ticks.append(
            Tick(
                sim.clock.now(),
                client.request_count - before[0],
                Counter(client.request_counts) - Counter(before[3]),
                ops_delta(store.operations.snapshot(), before[1]),
                created() - before[2],
                spent_cpu,
                time.perf_counter() - wall,
            )
        )
        stored = store_of_runs.load(outcome.run.id)
        assert stored is not None
        outcome.run = stored.run
        if stored.run.phase.is_terminal:
            break
    else:
        sys.exit(f"{label}: the run did not end within {limit} ticks ({outcome.run.waiting})")
    outcome.wall_s = time.perf_counter() - wall0
    outcome.coord_cpu_s = coord_cpu
    outcome.process_cpu_s = time.process_time() - process0
    return outcome


def check_deployments(outcome: Outcome, world: World, sim: Simulator) -> None:
    """Count what coord created in Octopus: per idempotency key, per project, and in what order."""
    keys: Counter[str] = Counter()
    per_project: Counter[str] = Counter()
    by_project: dict[str, Deployment] = {}
    for dep in sim.deployments.values():
        comments = dep.comments or ""
        if KEY_MARK not in comments:
            continue
        keys[comments.split(KEY_MARK, 1)[1].rstrip("]")] += 1
        name = sim.projects[dep.project_id].name
        per_project[name] += 1
        by_project[name] = dep
    outcome.deployments = sum(keys.values())
    outcome.duplicates = sum(n - 1 for n in keys.values())
    outcome.projects_deployed_twice = sum(1 for n in per_project.values() if n > 1)

    def completed(name: str) -> datetime:
        dep = by_project[name]
        done = sim.tasks[dep.task_id].completed_time
        assert done is not None
        return done

    violations = 0
    for name, needs in world.depends_on.items():
        mine = by_project.get(name)
        if mine is None:
            continue
        if any(need not in by_project or mine.created < completed(need) for need in needs):
            violations += 1
    outcome.order_violations = violations
    for level in world.levels:
        deployed = [by_project[name] for name in level if name in by_project]
        if not deployed:
            continue
        first = min(d.created for d in deployed) - outcome.started_at
        last = max(completed(name) for name in level if name in by_project) - outcome.started_at
        outcome.level_spans.append((first, last))


# --- printing -------------------------------------------------------------------------------


def minutes(span: timedelta) -> str:
    seconds = round(span.total_seconds())
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds // 60} min {seconds % 60:02d} s"


def spread(values: Sequence[float]) -> str:
    if not values:
        return "-"
    median = statistics.median(values)
    median_text = f"{median:.0f}" if float(median).is_integer() else f"{median:.1f}"
    return f"{min(values):.0f} / {median_text} / {max(values):.0f}"


def ticks_where(outcome: Outcome, starting: bool) -> list[Tick]:
    return [t for t in outcome.ticks if (t.created > 0) is starting]


def per_tick(ticks: list[Tick], pick: Callable[[Tick], float]) -> str:
    return spread([pick(t) for t in ticks])


def routes_of(ticks: list[Tick], *, busiest: bool = False) -> str:
    """The requests of the most common (or the busiest) tick among `ticks`, by route."""
    if not ticks:
        return "-"
    if busiest:
        routes = max(ticks, key=lambda t: t.requests).routes
    else:
        shapes = Counter(tuple(sorted(t.routes.items())) for t in ticks)
        routes = Counter(dict(shapes.most_common(1)[0][0]))
    return ", ".join(f"{route} x{count}" for route, count in sorted(routes.items())) or "none"


def report(main: Outcome, baseline: Outcome | None, *, task: timedelta, tick: timedelta, levels: int) -> bool:
    critical = levels * task
    bound = 1.1 * critical + levels * tick
    one_by_one = main.projects * task
    waiting, starting = ticks_where(main, False), ticks_where(main, True)
    ok = (
        main.makespan <= bound
        and main.duplicates == 0
        and main.projects_deployed_twice == 0
        and main.order_violations == 0
        and main.deployments == main.projects
        and (baseline is None or (baseline.duplicates == 0 and baseline.order_violations == 0))
    )
    rows: list[tuple[str, str]] = [
        (
            "world",
            f"{main.projects} projects in {levels} levels, T = {minutes(task)}, tick = {minutes(tick)}",
        ),
        ("run outcome", f"{main.run.phase.value}: {main.run.outcome}"),
        (f"critical path ({levels} x T)", minutes(critical)),
        ("makespan (start request to run end)", minutes(main.makespan)),
        ("makespan / critical path", f"{main.makespan / critical:.3f}"),
        ("target: 1.1 x critical path + 1 tick per level", f"{minutes(bound)}: {'met' if ok else 'NOT met'}"),
        (f"one by one, computed ({main.projects} x T)", minutes(one_by_one)),
        ("speed-up over one by one (computed)", f"{one_by_one / main.makespan:.1f} x"),
    ]
    if baseline is not None:
        per_project = baseline.makespan / baseline.projects
        rows += [
            (
                f"one by one, simulated (max_parallel 1, {baseline.projects} projects)",
                f"{minutes(baseline.makespan)} ({minutes(per_project)} per project; "
                f"{minutes(per_project * main.projects)} for {main.projects})",
            ),
        ]
    rows += [
        ("ticks (waiting / starting a level)", f"{len(main.ticks)} ({len(waiting)} / {len(starting)})"),
        ("Octopus requests per waiting tick (min / median / max)", per_tick(waiting, lambda t: t.requests)),
        ("Octopus requests per starting tick (min / median / max)", per_tick(starting, lambda t: t.requests)),
        ("requests of the most common waiting tick", routes_of(waiting)),
        ("requests of the busiest waiting tick", routes_of(waiting, busiest=True)),
        ("requests of a starting tick", routes_of(starting, busiest=True)),
        (
            "table reads + queries per waiting tick (min / median / max)",
            per_tick(waiting, lambda t: t.ops.reads + t.ops.queries),
        ),
        (
            "table writes per waiting tick (min / median / max)",
            per_tick(waiting, lambda t: t.ops.writes + t.ops.transactions),
        ),
        (
            "table entities written per waiting tick (min / median / max)",
            per_tick(waiting, lambda t: t.ops.entities_written),
        ),
        (
            "table reads + queries per starting tick (min / median / max)",
            per_tick(starting, lambda t: t.ops.reads + t.ops.queries),
        ),
        (
            "table writes per starting tick (min / median / max)",
            per_tick(starting, lambda t: t.ops.writes + t.ops.transactions),
        ),
        (
            "start request (poll, plan, store, first advance)",
            f"{main.start_requests} Octopus requests, "
            f"{main.start_ops.reads + main.start_ops.queries} table reads/queries, "
            f"{main.start_ops.writes + main.start_ops.transactions} table writes, {main.start_wall_s:.2f} s",
        ),
        (
            "Octopus requests in all (start + ticks)",
            str(main.start_requests + sum(t.requests for t in main.ticks)),
        ),
        ("wall time per tick (min / median / max, ms)", per_tick(main.ticks, lambda t: t.wall_s * 1000)),
        ("coord CPU per tick (min / median / max, ms)", per_tick(main.ticks, lambda t: t.cpu_s * 1000)),
        ("wall time of the whole run", f"{main.wall_s:.1f} s"),
        (
            "CPU time: coord's thread / whole process (with simulator)",
            f"{main.coord_cpu_s:.1f} s / {main.process_cpu_s:.1f} s",
        ),
        ("deployments created through the API", str(main.deployments)),
        ("duplicate deployments (same step key)", str(main.duplicates)),
        ("projects deployed more than once", str(main.projects_deployed_twice)),
        ("deployments created before a dependency succeeded", str(main.order_violations)),
    ]
    if baseline is not None:
        rows.append(
            (
                "one-by-one run: duplicates / order violations",
                f"{baseline.duplicates} / {baseline.order_violations}",
            )
        )
    print()
    print("| figure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()
    print("| level | first deployment created | last deployment succeeded |")
    print("|---:|---:|---:|")
    for number, (first, last) in enumerate(main.level_spans, start=1):
        print(f"| {number} | +{minutes(first)} | +{minutes(last)} |")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--levels", type=int, default=5)
    parser.add_argument("--task-minutes", type=float, default=5.0, help="T: duration of each deployment")
    parser.add_argument("--tick-seconds", type=float, default=60.0, help="interval of the timer")
    parser.add_argument("--queue-delay-seconds", type=float, default=2.0, help="simulator's task queue delay")
    parser.add_argument(
        "--baseline-projects", type=int, default=20, help="projects of the max_parallel 1 run (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    task = timedelta(minutes=args.task_minutes)
    tick = timedelta(seconds=args.tick_seconds)
    queue_delay = timedelta(seconds=args.queue_delay_seconds)
    world = make_world(args.projects, args.levels, args.seed)
    edges = sum(len(needs) for needs in world.depends_on.values())
    print(f"world: {len(world.projects)} projects, {args.levels} levels, {edges} dependencies", flush=True)
    with dev.azurite() as connection:
        main_run = promote("main", world, connection, task=task, tick=tick, queue_delay=queue_delay)
        print(f"main run ended: {main_run.run.phase.value} after {len(main_run.ticks)} ticks", flush=True)
        baseline = None
        if args.baseline_projects:
            small = make_world(args.baseline_projects, args.levels, args.seed)
            baseline = promote(
                "onebyone", small, connection, task=task, tick=tick, queue_delay=queue_delay, max_parallel=1
            )
            print(
                f"one-by-one run ended: {baseline.run.phase.value} after {len(baseline.ticks)} ticks",
                flush=True,
            )
    ok = report(main_run, baseline, task=task, tick=tick, levels=args.levels)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
