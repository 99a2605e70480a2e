"""How Octopus writes times and durations (octopus-api.md Holdout facts 2-3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def iso(when: datetime | None) -> str | None:
    """`2026-11-26T18:30:00.000+00:00`: milliseconds and an explicit offset; None stays null."""
    if when is None:
        return None
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+00:00"


def culture_time(when: datetime) -> str:
    """`2/1/2023 12:00:00 AM +00:00`: how a real server writes `from`/`to` into Page links (§2)."""
    when = when.astimezone(UTC)
    hour = when.hour % 12 or 12
    half = "AM" if when.hour < 12 else "PM"
    return f"{when.month}/{when.day}/{when.year} {hour}:{when.minute:02d}:{when.second:02d} {half} +00:00"


_CULTURE = re.compile(
    r"^(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4}) (?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2}) "
    r"(?P<half>AM|PM) (?P<offset>[-+]\d{2}:\d{2})$"
)


def parse_time(text: str) -> datetime:
    """An ISO-8601 time from a query string or body (`Z`, offsets, date only); naive means UTC.

    The en-US text a real server writes into its own Page links (`culture_time`) is read back too.
    """
    culture = _CULTURE.match(text.strip())
    if culture:
        hour = int(culture["h"]) % 12 + (12 if culture["half"] == "PM" else 0)
        value = (
            f"{culture['y']}-{int(culture['mo']):02d}-{int(culture['d']):02d}T{hour:02d}:{culture['mi']}:"
            f"{culture['s']}{culture['offset']}"
        )
        return datetime.fromisoformat(value).astimezone(UTC)
    value = text.strip().replace(" ", "+")
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    # Python before 3.11 rejects 7 fractional digits; Octopus 2019 servers send them (Holdout 2).
    value = re.sub(r"(\.\d{6})\d+", r"\1", value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def duration_text(span: timedelta) -> str:
    """Human text with one unit, as Octopus shows it: `32 seconds`, `1 minute`, `2 hours`."""
    seconds = max(0, int(span.total_seconds()))
    if seconds >= 86400:
        return _plural(seconds // 86400, "day")
    if seconds >= 3600:
        return _plural(seconds // 3600, "hour")
    if seconds >= 60:
        return _plural(seconds // 60, "minute")
    return _plural(seconds, "second")


def completed_text(when: datetime) -> str:
    """The task's `Completed` display string, e.g. `Monday, March 20, 2017 9:00 PM`."""
    hour = when.hour % 12 or 12
    half = "AM" if when.hour < 12 else "PM"
    return (
        f"{_DAYS[when.weekday()]}, {_MONTHS[when.month - 1]} {when.day}, {when.year} "
        f"{hour}:{when.minute:02d} {half}"
    )


_OFFSET = re.compile(
    r"^(?P<sign>[-+])?\s*(?:(?P<d>\d+)d)?\s*(?:(?P<h>\d+)h)?\s*(?:(?P<m>\d+)m)?\s*(?:(?P<s>\d+)s)?$"
)


def parse_span(text: str | int | float | timedelta) -> timedelta:
    """`90s`, `5m`, `2h`, `1d4h`, `-3d` (or a number of seconds) as a timedelta."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, int | float):
        return timedelta(seconds=text)
    match = _OFFSET.match(text.strip())
    if not match or not any(match.group(k) for k in "dhms"):
        msg = f"{text!r} is not a duration like 90s, 5m, 2h or 1d4h"
        raise ValueError(msg)
    span = timedelta(
        days=int(match["d"] or 0),
        hours=int(match["h"] or 0),
        minutes=int(match["m"] or 0),
        seconds=int(match["s"] or 0),
    )
    return -span if match["sign"] == "-" else span
