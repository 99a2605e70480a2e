"""function_app.py as the Functions host sees it: bindings, auth levels, and each function run for real."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from coord.bootstrap import reset_shared_services
from coord.settings import SETTING_NAMES
from tests.fixtures.coord import SMALL_CONFIG

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def functions() -> dict[str, object]:
    import function_app  # noqa: PLC0415 (imported here so the import test above measures a cold import)

    # get_functions() may be called once per FunctionApp instance (azure-ecosystem.md gotcha 1).
    return {f.get_function_name(): f for f in function_app.app.get_functions()}


@pytest.fixture
def configured(octosim, azurite_connection_string, table_prefix, tmp_path, monkeypatch) -> Iterator[object]:
    """App settings pointing at the simulator and Azurite, as local.settings.json would give them."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "coord.yaml"
    config.write_text(SMALL_CONFIG, encoding="utf-8")
    for name, value in {
        "OCTOPUS_SERVER_URL": octosim.url,
        "OCTOPUS_API_KEY": octosim.api_key,
        "COORD_STORAGE": azurite_connection_string,
        "COORD_TABLE_PREFIX": table_prefix,
        "COORD_CONFIG": str(config),
        "COORD_WEBHOOK_SECRET": "hook-secret",
    }.items():
        monkeypatch.setenv(name, value)
    reset_shared_services()
    yield octosim
    reset_shared_services()


def test_every_http_function_requires_a_function_key(functions) -> None:
    http = {name: f for name, f in functions.items() if f.get_trigger().get_binding_name() == "httpTrigger"}
    assert set(http) >= {"status", "octopus_events"}
    for name, function in http.items():
        trigger = json.loads(function.get_function_json())["bindings"][0]
        assert trigger["authLevel"].lower() == "function", name


def test_the_timer_reads_its_schedule_from_an_app_setting(functions) -> None:
    trigger = json.loads(functions["tick"].get_function_json())["bindings"][0]
    assert trigger["type"] == "timerTrigger"
    assert trigger["schedule"] == "%COORD_TICK_SCHEDULE%"
    assert trigger["runOnStartup"] is False


def test_importing_the_app_loads_no_storage_or_octopus_code() -> None:
    probe = (
        "import sys, function_app; "
        "print(sorted(m for m in sys.modules if m.startswith(('coord', 'azure.data', 'httpx', 'jinja2'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_timer_polls_and_the_status_route_shows_the_result(functions, configured) -> None:
    functions["tick"].get_user_function()(TimerRequest(past_due=True))
    request = func.HttpRequest("GET", "/api/status", body=b"", params={})
    response = functions["status"].get_user_function()(request)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = json.loads(response.get_body())
    assert {p["name"] for p in body["projects"]} == {"Identity", "Catalog", "Checkout", "Payments"}


def test_a_timer_tick_whose_key_is_refused_fails_the_invocation_after_doing_what_it_can(
    functions, configured
) -> None:
    functions["tick"].get_user_function()(TimerRequest(past_due=False))
    configured.sim.access.revoke(configured.api_key)
    with pytest.raises(Exception, match=r"poll: Octopus: .*401") as failed:
        functions["tick"].get_user_function()(TimerRequest(past_due=False))
    assert type(failed.value).__name__ == "TickFailed"
    # What it could still do, it did: the status route answers from the stored state.
    response = functions["status"].get_user_function()(func.HttpRequest("GET", "/api/status", body=b""))
    assert response.status_code == 200


def test_a_browser_gets_the_live_status_page_at_both_routes(functions, configured) -> None:
    functions["tick"].get_user_function()(TimerRequest(past_due=True))
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for name, headers in (("status", browser), ("status_page", {})):
        request = func.HttpRequest("GET", f"/api/{name}", body=b"", params={}, headers=headers)
        response = functions[name].get_user_function()(request)
        assert response.status_code == 200, name
        assert response.mimetype == "text/html"
        page = response.get_body().decode()
        assert "coord status" in page and "Octopus was last polled" in page and "Identity" in page
        assert 'http-equiv="refresh"' in page


def test_the_status_route_rejects_a_bad_flag_with_a_problem(functions, configured) -> None:
    request = func.HttpRequest("GET", "/api/status", body=b"", params={"all": "maybe"})
    response = functions["status"].get_user_function()(request)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "'all'" in json.loads(response.get_body())["detail"]


@pytest.mark.parametrize("secret", [None, "", "hook-secre", "hook-secret-and-more"])
def test_the_webhook_refuses_a_missing_or_wrong_secret(functions, configured, secret) -> None:
    headers = {} if secret is None else {"X-Coord-Secret": secret}
    request = func.HttpRequest("POST", "/api/octopus/events", body=b"{}", headers=headers)
    response = functions["octopus_events"].get_user_function()(request)
    assert response.status_code == 401


def test_the_webhook_records_a_real_payload(functions, configured) -> None:
    sim = configured.sim
    dep = sim.deploy("Catalog", "2.3.0", "Production")
    sim.clock.advance(timedelta(minutes=2))
    event = next(e for e in sim.events_newest_first() if dep in e.related)
    payload = {
        "Timestamp": event.occurred.isoformat(),
        "EventType": "SubscriptionPayload",
        "Payload": {
            "Event": {
                "Id": event.id,
                "Category": event.category,
                "Occurred": event.occurred.isoformat(),
                "RelatedDocumentIds": event.related,
            }
        },
    }
    request = func.HttpRequest(
        "POST",
        "/api/octopus/events",
        body=json.dumps(payload).encode(),
        headers={"x-coord-secret": "hook-secret"},
    )
    response = functions["octopus_events"].get_user_function()(request)
    assert response.status_code == 202, response.get_body()
    assert json.loads(response.get_body())["deployment"] == dep


def test_a_route_without_settings_answers_with_a_problem_not_a_crash(functions, monkeypatch) -> None:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COORD_CONFIG", str(ROOT / "does-not-exist.yaml"))
    reset_shared_services()
    response = functions["status"].get_user_function()(func.HttpRequest("GET", "/api/status", body=b""))
    reset_shared_services()
    assert response.status_code == 503
    assert "coord is not configured" in json.loads(response.get_body())["detail"]


def test_a_route_whose_storage_is_down_answers_503_not_500(functions, configured, monkeypatch) -> None:
    closed = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + "A" * 86 + "==;"
        "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    )
    monkeypatch.setenv("COORD_STORAGE", closed)
    reset_shared_services()
    for name, request in (
        ("get_promotion", func.HttpRequest("GET", "/api/promotions/x", body=b"", route_params={"id": "x"})),
        ("status", func.HttpRequest("GET", "/api/status", body=b"")),
    ):
        response = functions[name].get_user_function()(request)
        assert response.status_code == 503, (name, response.get_body()[:300])
        assert response.mimetype == "application/problem+json"
