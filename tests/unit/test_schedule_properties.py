"""Properties of the scheduler for any cron, any zone and any DST transition: each slot once, in order.

The oracle walks UTC minute by minute and asks, for each instant, whether the local wall clock
shows a matching time for the first time (PEP 495 fold=0), or has just jumped over one.
"""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

from croniter import croniter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coord.schedules.cron import check_cron, due_slots, in_deny_window, last_slot, next_slot

MINUTE = timedelta(minutes=1)
NAMED_ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
ALL_ZONES = sorted(available_timezones() - {"Factory", "localtime"})


def _field(low: int, high: int) -> st.SearchStrategy[str]:
    number = st.integers(low, high)
    return st.one_of(
        st.just("*"),
        number.map(str),
        st.integers(2, max(2, (high - low) // 2)).map(lambda step: f"*/{step}"),
        st.tuples(number, number).map(lambda pair: f"{min(pair)}-{max(pair)}"),
        st.lists(number, min_size=2, max_size=3, unique=True).map(
            lambda items: ",".join(map(str, sorted(items)))
        ),
    )


crons = st.tuples(
    _field(0, 59),
    _field(0, 23),
    st.one_of(st.just("*"), _field(1, 28)),
    st.just("*"),
    st.one_of(st.just("*"), _field(0, 6)),
).map(" ".join)
zones = st.one_of(st.sampled_from(NAMED_ZONES), st.sampled_from(ALL_ZONES)).map(ZoneInfo)


def _next_transition(zone: ZoneInfo, start: datetime) -> datetime | None:
    """The first UTC minute within a year of `start` at which the zone's offset changes."""
    offset = start.astimezone(zone).utcoffset()
    day = start
    for _ in range(370):
        if (day + timedelta(days=1)).astimezone(zone).utcoffset() != offset:
            low, high = day, day + timedelta(days=1)
            while high - low > MINUTE:
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            return high
        day += timedelta(days=1)
    return None


@st.composite
def around_a_transition(draw: st.DrawFn) -> tuple[ZoneInfo, datetime, datetime]:
    """A zone and an interval of a few hours, around one of its offset changes when it has any."""
    zone = draw(zones)
    start = datetime(draw(st.integers(2000, 2037)), 1, 1, tzinfo=UTC) + timedelta(
        days=draw(st.integers(0, 364))
    )
    centre = _next_transition(zone, start) or start
    before = timedelta(minutes=draw(st.integers(1, 240)))
    after = timedelta(minutes=draw(st.integers(1, 240)))
    return zone, centre - before, centre + after


class Oracle:
    """Whether a cron matches a naive wall time, by set membership (croniter's Vixie day rule)."""

    def __init__(self, cron: str) -> None:
        self.sets = [set(values) for values in croniter(check_cron(cron)).expanded]
        # cron(5) as croniter reads it: when neither day field covers every day, either one may match.
        self.both_days_restricted = "*" not in self.sets[2] and "*" not in self.sets[4]

    def matches(self, wall: datetime) -> bool:
        minutes, hours, days, months, weekdays = self.sets

        def has(values: set, value: int) -> bool:
            return "*" in values or value in values

        if not (has(minutes, wall.minute) and has(hours, wall.hour) and has(months, wall.month)):
            return False
        by_date = has(days, wall.day)
        by_weekday = "*" in weekdays or wall.isoweekday() % 7 in {day % 7 for day in weekdays}
        # cron(5): when both day fields are restricted, either one matching is enough.
        return (by_date or by_weekday) if self.both_days_restricted else (by_date and by_weekday)

    def fires(self, instant: datetime, zone: ZoneInfo) -> bool:
        local = instant.astimezone(zone)
        wall = local.replace(tzinfo=None)
        previous = (instant - MINUTE).astimezone(zone).replace(tzinfo=None)
        if wall - previous > MINUTE:
            # The clocks jumped: fire here if any skipped wall time (or this one) matches.
            step = previous + MINUTE
            while step <= wall:
                if self.matches(step):
                    return True
                step += MINUTE
            return False
        return local.fold == 0 and self.matches(wall)


def _minutes(start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(second=0, microsecond=0) + MINUTE
    return [first + MINUTE * index for index in range(int((end - first) / MINUTE) + 1)]


common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(crons, around_a_transition())
def test_slots_are_exactly_the_instants_the_oracle_fires_in_order(cron: str, window: tuple) -> None:
    zone, start, end = window
    oracle = Oracle(cron)
    expected = [minute for minute in _minutes(start, end) if oracle.fires(minute, zone)]
    got = [slot.utc_time for slot in due_slots(cron, zone, start, end, kind="p", name="n")]
    assert got == expected


@common
@given(crons, around_a_transition(), st.data())
def test_checking_in_pieces_sees_each_slot_once(cron: str, window: tuple, data: st.DataObject) -> None:
    zone, start, end = window
    cuts = sorted(data.draw(st.lists(st.integers(0, int((end - start) / MINUTE)), max_size=5)))
    points = [start] + [start + MINUTE * cut + timedelta(seconds=17) for cut in cuts] + [end]
    points = sorted(set(points))
    pieces = []
    for low, high in pairwise(points):
        pieces += due_slots(cron, zone, low, high, kind="p", name="n")
    whole = due_slots(cron, zone, start, end, kind="p", name="n")
    assert pieces == whole
    keys = [slot.key for slot in whole]
    assert len(set(keys)) == len(keys)
    assert all(a.utc_time < b.utc_time for a, b in pairwise(whole))
    assert all(start < slot.utc_time <= end for slot in whole)


@common
@given(crons, around_a_transition())
def test_no_local_wall_time_fires_twice(cron: str, window: tuple) -> None:
    zone, start, end = window
    walls = [
        slot.local_time.replace(tzinfo=None) for slot in due_slots(cron, zone, start, end, kind="p", name="n")
    ]
    assert len(set(walls)) == len(walls)


@common
@given(crons, around_a_transition())
def test_next_and_last_slot_agree_with_due_slots(cron: str, window: tuple) -> None:
    zone, start, end = window
    slots = due_slots(cron, zone, start, end, kind="p", name="n")
    if slots:
        assert next_slot(cron, zone, start) == slots[0].utc_time
        assert last_slot(cron, zone, end) == slots[-1].utc_time
    else:
        assert next_slot(cron, zone, start) > end
        previous = last_slot(cron, zone, end)
        assert previous is None or previous <= start


class Window:
    def __init__(self, schedule: str, duration: timedelta) -> None:
        self.schedule, self.duration = schedule, duration


@common
@given(crons, around_a_transition(), st.integers(1, 180))
def test_a_deny_window_is_open_exactly_when_a_start_lies_within_its_duration(
    cron: str, window: tuple, minutes: int
) -> None:
    zone, _start, now = window
    duration = timedelta(minutes=minutes)
    started = due_slots(cron, zone, now - duration, now, kind="w", name="n")
    assert (in_deny_window([Window(cron, duration)], zone, now) is not None) is bool(started)
