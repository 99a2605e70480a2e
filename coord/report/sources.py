"""What the report reads besides deployments: promotion runs, and how far coord's history goes.

Skipped schedule slots come from `coord/schedules/slots.py`; the start of history is noted once
in the same `slots` table.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from coord.feed.events import OVERLAP
from coord.report.model import Counts, DayCount, RunSummary, day_bounds
from coord.report.trend import count, trend_days
from coord.schedules.slots import SLOTS_TABLE
from coord.store import AlreadyExists

if TYPE_CHECKING:
    from coord.bootstrap import Services

_HORIZON = ("report", "horizon")  # (partition, row) of the first moment coord's history covers
_TREND = "trend"  # partition of each complete day's counts, keyed by its date, computed once


def promotion_runs_between(services: Services, start: datetime, end: datetime) -> list[RunSummary]:
    """Promotion runs that started or ended in [start, end), as the report lists them."""
    from coord.promotion.runner import runs  # noqa: PLC0415 (the report loads promotions only here)

    summaries = []
    for run in runs(services).runs_between(start, end):
        statuses = [step.status.value for step in run.steps]
        summaries.append(
            RunSummary(
                run_id=run.id,
                group=run.group,
                source=run.source,
                target=run.target,
                outcome=_OUTCOMES.get(run.phase.value, "running"),
                started=run.started or run.created,
                finished=run.finished,
                promotion=run.promotion,
                requested_by=run.requested_by,
                deployed=statuses.count("succeeded"),
                failed=statuses.count("failed"),
                skipped=statuses.count("skipped"),
                blocked=statuses.count("blocked"),
            )
        )
    return sorted(summaries, key=lambda s: s.started)


# Run phases as the report words them.
_OUTCOMES = {
    "Succeeded": "succeeded",
    "Failed": "failed",
    "RolledBack": "rolled back",
    "Canceled": "canceled",
    "Halting": "halted",
}


def note_history_start(services: Services, now: datetime) -> None:
    """Remember, once, the backfill horizon of the first poll: the start of the data coord keeps."""
    table = services.store.table(SLOTS_TABLE)
    if table.get(*_HORIZON) is not None:
        return
    cursor, _ = services.repo.load_cursor()
    if cursor is None:
        return  # nothing polled yet
    since = now - timedelta(days=services.settings.backfill_days)
    try:
        table.insert({"PartitionKey": _HORIZON[0], "RowKey": _HORIZON[1], "Since": since.astimezone(UTC)})
    except AlreadyExists:
        return


def history_start(services: Services) -> datetime | None:
    """The earliest moment coord has deployment data for, or None before the first poll.

    That is the first poll's backfill horizon when it was noted, or the creation day of the
    earliest stored deployment when that is older (a deployment created before the horizon
    and finished after it is recorded too).
    """
    cursor, _ = services.repo.load_cursor()
    if cursor is None:
        return None
    candidates: list[datetime] = []
    noted = services.store.table(SLOTS_TABLE).get(*_HORIZON)
    if noted is not None:
        candidates.append(noted["Since"])
    # Rows are returned in PartitionKey order and partitions are UTC dates: the first is the oldest.
    first = next(
        iter(services.store.table("deployments").query("PartitionKey ge @lo", {"lo": "0"}, ["PartitionKey"])),
        None,
    )
    if first is not None:
        candidates.append(datetime.fromisoformat(str(first["PartitionKey"])).replace(tzinfo=UTC))
    return min(candidates) if candidates else cursor.through


def trend_history(services: Services, day: date, zone: ZoneInfo, since: datetime | None) -> list[DayCount]:
    """The counts of the days before `day` that its trend shows, oldest first.

    A day's counts are computed from its records once, and kept once the poll has read past the
    day's end (then no deployment can still join it); a day before `since` has no counts.
    """
    days = trend_days(day)[:-1]
    table = services.store.table(SLOTS_TABLE)
    rows = table.query(
        "PartitionKey eq @p and RowKey ge @lo and RowKey le @hi",
        {"p": _TREND, "lo": days[0].isoformat(), "hi": days[-1].isoformat()},
    )
    kept = {str(row["RowKey"]): row for row in rows if row.get("Zone") == zone.key}
    cursor, _ = services.repo.load_cursor()
    found: list[DayCount] = []
    for each in days:
        start, end = day_bounds(each, zone)
        row = kept.get(each.isoformat())
        if since is None or end <= since:
            found.append(DayCount(each, None))
        elif row is not None:
            found.append(DayCount(each, Counts(int(row["Succeeded"]), int(row["Failed"]), int(row["Other"]))))
        else:
            counts = count(services.repo.records_between(start, end))
            if cursor is not None and cursor.through >= end + OVERLAP:
                key = {"PartitionKey": _TREND, "RowKey": each.isoformat(), "Zone": zone.key}
                table.upsert(
                    {**key, "Succeeded": counts.succeeded, "Failed": counts.failed, "Other": counts.other}
                )
            found.append(DayCount(each, counts))
    return found
