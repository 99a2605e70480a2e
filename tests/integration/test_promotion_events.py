"""Runs advanced by news, not only by the timer: webhooks, polls, a look at the tasks, a lease held."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from coord.entrypoints.http import promotions as promotion_routes
from coord.entrypoints.http.messages import Request
from coord.feed import service as feed_service
from coord.promotion.events import UNFINISHED, WEBHOOK, advance_after_poll, advance_promptly
from coord.promotion.model import RunPhase, StepStatus
from coord.promotion.runner import runs
from coord.store import acquire_lease
from tests.integration import test_promotion_world as promotion_world
from tests.integration.test_poller import deliver, webhook_payload
from tests.integration.test_promotion_world import PromotionWorld

world = promotion_world.world  # the fixture, shared with the other promotion tests

FINISHED = timedelta(seconds=40)  # the simulator's default task: queued 2 s, then 30 s


def coord_deployments(world: PromotionWorld, project: str) -> list:
    proj = world.sim.project(project)
    production = world.sim.environment("Production")
    return [
        d
        for d in world.sim.deployments.values()
        if d.project_id == proj.id and d.environment_id == production.id and "[coord:" in (d.comments or "")
    ]


def outcome_event(world: PromotionWorld, deployment_id: str):
    """The simulator's DeploymentSucceeded (or Failed) event of a deployment."""
    return next(
        e
        for e in world.sim.events
        if deployment_id in e.related and e.category in ("DeploymentSucceeded", "DeploymentFailed")
    )


def started_with_identity(world: PromotionWorld) -> str:
    run = world.promote().run
    assert [s.project for s in run.steps if s.status is StepStatus.RUNNING] == ["Identity"]
    return run.id


def test_a_webhook_for_a_finished_deployment_starts_its_dependents_at_once(world: PromotionWorld) -> None:
    run_id = started_with_identity(world)
    world.sim.clock.advance(FINISHED)
    (identity,) = coord_deployments(world, "Identity")
    answer = deliver(world, webhook_payload(outcome_event(world, identity.id)))
    body = json.loads(answer.body)
    assert answer.status == 202
    assert body["recorded"] is True and body["advanced"] == [run_id]
    now = world.sim.clock.now()
    for project in ("Catalog", "Checkout"):
        (created,) = coord_deployments(world, project)
        assert created.created == now  # in the webhook's own request, not at a later tick
    # Octopus delivers the same payload again: recorded once, advanced once.
    again = json.loads(deliver(world, webhook_payload(outcome_event(world, identity.id))).body)
    assert again["recorded"] is False and again["advanced"] == []
    assert set(world.api_deployments().values()) == {1}


def test_a_webhook_for_another_environment_advances_nothing(world: PromotionWorld) -> None:
    started_with_identity(world)
    sim = world.sim
    sim.create_release("Identity", "1.3.0")
    deployment = sim.deploy("Identity", "1.3.0", "Development")
    sim.clock.advance(FINISHED)
    answer = json.loads(deliver(world, webhook_payload(outcome_event(world, deployment))).body)
    assert answer["recorded"] is True and answer["advanced"] == []


def test_news_arriving_while_another_invocation_advances_the_run_is_taken_up_by_it(
    world: PromotionWorld,
) -> None:
    run_id = started_with_identity(world)
    sim = world.sim
    (identity,) = coord_deployments(world, "Identity")
    answers = []
    tasks_read = sim.observations.route_count("GET /tasks")

    class NewsDuringTheAdvance:
        """The clock the ticking instance reads: right after it looked at the run's tasks (Identity
        still running), Identity finishes and its webhook reaches another instance."""

        def now(self):
            if not answers and sim.observations.route_count("GET /tasks") > tasks_read:
                sim.clock.advance(FINISHED)
                payload = webhook_payload(outcome_event(world, identity.id))
                answers.append(json.loads(deliver(world, payload).body))
            return sim.clock.now()

    ticking = world.fresh_services()
    ticking.clock = NewsDuringTheAdvance()
    try:
        result = advance_promptly(ticking, run_id)
    finally:
        ticking.close()
    assert answers and answers[0]["recorded"] is True
    assert answers[0]["advanced"] == []  # the lease was held: the news was left as a poke
    assert result.held and result.news is not None and result.news.source == WEBHOOK
    # The holder went round again after its first pass and started what Identity's end allows.
    assert len(coord_deployments(world, "Catalog")) == len(coord_deployments(world, "Checkout")) == 1
    steps = {s.project: s.status for s in result.run.steps if s.tenant is None}
    assert steps["Identity"] is StepStatus.SUCCEEDED
    assert steps["Catalog"] is StepStatus.RUNNING and steps["Checkout"] is StepStatus.RUNNING


