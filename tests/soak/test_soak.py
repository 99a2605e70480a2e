"""The soak's short form: two days of deployments under faults, then the invariants (tests/soak/harness.py).

The full week runs with `.venv/bin/python bench/soak/run.py`.
"""

from __future__ import annotations

from datetime import timedelta

from tests.soak.harness import Soak, SoakOptions

SHORT = SoakOptions(days=2, projects=50, tick_minutes=30, seed=11, settle_limit=timedelta(hours=6))


def test_two_faulty_days_leave_every_deployment_recorded_nothing_done_twice_or_out_of_order() -> None:
    with Soak(SHORT) as soak:
        figures = soak.run()
    print(figures.table())
    assert figures.deployments_happened > 200
    assert figures.deployments_recorded == figures.deployments_happened
    assert figures.deployments_missing == []
    assert figures.deployments_wrong_state == []
    assert figures.deployments_created_by_coord > 0
    assert figures.duplicate_deployments == {}
    assert figures.order_violations == []
    assert figures.duplicate_emails == {}
    assert figures.reports_by_day == dict.fromkeys(figures.report_days_expected, 1)
    assert figures.promotion_runs >= 1
    assert figures.promotion_runs_unfinished == []
    assert figures.tick_errors == []
    assert figures.settled_after is not None
    # The faults did happen: otherwise this test would prove nothing.
    assert figures.azurite_restarts >= 1
    assert figures.ticks["failed cleanly: Azurite down"] >= 1
    assert figures.ticks["process killed"] + figures.ticks["process finished"] >= 1
    assert figures.ticks["concurrent"] >= 2
    assert {"500", "503", "lost"} <= set(figures.octopus_faults)
    # Webhooks arrived, some late and some twice, and advanced runs between ticks.
    assert figures.webhooks_by_status.get("202", 0) > 100
    assert figures.webhooks_late > 0 and figures.webhooks_repeated > 0
    assert figures.runs_advanced_by_webhook > 0
    assert figures.violations() == []
