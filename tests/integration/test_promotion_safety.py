"""Promotion runs while Octopus changes underneath them, each test a situation users have met.

The `small` simulator world over HTTP and Azurite, prepared as in test_promotion_world: new
releases in Staging, Identity first, Catalog and Checkout after it, Payments (per tenant) last.
"""

from __future__ import annotations

from datetime import timedelta

from coord.config import parse_config
from coord.feed import service as feed_service
from coord.promotion.email import outcome_message
from coord.promotion.model import Decision, RollbackStatus, RunPhase, StepStatus
from coord.promotion.runner import advance_run, runs
from tests.fixtures.coord import make_services
from tests.integration import test_promotion_world as promotion_world
from tests.integration.test_promotion_runner import deployment_of, outbox_keys, steps_by_name
from tests.integration.test_promotion_world import PromotionWorld

world = promotion_world.world
rollback_world = promotion_world.rollback_world


def coord_deployments(world: PromotionWorld, project: str, environment: str = "Production") -> list:
    env, proj = world.sim.environment(environment), world.sim.project(project)
    return [
        d
        for d in world.sim.deployments.values()
        if d.project_id == proj.id and d.environment_id == env.id and "[coord:" in (d.comments or "")
    ]


def email_text(world: PromotionWorld, run) -> str:
    message = outcome_message(run, world.services.config)
    assert message is not None
    assert outbox_keys(world) == [f"promotion:{run.id}"]
    return message.text


def test_a_newer_release_deployed_by_hand_mid_run_is_never_downgraded(world: PromotionWorld) -> None:
    sim = world.sim
    sim.script_outcome(project="Identity", environment="Production", duration=600)
    run_id = world.promote().run.id
    world.tick(30)  # Identity is deploying; Checkout waits for it
    sim.create_release("Checkout", "3.5.0")
    sim.deploy("Checkout", "3.5.0", "Production", check_lifecycle=False, user="alice", duration=60)
    run = world.run_to_end(run_id)
    checkout = steps_by_name(run)["Checkout"]
    assert (checkout.status, checkout.decision) == (StepStatus.SKIPPED, Decision.DOWNGRADE)
    assert checkout.reason == "Production has 3.5.0 (deployed by alice), newer than 3.2.0: never downgraded"
    assert world.version_in("Checkout", "Production") == "3.5.0"
    assert coord_deployments(world, "Checkout") == []
    assert run.phase is RunPhase.SUCCEEDED
    assert "newer than 3.2.0: never downgraded" in email_text(world, run)


def test_the_same_release_already_being_deployed_is_waited_for_not_deployed_again(
    world: PromotionWorld,
) -> None:
    sim = world.sim
    theirs = sim.deploy("Identity", "1.1.0", "Production", user="bob", duration=300)
    world.tick(5)
    started = world.promote()
    identity = steps_by_name(started.plan)["Identity"]
    assert identity.decision is Decision.DEPLOY
    assert identity.waiting.startswith(f"1.1.0 is already executing in Production ({theirs} by bob)")
    run = world.run_to_end(started.run.id)
    identity = steps_by_name(run)["Identity"]
    assert (identity.status, identity.decision) == (StepStatus.SKIPPED, Decision.CURRENT)
    assert identity.reason == "1.1.0 is already current in Production (deployed by bob)"
    assert coord_deployments(world, "Identity") == []
    assert steps_by_name(run)["Catalog"].status is StepStatus.SUCCEEDED  # its dependents went on
    assert run.phase is RunPhase.SUCCEEDED


def test_a_rollback_never_overwrites_what_someone_deployed_after_the_run(
    rollback_world: PromotionWorld,
) -> None:
    world = rollback_world
    sim = world.sim
    sim.deploy("Catalog", "2.3.0", "Production", check_lifecycle=False)  # what a rollback returns to
    sim.run_until_idle()
    world.tick()
    run_id = start_until_payments_runs_then_fails(world, after=600)
    # While Payments runs, someone ships a hotfix of Catalog over what the run deployed.
    sim.create_release("Catalog", "2.4.1")
    sim.deploy("Catalog", "2.4.1", "Production", check_lifecycle=False, user="alice")
    sim.run_until_idle()
    run = world.run_to_end(run_id)
    catalog = steps_by_name(run)["Catalog"]
    assert catalog.rollback is RollbackStatus.SKIPPED
    assert catalog.rollback_reason.startswith("not rolled back: changed since by alice (2.4.1, Deployments-")
    assert world.version_in("Catalog", "Production") == "2.4.1"
    assert world.version_in("Identity", "Production") == "1.0.0"  # the others were rolled back
    assert run.phase is RunPhase.ROLLED_BACK
    assert run.outcome.startswith("rolled back, except Catalog (changed since)")
    assert "not rolled back: changed since by alice" in email_text(world, run)


def start_until_payments_runs_then_fails(world: PromotionWorld, *, after: int) -> str:
    """Start a run whose last project (Payments for Globex) fails `after` seconds; tick until it runs."""
    world.sim.script_outcome(
        project="Payments", environment="Production", tenant="Globex", outcome="Failed", duration=after
    )
    run_id = world.promote().run.id
    for _ in range(40):
        world.tick(15)
        run = advance_run(world.services, run_id)
        if any(s.project == "Payments" and s.status is StepStatus.RUNNING for s in run.steps):
            break
    return run_id


