"""The "all deployed" email against the simulator, Azurite and real SMTP: once per version set."""

from __future__ import annotations

import threading
from datetime import timedelta

from coord import heartbeat
from coord.alldeployed.job import notify_all_deployed
from coord.config import parse_config
from coord.feed import service as feed_service
from tests.fixtures.coord import make_services

CONFIG = """
timezone: Europe/London
mail: {from: coord@example.com}
groups:
  shop: {projects: [Identity, Catalog, Checkout, Payments]}
notify:
  all_deployed:
    - {group: shop, environments: [Staging], to: [ops@example.com, lead@example.com]}
"""


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


def settle(sim, services) -> None:
    sim.clock.advance(timedelta(minutes=5))
    assert feed_service.poll(services) is not None


def complete_staging(sim) -> None:
    """The small world has Identity, Catalog and Checkout in Staging; Payments' two tenants follow."""
    for tenant in ("Acme", "Globex"):
        sim.deploy("Payments", "0.9.0", "Staging", tenant=tenant, check_lifecycle=False)


def notify_from_threads(octosim, connection, prefix, smtp_server, count: int) -> list[list[str]]:
    """`count` ticks at once, each with its own Services (as separate Function instances would)."""
    results: list[list[str]] = [[] for _ in range(count)]
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        services = installation(octosim, connection, prefix, smtp_server)
        try:
            barrier.wait()
            results[n] = notify_all_deployed(services)
            heartbeat.deliver_mail(services)
        finally:
            services.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_all_deployed_is_sent_once_under_concurrency_duplicates_and_restarts_then_again_for_new_versions(
    octosim, azurite_connection_string, table_prefix, smtp_server
) -> None:
    sim = octosim.sim
    services = installation(octosim, azurite_connection_string, table_prefix, smtp_server)
    settle(sim, services)
    assert notify_all_deployed(services) == []  # Payments is not in Staging yet

    complete_staging(sim)
    settle(sim, services)
    results = notify_from_threads(octosim, azurite_connection_string, table_prefix, smtp_server, 6)
    assert sum(len(notes) for notes in results) == 1
    for _ in range(3):  # repeated ticks, and a restart
        assert notify_all_deployed(services) == []
        heartbeat.deliver_mail(services)
        services.close()
        services = installation(octosim, azurite_connection_string, table_prefix, smtp_server)
    # The same deployments again (a webhook delivered twice, a poll re-reading them) change nothing.
    services.poller.ingest_ids({d.id for d in sim.deployments.values()})
    assert notify_all_deployed(services) == []
    assert len(smtp_server.messages) == 1

    first = smtp_server.messages[0]
    assert (
        first["Subject"]
        == "shop is deployed to Staging: Catalog 2.3.0, Checkout 3.1.0, Identity 1.1.0, Payments 0.9.0"
    )
    assert smtp_server.envelopes[0][1] == ["ops@example.com", "lead@example.com"]
    text = first.get_body(("plain",)).get_content()
    html = first.get_body(("html",)).get_content()
    assert "Payments / Acme: 0.9.0 SUCCESS" in text and "Payments / Globex: 0.9.0 SUCCESS" in text
    assert "Identity: 1.1.0 SUCCESS" in text
    assert "<td" in html and "Globex" in html and "style=" in html

    # A new version of one project: incomplete while it runs, then a new set, a new email.
    sim.create_release("Identity", "1.2.0")
    sim.deploy("Identity", "1.2.0", "Staging", check_lifecycle=False, duration=timedelta(minutes=20))
    sim.clock.advance(timedelta(minutes=1))
    feed_service.poll(services)
    assert notify_all_deployed(services) == []
    settle(sim, services)
    sim.clock.advance(timedelta(minutes=20))
    feed_service.poll(services)
    results = notify_from_threads(octosim, azurite_connection_string, table_prefix, smtp_server, 4)
    assert sum(len(notes) for notes in results) == 1
    assert notify_all_deployed(services) == []
    heartbeat.deliver_mail(services)
    services.close()
    assert len(smtp_server.messages) == 2
    assert "Identity 1.2.0" in smtp_server.messages[1]["Subject"]
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 2


def test_a_failed_deployment_holds_the_notice_until_a_success(
    octosim, azurite_connection_string, table_prefix, smtp_server
) -> None:
    sim = octosim.sim
    services = installation(octosim, azurite_connection_string, table_prefix, smtp_server)
    sim.deploy("Payments", "0.9.0", "Staging", tenant="Acme", check_lifecycle=False)
    sim.deploy("Payments", "0.9.0", "Staging", tenant="Globex", check_lifecycle=False, outcome="Failed")
    settle(sim, services)
    assert notify_all_deployed(services) == []
    sim.deploy("Payments", "0.9.0", "Staging", tenant="Globex", check_lifecycle=False)
    settle(sim, services)
    assert len(notify_all_deployed(services)) == 1
    heartbeat.deliver_mail(services)
    services.close()
    assert len(smtp_server.messages) == 1
