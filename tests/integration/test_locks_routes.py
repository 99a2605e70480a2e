"""POST and DELETE /api/locks/{name} as the Functions host serves them, on Azurite."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from coord.entrypoints.http.locks import acquire_lock, release_lock
from coord.entrypoints.http.messages import Request, serve


@pytest.fixture
def services(coord):
    """coord's services, waiting on the simulator's clock instead of sleeping."""
    clock = coord.octosim.sim.clock
    coord.services.sleep = lambda seconds: clock.advance(timedelta(seconds=seconds))
    return coord.services


def post(services, name: str, body: Any) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = serve(lambda r: acquire_lock(r, services), Request("POST", {"name": name}, body=raw))
    return response.status, json.loads(response.body)


def delete(services, name: str, **query: str) -> tuple[int, dict[str, Any]]:
    response = serve(lambda r: release_lock(r, services), Request("DELETE", {"name": name}, query))
    return response.status, json.loads(response.body)


def test_acquire_returns_a_token_and_a_second_caller_gets_409_with_the_holder(services) -> None:
    status, granted = post(
        services, "Production", {"holder": "Checkout 3.2 (Deployments-41)", "ttl_seconds": 600}
    )
    assert status == 200
    assert granted["token"] and granted["holder"] == "Checkout 3.2 (Deployments-41)"
    status, refused = post(services, "Production", {"holder": "Catalog 2.4", "ttl_seconds": 600})
    assert status == 409
    assert refused["holder"] == "Checkout 3.2 (Deployments-41)"
    assert refused["expires_at"] == granted["expires_at"]
    assert "held by 'Checkout 3.2 (Deployments-41)'" in refused["detail"]


def test_a_waiting_caller_gets_a_ticket_and_keeps_its_place_with_it(services) -> None:
    _, first = post(services, "db", {"holder": "A", "ttl_seconds": 30})
    status, queued = post(services, "db", {"holder": "B", "ttl_seconds": 60, "wait_seconds": 10})
    assert status == 409 and queued["position"] == 1 and queued["ticket"]
    status, later = post(services, "db", {"holder": "C", "ttl_seconds": 60, "wait_seconds": 5})
    assert status == 409 and later["position"] == 2
    # A's 30 s run out while B waits again with its ticket: B, not C, takes the lock.
    status, granted = post(
        services, "db", {"holder": "B", "ttl_seconds": 60, "wait_seconds": 30, "ticket": queued["ticket"]}
    )
    assert status == 200 and granted["holder"] == "B"
    assert delete(services, "db", token=first["token"])[0] == 404


def test_release_with_the_token_frees_the_lock_and_a_wrong_token_is_404(services) -> None:
    _, granted = post(services, "db", {"holder": "A", "ttl_seconds": 60})
    status, problem = delete(services, "db", token="wrong")
    assert status == 404 and "no holder has this token" in problem["detail"]
    status, released = delete(services, "db", token=granted["token"])
    assert status == 200 and released["released"] is True and released["holder"] == "A"
    assert post(services, "db", {"holder": "B", "ttl_seconds": 60})[0] == 200


def test_a_waiter_can_leave_the_queue_with_its_ticket(services) -> None:
    post(services, "db", {"holder": "A", "ttl_seconds": 60})
    _, queued = post(services, "db", {"holder": "B", "ttl_seconds": 60, "wait_seconds": 1})
    assert delete(services, "db", ticket=queued["ticket"]) == (200, {"name": "db", "withdrawn": True})
    assert delete(services, "db", ticket=queued["ticket"])[0] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ttl_seconds": 60}, "holder: Field required"),
        ({"holder": "", "ttl_seconds": 60}, "holder:"),
        ({"holder": "a", "ttl_seconds": 0}, "ttl_seconds:"),
        ({"holder": "a", "ttl_seconds": "soon"}, "ttl_seconds:"),
        ({"holder": "a", "ttl_seconds": 60, "wait_seconds": 300}, "wait_seconds:"),
        ({"holder": "a", "ttl_seconds": 60, "colour": "red"}, "colour: unknown field"),
        (b"{not json", "not valid JSON"),
        (b"", "body is empty"),
    ],
    ids=[
        "no holder",
        "empty holder",
        "zero ttl",
        "text ttl",
        "wait too long",
        "unknown field",
        "bad json",
        "empty",
    ],
)
def test_a_bad_body_is_400_naming_the_field(services, body: Any, field: str) -> None:
    status, problem = post(services, "db", body)
    assert status == 400
    assert problem["title"] == "Bad Request"
    assert field in problem["detail"]


def test_release_without_a_token_is_400(services) -> None:
    status, problem = delete(services, "db")
    assert status == 400 and "'token'" in problem["detail"]


def test_a_lock_name_with_control_characters_is_400(services) -> None:
    status, problem = post(services, "bad\x01name", {"holder": "a", "ttl_seconds": 60})
    assert status == 400 and problem["detail"].startswith("lock name:")
