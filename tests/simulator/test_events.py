"""§3 Events and Holdouts 10, 11, 18: deployment events, their messages, ids, order and filters."""

from __future__ import annotations

from datetime import timedelta


def _deployment_events(api, dep_id):
    return [e for e in api.get(f"/api/events?regarding={dep_id}&take=100").json()["Items"]]


def test_a_deployment_writes_queued_started_and_succeeded_events_with_octopus_messages(octosim, api):
    sim = octosim.sim
    dep = sim.deploy("Catalog", "2.3.0", "Production")
    sim.clock.advance(timedelta(minutes=1))
    events = _deployment_events(api, dep)
    assert [e["Category"] for e in events] == ["DeploymentSucceeded", "DeploymentStarted", "DeploymentQueued"]
    assert events[0]["Message"] == "Deploy to Production succeeded for Catalog release 2.3.0 to Production"
    assert events[1]["Message"] == "Deploy to Production started  for Catalog release 2.3.0 to Production"


def test_a_redeployment_is_numbered_in_the_message(octosim, api):
    sim = octosim.sim
    sim.deploy("Catalog", "2.3.0", "Staging", outcome="Failed")
    sim.clock.advance(timedelta(minutes=1))
    failed = api.get("/api/events?eventCategories=DeploymentFailed").json()["Items"][0]
    assert failed["Message"] == "Deploy to Staging (#2) failed for Catalog release 2.3.0 to Staging"


def test_related_document_ids_come_in_octopus_order(octosim, api):
    sim = octosim.sim
    dep_id = sim.deploy("Catalog", "2.3.0", "Production")
    dep = sim.deployments[dep_id]
    event = _deployment_events(api, dep_id)[0]
    assert event["RelatedDocumentIds"] == [
        dep.id,
        dep.project_id,
        dep.release_id,
        dep.environment_id,
        dep.task_id,
        dep.channel_id,
    ]


def test_tenanted_deployment_events_name_the_tenant_last(octosim, api):
    sim = octosim.sim
    dep_id = sim.deploy("Payments", "0.9.0", "Staging", tenant="Acme")
    event = _deployment_events(api, dep_id)[0]
    assert event["RelatedDocumentIds"][-1] == sim.tenant("Acme").id
    assert event["Message"].endswith(" for Acme")


def test_server_written_events_are_by_the_system_user(octosim, api):
    started = api.get("/api/events?eventCategories=DeploymentStarted").json()["Items"][0]
    assert (started["UserId"], started["Username"], started["UserAgent"]) == (
        "users-system",
        "system",
        "Server",
    )
    assert started["Id"].startswith("Events-")
    assert started["Links"]["Self"] == f"/api/events/{started['Id']}"


def test_events_are_newest_first_by_occurred_and_id(api):
    items = api.get("/api/events?take=1000").json()["Items"]
    keys = [(e["Occurred"], int(e["Id"].split("-")[1])) for e in items]
    assert keys == sorted(keys, reverse=True)


def test_events_written_later_with_an_older_time_still_sort_by_occurred(octosim, api):
    sim = octosim.sim
    newest = api.get("/api/events?take=1").json()["Items"][0]
    late = sim.add_event("DeploymentQueued", "late", ["Deployments-1"], sim.clock.now() - timedelta(days=3))
    items = api.get("/api/events?take=1").json()["Items"]
    assert items[0]["Id"] == newest["Id"]
    assert int(late.id.split("-")[1]) > int(newest["Id"].split("-")[1])


def test_from_auto_id_returns_that_event_and_later_ones(octosim, api):
    sim = octosim.sim
    mark = len(sim.events)
    sim.deploy("Catalog", "2.3.0", "Production")
    items = api.get(f"/api/events?fromAutoId={mark + 1}").json()["Items"]
    assert [e["Id"] for e in items] == [f"Events-{mark + 1}"]


def test_list_filters_accept_comma_separated_and_repeated_values(octosim, api):
    comma = api.get("/api/events?take=1000&eventCategories=DeploymentFailed,DeploymentSucceeded").json()
    repeated = api.get(
        "/api/events?take=1000&eventCategories=DeploymentFailed&eventCategories=DeploymentSucceeded"
    )
    assert comma["TotalResults"] == repeated.json()["TotalResults"] > 0
    assert {e["Category"] for e in comma["Items"]} == {"DeploymentFailed", "DeploymentSucceeded"}


def test_events_filter_by_project_and_environment(octosim, api):
    sim = octosim.sim
    identity, staging = sim.project("Identity").id, sim.environment("Staging").id
    items = api.get(f"/api/Spaces-1/events?take=1000&projects={identity}&environments={staging}").json()[
        "Items"
    ]
    assert items
    assert all(identity in e["RelatedDocumentIds"] and staging in e["RelatedDocumentIds"] for e in items)


def test_events_appear_only_once_the_clock_passes_them(octosim, api):
    sim = octosim.sim
    dep = sim.deploy("Catalog", "2.3.0", "Production")
    assert [e["Category"] for e in _deployment_events(api, dep)] == ["DeploymentQueued"]
    sim.clock.advance(timedelta(seconds=2))
    assert [e["Category"] for e in _deployment_events(api, dep)] == ["DeploymentStarted", "DeploymentQueued"]


def test_a_canceled_deployment_writes_task_canceled(octosim, api):
    sim = octosim.sim
    dep = sim.deploy("Catalog", "2.3.0", "Production")
    sim.cancel_task(sim.deployments[dep].task_id)
    assert _deployment_events(api, dep)[0]["Category"] == "TaskCanceled"
