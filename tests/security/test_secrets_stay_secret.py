"""Secrets never reach logs, errors, emails, reports or reprs, across a run with faults."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from pydantic import SecretStr

from coord import heartbeat
from coord.config import parse_config
from coord.entrypoints.http import feed as routes
from coord.entrypoints.http.messages import Request, serve
from coord.report.job import build_day
from coord.report.render import render_report
from tests.fixtures.coord import make_services
from tests.fixtures.smtp import SMTP_PASSWORD, SMTP_USER

CONFIG = """
timezone: Europe/London
mail:
  from: coord@example.com
groups:
  shop:
    projects: [Identity, Catalog]
notify:
  all_deployed:
    - {group: shop, environments: [Development], to: [team@example.com]}
report:
  schedule: "0 7 * * *"
  to: [ops@example.com]
"""

WEBHOOK_SECRET = "whsec-Zq8x1-never-logged"


@pytest.fixture
def leaky_world(octosim, azurite_connection_string, table_prefix, smtp_auth_server):
    services = make_services(
        octosim,
        azurite_connection_string,
        table_prefix,
        parse_config(CONFIG, "test"),
        webhook_secret=SecretStr(WEBHOOK_SECRET),
        smtp_host=smtp_auth_server.host,
        smtp_port=smtp_auth_server.port,
        smtp_security="none",
        smtp_username=SMTP_USER,
        smtp_password=SecretStr(SMTP_PASSWORD),
    )
    yield services, octosim, smtp_auth_server
    services.close()


def secrets_of(octosim, connection: str) -> list[str]:
    account_key = next(part for part in connection.split(";") if part.startswith("AccountKey=")).split(
        "=", 1
    )[1]
    return [octosim.api_key, SMTP_PASSWORD, WEBHOOK_SECRET, account_key]


def test_a_day_with_faults_leaks_no_secret_anywhere(leaky_world, azurite_connection_string, caplog) -> None:
    services, octosim, smtp = leaky_world
    sim = octosim.sim
    caplog.set_level(logging.DEBUG)
    for name in ("stamina", "httpx", "httpcore", "azure", "coord"):
        caplog.set_level(logging.DEBUG, logger=name)
    seen: list[str] = [repr(services), repr(services.settings), repr(services.octopus), repr(services.store)]

    sim.faults.add(route="GET /events", status=503, count=2)
    sim.faults.add(route="GET /tasks", status=429, retry_after=1, count=1)
    smtp.fail_next("MAIL", "451 4.3.0 Try again later")
    for hour in range(4):
        sim.create_release("Catalog", f"7.{hour}.0")
        sim.deploy("Catalog", f"7.{hour}.0", "Development", outcome="Failed" if hour == 1 else "Success")
        sim.clock.advance(timedelta(minutes=30))
        seen.append(heartbeat.tick(services).summary())
        sim.clock.advance(timedelta(minutes=30))
        seen.append(heartbeat.tick(services).summary())
    # Errors the caller sees: a wrong webhook secret, a bad body, Octopus refusing the key.
    for headers, body in (({"X-Coord-Secret": "wrong"}, b"{}"), ({"X-Coord-Secret": WEBHOOK_SECRET}, b"{")):
        answer = serve(
            lambda r: routes.octopus_events(r, services), Request("POST", headers=headers, body=body)
        )
        seen.append(answer.body.decode())
    sim.clock.set(sim.clock.now().replace(hour=7, minute=5) + timedelta(days=1))
    seen.append(heartbeat.tick(services).summary())
    model = build_day(services, (sim.clock.now() - timedelta(days=1)).date())
    assert model is not None
    seen += list(render_report(model))
    sim.api_key = "API-ROTATED00000000000000000000"
    try:
        services.octopus.dashboard()
    except Exception as exc:  # noqa: BLE001 (any error is inspected for leaks)
        seen += [str(exc), repr(exc)]
    seen += [m.as_string() for m in smtp.messages]
    seen += [
        record.getMessage() + " " + json.dumps(record.__dict__, default=str) for record in caplog.records
    ]

    assert len(smtp.messages) >= 1, "the run sent mail through the authenticated server"
    assert len(caplog.records) > 50, "the run logged enough to be a meaningful check"
    for secret in secrets_of(octosim, azurite_connection_string):
        leaks = [text for text in seen if secret in text]
        assert not leaks, f"a secret appeared in {len(leaks)} places, e.g. {leaks[0][:200]!r}"
