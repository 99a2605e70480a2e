"""The feed's jobs: one poll under its lease, webhook events recorded at once, and the status matrix.

The timer's tick, the webhook route, a promotion's start and the CLI all poll through `poll`,
so one instance polls at a time whoever asks.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from coord.feed.events import DeploymentEvent
from coord.feed.freshness import record_poll
from coord.feed.status import StatusView, build_status
from coord.octopus import OctopusError
from coord.store import StoreError
from coord.store.claims import claim
from coord.store.leases import acquire_lease, release_lease, renew_lease

if TYPE_CHECKING:
    from coord.bootstrap import Services
    from coord.domain.catalogue import Catalogue
    from coord.feed.poller import PollReport

log = logging.getLogger(__name__)

# A poll normally takes seconds; the lease outlives a stuck one by little, so the next
# tick after a crash polls again.
POLL_LEASE_TTL = timedelta(minutes=5)
_PENDING = "pending"  # inbox partition of webhook events not yet recorded


def holder_name() -> str:
    """Who holds a lease: the host and process, enough to find a stuck holder in the logs."""
    return f"{socket.gethostname()}:{os.getpid()}"


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
        try:
            report = services.poller.poll(now, heartbeat=keep_lease)
        except OctopusError as exc:
            record_poll(leases, now, str(exc))  # the status page says the data is getting old, and why
            raise
        report.webhook_backlog = drain_inbox(services)
        record_poll(leases, now)
    finally:
        try:
            release_lease(leases, held[0])
        except StoreError:
            log.warning("could not release the poll lease; it expires in %s", POLL_LEASE_TTL)
    log.info("poll: %s", report.summary())
    return report


def record_webhook_event(services: Services, event: DeploymentEvent) -> bool:
    """Record a pushed event (two small writes); True when it was new, False for a duplicate delivery.

    Octopus may deliver an event twice (octopus-api.md Holdout 12): the event id is claimed
    (insert-only) so a repeat is answered without work. A pending row then keeps the deployment
    for `fetch_webhook_event` or, failing that, the next poll. Nothing here waits on Octopus:
    a reply slower than the subscription's timeout (10 s by default) makes Octopus send the
    event again (octopus-api-checked.md §7).
    """
    inbox = services.store.table("inbox")
    if not claim(inbox, f"event:{event.event_id}", data={"DeploymentId": event.deployment_id}):
        return False
    pending = {"PartitionKey": _PENDING, "RowKey": event.event_id, "DeploymentId": event.deployment_id}
    inbox.upsert(pending)
    return True


def fetch_webhook_event(services: Services, event: DeploymentEvent) -> bool:
    """Fetch and record a recorded event's deployment if Octopus answers at once; else the next poll does.

    Uses a client that tries once with a short timeout (`Services.quick_poller`), so the webhook's
    reply stays well inside Octopus's timeout even when Octopus itself is slow.
    """
    try:
        services.quick_poller.ingest_ids({event.deployment_id})
        services.store.table("inbox").delete(_PENDING, event.event_id)
    except (OctopusError, StoreError) as exc:
        # Recorded already: the pending row keeps it for the next poll.
        log.warning("webhook event %s kept for the next poll: %s", event.event_id, exc)
        return False
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


def status(services: Services, *, all_projects: bool = False) -> StatusView:
    """The current matrix of the configured groups' projects (or of the whole space)."""
    groups = {name: group.projects for name, group in services.config.groups.items()}
    names = catalogue_for(services, projects=[p for projects in groups.values() for p in projects])
    return build_status(
        services.repo.matrix(),
        names,
        groups,
        services.clock.now(),
        all_projects=all_projects,
    )


# A name that does not resolve refreshes the names at most this often (status pages, gates and
# ticks ask often; a name that is simply wrong must not cost three Octopus requests each time).
REFRESH_ON_MISS_EVERY = timedelta(minutes=1)


def catalogue_for(
    services: Services,
    *,
    projects: Iterable[str] = (),
    environments: Iterable[str] = (),
    min_age: timedelta = REFRESH_ON_MISS_EVERY,
) -> Catalogue:
    """The space's names, refreshed from Octopus first when one of these names does not resolve.

    Ids are what coord stores; names are how people and coord.yaml say them. A project or
    environment renamed in Octopus resolves only after the names are read again, so a miss
    reads them once (unless they were read on a miss less than `min_age` ago) before the
    caller reports the name as unknown.
    """
    catalogue = services.names.load()
    missing = [p for p in projects if catalogue.project(p) is None]
    missing += [e for e in environments if catalogue.environment(e) is None]
    if not missing and catalogue.projects and catalogue.environments:
        return catalogue
    now = services.clock.now()
    last = services.names.refreshed_on_miss()
    if last is not None and now - last < min_age and catalogue.projects:
        return catalogue
    log.info("names not in the stored catalogue (%s); reading them from Octopus", ", ".join(missing))
    fresh = services.poller.refresh_names()
    services.names.mark_refreshed_on_miss(now)
    return fresh
