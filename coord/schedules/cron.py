"""Cron schedules in an IANA zone: due slots, DST rules, missed slots and deny windows (pure).

croniter reads and steps the 5-field expression over naive local wall-clock times; this module
turns each wall-clock time into one UTC instant itself, because croniter's own zone handling fires
twice in a repeated hour, and interface.md asks for each local time to fire once:

- a wall-clock time that does not exist (the clocks jump forward over it) fires once, at the first
  valid instant after the jump;
- a wall-clock time that happens twice (the clocks go back) fires once, at its first occurrence.

That mapping never goes backwards in time, so the slots of a schedule form one increasing series
of UTC instants; `due_slots(..., a, b)` is the part of it in (a, b], and consecutive calls over
adjacent intervals see each slot exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

# croniter ships no type hints.
from croniter import (  # type: ignore[import-untyped]
    CroniterBadCronError,
    CroniterBadDateError,
    CroniterError,
    croniter,
)

MISSED_SLOT_GRACE = timedelta(hours=1)
_ONE_VALUE_RANGE = re.compile(r"(?<![\w/])(\d+|[A-Za-z]{3})-\1(?:/\d+)?(?![\w/])", re.IGNORECASE)
_EPOCH = datetime(2000, 1, 1)  # noqa: DTZ001  (a naive wall-clock start for validity checks)


class CronError(ValueError):
    """A cron expression that is not a usable 5-field schedule."""


@dataclass(frozen=True)
class Slot:
    """One firing of a schedule: its once-only key, and when it fires in the zone and in UTC."""

    key: str
    local_time: datetime
    utc_time: datetime


@dataclass(frozen=True, slots=True)
class SkippedSlot:
    """A schedule slot that was missed by more than the grace period and did not run."""

    key: str
    kind: str  # promotion or report
    name: str
    slot_time: datetime  # UTC
    recorded_at: datetime  # UTC


def check_cron(expression: str) -> str:
    """Return the expression with normalised spacing, or raise CronError saying what is wrong."""
    fields = expression.split()
    if len(fields) != 5:
        msg = (
            f"{expression!r} is not a valid cron expression "
            f"(expected 5 fields: minute hour day-of-month month day-of-week, got {len(fields)})"
        )
        raise CronError(msg)
    # croniter 7.0 reads a one-value range such as `3-3` as `*` (every value); say what is meant.
    normalised = " ".join(_ONE_VALUE_RANGE.sub(r"\1", field) for field in fields)
    try:
        croniter(normalised, _EPOCH).get_next(datetime)
    except CroniterBadDateError as exc:
        msg = f"{expression!r} never fires (no date matches it)"
        raise CronError(msg) from exc
    except (CroniterBadCronError, CroniterError, ValueError, KeyError) as exc:
        msg = f"{expression!r} is not a valid cron expression"
        raise CronError(msg) from exc
    return normalised


def slot_key(kind: str, name: str, utc_time: datetime) -> str:
    """The once-only key of a slot, e.g. `promotion:evening:2026-11-26T18:30+00:00`."""
    instant = utc_time.astimezone(UTC).replace(second=0, microsecond=0)
    return f"{kind}:{name}:{instant.isoformat(timespec='minutes')}"


def to_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant at which a naive local wall-clock time fires in `zone` (DST rules above)."""
    # PEP 495: fold=0 picks the first of two occurrences of a repeated time.
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # The wall time falls in a gap. With fold=1 zoneinfo applies the offset after the jump, which
    # lands before the jump; with fold=0 the offset before it, which lands after. The jump is between.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = instant
    return _first_instant_with_offset(before, after, zone)


