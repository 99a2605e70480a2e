"""A run's start: deployment templates read only where needed, a few at a time; the first wave at once."""

from __future__ import annotations

from coord.promotion.model import StepStatus
from coord.promotion.runner import runs
from coord.promotion.templates import read_allowed
from tests.integration import test_promotion_world as promotion_world
from tests.integration.test_promotion_world import PromotionWorld

world = promotion_world.world  # the fixture, shared with the other promotion tests

TEMPLATE = "GET release/template"


def test_a_start_reads_templates_only_for_releases_it_may_deploy(world: PromotionWorld) -> None:
    sim = world.sim
    sim.deploy("Identity", "1.1.0", "Production")  # already current: decided without a template
    sim.run_until_idle()
    world.tick()
    octopus = world.services.octopus
    before = octopus.request_counts.get(TEMPLATE, 0)
    plan = world.promote(dry_run=True).plan
    # Catalog 2.4.0, Checkout 3.2.0 and Payments 1.0.0 (one release for both tenants).
    assert octopus.request_counts.get(TEMPLATE, 0) - before == 3
    assert {s.project for s in plan.steps if s.status is StepStatus.PLANNED} == {
        "Catalog",
        "Checkout",
        "Payments",
    }


def test_templates_read_side_by_side_say_what_one_by_one_reads_say(world: PromotionWorld) -> None:
    octopus = world.services.octopus
    releases = [r.id for r in world.sim.releases.values()]
    production = world.sim.environment("Production").id
    assert len(releases) > 6
    assert read_allowed(octopus, releases, production, readers=6) == read_allowed(
        octopus, releases, production, readers=1
    )


def test_the_first_wave_starts_in_the_request_that_creates_the_run(world: PromotionWorld) -> None:
    run = world.promote().run
    stored = runs(world.services).load(run.id).run
    (identity,) = [s for s in stored.steps if s.project == "Identity"]
    assert identity.status is StepStatus.RUNNING and identity.deployment_id in world.sim.deployments
    assert world.sim.deployments[identity.deployment_id].created == run.created
