"""A property of every promotion run: coord never deploys a release older than what the target held.

For random worlds (projects, dependencies, odd release versions in Staging and Production) and
random hand deployments while the run goes on, every deployment coord creates in Production is of
a release newer than what the target held just before it, by the order `decide` uses (versions
as Octopus orders them, creation time where they cannot be ordered), and every rollback it
creates overwrites only its own run's deployment. The judge is the simulator's own record of what
happened, not coord's view of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coord.config import parse_config
from coord.domain.versions import Order, order_releases
from tests.fixtures.coord import make_services
from tests.integration.test_promotion_world import PromotionWorld
from tests.octosim import SimServer, Simulator

# Versions people give releases, odd ones included: leading zeros in labels, dashes that one of
# Octopus's comparers splits and the other does not, equal precedence, metadata, a leading v.
VERSIONS = (
    "1.0.0", "1.0.1", "1.1", "1.1.0", "1.2.3.4", "v1.2.4", "1.9.0", "1.10.0", "1.0.0-beta-9",
    "1.0.0-beta-10", "1.0.0+abc", "2020.05.03-07", "2020.05.04-01", "2020.5.3-7",
)  # fmt: skip


@dataclass(frozen=True)
class HandDeployment:
    """A person deploying a release of a project to Production before the tick `at`."""

    at: int
    project: int
    version: int
    outcome: str


@dataclass(frozen=True)
class World:
    projects: int
    needs: tuple[tuple[int, ...], ...]  # project -> earlier projects it depends on
    releases: tuple[tuple[str, ...], ...]  # project -> its release versions, in creation order
    staging: tuple[int, ...]  # project -> index of the release in Staging
    production: tuple[int | None, ...]  # project -> index of the release in Production, if any
    hands: tuple[HandDeployment, ...]
    on_failure: str
    failing: int | None  # a project whose coord deployment fails


@st.composite
def worlds(draw: st.DrawFn) -> World:
    count = draw(st.integers(min_value=1, max_value=4))
    needs = tuple(
        tuple(sorted(draw(st.sets(st.integers(min_value=0, max_value=i - 1), max_size=2)))) if i else ()
        for i in range(count)
    )
    releases = tuple(
        tuple(draw(st.lists(st.sampled_from(VERSIONS), min_size=2, max_size=4, unique=True)))
        for _ in range(count)
    )
    staging = tuple(draw(st.integers(min_value=0, max_value=len(r) - 1)) for r in releases)
    production = tuple(draw(st.none() | st.integers(min_value=0, max_value=len(r) - 1)) for r in releases)
    hands = draw(
        st.lists(
            st.builds(
                HandDeployment,
                at=st.integers(min_value=0, max_value=12),
                project=st.integers(min_value=0, max_value=count - 1),
                version=st.integers(min_value=0, max_value=3),
                outcome=st.sampled_from(["Success", "Success", "Failed"]),
            ),
            max_size=4,
        )
    )
    on_failure = draw(st.sampled_from(["halt", "rollback"]))
    failing = draw(st.none() | st.integers(min_value=0, max_value=count - 1))
    return World(count, needs, releases, staging, production, tuple(hands), on_failure, failing)


def build(sim: Simulator, world: World) -> None:
    sim.add_environment("Staging")
    sim.add_environment("Production")
    sim.add_lifecycle("Anywhere", [{"name": "All", "optional": ["Staging", "Production"], "minimum": 1}])
    for p in range(world.projects):
        sim.add_project(f"P{p}", lifecycle="Anywhere")
        for version in world.releases[p]:
            sim.create_release(f"P{p}", version)
            sim.clock.advance(60)  # creation order is known to Octopus (and to coord)
    for p in range(world.projects):
        sim.deploy(f"P{p}", world.releases[p][world.staging[p]], "Staging")
        if world.production[p] is not None:
            sim.deploy(f"P{p}", world.releases[p][world.production[p]], "Production")
    sim.run_until_idle()


def config_of(world: World) -> str:
    lines = ["groups:", "  g:", f"    projects: [{', '.join(f'P{p}' for p in range(world.projects))}]"]
    lines.append("    depends_on:")
    for p, needs in enumerate(world.needs):
        if needs:
            lines.append(f"      P{p}: [{', '.join(f'P{n}' for n in needs)}]")
    if not any(world.needs):
        lines.pop()
    lines += [
        "promotions:",
        f"  - {{name: p, group: g, from: Staging, to: Production, on_failure: {world.on_failure}}}",
    ]
    return "\n".join(lines) + "\n"


def check_no_older_deployment(sim: Simulator) -> int:
    """Every coord deployment to Production against what Production held just before it."""
    production = sim.environment("Production").id
    created = 0
    for dep in sim.deployments_newest_first():
        if dep.environment_id != production or "[coord:" not in (dep.comments or ""):
            continue
        created += 1
        before = [
            d
            for d in sim.deployments.values()
            if d.environment_id == production
            and d.project_id == dep.project_id
            and (d.created, d.seq) < (dep.created, dep.seq)
        ]
        if dep.comments and "/rollback]" in dep.comments:
            latest = max(before, key=lambda d: (d.created, d.seq))
            assert "/deploy]" in (latest.comments or ""), f"{dep.id} rolled back over {latest.id}"
            continue
        release = sim.releases[dep.release_id]
        held = _held(sim, before, dep)
        for other in held:
            if other.release_id == dep.release_id:
                continue
            mine, theirs = release, sim.releases[other.release_id]
            order = order_releases(mine.version, mine.assembled, theirs.version, theirs.assembled)
            assert order is Order.NEWER, f"{dep.id} deployed {mine.version} over {theirs.version}"
    return created


def _held(sim: Simulator, before: list, dep) -> list:
    """The latest deployment there before `dep`, and the latest that had succeeded by then."""
    if not before:
        return []
    latest = max(before, key=lambda d: (d.created, d.seq))
    done = [
        d
        for d in before
        if sim.tasks[d.task_id].state == "Success" and sim.tasks[d.task_id].completed_time <= dep.created
    ]
    success = max(done, key=lambda d: (d.created, d.seq)) if done else None
    return [latest] + ([success] if success is not None else [])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_no_deployment_coord_creates_is_older_than_what_the_target_held(
    world: World, azurite_connection_string: str
) -> None:
    sim = Simulator()
    build(sim, world)
    if world.failing is not None:
        sim.script_outcome(
            project=f"P{world.failing}", environment="Production", outcome="Failed", times=None
        )
    with SimServer(sim) as server:
        prefix = "t" + uuid.uuid4().hex[:12]
        services = make_services(
            server, azurite_connection_string, prefix, parse_config(config_of(world), "t")
        )
        installed = PromotionWorld(services, server, azurite_connection_string, prefix)
        try:
            started = installed.promote(group="g", timeout=timedelta(hours=1))
            for tick in range(40):
                for hand in (h for h in world.hands if h.at == tick):
                    versions = world.releases[hand.project]
                    version = versions[hand.version % len(versions)]
                    sim.deploy(f"P{hand.project}", version, "Production", outcome=hand.outcome, user="alice")
                installed.tick(15)
                stored = installed.services.store.table("runs").get(started.run.id, "run")
                if stored is not None and stored["Phase"] in (
                    "Succeeded",
                    "Failed",
                    "RolledBack",
                    "TimedOut",
                ):
                    break
            run = installed.run_to_end(started.run.id, limit=400)
        finally:
            services.close()
    assert run.phase.is_terminal
    check_no_older_deployment(sim)
