"""The heartbeat: one tick polls Octopus, starts what is due, advances runs, notifies and sends mail.

The one orchestrator (design.md): it calls each capability's job in order; the timer function
and `python -m coord tick` both run exactly this.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from coord.alldeployed.job import notify_all_deployed
from coord.bootstrap import Services
from coord.feed.poller import PollReport
from coord.feed.service import poll
from coord.octopus import OctopusError
from coord.promotion.jobs import advance_active_runs, run_due_promotions
from coord.promotion.watch import follow_after_tick
from coord.report.job import send_due_report

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TickReport:
    """What one heartbeat did."""

    poll: PollReport | None = None
    poll_skipped: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        if self.poll_skipped:
            parts.append("poll: another poll was running")
        elif self.poll is not None:
            parts.append("poll: " + self.poll.summary())
        return "; ".join(parts + self.notes) or "nothing to do"


def tick(services: Services, *, follow: bool = False) -> TickReport:
    """One heartbeat: everything the timer function does; `follow` then follows runs in flight."""
    started = services.clock.now()
    report = TickReport()
    try:
        result = poll(services)
    except OctopusError as exc:
        # The other steps still run: they work from the stored state, and the report waits
        # until a poll catches up again.
        log.warning("poll failed: %s", exc)
        report.notes.append(f"poll failed: {exc}")
        result = None
    else:
        report.poll = result
        report.poll_skipped = result is None
    fresh = result is not None and result.caught_up
    report.notes += run_due_promotions(services, data_fresh=fresh)
    report.notes += advance_active_runs(services)
    report.notes += notify_all_deployed(services)
    daily = send_due_report(services, data_complete=fresh)
    if daily:
        report.notes.append(daily)
    report.notes += deliver_mail(services)
    if follow and (report.poll is not None or report.poll_skipped):
        # Not while Octopus is unreachable: the next tick tries again.
        report.notes += follow_runs(services, started)
    return report


def follow_runs(services: Services, started: datetime) -> list[str]:
    """Follow runs with deployments in flight until shortly before the next tick; mail what ended."""
    notes = follow_after_tick(services, started)
    if notes:
        notes += deliver_mail(services)
    return notes


def deliver_mail(services: Services) -> list[str]:
    """Send what the outbox holds (retries included), when a mail transport is configured."""
    if services.mail_transport is None:
        return []
    delivery = services.outbox.deliver_pending()
    if not (delivery.sent or delivery.failed):
        return []
    return [f"mail: {delivery.sent} sent, {delivery.failed} failed, {delivery.pending} waiting"]
