"""The daily report job and route against the simulator, Azurite and a real SMTP server."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from coord import heartbeat
from coord.config import parse_config
from coord.entrypoints.http.messages import Request, serve
from coord.entrypoints.http.reports import report_route
from coord.feed import service as feed_service
from coord.report.job import build_day, send_due_report
from tests.fixtures.coord import make_services

CONFIG = """
timezone: Europe/London
mail: {from: coord@example.com}
groups:
  shop: {projects: [Identity, Catalog, Checkout, Payments]}
report:
  schedule: "0 7 * * *"
  to: [ops@example.com]
"""
START = datetime(2026, 11, 26, 9, tzinfo=UTC)  # the small world's clock at the start


def installation(octosim, connection, prefix, smtp_server):
    return make_services(
        octosim,
        connection,
        prefix,
        parse_config(CONFIG, "test"),
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
    )


def tick(services) -> str | None:
    """The report's part of a tick: poll, the report job, then mail."""
    feed_service.poll(services)
    note = send_due_report(services)
    heartbeat.deliver_mail(services)
    return note


def move_to(sim, moment: datetime) -> None:
    sim.clock.advance(moment - sim.clock.now())


def test_the_report_is_sent_once_at_its_slot_for_the_previous_day(
    octosim, azurite_connection_string, table_prefix, smtp_server
) -> None:
    sim = octosim.sim
    services = installation(octosim, azurite_connection_string, table_prefix, smtp_server)
    sim.deploy("Catalog", "2.3.0", "Production", check_lifecycle=False, outcome="Failed")
    sim.clock.advance(timedelta(hours=1))
    sim.deploy("Catalog", "2.3.0", "Production", check_lifecycle=False)
    assert tick(services) is None
    move_to(sim, datetime(2026, 11, 27, 6, 59, tzinfo=UTC))
    assert tick(services) is None
    move_to(sim, datetime(2026, 11, 27, 7, 0, 30, tzinfo=UTC))

    results: list[str | None] = []

    def concurrent_tick() -> None:
        own = installation(octosim, azurite_connection_string, table_prefix, smtp_server)
        try:
            results.append(send_due_report(own))
            heartbeat.deliver_mail(own)
        finally:
            own.close()

    threads = [threading.Thread(target=concurrent_tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [note for note in results if note and "queued" in note] == [
        "report 2026-11-26: queued for 1 recipient(s)"
    ]
    assert tick(services) is None
    services.close()
    services = installation(octosim, azurite_connection_string, table_prefix, smtp_server)  # a restart
    assert tick(services) is None

    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["Subject"] == (
        "coord daily report 2026-11-26: 2 deployments, 50.0% succeeded, 1 failed, MTTR 1h 00m"
    )
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "[FAILED] Catalog 2.3.0" in text
    assert "Deployments on Thursday 26 November 2026" in html
    assert "FAILED</span>" in html
    services.close()


def test_missed_slots_are_skipped_and_listed_in_the_next_report(
    octosim, azurite_connection_string, table_prefix, smtp_server
) -> None:
    sim = octosim.sim
    services = installation(octosim, azurite_connection_string, table_prefix, smtp_server)
    tick(services)
    # Down from the 26th until 09:00 on the 29th: the slots of the 27th, 28th and 29th are missed.
    move_to(sim, datetime(2026, 11, 29, 9, tzinfo=UTC))
    note = tick(services)
    assert note == "report: 3 missed slot(s) recorded as skipped"
    assert tick(services) is None
    assert smtp_server.messages == []

    move_to(sim, datetime(2026, 11, 30, 7, 10, tzinfo=UTC))
    assert tick(services) == "report 2026-11-29: queued for 1 recipient(s)"
    [mail] = smtp_server.messages
    assert mail["Subject"].endswith(", 3 skipped slots")
    text = mail.get_body(("plain",)).get_content()
    for day in ("2026-11-27", "2026-11-28", "2026-11-29"):
        assert f"report daily due {day} 07:00: skipped" in text
    services.close()


def test_report_route_answers_html_404_and_400(
    octosim, azurite_connection_string, table_prefix, smtp_server
) -> None:
    sim = octosim.sim
    services = installation(octosim, azurite_connection_string, table_prefix, smtp_server)

    def get(text: str):
        return serve(lambda request: report_route(request, services), Request("GET", {"date": text}))

    assert get("2026-11-25").status == 404  # nothing polled yet: no data kept
    tick(services)
    sim.clock.advance(timedelta(hours=1))
    page = get("2026-11-25")
    assert page.status == 200
    assert page.content_type.startswith("text/html")
    assert b"Deployments on Wednesday 25 November 2026" in page.body
    assert get("2026-11-26").status == 200  # today, so far
    assert b"the day is not over" in get("2026-11-26").body
    assert get("2026-11-27").status == 404  # the future
    before = get("2026-11-01")  # before the first poll's backfill horizon (7 days)
    assert before.status == 404
    assert before.content_type == "application/problem+json"
    for bad in ("2026-13-01", "yesterday", "20261126", ""):
        answer = get(bad)
        assert answer.status == 400, bad
        assert b"YYYY-MM-DD" in answer.body
    horizon_day = build_day(services, date(2026, 11, 19))  # the first poll read from 09:00 that day
    assert horizon_day is not None
    assert horizon_day.coverage_from == datetime(2026, 11, 19, 9, tzinfo=UTC)
    assert build_day(services, date(2026, 11, 18)) is None
    services.close()


def test_the_report_waits_for_the_poll_to_catch_up_after_an_outage(
    octosim, azurite_connection_string, table_prefix, smtp_server, quick_retries
) -> None:
    sim = octosim.sim
    services = installation(octosim, azurite_connection_string, table_prefix, smtp_server)
    heartbeat.tick(services)
    # Late in the day, a deployment finishes at 23:58; coord is down from 22:00 until morning.
    move_to(sim, datetime(2026, 11, 26, 23, 50, tzinfo=UTC))
    late = sim.deploy("Catalog", "2.3.0", "Production", check_lifecycle=False, duration=timedelta(minutes=8))
    # At 07:00 Octopus answers every events request with a 503: the report must not go out.
    move_to(sim, datetime(2026, 11, 27, 7, 0, tzinfo=UTC))
    outage = sim.faults.add(route="GET /events", status=503)
    first = heartbeat.tick(services)
    assert first.failed and first.failures[0].startswith("poll: Octopus: "), first.failures
    assert any("waiting until the poll has caught up" in note for note in first.notes)
    assert services.outbox.entry("report:2026-11-26") is None
    assert smtp_server.messages == []
    # Octopus is back at 07:40 (past the one-hour grace of a missed slot): the report follows.
    sim.faults.remove(outage)
    move_to(sim, datetime(2026, 11, 27, 7, 40, tzinfo=UTC))
    second = heartbeat.tick(services)
    assert any("report 2026-11-26: queued" in note for note in second.notes), second.notes
    assert len(smtp_server.messages) == 1
    model = build_day(services, date(2026, 11, 26))
    assert model is not None
    assert late in {row.deployment_id for s in model.environments for row in (*s.problems, *s.successes)}
    heartbeat.tick(services)
    assert len(smtp_server.messages) == 1