def test_a_run_whose_lease_is_held_is_left_to_its_holder(world: PromotionWorld) -> None:
    run_id = started_with_identity(world)
    world.sim.clock.advance(FINISHED)
    table = runs(world.services).table
    now = world.sim.clock.now()
    assert acquire_lease(table, f"run:{run_id}", "another-instance", timedelta(minutes=2), now)
    (identity,) = coord_deployments(world, "Identity")
    answer = json.loads(deliver(world, webhook_payload(outcome_event(world, identity.id))).body)
    assert answer["recorded"] is True and answer["advanced"] == []
    assert coord_deployments(world, "Catalog") == []
    assert runs(world.services).read_poke(run_id).source == WEBHOOK


def event_of(world: PromotionWorld, deployment_id: str, category: str):
    return next(e for e in world.sim.events if deployment_id in e.related and e.category == category)


def test_a_spent_time_budget_starts_nothing_and_the_next_event_of_any_kind_carries_on(
    world: PromotionWorld,
) -> None:
    run_id = started_with_identity(world)
    world.sim.clock.advance(FINISHED)
    (identity,) = coord_deployments(world, "Identity")
    result = advance_promptly(world.services, run_id, news=WEBHOOK, deadline=time.monotonic())
    steps = {s.project: s.status for s in result.run.steps}
    assert steps["Identity"] is StepStatus.SUCCEEDED  # what happened is recorded...
    assert steps["Catalog"] is StepStatus.PLANNED  # ...but no deployment starts after the deadline
    assert coord_deployments(world, "Catalog") == []
    assert result.news.source == UNFINISHED
    # A "deployment started" event changes no decision, but a run left unfinished carries on with it.
    answer = json.loads(
        deliver(world, webhook_payload(event_of(world, identity.id, "DeploymentStarted"))).body
    )
    assert answer["advanced"] == [run_id]
    assert len(coord_deployments(world, "Catalog")) == 1


def test_queued_and_started_events_advance_no_run_with_nothing_left_to_start(world: PromotionWorld) -> None:
    run_id = started_with_identity(world)
    world.sim.clock.advance(timedelta(seconds=5))  # Identity's task has left the queue
    (identity,) = coord_deployments(world, "Identity")
    writes = world.services.store.operations.snapshot().writes
    for category in ("DeploymentQueued", "DeploymentStarted"):
        answer = json.loads(deliver(world, webhook_payload(event_of(world, identity.id, category))).body)
        assert answer["recorded"] is True and answer["advanced"] == []
    # They note once that webhooks arrive for the run, so a tick need not follow it.
    assert runs(world.services).read_poke(run_id).source == WEBHOOK
    assert world.services.store.operations.snapshot().writes - writes <= 8


def test_a_poll_that_sees_a_deployment_end_advances_its_run(world: PromotionWorld) -> None:
    run_id = started_with_identity(world)
    world.sim.clock.advance(FINISHED)
    notes = advance_after_poll(world.services, feed_service.poll(world.services))
    assert notes == [f"run {run_id}: advanced on news from the poll (Running)"]
    assert len(coord_deployments(world, "Catalog")) == 1


def test_reading_a_run_over_http_shows_it_as_of_now(world: PromotionWorld) -> None:
    run_id = started_with_identity(world)
    store = world.services.store
    request = Request("GET", route_params={"id": run_id})
    writes = store.operations.snapshot().writes
    body = json.loads(promotion_routes.get_promotion(request, world.services).body)
    assert store.operations.snapshot().writes == writes  # Identity still running: a look, no advance
    assert {p["project"]: p["status"] for p in body["projects"]}["Identity"] == "running"
    world.sim.clock.advance(FINISHED)
    body = json.loads(promotion_routes.get_promotion(request, world.services).body)
    statuses = {p["project"]: p["status"] for p in body["projects"] if not p.get("tenant")}
    assert statuses["Identity"] == "succeeded"
    assert statuses["Catalog"] == "running"
    assert body["status"] == RunPhase.RUNNING.value
