"""POST /api/promotions, GET /api/promotions/{id} and POST .../cancel, with good and bad bodies."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from coord.entrypoints.http.messages import Request, serve
from coord.entrypoints.http.promotions import cancel_promotion, get_promotion, start_promotion
from tests.integration import test_promotion_world as promotion_world
from tests.integration.test_promotion_world import PromotionWorld

world = promotion_world.world  # the fixture, shared with the other promotion tests


def call(
    world: PromotionWorld, route, body: Any = None, headers: dict[str, str] | None = None, **params: str
) -> tuple[int, dict[str, Any], dict]:
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    request = Request("POST" if route is not get_promotion else "GET", params, {}, headers or {}, raw)
    response = serve(lambda r: route(r, world.services), request)
    return response.status, json.loads(response.body), dict(response.headers)


GOOD = {"group": "shop", "from": "Staging", "to": "Production"}


def test_a_promotion_starts_with_202_and_a_location_that_shows_it(world: PromotionWorld) -> None:
    status, doc, headers = call(world, start_promotion, GOOD)
    assert status == 202
    assert headers["Location"] == f"/api/promotions/{doc['id']}"
    assert doc["status"] == "Running"
    status, shown, _ = call(world, get_promotion, id=doc["id"])
    assert status == 200
    identity = next(p for p in shown["projects"] if p["project"] == "Identity")
    assert identity["release"] == "1.1.0"
    assert identity["status"] == "running" and identity["deployment"].startswith("Deployments-")
    payments = [p for p in shown["projects"] if p["project"] == "Payments"]
    assert {p["tenant"] for p in payments} == {"Acme", "Globex"}
    assert all(p["waits_for"] == ["Catalog", "Checkout"] for p in payments)


@pytest.mark.parametrize(("signed_in", "who"), [(True, "priya@shop.example"), (False, "HTTP")])
def test_an_ad_hoc_run_says_who_asked_and_takes_no_scheduled_promotions_name(
    world: PromotionWorld, signed_in: bool, who: str
) -> None:
    # The world's coord.yaml has a scheduled promotion of the same group, from and to.
    world.services.settings = replace(world.services.settings, caller_identity=signed_in)
    headers = {"X-MS-CLIENT-PRINCIPAL-NAME": "priya@shop.example"}  # set by App Service authentication
    status, doc, _ = call(world, start_promotion, GOOD, headers)
    assert status == 202
    assert (doc["requested_by"], doc["promotion"]) == (who, None)


def test_a_dry_run_answers_200_with_the_plan_and_starts_nothing(world: PromotionWorld) -> None:
    before = len(world.sim.deployments)
    status, doc, headers = call(world, start_promotion, {**GOOD, "dry_run": True})
    assert status == 200
    assert doc["dry_run"] is True
    assert "Location" not in headers
    assert doc["waves"][0] == [world.sim.project("Identity").id]
    assert len(world.sim.deployments) == before


def test_a_second_start_for_the_same_target_is_409_with_the_active_runs_id(world: PromotionWorld) -> None:
    _, first, _ = call(world, start_promotion, GOOD)
    status, problem, _ = call(world, start_promotion, GOOD)
    assert status == 409
    assert problem["active_run_id"] == first["id"]
    assert first["id"] in problem["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"group": "shop", "from": "Staging"}, "to"),
        ({**GOOD, "colour": "blue"}, "colour"),
        ({**GOOD, "on_failure": "explode"}, "on_failure"),
        ({**GOOD, "projects": "Identity"}, "projects"),
        ({**GOOD, "dry_run": "perhaps"}, "dry_run"),
    ],
    ids=["missing-to", "unknown-field", "bad-on-failure", "projects-not-a-list", "dry-run-not-bool"],
)
def test_a_bad_body_is_400_naming_the_field(world: PromotionWorld, body: dict, field: str) -> None:
    status, problem, _ = call(world, start_promotion, body)
    assert status == 400
    assert field in problem["detail"]
    assert any(error.startswith(field) for error in problem["errors"])


@pytest.mark.parametrize(
    "raw", [b"", b"{not json", b"[1, 2]", b'"shop"'], ids=["empty", "not-json", "array", "string"]
)
def test_a_body_that_is_not_a_json_object_is_400(world: PromotionWorld, raw: bytes) -> None:
    status, problem, _ = call(world, start_promotion, raw)
    assert status == 400
    assert problem["title"] == "Bad Request"


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({**GOOD, "group": "nope"}, "nope"),
        ({**GOOD, "to": "Moon"}, "Moon"),
        ({**GOOD, "projects": ["Ledger"]}, "Ledger"),
    ],
    ids=["unknown-group", "unknown-environment", "unknown-project"],
)
def test_unknown_names_are_404(world: PromotionWorld, body: dict, word: str) -> None:
    status, problem, _ = call(world, start_promotion, body)
    assert status == 404
    assert word in problem["detail"]


def test_an_unknown_run_is_404_for_get_and_cancel(world: PromotionWorld) -> None:
    assert call(world, get_promotion, id="20260101T000000Z-deadbeef")[0] == 404
    assert call(world, cancel_promotion, id="20260101T000000Z-deadbeef")[0] == 404


def test_cancel_stops_further_starts_and_a_second_cancel_after_the_end_is_409(world: PromotionWorld) -> None:
    _, doc, _ = call(world, start_promotion, GOOD)
    status, canceled, _ = call(world, cancel_promotion, id=doc["id"])
    assert status == 202
    assert canceled["cancel_requested"] is True
    statuses = {p["project"]: p["status"] for p in canceled["projects"]}
    assert statuses["Catalog"] == "not started"
    run = world.run_to_end(doc["id"])
    assert run.phase.value == "Canceled"
    status, problem, _ = call(world, cancel_promotion, id=doc["id"])
    assert status == 409
    assert problem["phase"] == "Canceled"


def test_a_subset_promotes_only_the_projects_named(world: PromotionWorld) -> None:
    status, doc, _ = call(world, start_promotion, {**GOOD, "projects": ["identity", "Catalog"]})
    assert status == 202
    assert [p["project"] for p in doc["projects"]] == ["Identity", "Catalog"]
    run = world.run_to_end(doc["id"])
    assert run.phase.value == "Succeeded"
    assert world.version_in("Checkout", "Production") is None


def test_a_timeout_in_the_body_sets_the_run_s_deadline_and_a_bad_one_is_named(world: PromotionWorld) -> None:
    status, problem, _ = call(world, start_promotion, {**GOOD, "timeout": "soon"})
    assert status == 400
    assert problem["errors"] == ["timeout: 'soon' is not a duration (expected e.g. 30m, 72h, 1d or 1h30m)"]
    status, doc, _ = call(world, start_promotion, {**GOOD, "timeout": "90m"})
    assert status == 202
    created = datetime.fromisoformat(doc["created"])
    assert datetime.fromisoformat(doc["deadline"]) - created == timedelta(minutes=90)
