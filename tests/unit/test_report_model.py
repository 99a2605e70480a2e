"""The daily report's numbers on known days: DST days, midnight, tenants, failures, recovery, lead time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from coord.domain.records import TaskState
from coord.report.build import build_report
from coord.report.model import day_bounds
from coord.schedules.cron import SkippedSlot
from tests.unit.test_report_world import CATALOGUE, Deployments

LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 11, 26)  # GMT: local time = UTC
AFTER = datetime(2026, 11, 27, 7, tzinfo=UTC)


def utc(hour: int, minute: int = 0, day: int = 26, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def report(deployments: Deployments, day: date = DAY, **kwargs):
    return build_report(
        day,
        LONDON,
        deployments.records,
        deployments.matrix(),
        CATALOGUE,
        [],
        [],
        generated_at=AFTER,
        **kwargs,
    )


def known_day() -> Deployments:
    d = Deployments()
    assembled = utc(6)
    d.add("Identity", "Staging", "1.1.0", utc(9), assembled=assembled)
    d.add(
        "Identity", "Production", "1.1.0", utc(10), state="Failed", error="step 2 failed", assembled=assembled
    )
    d.add("Identity", "Production", "1.1.0", utc(11), assembled=assembled)  # recovers 1h after the failure
    d.add("Catalog", "Production", "2.3.0", utc(12), state="TimedOut", minutes=0)
    d.add("Catalog", "Production", "2.3.0", utc(13), state="Canceled", minutes=1)
    d.add("Payments", "Production", "0.9.0", utc(14), tenant="Acme", assembled=utc(2))
    d.add("Payments", "Production", "0.9.0", utc(15), tenant="Globex", assembled=utc(2))
    d.add("Catalog", "Staging", "2.4.0", utc(23, 50), state="Executing")  # still running at report time
    return d


def test_totals_and_success_rate_per_environment() -> None:
    model = report(known_day())
    by_env = {s.environment: s.totals for s in model.environments}
    assert [s.environment for s in model.environments] == ["Staging", "Production"]  # Octopus's order
    assert (by_env["Production"].total, by_env["Production"].succeeded, by_env["Production"].failed) == (
        6,
        3,
        2,
    )
    assert by_env["Production"].canceled == 1
    assert by_env["Production"].success_rate == 3 / 6
    assert (by_env["Staging"].total, by_env["Staging"].in_progress, by_env["Staging"].success_rate) == (
        2,
        1,
        1.0,
    )
    assert (model.totals.total, model.totals.succeeded, model.totals.failed) == (8, 4, 2)


def test_change_failure_rate_counts_failed_and_timed_out_over_completed() -> None:
    metrics = report(known_day()).metrics
    assert (metrics.failures, metrics.completed) == (2, 7)
    assert metrics.change_failure_rate == 2 / 7


def test_time_to_recovery_runs_from_failure_to_next_success_in_the_same_stream() -> None:
    metrics = report(known_day()).metrics
    # Identity/Production failed at 10:05:10 and succeeded at 11:05:10; Catalog never recovered.
    assert metrics.mttr == timedelta(hours=1)
    assert (metrics.recovered, metrics.unrecovered) == (1, 1)


def test_each_failure_of_a_streak_counts_to_the_same_recovery() -> None:
    d = Deployments()
    d.add("Identity", "Production", "1", utc(10), state="Failed")
    d.add("Identity", "Production", "1", utc(11), state="Failed")
    d.add("Identity", "Staging", "1", utc(11, 30))  # another stream does not recover Production
    d.add("Identity", "Production", "2", utc(12))
    metrics = report(d).metrics
    assert metrics.recovered == 2
    assert metrics.mttr == timedelta(hours=1, minutes=30)


def test_tenants_are_separate_recovery_streams() -> None:
    d = Deployments()
    d.add("Payments", "Production", "1", utc(10), tenant="Acme", state="Failed")
    d.add("Payments", "Production", "1", utc(11), tenant="Globex")
    metrics = report(d).metrics
    assert (metrics.recovered, metrics.unrecovered) == (0, 1)


def test_lead_time_runs_from_release_creation_to_production_success() -> None:
    metrics = report(known_day()).metrics
    assert metrics.lead_time_environment == "Production"
    # Identity 1.1.0: 06:00 -> 11:05:10; Payments 0.9.0: 02:00 -> 14:05:10 and 15:05:10.
    leads = [
        timedelta(hours=5, seconds=310),
        timedelta(hours=12, seconds=310),
        timedelta(hours=13, seconds=310),
    ]
    assert metrics.lead_time_count == 3
    assert metrics.lead_time_median == leads[1]
    assert metrics.lead_time_mean == sum(leads, timedelta()) / 3


def test_lead_time_environment_can_be_named() -> None:
    metrics = report(known_day(), production="staging").metrics
    assert (metrics.lead_time_environment, metrics.lead_time_count) == ("Staging", 1)


def test_a_deployment_spanning_midnight_belongs_to_the_day_it_finished() -> None:
    d = Deployments()
    d.add("Identity", "Production", "1", utc(23, 50, day=25), minutes=30)  # finishes 00:20:10 on the 26th
    d.add("Catalog", "Production", "1", utc(23, 40), minutes=30)  # finishes 00:10:10 on the 27th
    model = report(d)
    rows = [row for s in model.environments for row in (*s.problems, *s.successes)]
    assert [row.project for row in rows] == ["Identity"]
    assert rows[0].spans_midnight
    assert model.spanning_midnight == 1
    assert report(d, date(2026, 11, 25)).totals.total == 0
    assert report(d, date(2026, 11, 27)).totals.total == 1


def test_a_running_deployment_belongs_to_the_day_it_was_queued() -> None:
    d = Deployments()
    d.add("Identity", "Production", "1", utc(23, 59), state="Executing")
    assert report(d).totals.in_progress == 1
    assert report(d, date(2026, 11, 27)).totals.total == 0


def test_spring_forward_day_is_23_hours_and_fall_back_day_is_25() -> None:
    spring_start, spring_end = day_bounds(date(2026, 3, 29), LONDON)
    fall_start, fall_end = day_bounds(date(2026, 10, 25), LONDON)
    assert spring_end - spring_start == timedelta(hours=23)
    assert fall_end - fall_start == timedelta(hours=25)
    assert fall_start == utc(23, day=24, month=10)  # midnight BST is 23:00 UTC the day before
    assert fall_end == utc(0, day=26, month=10)


def test_fall_back_day_counts_deployments_of_all_25_hours() -> None:
    d = Deployments()
    d.add("Identity", "Production", "1", utc(23, 5, day=24, month=10), minutes=1)  # 00:06 BST on the 25th
    d.add("Catalog", "Production", "1", utc(0, 30, day=25, month=10), minutes=1)  # 01:31 BST, first pass
    d.add("Catalog", "Production", "2", utc(1, 30, day=25, month=10), minutes=1)  # 01:31 GMT, second pass
    d.add("Identity", "Production", "2", utc(23, 50, day=25, month=10), minutes=1)  # 23:51 GMT
    d.add("Identity", "Staging", "2", utc(0, 5, day=26, month=10), minutes=1)  # next day
    model = report(d, date(2026, 10, 25))
    assert model.hours == 25
    assert model.totals.total == 4
    assert report(d, date(2026, 10, 24)).totals.total == 0


def test_spring_forward_day_counts_deployments_of_its_23_hours() -> None:
    d = Deployments()
    d.add("Identity", "Production", "1", utc(0, 30, day=29, month=3), minutes=1)  # 00:31 GMT
    d.add("Identity", "Production", "2", utc(22, 50, day=29, month=3), minutes=1)  # 23:51 BST
    d.add("Identity", "Production", "3", utc(23, 5, day=29, month=3), minutes=1)  # 00:06 BST on the 30th
    model = report(d, date(2026, 3, 29))
    assert model.hours == 23
    assert model.totals.total == 2


def test_rows_show_local_times_details_and_errors() -> None:
    d = Deployments()
    d.add(
        "Payments",
        "Production",
        "0.9.0",
        utc(9, day=15, month=6),
        tenant="Acme",
        state="Failed",
        error="Deploy failed",
        by="bob",
    )
    model = report(d, date(2026, 6, 15))
    row = model.environments[0].problems[0]
    assert (row.project, row.tenant, row.version, row.deployed_by, row.error) == (
        "Payments",
        "Acme",
        "0.9.0",
        "bob",
        "Deploy failed",
    )
    assert row.queued is not None and row.queued.hour == 10  # BST
    assert row.duration == timedelta(minutes=5)


def test_successes_and_problems_are_separated_in_time_order() -> None:
    model = report(known_day())
    production = model.environments[1]
    assert [r.state for r in production.problems] == [
        TaskState.FAILED,
        TaskState.TIMED_OUT,
        TaskState.CANCELED,
    ]
    assert [r.project for r in production.successes] == ["Identity", "Payments", "Payments"]


def test_matrix_highlights_drift_from_the_environment_before() -> None:
    d = Deployments()
    d.add("Identity", "Staging", "1.2.0", utc(9))
    d.add("Identity", "Production", "1.1.0", utc(8))
    d.add("Catalog", "Staging", "2.3.0", utc(9))
    d.add("Catalog", "Production", "2.3.0", utc(10))
    model = report(d, groups={"shop": ["Identity", "catalog"]})
    assert model.matrix_environments == ("Staging", "Production")
    rows = {row.project: row for row in model.matrix}
    assert rows["Identity"].entries[1].drift_from == "Staging"
    assert rows["Identity"].drifted and not rows["Identity"].settled
    assert rows["Catalog"].settled


def test_matrix_shows_each_cells_own_state() -> None:
    d = Deployments()
    d.add("Identity", "Staging", "1.2.0", utc(9), state="Failed")
    d.add("Identity", "Production", "1.1.0", utc(8))
    d.add("Catalog", "Staging", "2.3.0", utc(9))
    d.add("Catalog", "Production", "2.3.0", utc(10), state="Executing")
    model = report(d, groups={"shop": ["Identity", "Catalog"]})
    states = {row.project: [e.state for e in row.entries] for row in model.matrix}
    assert states == {
        "Identity": [TaskState.FAILED, TaskState.SUCCESS],
        "Catalog": [TaskState.SUCCESS, TaskState.EXECUTING],
    }


def test_matrix_keeps_to_the_configured_groups_with_one_row_per_tenant() -> None:
    d = known_day()
    model = report(d, groups={"pay": ["Payments"]})
    assert [(row.project, row.tenant) for row in model.matrix] == [
        ("Payments", "Acme"),
        ("Payments", "Globex"),
    ]


def test_skipped_slots_are_listed_in_order() -> None:
    late = SkippedSlot("report:daily:2026-11-26T07:00+00:00", "report", "daily", utc(7), utc(9))
    early = SkippedSlot(
        "promotion:evening:2026-11-25T18:30+00:00", "promotion", "evening", utc(18, 30, day=25), utc(9)
    )
    model = build_report(DAY, LONDON, [], [], CATALOGUE, [], [late, early], generated_at=AFTER)
    assert [s.kind for s in model.skipped_slots] == ["promotion", "report"]


def test_an_empty_day_has_no_rates() -> None:
    model = build_report(DAY, LONDON, [], [], CATALOGUE, [], [], generated_at=AFTER)
    assert model.totals.total == 0
    assert model.totals.success_rate is None
    assert model.metrics.change_failure_rate is None
    assert model.metrics.mttr is None


def test_a_day_not_over_is_marked_in_progress_and_history_start_is_noted() -> None:
    model = build_report(DAY, LONDON, [], [], CATALOGUE, [], [], generated_at=utc(12), coverage_from=utc(10))
    assert model.in_progress
    assert model.coverage_from == utc(10)
    whole = build_report(
        DAY, LONDON, [], [], CATALOGUE, [], [], generated_at=AFTER, coverage_from=utc(0, day=1)
    )
    assert whole.coverage_from is None
