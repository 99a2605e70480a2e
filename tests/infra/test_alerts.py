"""The alerts that email the operators when the tick keeps failing or stops running."""

from __future__ import annotations

import pytest

from coord.settings import load_settings
from tests.infra import rules
from tests.infra.rules import ALERTS_BICEP, MAIN, PARAMETERS, Infra

DEFAULT_SCHEDULE = load_settings({}).tick_schedule


def test_the_alerts_watch_the_tick_over_three_intervals_and_email_the_operators(infra: Infra) -> None:
    assert rules.alert_problems(infra, DEFAULT_SCHEDULE) == []
    assert rules.parameter_defaults(infra)["alertAfterMinutes"] == ("15", "15")


@pytest.mark.parametrize(
    ("schedule", "minutes"),
    [
        ("0 * * * * *", 1),
        ("0 */5 * * * *", 5),
        ("0 0 * * * *", 60),
        ("0 30 */2 * * *", 120),
        ("0 0 9 * * 1-5", None),
    ],
)
def test_tick_intervals_are_read_from_the_plain_schedules(schedule: str, minutes: int | None) -> None:
    assert rules.tick_interval_minutes(schedule) == minutes


def test_checker_reports_alerts_on_a_function_that_does_not_exist(infra: Infra) -> None:
    broken = infra.edit(MAIN, "functionName: 'tick'", "functionName: 'heartbeat'")
    assert rules.alert_problems(broken, DEFAULT_SCHEDULE) == [
        f"{MAIN}: alerts watch 'heartbeat', not a timer of function_app.py"
    ]


def test_checker_reports_a_window_shorter_than_three_ticks(infra: Infra) -> None:
    assert rules.alert_problems(infra, "0 */10 * * * *") == [
        f"{MAIN}: alertAfterMinutes defaults to 15, less than three ticks of '0 */10 * * * *'"
    ]


def test_checker_reports_alerts_that_email_nobody_by_default(infra: Infra) -> None:
    broken = infra.edit(PARAMETERS, '"${ALERT_EMAILS}"', '"${ALERT_EMAILS=}"')
    assert rules.alert_problems(broken, DEFAULT_SCHEDULE) == [
        f"{PARAMETERS}: alertEmails must be ${{ALERT_EMAILS}}, which azd asks for when unset"
    ]


def test_checker_reports_a_rule_that_watches_every_function(infra: Infra) -> None:
    broken = infra.edit(
        ALERTS_BICEP,
        '\'requests | where name == "${functionName}" | summarize runs',
        "'requests | summarize runs",
    )
    assert rules.alert_problems(broken, DEFAULT_SCHEDULE) == [
        f"{ALERTS_BICEP}: each rule must query the requests of functionName"
    ]
