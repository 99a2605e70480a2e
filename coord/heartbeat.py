"""The heartbeat: one tick polls Octopus, starts what is due, advances runs, notifies and sends mail.

The one orchestrator (design.md): it calls each capability's job in order; the timer function
and `python -m coord tick` both run exactly this.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from coord.alldeployed.job import notify_all_deployed
from coord.bootstrap import Services
from coord.feed.poller import PollReport
from coord.feed.service import poll
from coord.octopus import OctopusError
from coord.promotion.jobs import advance_active_runs, run_due_promotions
from coord.promotion.watch import follow_after_tick
from coord.report.job import send_due_report
from coord.store import StoreError

log = logging.getLogger(__name__)


class TickFailed(RuntimeError):
    """A tick that could not do its work (Octopus or storage unreachable, the API key refused)."""


@dataclass(slots=True)
class TickReport:
    """What one heartbeat did, and what it could not do."""

    poll: PollReport | None = None
    poll_skipped: bool = False
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when some of the tick's work could not be done: monitoring must see the tick fail."""
        return bool(self.failures)

    def summary(self) -> str:
        parts = []
        if self.poll_skipped:
            parts.append("poll: another poll was running")
        elif self.poll is not None:
            parts.append("poll: " + self.poll.summary())
        parts += self.notes
        parts += [f"failed: {failure}" for failure in self.failures]
        return "; ".join(parts) or "nothing to do"


T = TypeVar("T")


def tick(services: Services, *, follow: bool = False) -> TickReport:
    """One heartbeat: everything the timer function does; `follow` then follows runs in flight.

    Each step runs even when an earlier one could not reach Octopus or storage, so the tick does
    whatever it still can; what failed is listed in `failures` and the caller fails the invocation.
    """
    started = services.clock.now()
    report = TickReport()
    polled = _step(report, "poll", lambda: poll(services))
    if polled is not None:
        report.poll = polled
    report.poll_skipped = polled is None and not report.failures
    fresh = polled is not None and polled.caught_up
    # Without fresh data due promotions wait, and the report waits for a poll that catches up.
    report.notes += (
        _step(report, "start due promotions", lambda: run_due_promotions(services, data_fresh=fresh)) or []
    )
    report.notes += (
        _step(
            report,
            "advance promotion runs",
            lambda: advance_active_runs(services, fresh=fresh, failures=report.failures),
        )
        or []
    )
    report.notes += _step(report, "all deployed", lambda: notify_all_deployed(services)) or []
    daily = _step(report, "daily report", lambda: send_due_report(services, data_complete=fresh))
    if daily:
        report.notes.append(daily)
    report.notes += _step(report, "send mail", lambda: deliver_mail(services)) or []
    if follow and not report.failures:
        # Not while Octopus or storage is unreachable: the next tick tries again.
        report.notes += _step(report, "follow runs", lambda: follow_runs(services, started)) or []
    return report


def follow_runs(services: Services, started: datetime) -> list[str]:
    """Follow runs with deployments in flight until shortly before the next tick; mail what ended."""
    notes = follow_after_tick(services, started)
    if notes:
        notes += deliver_mail(services)
    return notes


def _step(report: TickReport, name: str, work: Callable[[], T]) -> T | None:
    """Run one step of the tick; an outage or refusal of Octopus or storage is recorded, not raised."""
    try:
        return work()
    except OctopusError as exc:
        log.warning("%s: Octopus: %s", name, exc)
        report.failures.append(f"{name}: Octopus: {exc}")
    except StoreError as exc:
        log.warning("%s: Table Storage: %s", name, exc)
        report.failures.append(f"{name}: Table Storage: {exc}")
    return None


def deliver_mail(services: Services) -> list[str]:
    """Send what the outbox holds (retries included), when a mail transport is configured."""
    if services.mail_transport is None:
        return []
    delivery = services.outbox.deliver_pending()
    if not (delivery.sent or delivery.failed):
        return []
    return [f"mail: {delivery.sent} sent, {delivery.failed} failed, {delivery.pending} waiting"]
