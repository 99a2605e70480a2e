"""Deployments per day over the last two weeks, and per hour over the report's day (pure).

A deployment is counted where the report counts it (coord/report/model.py): at the moment it
finished, or, while still running, when it was queued. Hours are the local day's hours, so a
day on which the clocks change has 23 or 25 of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from coord.domain.records import DeploymentRecord, TaskState
from coord.report.model import FAILURES, TREND_DAYS, Counts, HourCount


def count(records: Iterable[DeploymentRecord]) -> Counts:
    """The records by outcome."""
    succeeded = failed = other = 0
    for record in records:
        if record.state is TaskState.SUCCESS:
            succeeded += 1
        elif record.state in FAILURES:
            failed += 1
        else:
            other += 1
    return Counts(succeeded, failed, other)


def by_hour(
    records: Iterable[DeploymentRecord], start: datetime, end: datetime, zone: ZoneInfo
) -> tuple[HourCount, ...]:
    """The day [start, end) (UTC) hour by hour, each hour labelled with its local start."""
    hours: list[datetime] = []
    moment = start
    while moment < end:
        hours.append(moment)
        moment += timedelta(hours=1)  # UTC steps: a 23- or 25-hour local day gets as many bars
    buckets: list[list[DeploymentRecord]] = [[] for _ in hours]
    for record in records:
        at = record.belongs_at
        if start <= at < end:
            buckets[min(int((at - start).total_seconds() // 3600), len(hours) - 1)].append(record)
    return tuple(HourCount(h.astimezone(zone), count(b)) for h, b in zip(hours, buckets, strict=True))


def trend_days(day: date) -> list[date]:
    """The days the trend of `day`'s report shows, oldest first, ending with `day`."""
    return [day - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
