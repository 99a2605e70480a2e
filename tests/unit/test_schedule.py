"""Cron slots in an IANA zone: DST gaps and folds, missed slots, deny windows, slot keys."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coord.schedules.cron import (
    CronError,
    Slot,
    check_cron,
    classify_missed,
    due_slots,
    in_deny_window,
    last_slot,
    next_slot,
    next_timer_firing,
    slot_key,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def instants(cron: str, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    return [slot.utc_time for slot in due_slots(cron, zone, start, end, kind="promotion", name="x")]


def test_a_slot_fires_at_local_time_and_its_key_is_the_utc_minute() -> None:
    slots = due_slots(
        "30 18 * * 1-4", LONDON, utc(2026, 11, 26, 0), utc(2026, 11, 27, 0), kind="promotion", name="evening"
    )
    assert slots == [
        Slot(
            "promotion:evening:2026-11-26T18:30+00:00",
            datetime(2026, 11, 26, 18, 30, tzinfo=LONDON),
            utc(2026, 11, 26, 18, 30),
        )
    ]


def test_summer_time_shifts_the_utc_instant() -> None:
    assert instants("30 18 * * *", LONDON, utc(2026, 7, 1), utc(2026, 7, 2)) == [utc(2026, 7, 1, 17, 30)]


def test_a_time_skipped_by_the_clocks_going_forward_fires_once_when_the_clocks_resume() -> None:
    # London 2026-03-29: 01:00 GMT jumps to 02:00 BST, so 01:30 does not exist that day.
    assert instants("30 1 * * *", LONDON, utc(2026, 3, 28), utc(2026, 3, 30, 12)) == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 0),  # 02:00 BST, the first valid instant after the gap
        utc(2026, 3, 30, 0, 30),
    ]


def test_several_times_in_one_gap_fire_once_together() -> None:
    got = instants("*/20 * * * *", LONDON, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30))
    assert got == [utc(2026, 3, 29, 0, 40), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 20)]


def test_a_time_repeated_by_the_clocks_going_back_fires_once_at_its_first_occurrence() -> None:
    # London 2026-10-25: 02:00 BST goes back to 01:00 GMT, so 01:30 happens twice.
    assert instants("30 1 * * *", LONDON, utc(2026, 10, 24), utc(2026, 10, 26)) == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),  # 01:30 BST; 01:30 GMT an hour later does not fire
    ]


def test_every_half_hour_across_the_repeated_hour_fires_each_local_time_once() -> None:
    got = due_slots(
        "*/30 * * * *", LONDON, utc(2026, 10, 24, 23, 45), utc(2026, 10, 25, 2, 45), kind="p", name="x"
    )
    assert [slot.local_time.strftime("%H:%M %Z") for slot in got] == [
        "01:00 BST",
        "01:30 BST",
        "02:00 GMT",
        "02:30 GMT",
    ]


def test_half_hour_dst_of_lord_howe() -> None:
    # Lord Howe 2026-04-05: 02:00 +11 goes back to 01:30 +10:30, so 01:30-02:00 happens twice.
    assert instants("45 1 * * *", LORD_HOWE, utc(2026, 4, 4), utc(2026, 4, 5)) == [utc(2026, 4, 4, 14, 45)]
    # Lord Howe 2026-10-04: 02:00 +10:30 jumps to 02:30 +11, so 02:15 fires at 02:30.
    assert instants("15 2 * * *", LORD_HOWE, utc(2026, 10, 3), utc(2026, 10, 4)) == [utc(2026, 10, 3, 15, 30)]


def test_a_day_missing_from_the_calendar_fires_once_at_its_end() -> None:
    # Samoa skipped 2011-12-30 entirely.
    got = instants("0 12 * * *", ZoneInfo("Pacific/Apia"), utc(2011, 12, 29, 0), utc(2011, 12, 30, 12))
    assert got == [utc(2011, 12, 29, 22), utc(2011, 12, 30, 10)]


def test_consecutive_checks_see_each_slot_once() -> None:
    whole = instants("*/15 * * * *", NEW_YORK, utc(2026, 11, 1, 4), utc(2026, 11, 1, 8))
    parts = instants("*/15 * * * *", NEW_YORK, utc(2026, 11, 1, 4), utc(2026, 11, 1, 5, 7)) + instants(
        "*/15 * * * *", NEW_YORK, utc(2026, 11, 1, 5, 7), utc(2026, 11, 1, 8)
    )
    assert parts == whole
    assert len(set(whole)) == len(whole)


def test_a_slot_exactly_at_now_is_due_and_one_exactly_at_last_checked_is_not() -> None:
    assert instants("0 * * * *", ZoneInfo("UTC"), utc(2026, 1, 1, 1), utc(2026, 1, 1, 2)) == [
        utc(2026, 1, 1, 2)
    ]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_slots("* * * * *", LONDON, datetime(2026, 1, 1), utc(2026, 1, 2), kind="p", name="x")  # noqa: DTZ001


def test_next_slot_is_strictly_after_the_given_time() -> None:
    assert next_slot("0 7 * * *", LONDON, utc(2026, 6, 1, 6)) == utc(2026, 6, 2, 6)
    assert next_slot("0 0 29 2 *", LONDON, utc(2026, 1, 1)) == utc(2028, 2, 29)


def test_last_slot_in_the_second_pass_of_a_repeated_hour_is_the_first_occurrence() -> None:
    assert last_slot("30 1 * * *", LONDON, utc(2026, 10, 25, 1, 45)) == utc(2026, 10, 25, 0, 30)


def test_slot_keys_use_the_utc_minute() -> None:
    moment = datetime(2026, 11, 26, 19, 30, 42, tzinfo=ZoneInfo("Europe/Paris"))
    assert slot_key("report", "daily", moment) == "report:daily:2026-11-26T18:30+00:00"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("61 * * * *", "not a valid cron expression"),
        ("* * * *", "expected 5 fields"),
        ("0 * * * * *", "expected 5 fields"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 * * mon-xyz", "not a valid cron expression"),
        ("", "expected 5 fields"),
    ],
)
def test_bad_cron_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        check_cron(expression)


@pytest.mark.parametrize(
    ("written", "meant"),
    [("0 0 * * 3-3", "0 0 * * 3"), ("0 0 5-5/2 * *", "0 0 5 * *"), ("0 0 * * wed-WED", "0 0 * * wed")],
)
def test_a_one_value_range_means_that_value(written: str, meant: str) -> None:
    assert check_cron(written) == meant
    assert next_slot(written, ZoneInfo("UTC"), utc(2026, 1, 1)) == next_slot(
        meant, ZoneInfo("UTC"), utc(2026, 1, 1)
    )


def test_cron_spacing_is_normalised() -> None:
    assert check_cron("  30  18 * *   1-4 ") == "30 18 * * 1-4"


def test_missed_slots_under_an_hour_old_run_and_older_ones_are_skipped() -> None:
    slots = due_slots(
        "*/20 * * * *", ZoneInfo("UTC"), utc(2026, 1, 1, 9), utc(2026, 1, 1, 11), kind="p", name="x"
    )
    run, skipped = classify_missed(slots, utc(2026, 1, 1, 11))
    assert [slot.utc_time for slot in run] == [
        utc(2026, 1, 1, 10, 20),
        utc(2026, 1, 1, 10, 40),
        utc(2026, 1, 1, 11),
    ]
    assert [slot.utc_time.minute for slot in skipped] == [
        20,
        40,
        0,
    ]  # 09:20, 09:40 and 10:00: an hour or more


@dataclass(frozen=True)
class Window:
    schedule: str
    duration: timedelta


CHRISTMAS = Window("0 0 24 12 *", timedelta(hours=72))


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        (utc(2026, 12, 23, 23, 59), False),
        (utc(2026, 12, 24, 0, 0), True),
        (utc(2026, 12, 26, 23, 59), True),
        (utc(2026, 12, 27, 0, 0), False),
    ],
)
def test_a_deny_window_is_open_from_its_start_for_its_duration(now: datetime, open_: bool) -> None:
    period = in_deny_window([CHRISTMAS], LONDON, now)
    assert (period is not None) is open_
    if period is not None:
        assert period.window is CHRISTMAS
        assert (period.starts, period.ends) == (utc(2026, 12, 24), utc(2026, 12, 27))


def test_a_deny_window_starts_in_local_time() -> None:
    nightly = Window("0 22 * * *", timedelta(hours=2))
    assert in_deny_window([nightly], NEW_YORK, utc(2026, 7, 2, 2, 30)) is not None  # 22:30 EDT
    assert in_deny_window([nightly], NEW_YORK, utc(2026, 7, 2, 4, 30)) is None  # 00:30 EDT


def test_of_overlapping_windows_the_one_closing_last_is_reported() -> None:
    short, long_ = Window("0 9 * * *", timedelta(hours=1)), Window("0 8 * * *", timedelta(hours=4))
    period = in_deny_window([short, long_], ZoneInfo("UTC"), utc(2026, 1, 1, 9, 30))
    assert period is not None
    assert period.window is long_


def test_no_windows_deny_nothing() -> None:
    assert in_deny_window([], LONDON, utc(2026, 1, 1)) is None


@pytest.mark.parametrize(
    ("ncrontab", "after", "fires"),
    [
        ("0 * * * * *", utc(2026, 11, 26, 18, 30, 0), utc(2026, 11, 26, 18, 31, 0)),
        ("0 * * * * *", utc(2026, 11, 26, 18, 30, 59), utc(2026, 11, 26, 18, 31, 0)),
        ("0 */5 * * * *", utc(2026, 11, 26, 18, 31, 0), utc(2026, 11, 26, 18, 35, 0)),
        ("30 */2 * * * *", utc(2026, 11, 26, 18, 30, 31), utc(2026, 11, 26, 18, 32, 30)),
        ("*/5 * * * *", utc(2026, 11, 26, 18, 31, 0), utc(2026, 11, 26, 18, 35, 0)),
    ],
)
def test_the_timer_fires_next_as_its_ncrontab_says_seconds_first(
    ncrontab: str, after: datetime, fires: datetime
) -> None:
    assert next_timer_firing(ncrontab, after) == fires


def test_a_timer_schedule_that_is_not_ncrontab_is_an_error() -> None:
    with pytest.raises(CronError, match="every minute"):
        next_timer_firing("every minute", utc(2026, 11, 26))
