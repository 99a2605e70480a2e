"""/_sim/: the request log, counters by route, deployments created, reset."""

from __future__ import annotations


def test_counters_count_requests_by_route_and_deployments_created(octosim, api):
    sim = octosim.sim
    api.get("/api/events")
    api.get("/api/Spaces-1/events?take=5")
    api.post(
        "/api/deployments",
        json={
            "ReleaseId": sim.release("Catalog", "2.3.0").id,
            "EnvironmentId": sim.environment("Production").id,
        },
    )
    counters = api.get("/_sim/counters").json()
    assert counters["by_route"]["GET /events"] == 2
    assert counters["by_route"]["POST /deployments"] == 1
    assert counters["counters"]["deployments_created"] == 1
    assert counters["requests"] == 3
    assert counters["by_status"] == {"200": 2, "201": 1}


def test_the_request_log_records_each_request_in_order(octosim, api):
    api.get("/api/projects?take=2")
    api.get("/api/tasks/ServerTasks-404")
    log = api.get("/_sim/requests").json()
    assert [(r["method"], r["route"], r["status"]) for r in log] == [
        ("GET", "GET /projects", 200),
        ("GET", "GET /tasks/{id}", 404),
    ]
    assert log[0]["query"] == "take=2"


def test_reset_clears_log_counters_and_faults(octosim, api):
    octosim.sim.faults.add("GET /projects", status=500)
    api.get("/api/projects")
    api.post("/_sim/reset")
    assert api.get("/_sim/counters").json()["requests"] == 0
    assert api.get("/api/projects").status_code == 200


def test_the_clock_can_be_advanced_over_http(octosim, api):
    before = api.get("/_sim/clock").json()["now"]
    after = api.post("/_sim/clock/advance", json={"seconds": 3600}).json()["now"]
    assert (before, after) == ("2026-11-26T09:00:00.000+00:00", "2026-11-26T10:00:00.000+00:00")
