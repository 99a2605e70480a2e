"""The poller against the Octopus simulator over HTTP and Azurite: nothing lost, nothing twice, cheap."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from coord.domain.records import TaskState
from coord.entrypoints.http import feed as routes
from coord.entrypoints.http.messages import Request, serve
from coord.feed import service as feed_service
from coord.feed.freshness import read_freshness
from coord.feed.poller import PollOptions
from coord.feed.status import PollFreshness
from coord.octopus import OctopusError
from coord.store.leases import acquire_lease, read_lease


def recorded(coord) -> dict[str, object]:
    """Every stored deployment record by id, over a window wide enough for any test."""
    now = coord.services.clock.now()
    return {
        r.deployment_id: r
        for r in coord.services.repo.records_between(now - timedelta(days=30), now + timedelta(days=1))
    }


def expected(sim) -> dict[str, tuple[str, str, str | None, str]]:
    """What the simulator says happened: id -> (state, version, tenant, environment)."""
    found = {}
    for dep in sim.deployments.values():
        found[dep.id] = (
            sim.task_state(dep.id),
            sim.releases[dep.release_id].version,
            dep.tenant_id,
            dep.environment_id,
        )
    return found


def as_recorded(records) -> dict[str, tuple[str, str, str | None, str]]:
    return {i: (r.state.value, r.release_version, r.tenant_id, r.environment_id) for i, r in records.items()}


def project_names(sim) -> list[str]:
    return sorted(p.name for p in sim.projects.values() if p.tenanted_mode != "Tenanted")


def test_a_day_of_deployments_is_recorded_exactly(coord) -> None:
    sim = coord.octosim.sim
    names = project_names(sim)[:3]
    for n, name in enumerate(names):
        sim.create_release(name, f"9.{n}.0")
    outcomes = ["Success", "Failed", "Success", "TimedOut", "Canceled", "Success"]
    for hour in range(6):
        name = names[hour % len(names)]
        env = sim.environments_in_order()[0].name
        sim.deploy(
            name,
            f"9.{names.index(name)}.0",
            env,
            outcome=outcomes[hour],
            duration=timedelta(minutes=3),
            check_lifecycle=False,
        )
        for _ in range(6):
            sim.clock.advance(timedelta(minutes=10))
            assert feed_service.poll(coord.services) is not None
    sim.clock.advance(timedelta(minutes=10))
    feed_service.poll(coord.services)
    assert as_recorded(recorded(coord)) == expected(sim)


def test_an_idle_poll_makes_one_request_and_writes_nothing(coord) -> None:
    sim = coord.octosim.sim
    name = project_names(sim)[0]
    sim.create_release(name, "7.0.0")
    sim.deploy(name, "7.0.0", sim.environments_in_order()[0].name, check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=5))
    feed_service.poll(coord.services)
    sim.clock.advance(timedelta(minutes=1))
    before_requests = coord.octopus.request_count
    coord.services.store.operations.reset()
    report = coord.services.poller.poll(coord.services.clock.now())
    ops = coord.services.store.operations.snapshot()
    assert coord.octopus.request_count - before_requests == 1
    assert ops.writes == 0 and ops.transactions == 0 and ops.entities_written == 0
    assert report.records_written == 0


def test_tasks_in_flight_are_refreshed_until_they_complete(coord) -> None:
    sim = coord.octosim.sim
    name = project_names(sim)[0]
    sim.create_release(name, "7.1.0")
    dep = sim.deploy(
        name,
        "7.1.0",
        sim.environments_in_order()[0].name,
        duration=timedelta(minutes=30),
        check_lifecycle=False,
    )
    sim.clock.advance(timedelta(minutes=1))
    feed_service.poll(coord.services)
    assert recorded(coord)[dep].state is TaskState.EXECUTING
    assert dep in coord.services.repo.inflight()
    sim.clock.advance(timedelta(minutes=40))
    feed_service.poll(coord.services)
    assert recorded(coord)[dep].state is TaskState.SUCCESS
    assert coord.services.repo.inflight() == {}


def test_an_outage_of_hours_with_faults_is_caught_up_page_by_page(coord) -> None:
    sim = coord.octosim.sim
    feed_service.poll(coord.services)
    names = project_names(sim)
    envs = [e.name for e in sim.environments_in_order()]
    for n, name in enumerate(names):
        sim.create_release(name, f"5.{n}.0")
    for i in range(60):  # six hours of deployments while coord is down
        name = names[i % len(names)]
        sim.deploy(
            name,
            f"5.{names.index(name)}.0",
            envs[i % 2],
            outcome="Failed" if i % 7 == 0 else "Success",
            check_lifecycle=False,
        )
        sim.clock.advance(timedelta(minutes=6))
    sim.faults.add(route="events", status=503, count=2)
    sim.faults.add(route="tasks", status=429, retry_after=1, count=1)
    # No time budget: each poll reads the newest page and one page of the catch-up, oldest first.
    coord.services.poller._options = PollOptions(first_page=30, catch_up_page=30, budget=timedelta(0))
    polls = 0
    while True:
        polls += 1
        report = feed_service.poll(coord.services)
        assert report is not None
        if report.caught_up:
            break
        assert polls < 20
    assert polls > 1, "a backlog this size should take several bounded polls"
    sim.clock.advance(timedelta(minutes=5))
    feed_service.poll(coord.services)
    assert as_recorded(recorded(coord)) == expected(sim)


def test_duplicate_and_out_of_order_webhooks_change_nothing(coord) -> None:
    sim = coord.octosim.sim
    feed_service.poll(coord.services)
    name = project_names(sim)[0]
    sim.create_release(name, "8.0.0")
    dep = sim.deploy(name, "8.0.0", sim.environments_in_order()[0].name, check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=5))
    events = [e for e in sim.events_newest_first() if dep in e.related]
    assert len(events) >= 3
    payloads = [webhook_payload(e) for e in events]  # newest first: out of order
    answers = [deliver(coord, p) for p in payloads + payloads]
    assert [a.status for a in answers] == [202] * len(answers)
    bodies = [json.loads(a.body) for a in answers]
    assert [b["recorded"] for b in bodies] == [True] * len(events) + [False] * len(events)
    record = recorded(coord)[dep]
    assert record.state is TaskState.SUCCESS
    written_before = coord.services.store.operations.snapshot().entities_written
    feed_service.poll(coord.services)
    assert as_recorded(recorded(coord)) == expected(sim)
    written = coord.services.store.operations.snapshot().entities_written - written_before
    assert written <= 3  # the lease, the cursor and when the poll ran; no record or matrix cell


def test_a_webhook_with_a_wrong_secret_is_refused(coord) -> None:
    answer = deliver(coord, {"EventType": "SubscriptionPayload"}, secret="nope")
    assert answer.status == 401
    assert json.loads(answer.body)["status"] == 401


def test_a_malformed_webhook_is_answered_2xx_and_names_the_field(coord) -> None:
    # A non-2xx answer stops the rest of Octopus's batch (octopus-api-checked.md §7, Issue 7216).
    answer = deliver(coord, {"EventType": "SubscriptionPayload", "Payload": {"Event": {"Id": "Events-1"}}})
    assert answer.status == 200
    body = json.loads(answer.body)
    assert body["recorded"] is False
    assert "Payload.Event.Category" in body["detail"]
    request = Request("POST", headers={"X-Coord-Secret": "s3cret"}, body=b"not json")
    answer = serve(lambda r: routes.octopus_events(r, coord.services), request)
    assert answer.status == 200
    assert "not valid JSON" in json.loads(answer.body)["detail"]


def test_tenanted_deployments_are_recorded_per_tenant(coord) -> None:
    sim = coord.octosim.sim
    tenanted = [p for p in sim.projects.values() if p.tenanted_mode != "Untenanted"]
    assert tenanted, "the small world has a tenanted project"
    project = tenanted[0]
    tenants = sim.connected_tenants(project.id)
    assert len(tenants) >= 2
    sim.create_release(project.name, "4.4.0")
    for tenant in tenants:
        env_id = tenant.project_environments[project.id][0]
        sim.deploy(
            project.name, "4.4.0", sim.environments[env_id].name, tenant=tenant.name, check_lifecycle=False
        )
    sim.clock.advance(timedelta(minutes=5))
    feed_service.poll(coord.services)
    cells = [c for c in coord.services.repo.matrix() if c.project_id == project.id]
    assert {c.tenant_id for c in cells} == {t.id for t in tenants}
    assert all(c.latest.release_version == "4.4.0" and c.is_current_success for c in cells)


def test_reconciliation_repairs_what_the_feed_missed(coord) -> None:
    sim = coord.octosim.sim
    feed_service.poll(coord.services)
    name = project_names(sim)[0]
    sim.create_release(name, "6.0.0")
    dep = sim.deploy(name, "6.0.0", sim.environments_in_order()[0].name, check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=5))
    # The feed loses this deployment's events (as a real server's feed may, for events written late).
    with sim.lock:
        sim.events[:] = [e for e in sim.events if dep not in e.related]
        sim.events_by_id = {e.id: e for e in sim.events}
        sim._events_sorted = None
    feed_service.poll(coord.services)
    assert dep not in recorded(coord)
    sim.clock.advance(timedelta(minutes=16))
    report = feed_service.poll(coord.services)
    assert report is not None and report.reconciled
    assert recorded(coord)[dep].state is TaskState.SUCCESS


def test_a_second_poll_while_one_runs_does_nothing(coord) -> None:
    now = coord.services.clock.now()
    assert acquire_lease(
        coord.services.store.table("state"), "poll", "someone-else", feed_service.POLL_LEASE_TTL, now
    )
    before = coord.octopus.request_count
    assert feed_service.poll(coord.services) is None
    assert coord.octopus.request_count == before


def test_status_shows_the_latest_deployment_per_project_and_environment(coord) -> None:
    sim = coord.octosim.sim
    name = "Catalog"
    env = sim.environments_in_order()[0].name
    sim.create_release(name, "3.0.0")
    sim.create_release(name, "3.1.0")
    sim.deploy(name, "3.0.0", env, check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=5))
    sim.deploy(name, "3.1.0", env, outcome="Failed", check_lifecycle=False)
    sim.clock.advance(timedelta(minutes=5))
    feed_service.poll(coord.services)
    answer = routes.status(Request("GET"), coord.services)
    body = json.loads(answer.body)
    catalog = next(p for p in body["projects"] if p["name"] == name)
    (entry,) = catalog["environments"][env]
    assert (entry["version"], entry["state"]) == ("3.1.0", "Failed")
    assert catalog["groups"] == ["shop"]


def webhook_payload(event) -> dict[str, object]:
    return {
        "Timestamp": event.occurred.isoformat(),
        "EventType": "SubscriptionPayload",
        "Payload": {
            "ServerUri": None,
            "Subscription": {"Name": "coord"},
            "Event": {
                "Id": event.id,
                "Category": event.category,
                "Occurred": event.occurred.isoformat(),
                "RelatedDocumentIds": event.related,
                "Message": event.message,
                "Username": event.username,
            },
            "TotalEventsInBatch": 1,
            "EventNumberInBatch": 1,
        },
    }


def deliver(coord, payload, secret: str = "s3cret"):
    request = Request("POST", headers={"X-Coord-Secret": secret}, body=json.dumps(payload).encode())
    return serve(lambda r: routes.octopus_events(r, coord.services), request)


class _RushingClock:
    """A clock that moves two minutes each time it is read, and lets a rival try the lease each time."""

    def __init__(self, sim_clock, rival) -> None:
        self.offset = timedelta(0)
        self.sim_clock = sim_clock
        self.rival = rival

    def now(self):
        self.offset += timedelta(minutes=2)
        moment = self.sim_clock.now() + self.offset
        self.rival(moment)
        return moment


def test_a_catch_up_longer_than_the_lease_keeps_it_to_the_end(coord) -> None:
    sim = coord.octosim.sim
    feed_service.poll(coord.services)
    names = project_names(sim)
    for n, name in enumerate(names):
        sim.create_release(name, f"2.{n}.0")
    for i in range(40):
        name = names[i % len(names)]
        sim.deploy(name, f"2.{names.index(name)}.0", "Development", check_lifecycle=False)
        sim.clock.advance(timedelta(minutes=3))
    coord.services.poller._options = PollOptions(first_page=20, catch_up_page=20)
    table = coord.services.store.table("state")
    rival_wins = []

    def rival(moment) -> None:
        # Only while our poll holds the lease: before it and after it, taking it is fair.
        held = read_lease(table, "poll")
        ours = held is not None and held.holder != "rival"
        if ours and acquire_lease(table, "poll", "rival", timedelta(seconds=1), moment) is not None:
            rival_wins.append(moment)

    coord.services.clock = _RushingClock(sim.clock, rival)
    report = feed_service.poll(coord.services)
    assert report is not None and report.caught_up
    assert coord.services.clock.offset > feed_service.POLL_LEASE_TTL  # the poll outlived one lease period
    assert rival_wins == []


def test_each_poll_notes_when_it_ran_and_a_failed_one_why(coord, quick_retries) -> None:
    sim = coord.octosim.sim
    state = coord.services.store.table("state")
    assert read_freshness(state) == PollFreshness()
    feed_service.poll(coord.services)
    worked = coord.services.clock.now()
    assert read_freshness(state) == PollFreshness(worked, worked, "")
    sim.clock.advance(timedelta(minutes=20))
    fault = sim.faults.add(status=503)
    with pytest.raises(OctopusError):
        feed_service.poll(coord.services)
    sim.faults.remove(fault)
    failed = read_freshness(state)
    assert (failed.last_attempt, failed.last_success) == (coord.services.clock.now(), worked)
    assert "503" in failed.error and failed.stale(coord.services.clock.now())