def _first_instant_with_offset(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant between `before` and `after` (to the second), by bisection."""
    target = after.astimezone(zone).utcoffset()
    low, high = before, after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _aware_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        msg = f"{name} must be an aware datetime"
        raise ValueError(msg)
    return moment.astimezone(UTC)


def iter_slots(cron: str, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """UTC instants at which `cron` fires in `zone`, strictly after `after`, in increasing order."""
    after = _aware_utc(after, "after")
    # Every wall time at or before wall(after) maps to an instant at or before `after` (the mapping
    # is monotonic), so iterating from wall(after) misses nothing.
    walls = croniter(check_cron(cron), _wall(after, zone))
    previous = after
    while True:
        instant = to_instant(walls.get_next(datetime), zone)
        # Several wall times of one gap (or of a repeated hour) map to the same instant: fire once.
        if instant > previous:
            previous = instant
            yield instant


def next_slot(cron: str, zone: ZoneInfo, after: datetime) -> datetime:
    """The first UTC instant strictly after `after` at which `cron` fires in `zone`."""
    return next(iter_slots(cron, zone, after))


def next_timer_firing(ncrontab: str, after: datetime) -> datetime:
    """When the Functions timer with this NCRONTAB schedule (UTC; seconds first, or 5 fields) fires next."""
    fields = ncrontab.split()
    after = _aware_utc(after, "after")
    try:
        walls = croniter(" ".join(fields), after.replace(tzinfo=None), second_at_beginning=len(fields) == 6)
        firing: datetime = walls.get_next(datetime)
    except (CroniterBadCronError, CroniterBadDateError, CroniterError, ValueError, KeyError) as exc:
        msg = f"{ncrontab!r} is not a valid NCRONTAB expression"
        raise CronError(msg) from exc
    return firing.replace(tzinfo=UTC)


def due_slots(
    cron: str, zone: ZoneInfo, last_checked: datetime, now: datetime, *, kind: str, name: str
) -> list[Slot]:
    """Slots of `cron` in `zone` with last_checked < slot <= now, oldest first, keyed `kind:name:utc`."""
    now = _aware_utc(now, "now")
    slots = []
    for instant in iter_slots(cron, zone, last_checked):
        if instant > now:
            break
        slots.append(Slot(slot_key(kind, name, instant), instant.astimezone(zone), instant))
    return slots


def last_slot(cron: str, zone: ZoneInfo, at: datetime) -> datetime | None:
    """The latest UTC instant at or before `at` at which `cron` fires in `zone` (None if none)."""
    at = _aware_utc(at, "at")
    # A wall time just after wall(at) can still map to an instant before `at` when `at` is in the
    # second pass of a repeated hour; start past any such hour and step back.
    offsets = [(at - timedelta(hours=6 * step)).astimezone(zone).utcoffset() for step in range(9)]
    current = at.astimezone(zone).utcoffset()
    assert current is not None
    repeated = max(offset for offset in offsets if offset is not None) - current
    start = _wall(at, zone) + max(repeated, timedelta(0)) + timedelta(minutes=1)
    walls = croniter(check_cron(cron), start)
    while True:
        try:
            wall = walls.get_prev(datetime)
        except CroniterBadDateError:
            return None
        instant = to_instant(wall, zone)
        if instant <= at:
            return instant


def classify_missed(
    slots: Iterable[Slot], now: datetime, grace: timedelta = MISSED_SLOT_GRACE
) -> tuple[list[Slot], list[Slot]]:
    """Split due slots into those to run (less than `grace` old) and those to record as skipped."""
    now = _aware_utc(now, "now")
    run: list[Slot] = []
    skipped: list[Slot] = []
    for slot in slots:
        (run if now - slot.utc_time < grace else skipped).append(slot)
    return run, skipped


class WindowSpec(Protocol):
    """A deny window as configured: a cron start and how long it lasts."""

    @property
    def schedule(self) -> str: ...

    @property
    def duration(self) -> timedelta: ...


W = TypeVar("W", bound=WindowSpec)


@dataclass(frozen=True)
class DenyPeriod(Generic[W]):
    """A deny window that is open: which one, and from when until when (UTC)."""

    window: W
    starts: datetime
    ends: datetime


def in_deny_window(windows: Iterable[W], zone: ZoneInfo, now: datetime) -> DenyPeriod[W] | None:
    """The open deny window at `now` that closes last, or None when nothing is denied."""
    now = _aware_utc(now, "now")
    open_periods = []
    for window in windows:
        start = last_slot(window.schedule, zone, now)
        if start is not None and now < start + window.duration:
            open_periods.append(DenyPeriod(window, start, start + window.duration))
    if not open_periods:
        return None
    return max(open_periods, key=lambda period: period.ends)
