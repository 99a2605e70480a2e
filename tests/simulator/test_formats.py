"""Holdout 2-3: how times and durations are written."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.octosim.formats import completed_text, duration_text, iso, parse_time

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


def test_timestamps_have_milliseconds_and_an_explicit_offset():
    assert iso(datetime(2026, 11, 26, 18, 30, 0, 123456, tzinfo=UTC)) == "2026-11-26T18:30:00.123+00:00"


def test_unset_times_are_null():
    assert iso(None) is None


def test_parse_time_accepts_seven_fractional_digits_and_z():
    assert parse_time("2019-04-26T18:37:34.3616214+00:00").microsecond == 361621
    assert parse_time("2026-01-01T00:00:00Z") == datetime(2026, 1, 1, tzinfo=UTC)


def test_duration_is_human_text_with_one_unit():
    assert duration_text(timedelta(seconds=32)) == "32 seconds"
    assert duration_text(timedelta(seconds=59)) == "59 seconds"
    assert duration_text(timedelta(seconds=60)) == "1 minute"
    assert duration_text(timedelta(minutes=125)) == "2 hours"
    assert duration_text(timedelta(seconds=1)) == "1 second"


def test_completed_is_display_text():
    assert completed_text(datetime(2017, 3, 20, 21, 0, tzinfo=UTC)) == "Monday, March 20, 2017 9:00 PM"


def test_every_timestamp_in_a_task_matches_the_octopus_format(octosim, api):
    task = api.get("/api/tasks/ServerTasks-1").json()
    for name in ("QueueTime", "StartTime", "LastUpdatedTime", "CompletedTime"):
        assert TIMESTAMP.match(task[name]), name
    assert task["QueueTimeExpiry"] is None
