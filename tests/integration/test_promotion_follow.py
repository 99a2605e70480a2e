"""Following runs by their tasks: `promote --wait`, and the tick that follows until the next one is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coord import heartbeat
from coord.promotion.events import WEBHOOK, advance_promptly
from coord.promotion.model import RunPhase, StepStatus
from coord.promotion.pace import FOLLOW_PACE, WAIT_PACE, watched_tasks
from coord.promotion.runner import runs
from coord.promotion.watch import FOLLOW_MARGIN, Follower, follow_run
from tests.integration import test_promotion_world as promotion_world
from tests.integration.test_promotion_events import coord_deployments
from tests.integration.test_promotion_world import PromotionWorld

world = promotion_world.world  # the fixture, shared with the other promotion tests


def on_the_minute(world: PromotionWorld) -> datetime:
    """Move the simulator to the next whole minute, when the default tick schedule fires."""
    now = world.sim.clock.now()
    minute = datetime(now.year, now.month, now.day, now.hour, now.minute, tzinfo=UTC) + timedelta(minutes=1)
    world.sim.clock.set(minute)
    world.services.sleep = world.sim.clock.advance
    return minute


def completed(world: PromotionWorld, deployment) -> datetime:
    return world.sim.tasks[deployment.task_id].completed_time


def test_a_tick_follows_a_run_in_flight_and_starts_what_waits_at_once(world: PromotionWorld) -> None:
    tick_at = on_the_minute(world)
    world.promote()
    report = heartbeat.tick(world.services, follow=True)
    # The follow stopped before the next tick is due, and never ran past it.
    assert world.sim.clock.now() <= tick_at + timedelta(minutes=1) - FOLLOW_MARGIN
    assert any(note.startswith("followed 1 run(s)") for note in report.notes), report.notes
    (identity,) = coord_deployments(world, "Identity")
    for project in ("Catalog", "Checkout"):
        (dependent,) = coord_deployments(world, project)
        # Within one look (at this age, about a second) of Identity's end, not at the next tick.
        assert timedelta(0) <= dependent.created - completed(world, identity) <= timedelta(seconds=2)


def test_a_tick_leaves_a_run_that_webhooks_report_to_them(world: PromotionWorld) -> None:
    tick_at = on_the_minute(world)
    run_id = world.promote().run.id
    runs(world.services).poke(run_id, tick_at, WEBHOOK)
    report = heartbeat.tick(world.services, follow=True)
    assert world.sim.clock.now() == tick_at
    assert not any(note.startswith("followed") for note in report.notes)


def test_a_tick_without_follow_returns_at_once(world: PromotionWorld) -> None:
    tick_at = on_the_minute(world)
    world.promote()
    heartbeat.tick(world.services)
    assert world.sim.clock.now() == tick_at


def test_waiting_follows_a_run_to_its_end_and_each_project_starts_as_its_needs_end(
    world: PromotionWorld,
) -> None:
    on_the_minute(world)
    started = world.promote().run
    seen = []
    run = follow_run(world.services, started, WAIT_PACE, on_change=seen.append, limit=60)
    assert run.phase is RunPhase.SUCCEEDED, run.outcome
    assert seen[-1].phase is RunPhase.SUCCEEDED
    (identity,) = coord_deployments(world, "Identity")
    (catalog,) = coord_deployments(world, "Catalog")
    (checkout,) = coord_deployments(world, "Checkout")
    # The first level is seen ending within a tenth of its age (the simulator's tasks take 32 s)...
    first_look = timedelta(seconds=WAIT_PACE.fraction * 35)
    assert timedelta(0) <= catalog.created - completed(world, identity) <= first_look
    assert timedelta(0) <= checkout.created - completed(world, identity) <= first_look
    # ...and once tasks of the run have ended, a look comes when the others are due to end.
    needs_done = max(completed(world, catalog), completed(world, checkout))
    for payments in coord_deployments(world, "Payments"):
        assert timedelta(0) <= payments.created - needs_done <= timedelta(seconds=WAIT_PACE.floor * 2)
    assert set(world.api_deployments().values()) == {1}


def test_a_follower_learns_how_long_the_runs_tasks_take_from_those_that_ended(world: PromotionWorld) -> None:
    run = world.promote().run
    world.sim.clock.advance(timedelta(seconds=40))
    run = advance_promptly(world.services, run.id).run
    assert {s.project: s.status for s in run.steps}["Identity"] is StepStatus.SUCCEEDED
    follower = Follower(world.services, FOLLOW_PACE)
    before = world.services.octopus.request_count
    assert follower.look({run.id: run}, watched_tasks(run)) == set()  # Catalog and Checkout still run
    assert world.services.octopus.request_count - before == 1  # the ended task came in the same request
    # Identity's task: queued 2 s, then 30 s (the simulator's default).
    assert follower.durations == [timedelta(seconds=32)]
