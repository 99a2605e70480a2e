"""Fault injection over real HTTP: statuses, 429 + Retry-After, latency, timeouts, lost responses."""

from __future__ import annotations

import time

import httpx
import pytest


def test_an_error_status_uses_the_octopus_error_body_for_500(octosim, api):
    octosim.sim.faults.add("GET /projects", status=500, count=1)
    failed = api.get("/api/projects")
    assert failed.status_code == 500
    assert failed.json()["ErrorMessage"]
    assert api.get("/api/projects").status_code == 200


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_come_back_as_html_like_a_proxy(octosim, api, status):
    octosim.sim.faults.add("GET /events", status=status)
    response = api.get("/api/events")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")


def test_429_carries_retry_after(octosim, api):
    octosim.sim.faults.add("GET /dashboard", status=429, retry_after=3, count=1)
    response = api.get("/api/dashboard")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")


def test_a_rate_fires_on_roughly_that_share_of_requests(octosim, api):
    octosim.sim.faults.add("GET /projects/all", status=503, rate=0.5)
    statuses = [api.get("/api/projects/all").status_code for _ in range(60)]
    assert 15 < statuses.count(503) < 45


def test_routes_match_by_glob_and_other_routes_are_untouched(octosim, api):
    octosim.sim.faults.add("GET /tasks*", status=502)
    assert api.get("/api/tasks/ServerTasks-1").status_code == 502
    assert api.get("/api/projects").status_code == 200


def test_latency_delays_the_answer(octosim, api):
    octosim.sim.faults.add("GET /projects", latency=0.3)
    started = time.monotonic()
    assert api.get("/api/projects").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_a_timeout_holds_the_connection_without_answering(octosim):
    octosim.sim.faults.add("GET /events", timeout=2, count=1)
    with httpx.Client(
        base_url=octosim.url, headers={"X-Octopus-ApiKey": octosim.api_key}, timeout=0.3
    ) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/api/events")
        assert client.get("/api/events").status_code == 200


def test_a_lost_response_commits_the_deployment_but_drops_the_connection(octosim, api):
    sim = octosim.sim
    sim.faults.add("POST /deployments", lost_response=True, count=1)
    body = {
        "ReleaseId": sim.release("Catalog", "2.3.0").id,
        "EnvironmentId": sim.environment("Production").id,
        "Comments": "idempotency-key-42",
    }
    with pytest.raises(httpx.TransportError):
        api.post("/api/deployments", json=body)
    found = [d for d in api.get("/api/deployments").json()["Items"] if d["Comments"] == "idempotency-key-42"]
    assert len(found) == 1
    assert sim.observations.counter("deployments_created") == 1


def test_a_failing_status_does_not_commit(octosim, api):
    sim = octosim.sim
    sim.faults.add("POST /deployments", status=503, count=1)
    body = {
        "ReleaseId": sim.release("Catalog", "2.3.0").id,
        "EnvironmentId": sim.environment("Production").id,
    }
    assert api.post("/api/deployments", json=body).status_code == 503
    assert sim.observations.counter("deployments_created") == 0


def test_faults_can_be_set_over_http(octosim, api):
    assert api.post("/_sim/faults", json={"route": "GET /environments/all", "status": 500}).status_code == 201
    assert api.get("/api/environments/all").status_code == 500
    assert api.delete("/_sim/faults").status_code == 200
    assert api.get("/api/environments/all").status_code == 200
