"""Scheduled promotions: each slot runs once across ticks, DST days, missed slots and deny windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coord import heartbeat
from coord.config import parse_config
from coord.feed import service as feed_service
from coord.promotion.jobs import advance_active_runs, run_due_promotions
from coord.promotion.store import RUNS_TABLE
from coord.schedules.slots import SLOTS_TABLE
from tests.fixtures.coord import make_services
from tests.integration.test_promotion_world import prepare_world

CONFIG = """
timezone: {zone}
groups:
  shop:
    projects: [Identity, Catalog, Checkout]
    depends_on:
      Catalog: [Identity]
promotions:
  - name: nightly
    group: shop
    from: Staging
    to: Production
    schedule: "{cron}"
{windows}
"""


def installation(octosim, connection: str, prefix: str, *, zone: str, cron: str, windows: str = ""):
    text = CONFIG.format(zone=zone, cron=cron, windows=windows)
    services = make_services(octosim, connection, prefix, parse_config(text, "test"))
    prepare_world(octosim.sim)
    feed_service.poll(services)
    return services


def runs_created(services) -> list[datetime]:
    table = services.store.table(RUNS_TABLE)
    return sorted(e["Created"] for e in table.query("RowKey eq @r", {"r": "run"}))


def skipped(services) -> list[str]:
    table = services.store.table(SLOTS_TABLE)
    return [str(e["RowKey"]) for e in table.partition("skipped")]


def tick_until(octosim, services, end: datetime, step: timedelta, others=()) -> list[str]:
    notes = []
    while octosim.sim.clock.now() < end:
        octosim.sim.clock.advance(step)
        for each in (services, *others):
            notes += run_due_promotions(each)
    return notes


def test_a_slot_runs_once_however_many_instances_tick(
    octosim, azurite_connection_string, table_prefix
) -> None:
    services = installation(
        octosim, azurite_connection_string, table_prefix, zone="Europe/London", cron="30 18 * * *"
    )
    others = [
        make_services(octosim, azurite_connection_string, table_prefix, services.config) for _ in range(2)
    ]
    octosim.sim.clock.set(datetime(2026, 11, 26, 18, 0, tzinfo=UTC))
    notes = tick_until(
        octosim, services, datetime(2026, 11, 26, 19, 0, tzinfo=UTC), timedelta(minutes=1), others
    )
    created = runs_created(services)
    assert len(created) == 1, notes
    assert created[0] == datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
    assert skipped(services) == []


def test_a_missing_local_time_on_the_spring_dst_day_runs_once_after_the_jump(
    octosim, azurite_connection_string, table_prefix
) -> None:
    # Europe/London, 28 March 2027: 01:00 GMT becomes 02:00 BST; 01:30 does not exist.
    services = installation(
        octosim, azurite_connection_string, table_prefix, zone="Europe/London", cron="30 1 * * *"
    )
    octosim.sim.clock.set(datetime(2027, 3, 27, 23, 0, tzinfo=UTC))
    tick_until(octosim, services, datetime(2027, 3, 28, 4, 0, tzinfo=UTC), timedelta(minutes=10))
    assert runs_created(services) == [datetime(2027, 3, 28, 1, 0, tzinfo=UTC)]


def test_a_repeated_local_time_on_the_autumn_dst_day_runs_once_at_its_first_occurrence(
    octosim, azurite_connection_string, table_prefix
) -> None:
    # America/New_York, 7 November 2027: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    services = installation(
        octosim, azurite_connection_string, table_prefix, zone="America/New_York", cron="30 1 * * *"
    )
    octosim.sim.clock.set(datetime(2027, 11, 7, 4, 0, tzinfo=UTC))
    tick_until(octosim, services, datetime(2027, 11, 7, 8, 0, tzinfo=UTC), timedelta(minutes=10))
    assert runs_created(services) == [datetime(2027, 11, 7, 5, 30, tzinfo=UTC)]


def test_a_slot_inside_a_deny_window_does_not_run_and_is_recorded_as_skipped(
    octosim, azurite_connection_string, table_prefix
) -> None:
    windows = '    windows:\n      - {kind: deny, schedule: "0 18 * * *", duration: 2h}'
    services = installation(
        octosim,
        azurite_connection_string,
        table_prefix,
        zone="Europe/London",
        cron="30 18 * * *",
        windows=windows,
    )
    octosim.sim.clock.set(datetime(2026, 11, 26, 18, 0, tzinfo=UTC))
    tick_until(octosim, services, datetime(2026, 11, 26, 19, 0, tzinfo=UTC), timedelta(minutes=5))
    assert runs_created(services) == []
    assert skipped(services) == ["promotion:nightly:2026-11-26T18:30+00:00"]


def test_after_downtime_a_recent_slot_runs_once_and_older_ones_are_skipped(
    octosim, azurite_connection_string, table_prefix
) -> None:
    services = installation(octosim, azurite_connection_string, table_prefix, zone="UTC", cron="0 */2 * * *")
    octosim.sim.clock.set(datetime(2026, 11, 26, 10, 5, tzinfo=UTC))
    run_due_promotions(services)  # runs the 10:00 slot
    for _ in range(20):  # and that run ends
        octosim.sim.clock.advance(60)
        feed_service.poll(services)
        advance_active_runs(services)
    assert len(runs_created(services)) == 1
    octosim.sim.clock.set(datetime(2026, 11, 26, 16, 30, tzinfo=UTC))  # then down for six hours
    run_due_promotions(services)
    assert skipped(services) == [
        "promotion:nightly:2026-11-26T12:00+00:00",
        "promotion:nightly:2026-11-26T14:00+00:00",
    ]
    assert runs_created(services)[-1] == datetime(2026, 11, 26, 16, 30, tzinfo=UTC)  # 16:00, 30 min late
    assert len(runs_created(services)) == 2


def nightly_with_octopus_down_from_18_25(octosim, connection: str, prefix: str):
    """A 18:30 promotion, and every Octopus request answered 503 from 18:25 on."""
    services = installation(octosim, connection, prefix, zone="Europe/London", cron="30 18 * * *")
    octosim.sim.clock.set(datetime(2026, 11, 26, 18, 25, tzinfo=UTC))
    return services, octosim.sim.faults.add(route="*", status=503)


def test_a_slot_due_while_octopus_is_down_starts_when_it_answers_again_within_the_hour(
    octosim, azurite_connection_string, table_prefix, quick_retries
) -> None:
    services, outage = nightly_with_octopus_down_from_18_25(octosim, azurite_connection_string, table_prefix)
    sim = octosim.sim
    notes: list[str] = []
    while sim.clock.now() < datetime(2026, 11, 26, 18, 50, tzinfo=UTC):
        sim.clock.advance(timedelta(minutes=5))
        notes += heartbeat.tick(services).notes
    assert runs_created(services) == []
    assert any("waits until a poll succeeds" in note for note in notes), notes
    sim.faults.remove(outage)
    sim.clock.advance(timedelta(minutes=5))  # 18:55: Octopus is back, the slot is 25 minutes old
    heartbeat.tick(services)
    assert len(runs_created(services)) == 1
    assert skipped(services) == []
    heartbeat.tick(services)
    assert len(runs_created(services)) == 1


def test_a_slot_that_cannot_start_within_the_hour_is_skipped_and_reported(
    octosim, azurite_connection_string, table_prefix, quick_retries
) -> None:
    services, outage = nightly_with_octopus_down_from_18_25(octosim, azurite_connection_string, table_prefix)
    sim = octosim.sim
    while sim.clock.now() < datetime(2026, 11, 26, 19, 40, tzinfo=UTC):
        sim.clock.advance(timedelta(minutes=15))
        heartbeat.tick(services)
    sim.faults.remove(outage)
    sim.clock.advance(timedelta(minutes=5))
    heartbeat.tick(services)
    assert runs_created(services) == []
    assert skipped(services) == ["promotion:nightly:2026-11-26T18:30+00:00"]
