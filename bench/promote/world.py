"""The promotion benchmark's world: projects in dependency levels, the simulator, coord wired to both.

`--projects` projects in `--levels` levels of equal size, each project above the first needing 1
to 3 projects of the level below (seeded). Every project has release 1.0.0 deployed successfully
to Staging and nothing in Production; every deployment created through the API takes the task
time given after the simulator's queue delay.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from pydantic import SecretStr

from coord.bootstrap import Services
from coord.config import parse_config
from coord.store.operations import OperationCounts
from tests.fixtures.coord import make_services as fixture_services
from tests.fixtures.webhooks import SECRET
from tests.octosim import SimServer, Simulator
from tests.octosim.clock import RealClock
from tests.octosim.model import Deployment, Script
from tests.soak.order import keys_of, order_violations

SOURCE, TARGET, GROUP = "Staging", "Production", "fleet"


@dataclass(frozen=True)
class World:
    """The projects by level and what each depends on."""

    levels: tuple[tuple[str, ...], ...]
    depends_on: dict[str, tuple[str, ...]]

    @property
    def projects(self) -> list[str]:
        return [name for level in self.levels for name in level]


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


def build_simulator(
    world: World, *, task: timedelta, queue_delay: timedelta, real_clock: bool = False
) -> Simulator:
    """Staging and Production, one lifecycle, 1.0.0 of every project succeeded in Staging."""
    sim = Simulator(clock=RealClock() if real_clock else None)
    sim.add_environment(SOURCE)
    sim.add_environment(TARGET)
    sim.add_lifecycle(
        "Staging then Production",
        [{"name": SOURCE, "optional": [SOURCE]}, {"name": TARGET, "optional": [TARGET]}],
    )
    for name in world.projects:
        sim.add_project(name, lifecycle="Staging then Production")
        sim.create_release(name, "1.0.0")
        sim.deploy(name, "1.0.0", SOURCE, duration=timedelta(seconds=1 if real_clock else 30))
    sim.run_until_idle()
    # Every deployment coord creates through the API takes the task time once it leaves the queue.
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
    server: SimServer, connection: str, prefix: str, config_yaml: str, tick_schedule: str
) -> Services:
    """coord as one Function instance sees it, on the simulator's clock, with the webhook's secret."""
    config = parse_config(config_yaml, "bench")
    return fixture_services(
        server, connection, prefix, config, tick_schedule=tick_schedule, webhook_secret=SecretStr(SECRET)
    )


def ops_delta(after: OperationCounts, before: OperationCounts) -> OperationCounts:
    return OperationCounts(
        reads=after.reads - before.reads,
        writes=after.writes - before.writes,
        queries=after.queries - before.queries,
        transactions=after.transactions - before.transactions,
        entities_written=after.entities_written - before.entities_written,
        tables_created=after.tables_created - before.tables_created,
    )


@dataclass
class Correctness:
    """What coord created in Octopus, checked: once per key and project, in dependency order."""

    deployments: int = 0
    duplicates: int = 0
    projects_deployed_twice: int = 0
    order_violations: int = 0
    level_spans: list[tuple[timedelta, timedelta]] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        return self.duplicates == 0 and self.projects_deployed_twice == 0 and self.order_violations == 0


def check_deployments(world: World, sim: Simulator, started_at: datetime) -> Correctness:
    """Count what coord created in Octopus: per idempotency key, per project, and in what order."""
    keys: Counter[str] = Counter()
    per_project: Counter[str] = Counter()
    by_project: dict[str, Deployment] = {}
    for dep in sim.deployments.values():
        found = keys_of(dep.comments)
        if not found:
            continue
        for key in found:
            keys[key] += 1
        name = sim.projects[dep.project_id].name
        per_project[name] += 1
        by_project[name] = dep
    result = Correctness(
        deployments=sum(keys.values()),
        duplicates=sum(n - 1 for n in keys.values()),
        projects_deployed_twice=sum(1 for n in per_project.values() if n > 1),
        order_violations=len(order_violations(sim, world.depends_on)),
    )
    for level in world.levels:
        deployed = [by_project[name] for name in level if name in by_project]
        if not deployed:
            continue
        first = min(d.created for d in deployed) - started_at
        ends = [sim.tasks[d.task_id].completed_time for d in deployed]
        last = max(e for e in ends if e is not None) - started_at
        result.level_spans.append((first, last))
    return result
