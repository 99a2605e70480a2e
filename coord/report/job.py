"""The daily report job: build a day's report from the store, and send it once per scheduled slot.

Each tick looks for `report.schedule` slots since the last check (coord/schedules/cron.py). A slot
less than an hour old runs; an older one, missed while coord was down, is recorded as
skipped and listed in the next report (interface.md, "Notification and schedule guarantees").
The email's key is the date (`report:YYYY-MM-DD`), and the outbox records a key once, so
however many ticks, retries or slots reach the same day, its report is sent once.

A report waits until the day is certainly complete in the store: until a poll in the same
tick has caught up with Octopus at least an overlap after the day ended. While Octopus is
down or a catch-up is still running, the slot is kept as pending and the report follows on
the first tick that can vouch for the data, so no deployment Octopus saw is missing from it.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from coord.feed.events import OVERLAP
from coord.report.build import build_report
from coord.report.model import ReportModel, day_bounds
from coord.report.sources import history_start, note_history_start, promotion_runs_between, trend_history
from coord.schedules.cron import MISSED_SLOT_GRACE, classify_missed, due_slots
from coord.schedules.slots import SLOTS_TABLE, record_skipped_slots, skipped_slots_between
from coord.store import AlreadyExists, Entity, StaleState, Table, claim, read_claim

if TYPE_CHECKING:
    from coord.bootstrap import Services
    from coord.mail import Message

log = logging.getLogger(__name__)

SLOT_NAME = "daily"
_PENDING = "pending"  # partition of report days whose slot ran and whose email is not queued yet
# How long after a day ends its last events can still arrive: the poller's overlap.
DATA_SETTLE = OVERLAP
_CHECKED = ("checked", "report:daily")  # (partition, row) of the last time slots were looked for


def report_key(day: date) -> str:
    """The once-only key of a day's report email."""
    return f"report:{day.isoformat()}"


def build_day(services: Services, day: date) -> ReportModel | None:
    """The report of a local day, or None when coord keeps no data for it.

    No data is kept for a day that has not started yet, for any day before the first poll,
    and for a day that ended before the first poll's backfill horizon.
    """
    zone = services.config.zone
    start, end = day_bounds(day, zone)
    now = services.clock.now()
    if start > now:
        return None
    since = history_start(services)
    if since is None or end <= since:
        return None
    groups = {name: group.projects for name, group in services.config.groups.items()}
    return build_report(
        day,
        zone,
        services.repo.records_between(start, end),
        services.repo.matrix(),
        services.names.load(),
        promotion_runs_between(services, start, end),
        skipped_slots_between(services.store.table(SLOTS_TABLE), start, end),
        generated_at=now,
        groups=groups,
        coverage_from=since,
        history=trend_history(services, day, zone, since),
    )


def report_message(services: Services, model: ReportModel) -> Message:
    """The report as an email to `report.to`, keyed by its date."""
    from coord.mail import Message  # noqa: PLC0415
    from coord.report.render import render_report  # noqa: PLC0415  (Jinja2 loads on first use)

    config = services.config
    if config.report is None or config.mail is None:
        msg = "coord.yaml has no `report.to` and `mail.from`: there is nobody to send the report to"
        raise ValueError(msg)
    subject, html, text = render_report(model, services.links())
    return Message(
        key=report_key(model.day),
        sender=config.mail.sender,
        to=tuple(config.report.to),
        subject=subject,
        html=html,
        text=text,
    )


def send_due_report(services: Services, *, data_complete: bool = True) -> str | None:
    """Queue the report of the previous local day when a `report.schedule` slot is due; a note, or None.

    `data_complete` says whether this tick's poll caught up with Octopus; without it, due
    reports wait as pending.
    """
    now = services.clock.now()
    note_history_start(services, now)
    config = services.config
    if config.report is None or config.mail is None:
        return None
    table = services.store.table(SLOTS_TABLE)
    checked = table.get(*_CHECKED)
    # First run: look back one grace period, so a slot just before coord started still runs.
    last = checked["At"] if checked is not None else now - MISSED_SLOT_GRACE
    if last >= now:
        return None  # a replay with an earlier --now: those slots were looked at already
    slots = due_slots(config.report.schedule, config.zone, last, now, kind="report", name=SLOT_NAME)
    run, missed = classify_missed(slots, now)
    notes: list[str] = []
    for slot in run:
        day = slot.local_time.date() - timedelta(days=1)
        # Pending first, then the slot's claim: a crash in between repeats harmlessly.
        table.upsert({"PartitionKey": _PENDING, "RowKey": day.isoformat()})
        claim(table, slot.key, data={"Day": day.isoformat()})  # the slot ran
    notes += _send_pending(services, table, now, data_complete=data_complete)
    skipped = [slot for slot in missed if read_claim(table, slot.key) is None]
    if record_skipped_slots(table, skipped, now):
        notes.append(f"report: {len(skipped)} missed slot(s) recorded as skipped")
    _save_checked(table, checked, now)
    return "; ".join(note for note in notes if note) or None


def _send_pending(services: Services, table: Table, now: datetime, *, data_complete: bool) -> list[str]:
    """Queue each pending day's report whose data is complete; say which still wait."""
    notes: list[str] = []
    for row in table.partition(_PENDING):
        day = date.fromisoformat(str(row["RowKey"]))
        _, end = day_bounds(day, services.config.zone)
        if not data_complete or now < end + DATA_SETTLE:
            notes.append(f"report {day}: waiting until the poll has caught up with Octopus")
            continue
        notes.append(_queue(services, day))
        table.delete(_PENDING, day.isoformat())
    return notes


def _queue(services: Services, day: date) -> str:
    key = report_key(day)
    if services.outbox.entry(key) is not None:
        return ""  # queued by an earlier slot, tick or `report --send`
    model = build_day(services, day)
    if model is None:
        log.info("no report for %s: coord keeps no data for that day", day)
        return f"report {day}: no data kept for that day"
    message = report_message(services, model)
    queued = services.outbox.enqueue(message)
    return f"report {day}: queued for {len(message.to)} recipient(s)" if queued else ""


def _save_checked(table: Table, checked: Entity | None, now: datetime) -> None:
    row = {"PartitionKey": _CHECKED[0], "RowKey": _CHECKED[1], "At": now.astimezone(UTC)}
    try:
        if checked is None:
            table.insert(row)
        elif checked["At"] < now:
            table.replace(row, etag=checked.etag)
    except (AlreadyExists, StaleState):
        # Another tick moved it meanwhile; slots are keyed, so nothing runs twice either way.
        log.debug("report slot check time was moved by another tick")
