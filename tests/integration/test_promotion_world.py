"""The world the promotion tests run in, and checks that it is the world they assume.

The `small` simulator world, with a diamond of dependencies (Identity first; Catalog and Checkout
after it; Payments, tenanted for Acme and Globex, after both) and new releases in Staging.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from coord.bootstrap import Services
from coord.config import parse_config
from coord.feed import service as feed_service
from coord.octopus import OctopusError
from coord.promotion.runner import LEASE_TTL, advance_run
from coord.promotion.start import StartCommand, start_run
from tests.fixtures.coord import make_services

PROMOTION_CONFIG = """
timezone: Europe/London
mail:
  from: coord@example.com
groups:
  shop:
    projects: [Identity, Catalog, Checkout, Payments]
    depends_on:
      Catalog: [Identity]
      Checkout: [Identity]
      Payments: [Catalog, Checkout]
promotions:
  - name: evening
    group: shop
    from: Staging
    to: Production
    schedule: "30 18 * * 1-5"
    on_failure: {on_failure}
notify:
  promotions:
    to: [ops@example.com]
"""


@dataclass
class PromotionWorld:
    """coord wired to a simulator world prepared for promotions."""

    services: Services
    octosim: object
    connection: str
    prefix: str

    @property
    def sim(self):
        return self.octosim.sim

    def fresh_services(self) -> Services:
        """A new set of services over the same tables and simulator, as after a restart."""
        return make_services(self.octosim, self.connection, self.prefix, self.services.config)

    def promote(self, **options) -> object:
        command = StartCommand(**{"group": "shop", "source": "Staging", "target": "Production", **options})
        return start_run(self.services, command)

    def with_config(self, text: str) -> PromotionWorld:
        """The same installation (tables, simulator) after coord.yaml was edited."""
        services = make_services(self.octosim, self.connection, self.prefix, parse_config(text, "test"))
        return PromotionWorld(services, self.octosim, self.connection, self.prefix)

    def tick(self, seconds: float = 0.0, services: Services | None = None) -> None:
        """Move the world on, poll, and advance the active runs, as a timer tick does."""
        if seconds:
            self.sim.clock.advance(seconds)
        services = services or self.services
        try:
            report = feed_service.poll(services)
        except OctopusError:  # as the heartbeat does: the runs still advance from the stored state
            report = None
        from coord.promotion.jobs import advance_active_runs  # noqa: PLC0415

        advance_active_runs(services, fresh=report is not None and report.caught_up)

    def run_to_end(self, run_id: str, *, limit: int = 200, step: float = 15.0) -> object:
        """Tick until the run ends; its final state."""
        run = None
        for _ in range(limit):
            self.tick(step)
            try:
                run = advance_run(self.services, run_id)
            except OctopusError:
                continue
            if run.phase.is_terminal:
                return run
        raise AssertionError(f"run {run_id} did not end: {run and (run.phase, run.waiting)}")

    def deployments_to(self, environment: str) -> list:
        env = self.sim.environment(environment)
        return [d for d in self.sim.deployments.values() if d.environment_id == env.id]

    def api_deployments(self) -> Counter:
        """Deployments created through the API, counted per coord idempotency key."""
        keys: Counter = Counter()
        for dep in self.sim.deployments.values():
            comments = dep.comments or ""
            if "[coord:" in comments:
                keys[comments.split("[coord:", 1)[1].rstrip("]")] += 1
        return keys

    def version_in(self, project: str, environment: str, tenant: str | None = None) -> str | None:
        """The release of the newest successful deployment of a project there (simulator's truth)."""
        env = self.sim.environment(environment)
        proj = self.sim.project(project)
        ten = self.sim.tenant(tenant).id if tenant else None
        found = [
            d
            for d in self.sim.deployments.values()
            if d.environment_id == env.id
            and d.project_id == proj.id
            and d.tenant_id == ten
            and self.sim.task_state(d.id) == "Success"
        ]
        if not found:
            return None
        newest = max(found, key=lambda d: (d.created, int(d.id.split("-")[1])))
        return self.sim.releases[newest.release_id].version


def prepare_world(sim) -> None:
    """New releases in Staging for every project of the group (Payments per tenant)."""
    sim.create_release("Catalog", "2.4.0")
    sim.deploy("Catalog", "2.4.0", "Development")
    sim.run_until_idle()
    sim.deploy("Catalog", "2.4.0", "Staging")
    sim.create_release("Checkout", "3.2.0")
    sim.deploy("Checkout", "3.2.0", "Staging")
    sim.create_release("Payments", "1.0.0")
    sim.deploy("Payments", "1.0.0", "Development", tenant="Acme")
    sim.run_until_idle()
    sim.deploy("Payments", "1.0.0", "Staging", tenant="Acme")
    sim.deploy("Payments", "1.0.0", "Staging", tenant="Globex")
    sim.run_until_idle()


def build_world(octosim, connection: str, prefix: str, *, on_failure: str = "halt") -> PromotionWorld:
    config = parse_config(PROMOTION_CONFIG.replace("{on_failure}", on_failure), "test")
    services = make_services(
        octosim, connection, prefix, config, mail_dir=None, webhook_secret=SecretStr("s3cret")
    )
    prepare_world(octosim.sim)
    world = PromotionWorld(services, octosim, connection, prefix)
    feed_service.poll(services)
    return world


@pytest.fixture
def world(octosim, azurite_connection_string: str, table_prefix: str) -> Iterator[PromotionWorld]:
    """A prepared world whose promotion halts on failure."""
    installed = build_world(octosim, azurite_connection_string, table_prefix)
    yield installed
    installed.services.close()


@pytest.fixture
def rollback_world(octosim, azurite_connection_string: str, table_prefix: str) -> Iterator[PromotionWorld]:
    """A prepared world whose promotion rolls back on failure."""
    installed = build_world(octosim, azurite_connection_string, table_prefix, on_failure="rollback")
    yield installed
    installed.services.close()


def test_the_world_has_new_releases_in_staging_and_older_ones_in_production(world: PromotionWorld) -> None:
    assert world.version_in("Identity", "Staging") == "1.1.0"
    assert world.version_in("Identity", "Production") == "1.0.0"
    assert world.version_in("Catalog", "Staging") == "2.4.0"
    assert world.version_in("Checkout", "Staging") == "3.2.0"
    assert world.version_in("Payments", "Staging", "Globex") == "1.0.0"
    assert world.version_in("Payments", "Production", "Acme") is None


def test_the_lease_outlives_an_advance_but_not_a_minute_of_ticks() -> None:
    assert 60 <= LEASE_TTL.total_seconds() <= 300
