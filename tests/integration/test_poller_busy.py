"""The poller against a busy Octopus and the ways real servers differ (octopus-api-checked.md).

Each test states the fact it relies on and its public source; the simulator honours the same
facts (tests/simulator/test_fidelity.py).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from coord.domain.records import TaskState
from coord.feed import service as feed_service
from coord.feed.dashboard import current_items
from coord.feed.poller import PollOptions
from coord.octopus import OctopusError
from tests.integration.test_poller import deliver, recorded, webhook_payload

TENANTS = 400


def fan_out(sim) -> str:
    """One release of a tenanted project deployed to 400 tenants at once: 1,200 events in half a minute."""
    project = sim.add_project("Fleet", tenanted="Tenanted")
    for n in range(TENANTS):
        sim.add_tenant(f"Customer {n:03d}", {project: ["Development"]})
    sim.create_release(project, "1.0.0")
    for n in range(TENANTS):
        sim.deploy(
            project, "1.0.0", "Development", tenant=f"Customer {n:03d}", duration=30, check_lifecycle=False
        )
    sim.clock.advance(timedelta(minutes=1))
    return project


def after_a_fan_out(coord, tag: int) -> list[str]:
    """A fan-out recorded, then 20 new deployments two minutes old: the fan-out is still in the overlap."""
    sim = coord.octosim.sim
    feed_service.poll(coord.services)
    fan_out(sim)
    feed_service.poll(coord.services)
    made = deploy_twenty(sim, tag)
    sim.clock.advance(timedelta(minutes=2))
    return made


def deploy_twenty(sim, tag: int) -> list[str]:
    made = []
    for n in range(20):
        project = ("Identity", "Catalog")[n % 2]
        version = f"{tag}.{n}.0"
        sim.create_release(project, version)
        made.append(sim.deploy(project, version, "Development", check_lifecycle=False))
    return made


def test_after_a_fan_out_twenty_new_deployments_cost_at_most_five_requests(coord) -> None:
    made = after_a_fan_out(coord, 40)
    before = coord.octopus.request_count
    report = coord.services.poller.poll(coord.services.clock.now())
    # The overlap behind the cursor still holds the fan-out's 1,200 known events: they are counted
    # (TotalResults), not read again.
    assert coord.octopus.request_count - before <= 5
    assert report.events_read <= coord.services.poller._options.first_page
    stored = recorded(coord)
    assert all(stored[d].state is TaskState.SUCCESS for d in made)
    # What a poll changed, by deployment id: what a run waiting on these deployments looks for.
    assert set(report.changed_deployment_ids) == set(made)


def test_an_event_written_late_inside_the_overlap_is_never_missed(coord) -> None:
    sim = coord.octosim.sim
    made = after_a_fan_out(coord, 41)
    # Written now, every event of it Occurred among the fan-out's known events inside the overlap,
    # below the newest page.
    sim.create_release("Checkout", "3.9.0")
    when = sim.clock.now() - timedelta(seconds=170)
    late = sim.deploy("Checkout", "3.9.0", "Staging", at=when, duration=5, check_lifecycle=False)
    assert sim.events_newest_first()[99].occurred > when + timedelta(seconds=10)
    report = coord.services.poller.poll(coord.services.clock.now())
    stored = recorded(coord)
    assert stored[late].state is TaskState.SUCCESS
    assert all(d in stored for d in made)
    assert report.events_read > coord.services.poller._options.first_page  # the overlap was read


def test_discrete_channel_cells_are_grouped_so_reconciliation_fetches_them_once(coord) -> None:
    # octopus-api-checked.md §4: with discrete channel releases the dashboard shows each channel's
    # latest deployment, several items for one project, environment and tenant (Issues 5721, 7227).
    sim = coord.octosim.sim
    checkout = sim.project("Checkout")
    checkout.discrete_channel_release = True
    hotfix = sim.add_channel("Checkout", "Hotfix")
    sim.create_release("Checkout", "3.1.1", channel=hotfix)
    sim.deploy("Checkout", "3.1.1", "Staging", check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=5))
    sim.create_release("Checkout", "3.2.0")
    sim.deploy("Checkout", "3.2.0", "Staging", check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=5))
    items = coord.octopus.dashboard(show_all=True).Items
    staging = sim.environment("Staging").id
    assert len([i for i in items if (i.ProjectId, i.EnvironmentId) == (checkout.id, staging)]) == 2
    feed_service.poll(coord.services)
    cells = {c.latest.matrix_key: c.latest for c in coord.services.repo.matrix()}
    assert cells[(checkout.id, staging, None)].release_version == "3.2.0"
    for _ in range(2):
        sim.clock.advance(timedelta(minutes=16))
        before = coord.octopus.request_counts.get("GET deployments", 0)
        report = feed_service.poll(coord.services)
        assert report is not None and report.reconciled
        assert coord.octopus.request_counts.get("GET deployments", 0) == before


def test_releases_are_read_by_id_when_the_root_template_has_no_ids(coord) -> None:
    # octopus-api-checked.md §1: `releases{?…,ids}` is in real root documents of 2019-2023 but not
    # in the 2026 reference; a server without it would ignore `ids` and list every release.
    sim = coord.octosim.sim
    sim.traits.releases_by_ids = False
    feed_service.poll(coord.services)
    sim.create_release("Catalog", "2.4.0")
    dep = sim.deploy("Catalog", "2.4.0", "Development", check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=2))
    feed_service.poll(coord.services)
    assert recorded(coord)[dep].release_version == "2.4.0"
    counts = coord.octopus.request_counts
    assert counts.get("GET releases", 0) == 0
    assert counts["GET release"] > 0


def test_unlisted_categories_are_logged_once_and_task_refresh_covers_them(coord, caplog) -> None:
    # octopus-api-checked.md §2: DeploymentResumed, ManualInterventionInterruptionRaised and
    # TaskCanceled are unconfirmed ids; `events/categories` lists the real ones.
    sim = coord.octosim.sim
    unlisted = {"DeploymentResumed", "ManualInterventionInterruptionRaised", "TaskCanceled"}
    sim.traits.missing_categories = set(unlisted)
    caplog.set_level(logging.WARNING, logger="coord.feed.poller")
    feed_service.poll(coord.services)
    waiting = sim.deploy(
        "Identity", "1.1.0", "Development", outcome="ManualIntervention", check_lifecycle=False
    )
    running = sim.deploy("Catalog", "2.3.0", "Development", duration=600, check_lifecycle=False)
    queued = sim.deploy("Catalog", "2.3.0", "Staging", queue_delay=600, check_lifecycle=False)
    sim.clock.advance(timedelta(seconds=20))
    feed_service.poll(coord.services)
    sim.cancel_task(sim.deployments[running].task_id)
    sim.cancel_task(sim.deployments[queued].task_id)
    sim.clock.advance(timedelta(seconds=5))
    feed_service.poll(coord.services)
    stored = recorded(coord)
    assert stored[waiting].pending_interruptions == ("ManualIntervention",)
    assert stored[running].state is TaskState.CANCELED
    assert stored[queued].state is TaskState.CANCELED
    warnings = [r.getMessage() for r in caplog.records if "event categories" in r.getMessage()]
    assert len(warnings) == 1
    assert all(name in warnings[0] for name in unlisted)
    assert not any(c in unlisted for c in coord.services.poller.categories())


def test_the_dashboard_is_read_with_show_all_so_the_users_project_limit_hides_nothing(coord) -> None:
    # octopus-api-checked.md §4: the dashboard follows the API user's settings and ProjectLimit
    # (IsFiltered) unless asked for all.
    sim = coord.octosim.sim
    sim.traits.dashboard_project_limit = 1
    assert coord.octopus.dashboard().IsFiltered
    feed_service.poll(coord.services)
    dashboard = coord.octopus.dashboard(show_all=True)
    assert not dashboard.IsFiltered
    cells = {c.latest.matrix_key: c.latest.deployment_id for c in coord.services.repo.matrix()}
    assert {k: i.DeploymentId for k, i in current_items(dashboard.Items).items()} == cells


def test_the_matrix_is_right_after_the_first_poll_while_history_fills_in(coord) -> None:
    sim = coord.octosim.sim
    coord.services.poller._options = PollOptions(first_page=5, catch_up_page=5, budget=timedelta(0))
    report = feed_service.poll(coord.services)
    assert report is not None and not report.caught_up
    dashboard = coord.octopus.dashboard(show_all=True)
    cells = {
        c.latest.matrix_key: (c.latest.deployment_id, c.latest.release_version)
        for c in coord.services.repo.matrix()
    }
    assert cells == {k: (i.DeploymentId, i.ReleaseVersion) for k, i in current_items(dashboard.Items).items()}
    polls = 1
    while not report.caught_up:
        report = feed_service.poll(coord.services)
        polls += 1
        assert polls < 30
    assert set(recorded(coord)) == set(sim.deployments)


def test_a_webhook_records_before_asking_octopus_and_leaves_a_slow_octopus_to_the_poll(coord) -> None:
    # octopus-api-checked.md §7: a reply slower than the subscription's timeout (10 s) is sent again.
    sim = coord.octosim.sim
    feed_service.poll(coord.services)
    sim.create_release("Catalog", "2.5.0")
    dep = sim.deploy("Catalog", "2.5.0", "Development", check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=2))
    event = next(e for e in sim.events_newest_first() if dep in e.related)
    sim.faults.add(route="GET /deployments", timeout=4, count=1)
    answer = deliver(coord, webhook_payload(event))
    assert answer.status == 202
    body = json.loads(answer.body)
    assert body["recorded"] is True
    assert "next poll" in body["detail"]
    inbox = coord.services.store.table("inbox")
    assert [r["DeploymentId"] for r in inbox.partition("pending")] == [dep]
    assert dep not in recorded(coord)
    report = feed_service.poll(coord.services)
    assert report is not None and report.webhook_backlog == 1
    assert recorded(coord)[dep].state is TaskState.SUCCESS
    assert list(inbox.partition("pending")) == []


def test_a_failing_dashboard_fails_the_poll_but_the_feed_is_read_first(coord) -> None:
    sim = coord.octosim.sim
    sim.faults.add(route="GET /dashboard", status=500)
    with pytest.raises(OctopusError):
        feed_service.poll(coord.services)
    assert set(recorded(coord)) == set(sim.deployments)
    sim.faults.clear()
    report = feed_service.poll(coord.services)
    assert report is not None and report.reconciled
