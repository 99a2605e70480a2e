"""Promotion runs against the simulator over HTTP and Azurite: order, skips, blocks, failures, waits."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from coord.feed import service as feed_service
from coord.promotion.errors import RunConflict
from coord.promotion.model import Decision, RollbackStatus, RunPhase, StepStatus
from coord.promotion.runner import advance_run, runs
from tests.integration import test_promotion_world as promotion_world
from tests.integration.test_promotion_world import PromotionWorld

world = promotion_world.world  # the fixture, shared with the other promotion tests
rollback_world = promotion_world.rollback_world  # the fixture, shared with the other promotion tests


def deployment_of(world: PromotionWorld, project: str, environment: str = "Production", tenant=None):
    proj, env = world.sim.project(project), world.sim.environment(environment)
    ten = world.sim.tenant(tenant).id if tenant else None
    found = [
        d
        for d in world.sim.deployments.values()
        if d.project_id == proj.id
        and d.environment_id == env.id
        and d.tenant_id == ten
        and "[coord:" in (d.comments or "")
    ]
    assert found, f"no coord deployment of {project} to {environment}"
    return found


def finished_at(world: PromotionWorld, deployment) -> object:
    return world.sim.tasks[deployment.task_id].completed_time


def steps_by_name(run) -> dict[str, object]:
    return {(s.project if s.tenant is None else f"{s.project}/{s.tenant}"): s for s in run.steps}


def outbox_keys(world: PromotionWorld) -> list[str]:
    table = world.services.store.table("outbox")
    return [str(e["RowKey"]) for e in table.query("PartitionKey eq @p", {"p": "outbox"})]


def test_a_diamond_is_promoted_in_dependency_order_with_one_deployment_per_step(
    world: PromotionWorld,
) -> None:
    started = world.promote()
    run = world.run_to_end(started.run.id)
    assert run.phase is RunPhase.SUCCEEDED, run.outcome
    identity = deployment_of(world, "Identity")[0]
    catalog = deployment_of(world, "Catalog")[0]
    checkout = deployment_of(world, "Checkout")[0]
    payments = deployment_of(world, "Payments", tenant="Acme") + deployment_of(
        world, "Payments", tenant="Globex"
    )
    # Each dependent was created only after what it needs had succeeded in Production.
    assert catalog.created >= finished_at(world, identity)
    assert checkout.created >= finished_at(world, identity)
    for dep in payments:
        assert dep.created >= max(finished_at(world, catalog), finished_at(world, checkout))
    # Catalog and Checkout ran side by side (no max_parallel): the second started before the first ended.
    assert max(catalog.created, checkout.created) < min(
        finished_at(world, catalog), finished_at(world, checkout)
    )
    assert world.version_in("Identity", "Production") == "1.1.0"
    assert world.version_in("Payments", "Production", "Globex") == "1.0.0"
    assert set(world.api_deployments().values()) == {1}
    assert len(world.api_deployments()) == 5
    assert outbox_keys(world) == [f"promotion:{run.id}"]


def test_the_plan_skips_what_is_current_and_never_downgrades(world: PromotionWorld) -> None:
    sim = world.sim
    sim.create_release("Catalog", "9.0.0")
    sim.deploy("Catalog", "9.0.0", "Production", check_lifecycle=False)
    sim.deploy("Identity", "1.1.0", "Production")
    sim.run_until_idle()
    plan = world.promote(dry_run=True).plan
    decisions = {s.project: s.decision for s in plan.steps if s.tenant is None}
    assert decisions["Identity"] is Decision.CURRENT
    assert decisions["Catalog"] is Decision.DOWNGRADE
    assert decisions["Checkout"] is Decision.DEPLOY
    catalog = next(s for s in plan.steps if s.project == "Catalog")
    assert "9.0.0" in catalog.reason and "2.4.0" in catalog.reason
    run = world.run_to_end(world.promote().run.id)
    assert run.phase is RunPhase.SUCCEEDED
    assert world.version_in("Catalog", "Production") == "9.0.0"
    assert "Identity" not in {k.split("/")[1] for k in world.api_deployments()}


def test_a_dry_run_changes_nothing(world: PromotionWorld) -> None:
    before = len(world.sim.deployments)
    started = world.promote(dry_run=True)
    assert started.run is None
    assert [s.project for s in started.plan.steps if s.wave == 0] == ["Identity"]
    assert len(world.sim.deployments) == before
    assert runs(world.services).active() == []


def test_a_lifecycle_block_shows_octopus_reason_and_skips_its_dependents(world: PromotionWorld) -> None:
    sim = world.sim
    sim.create_release("Identity", "1.2.0")
    # Straight to Staging without Development: the lifecycle does not allow Production yet.
    sim.deploy("Identity", "1.2.0", "Staging", check_lifecycle=False)
    sim.run_until_idle()
    world.tick()
    run = world.run_to_end(world.promote().run.id)
    steps = steps_by_name(run)
    assert steps["Identity"].status is StepStatus.BLOCKED
    assert "Development" in steps["Identity"].reason or "Environments-1" in steps["Identity"].reason
    for name in ("Catalog", "Checkout", "Payments/Acme", "Payments/Globex"):
        assert steps[name].status is StepStatus.SKIPPED
        assert steps[name].reason.startswith("Identity is blocked") or "Identity" in steps[name].reason
    assert run.phase is RunPhase.FAILED
    assert world.api_deployments() == {}


def test_halt_starts_nothing_after_a_failure_and_lets_running_ones_end(world: PromotionWorld) -> None:
    world.sim.script_outcome(project="Checkout", environment="Production", outcome="Failed", duration=10)
    world.sim.script_outcome(project="Catalog", environment="Production", outcome="Success", duration=120)
    run = world.run_to_end(world.promote().run.id)
    steps = steps_by_name(run)
    assert run.phase is RunPhase.FAILED
    assert steps["Checkout"].status is StepStatus.FAILED
    assert steps["Catalog"].status is StepStatus.SUCCEEDED  # it was running; halt let it end
    assert steps["Payments/Acme"].status in (StepStatus.SKIPPED, StepStatus.NOT_STARTED)
    assert world.version_in("Payments", "Production", "Acme") is None
    assert all(s.rollback is RollbackStatus.NONE for s in run.steps)


def test_rollback_redeploys_previous_releases_in_reverse_dependency_order(
    rollback_world: PromotionWorld,
) -> None:
    world = rollback_world
    sim = world.sim
    sim.deploy("Catalog", "2.3.0", "Production", check_lifecycle=False)
    sim.deploy("Checkout", "3.1.0", "Production")
    sim.run_until_idle()
    world.tick()
    sim.script_outcome(project="Payments", environment="Production", tenant="Globex", outcome="Failed")
    run = world.run_to_end(world.promote().run.id)
    assert run.phase is RunPhase.ROLLED_BACK, run.outcome
    steps = steps_by_name(run)
    assert world.version_in("Identity", "Production") == "1.0.0"
    assert world.version_in("Catalog", "Production") == "2.3.0"
    assert world.version_in("Checkout", "Production") == "3.1.0"
    assert steps["Payments/Globex"].rollback is RollbackStatus.IMPOSSIBLE
    assert steps["Payments/Acme"].rollback is RollbackStatus.IMPOSSIBLE
    rollbacks = {
        key.split("/")[1]: dep
        for dep in sim.deployments.values()
        for key in [[*(dep.comments or "").split("[coord:", 1), ""][1].rstrip("]")]
        if key.endswith("/rollback")
    }
    identity = rollbacks[sim.project("Identity").id]
    for dependent in ("Catalog", "Checkout"):
        assert identity.created >= finished_at(world, rollbacks[sim.project(dependent).id])
    assert set(world.api_deployments().values()) == {1}
    assert outbox_keys(world) == [f"promotion:{run.id}"]


def test_a_manual_intervention_is_shown_and_the_run_waits_for_the_answer(world: PromotionWorld) -> None:
    sim = world.sim
    sim.script_outcome(project="Identity", environment="Production", outcome="ManualIntervention")
    run_id = world.promote().run.id
    for _ in range(4):
        world.tick(15)
    run = advance_run(world.services, run_id)
    identity = steps_by_name(run)["Identity"]
    assert identity.status is StepStatus.RUNNING
    assert "manual intervention" in identity.waiting
    assert steps_by_name(run)["Catalog"].status is StepStatus.PLANNED
    world.tick(3600)  # an hour later it still waits
    assert advance_run(world.services, run_id).phase is RunPhase.RUNNING
    for interruption in sim.pending_interruptions():
        sim.answer_interruption(interruption, "Proceed")
    run = world.run_to_end(run_id)
    assert run.phase is RunPhase.SUCCEEDED
    assert steps_by_name(run)["Identity"].waiting == ""


def test_no_deployment_starts_while_another_deployment_to_the_target_is_running(
    world: PromotionWorld,
) -> None:
    sim = world.sim
    other = sim.deploy(
        "Catalog", "2.3.0", "Production", check_lifecycle=False, duration=timedelta(minutes=10)
    )
    world.tick(5)
    run = advance_run(world.services, world.promote().run.id)
    assert run.steps[0].status is StepStatus.PLANNED
    assert other in run.waiting
    run = world.run_to_end(run.id)
    assert run.phase is RunPhase.SUCCEEDED
    identity = deployment_of(world, "Identity")[0]
    assert identity.created >= sim.tasks[sim.deployments[other].task_id].completed_time


def test_a_second_run_for_the_same_target_is_refused_with_the_active_runs_id(world: PromotionWorld) -> None:
    first = world.promote().run
    with pytest.raises(RunConflict) as refused:
        world.promote()
    assert refused.value.active_run_id == first.id
    world.run_to_end(first.id)
    second = world.promote().run  # once the first has ended, the target is free again
    assert second.id != first.id


def test_cancel_starts_nothing_further_and_the_run_ends_canceled(world: PromotionWorld) -> None:
    run_id = world.promote().run.id
    runs(world.services).request_cancel(run_id, world.sim.clock.now())
    run = world.run_to_end(run_id)
    assert run.phase is RunPhase.CANCELED
    steps = steps_by_name(run)
    assert steps["Identity"].status is StepStatus.SUCCEEDED  # it was already running
    assert steps["Catalog"].status is StepStatus.NOT_STARTED
    assert outbox_keys(world) == [f"promotion:{run_id}"]


def test_a_lost_post_response_creates_one_deployment(world: PromotionWorld) -> None:
    world.sim.faults.add(route="POST /deployments", lost_response=True, count=2)
    run = world.run_to_end(world.promote().run.id)
    assert run.phase is RunPhase.SUCCEEDED
    assert set(world.api_deployments().values()) == {1}
    assert len(world.api_deployments()) == 5


def test_four_ticks_racing_on_one_run_never_deploy_twice(world: PromotionWorld) -> None:
    run_id = world.promote().run.id
    errors: list[BaseException] = []
    racers = [world.fresh_services() for _ in range(4)]

    def race(services) -> None:
        try:
            advance_run(services, run_id)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    for _ in range(40):
        world.sim.clock.advance(10)
        feed_service.poll(world.services)
        threads = [threading.Thread(target=race, args=(s,)) for s in racers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if advance_run(world.services, run_id).phase.is_terminal:
            break
    for services in racers:
        services.close()
    assert not errors, errors
    assert advance_run(world.services, run_id).phase is RunPhase.SUCCEEDED
    assert set(world.api_deployments().values()) == {1}
    assert len(world.api_deployments()) == 5
