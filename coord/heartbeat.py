"""Application services: the jobs that the timer, the HTTP routes and the CLI all call.

Each reads state, asks the pure modules what to do, and applies it through the adapters
in `Services`. Entry points only parse input and format these results.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

from coord.alldeployed.job import notify_all_deployed
from coord.bootstrap import Services
from coord.feed.events import DeploymentEvent
from coord.feed.poller import PollReport
from coord.feed.status import StatusView, build_status
from coord.octopus import OctopusError
from coord.promotion.jobs import advance_active_runs, run_due_promotions
from coord.report.job import send_due_report
from coord.store import StoreError
from coord.store.claims import claim
from coord.store.leases import acquire_lease, release_lease, renew_lease

log = logging.getLogger(__name__)

# A poll normally takes seconds; the lease outlives a stuck one by little, so the next
# tick after a crash polls again.
POLL_LEASE_TTL = timedelta(minutes=5)
_PENDING = "pending"  # inbox partition of webhook events not yet recorded


def holder_name() -> str:
    """Who holds a lease: the host and process, enough to find a stuck holder in the logs."""
    return f"{socket.gethostname()}:{os.getpid()}"


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


def poll(services: Services) -> PollReport | None:
    """Poll Octopus once, unless another instance is polling right now (then None)."""
    now = services.clock.now()
    leases = services.store.table("state")
    lease = acquire_lease(leases, "poll", holder_name(), POLL_LEASE_TTL, now)
    if lease is None:
        log.info("another poll holds the lease; skipping this one")
        return None
    held = [lease]

    def keep_lease() -> None:
        # Renew once half the lease has passed, so a catch-up longer than the TTL stays alone.
        moment = services.clock.now()
        if held[0].expires_at - moment < POLL_LEASE_TTL / 2:
            held[0] = renew_lease(leases, held[0], POLL_LEASE_TTL, moment)

    try:
        report = services.poller.poll(now, heartbeat=keep_lease)
        report.webhook_backlog = drain_inbox(services)
    finally:
        try:
            release_lease(leases, held[0])
        except StoreError:
            log.warning("could not release the poll lease; it expires in %s", POLL_LEASE_TTL)
    log.info("poll: %s", report.summary())
    return report


def record_webhook_event(services: Services, event: DeploymentEvent) -> bool:
    """Record a pushed event at once; True when it was new, False for a duplicate delivery.

    Octopus may deliver an event twice (octopus-api.md Holdout 12): the event id is claimed
    (insert-only) so a repeat is answered without work. The deployment is then fetched and
    recorded; if Octopus cannot be reached, a pending row keeps it for the next poll.
    """
    inbox = services.store.table("inbox")
    if not claim(inbox, f"event:{event.event_id}", data={"DeploymentId": event.deployment_id}):
        return False
    pending = {"PartitionKey": _PENDING, "RowKey": event.event_id, "DeploymentId": event.deployment_id}
    inbox.upsert(pending)
    try:
        services.poller.ingest_ids({event.deployment_id})
    except OctopusError as exc:
        log.warning("webhook event %s kept for the next poll: %s", event.event_id, exc)
        return True
    inbox.delete(_PENDING, event.event_id)
    return True


def drain_inbox(services: Services) -> int:
    """Record deployments whose webhook arrived while Octopus could not be reached."""
    inbox = services.store.table("inbox")
    rows = list(inbox.partition(_PENDING))
    if not rows:
        return 0
    services.poller.ingest_ids({str(row["DeploymentId"]) for row in rows})
    for row in rows:
        inbox.delete(_PENDING, str(row["RowKey"]))
    return len(rows)


def tick(services: Services) -> TickReport:
    """One heartbeat: everything the timer function does."""
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
    return report


def deliver_mail(services: Services) -> list[str]:
    """Send what the outbox holds (retries included), when a mail transport is configured."""
    if services.mail_transport is None:
        return []
    delivery = services.outbox.deliver_pending()
    if not (delivery.sent or delivery.failed):
        return []
    return [f"mail: {delivery.sent} sent, {delivery.failed} failed, {delivery.pending} waiting"]


def status(services: Services, *, all_projects: bool = False) -> StatusView:
    """The current matrix of the configured groups' projects (or of the whole space)."""
    groups = {name: group.projects for name, group in services.config.groups.items()}
    return build_status(
        services.repo.matrix(),
        services.names.load(),
        groups,
        services.clock.now(),
        all_projects=all_projects,
    )