def test_a_403_ends_the_step_with_the_missing_permission_and_the_run_frees_its_group(
    world: PromotionWorld,
) -> None:
    world.sim.access.deny(world.octosim.api_key, "DeploymentCreate")  # the key's team lost a role
    started = world.promote()
    run = world.run_to_end(started.run.id, limit=5)
    identity = steps_by_name(run)["Identity"]
    assert identity.status is StepStatus.FAILED
    assert identity.reason == (
        "Octopus refused the deployment: 403: You do not have permission to perform this action. "
        "Please contact your Octopus administrator. Missing permission: DeploymentCreate"
    )
    assert steps_by_name(run)["Catalog"].status in (StepStatus.SKIPPED, StepStatus.NOT_STARTED)
    assert run.phase is RunPhase.FAILED
    assert world.sim.observations.route_count("POST /deployments") == 1  # refused once, never again
    assert "Missing permission: DeploymentCreate" in email_text(world, run)
    world.sim.access.grant(world.octosim.api_key, "DeploymentCreate")
    assert world.promote().run.id != run.id  # the group is free for the next run


def test_a_rollback_whose_release_retention_deleted_fails_with_octopus_reason_and_the_run_ends(
    rollback_world: PromotionWorld,
) -> None:
    world = rollback_world
    sim = world.sim
    run_id = start_until_payments_runs_then_fails(world, after=300)
    sim.delete_release("Identity", "1.0.0")  # retention, now that 1.1.0 is in Production
    run = world.run_to_end(run_id, limit=60)
    identity = steps_by_name(run)["Identity"]
    assert identity.rollback is RollbackStatus.FAILED
    assert identity.rollback_reason.startswith("Octopus refused the rollback: 404")
    assert run.phase is RunPhase.FAILED
    assert run.outcome.startswith("rollback failed for Identity")
    assert "Octopus refused the rollback: 404" in email_text(world, run)
    assert runs(world.services).active() == []


def test_a_run_still_going_at_its_deadline_ends_timed_out_and_frees_its_group(
    world: PromotionWorld, quick_retries: None
) -> None:
    sim = world.sim
    sim.script_outcome(project="Identity", environment="Production", outcome="ManualIntervention")
    run_id = world.promote(timeout=timedelta(minutes=30)).run.id
    world.tick(60)
    assert advance_run(world.services, run_id).phase is RunPhase.RUNNING
    sim.faults.add("*", status=503)  # and Octopus goes down for good
    run = world.run_to_end(run_id, limit=10, step=600)
    assert run.phase is RunPhase.TIMED_OUT
    assert run.outcome.startswith("timed out at ")
    assert "still running in Octopus: Identity" in run.outcome
    assert steps_by_name(run)["Catalog"].status is StepStatus.NOT_STARTED
    assert runs(world.services).active() == []
    assert "timed out" in email_text(world, run)
    sim.faults.clear()


def test_a_project_and_environment_renamed_since_the_last_refresh_still_promote(
    world: PromotionWorld,
) -> None:
    sim = world.sim
    sim.rename_environment("Production", "Live")
    sim.rename_project("Checkout", "Checkout Service")
    renamed = world.with_config(
        promotion_world.PROMOTION_CONFIG.replace("{on_failure}", "halt")
        .replace("Checkout", "Checkout Service")
        .replace("to: Production", "to: Live")
    )
    started = renamed.promote(target="Live")
    assert started.run.target == "Live"
    assert {s.project for s in started.run.steps} >= {"Checkout Service"}
    view = feed_service.status(renamed.services)
    assert "Checkout Service" in {row.project for row in view.rows}
    assert "Live" in view.environments
    run = renamed.run_to_end(started.run.id)
    assert run.phase is RunPhase.SUCCEEDED
    assert deployment_of(renamed, "Checkout Service", "Live")


NIGHTLY_CONFIG = """
timezone: Europe/London
groups:
  nightly:
    projects: [Nightly, Reports]
    depends_on:
      Reports: ["Nightly >= 2020.5.1"]
"""


def test_date_versions_with_leading_zeros_are_ordered_and_their_constraints_hold(
    octosim, azurite_connection_string: str, table_prefix: str
) -> None:
    sim = octosim.sim
    sim.add_project("Nightly")
    sim.add_project("Reports")
    for project, version in (("Nightly", "2020.05.03-07"), ("Reports", "1.0.0")):
        sim.create_release(project, version)
        sim.deploy(project, version, "Development")
        sim.run_until_idle()
        sim.deploy(project, version, "Staging")
    sim.create_release("Nightly", "2020.05.04-01")  # a newer nightly, already in Production
    sim.deploy("Nightly", "2020.05.04-01", "Production", check_lifecycle=False, user="carol")
    sim.run_until_idle()
    installed = PromotionWorld(
        make_services(octosim, azurite_connection_string, table_prefix, parse_config(NIGHTLY_CONFIG, "test")),
        octosim,
        azurite_connection_string,
        table_prefix,
    )
    try:
        started = installed.promote(group="nightly")
        steps = steps_by_name(started.plan)
        assert steps["Nightly"].decision is Decision.DOWNGRADE
        assert steps["Nightly"].reason == (
            "Production has 2020.05.04-01 (deployed by carol), newer than 2020.05.03-07: never downgraded"
        )
        assert steps["Reports"].decision is Decision.DEPLOY  # Nightly >= 2020.5.1 holds in Production
        run = installed.run_to_end(started.run.id)
        assert run.phase is RunPhase.SUCCEEDED
        assert installed.version_in("Nightly", "Production") == "2020.05.04-01"
        assert installed.version_in("Reports", "Production") == "1.0.0"
    finally:
        installed.services.close()
