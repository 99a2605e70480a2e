"""GET /api/gates/{group}/{environment} against the simulator's world, polled into Azurite."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from coord.entrypoints.http.locks import gate
from coord.entrypoints.http.messages import Request, serve
from coord.feed import service as feed_service


def ask(coord, group: str = "shop", environment: str = "Staging", **query: str) -> tuple[int, dict[str, Any]]:
    request = Request("GET", {"group": group, "environment": environment}, query)
    response = serve(lambda r: gate(r, coord.services), request)
    return response.status, json.loads(response.body)


def poll(coord, minutes: float = 5) -> None:
    coord.octosim.sim.clock.advance(timedelta(minutes=minutes))
    assert feed_service.poll(coord.services) is not None


def waiting(doc: dict[str, Any]) -> set[tuple[str, str | None, str]]:
    return {(w["project"], w["tenant"], w["reason"]) for w in doc["waiting_for"]}


def test_the_gate_waits_for_every_tenant_of_a_tenanted_project(coord) -> None:
    poll(coord)
    status, doc = ask(coord)
    assert status == 200
    assert doc["open"] is False
    assert waiting(doc) == {("Payments", "Acme", "not deployed"), ("Payments", "Globex", "not deployed")}
    assert doc["projects"] == ["Identity", "Catalog", "Checkout", "Payments"]


def test_the_gate_opens_when_every_project_is_current_and_successful(coord) -> None:
    sim = coord.octosim.sim
    for tenant in ("Acme", "Globex"):
        sim.deploy("Payments", "0.9.0", "Staging", tenant=tenant, check_lifecycle=False)
    poll(coord)
    status, doc = ask(coord, environment="staging")  # names are case-insensitive
    assert (status, doc["open"], doc["waiting_for"]) == (200, True, [])
    assert doc["environment"] == "Staging"


def test_a_running_deployment_and_a_failed_one_hold_the_gate_with_their_reason(coord) -> None:
    sim = coord.octosim.sim
    sim.deploy("Payments", "0.9.0", "Staging", tenant="Acme", check_lifecycle=False)
    sim.deploy("Payments", "0.9.0", "Staging", tenant="Globex", outcome="Failed", check_lifecycle=False)
    poll(coord)
    sim.create_release("Catalog", "2.4.0")
    sim.deploy("Catalog", "2.4.0", "Staging", duration=timedelta(minutes=30), check_lifecycle=False)
    poll(coord, minutes=1)
    _, doc = ask(coord)
    assert waiting(doc) == {("Catalog", None, "deploying"), ("Payments", "Globex", "failed")}
    catalog = next(w for w in doc["waiting_for"] if w["project"] == "Catalog")
    assert catalog["version"] == "2.4.0" and catalog["state"] in ("Queued", "Executing")


def test_the_calling_project_can_leave_itself_out(coord) -> None:
    poll(coord)
    _, doc = ask(coord, exclude="payments,Not-In-The-Group")
    assert doc["open"] is True and "Payments" not in doc["projects"]
    _, only = ask(coord, projects="Identity,Checkout")
    assert only["open"] is True and only["projects"] == ["Identity", "Checkout"]


def test_versions_must_match_exactly_or_satisfy_a_constraint(coord) -> None:
    poll(coord)
    _, exact = ask(coord, projects="Identity,Checkout", versions="Identity:1.1.0,Checkout:3.1.0")
    assert exact["open"] is True
    _, constrained = ask(coord, projects="Identity,Checkout", versions="Checkout:>=3.2,<4")
    assert constrained["open"] is False
    [entry] = constrained["waiting_for"]
    assert (entry["project"], entry["reason"], entry["version"], entry["wanted"]) == (
        "Checkout",
        "version",
        "3.1.0",
        ">=3.2,<4",
    )
    _, older = ask(coord, projects="Identity", versions="Identity:1.0.0")
    assert older["open"] is False and older["waiting_for"][0]["reason"] == "version"


def test_unknown_group_and_environment_are_404_and_bad_versions_are_400(coord) -> None:
    poll(coord)
    status, doc = ask(coord, group="nope")
    assert status == 404 and "unknown group 'nope'" in doc["detail"] and "shop" in doc["detail"]
    status, doc = ask(coord, environment="Moon")
    assert status == 404 and "unknown environment 'Moon'" in doc["detail"]
    status, doc = ask(coord, versions="Checkout")
    assert status == 400 and doc["detail"].startswith("versions:")
    status, doc = ask(coord, versions="Checkout:not-a-version")
    assert status == 400 and "Checkout" in doc["detail"]
    status, doc = ask(coord, versions="Storefront:1.0.0")
    assert status == 400 and "Storefront" in doc["detail"]
    status, doc = ask(coord, projects="Storefront")
    assert status == 400 and "projects:" in doc["detail"]


def test_before_the_first_poll_the_gate_says_to_try_again(coord) -> None:
    status, doc = ask(coord)
    assert status == 503 and "first poll" in doc["detail"]
