"""Reading Octopus's events feed incrementally (pure decisions; the poller does the I/O).

The cursor is a time in Octopus's own clock (the newest `Occurred` seen), never ours, so a
skew between the two clocks cannot lose events. Each poll asks for events from the cursor
minus an overlap, so an event written a little late with an older `Occurred` is still seen;
event ids seen inside the overlap are remembered so that re-reading them costs no Octopus
request for their deployments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# The deployment event categories (octopus-api-checked.md §2 "Category ids"). The first five are
# confirmed by real events; the other three are not, so at start-up the poller keeps only those
# that `GET /api/{space}/events/categories` lists. What a missing one would have said the task
# refresh tells anyway: every task still in flight is read on every poll until it completes.
CONFIRMED_CATEGORIES: tuple[str, ...] = (
    "DeploymentQueued",
    "DeploymentStarted",
    "DeploymentSucceeded",
    "DeploymentFailed",
    "GuidedFailureInterruptionRaised",
)
UNCONFIRMED_CATEGORIES: tuple[str, ...] = (
    "DeploymentResumed",
    "ManualInterventionInterruptionRaised",
    "TaskCanceled",
)
DEPLOYMENT_CATEGORIES: tuple[str, ...] = CONFIRMED_CATEGORIES + UNCONFIRMED_CATEGORIES


def known_categories(listed: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the deployment categories the server lists, those it does not), each in coord's order."""
    ids = set(listed)
    return (
        tuple(c for c in DEPLOYMENT_CATEGORIES if c in ids),
        tuple(c for c in DEPLOYMENT_CATEGORIES if c not in ids),
    )


# Octopus audits every change to a project, environment or tenant as a `Modified` event regarding
# it (https://octopus.com/docs/security/users-and-teams/auditing); reading them with the
# deployment events lets the next poll pick up a rename without another request.
NAME_CATEGORIES: tuple[str, ...] = ("Modified",)
FEED_CATEGORIES: tuple[str, ...] = DEPLOYMENT_CATEGORIES + NAME_CATEGORIES
_NAMED_DOCUMENTS = frozenset({"projects", "environments", "tenants"})

OVERLAP = timedelta(minutes=5)
# At most this many ids are remembered. Forgetting older ones after an extreme burst only
# costs a second fetch of their deployments, which merge to no change: nothing is lost.
MAX_REMEMBERED = 10_000


@dataclass(frozen=True, slots=True)
class DeploymentEvent:
    """A deployment event reduced to what the poller needs: which deployment, and when."""

    event_id: str
    category: str
    occurred: datetime
    deployment_id: str
    project_id: str | None = None
    environment_id: str | None = None
    release_id: str | None = None
    task_id: str | None = None


def deployment_event(
    event_id: str, category: str, occurred: datetime, related_document_ids: Sequence[str]
) -> DeploymentEvent | None:
    """The event as a DeploymentEvent, or None when it names no deployment.

    Related ids are picked by their prefix rather than their position: the order seen in real
    payloads (Deployments, Projects, Releases, Environments, ServerTasks, Channels; octopus-api.md
    Holdout 11) has had extra members on some servers (ProjectGroups on 2019 servers).
    """
    by_prefix: dict[str, str] = {}
    for doc_id in related_document_ids:
        prefix, _, _ = doc_id.partition("-")
        by_prefix.setdefault(prefix.lower(), doc_id)
    deployment_id = by_prefix.get("deployments")
    if deployment_id is None:
        return None
    return DeploymentEvent(
        event_id=event_id,
        category=category,
        occurred=occurred,
        deployment_id=deployment_id,
        project_id=by_prefix.get("projects"),
        environment_id=by_prefix.get("environments"),
        release_id=by_prefix.get("releases"),
        task_id=by_prefix.get("servertasks"),
    )


def names_changed(category: str, related_document_ids: Sequence[str]) -> bool:
    """Whether an event says a project, environment or tenant changed (a rename, perhaps)."""
    return category in NAME_CATEGORIES and any(
        doc_id.partition("-")[0].lower() in _NAMED_DOCUMENTS for doc_id in related_document_ids
    )


@dataclass(frozen=True, slots=True)
class EventCursor:
    """How far the events feed has been read."""

    through: datetime
    # Event id -> Occurred, for the events inside the overlap behind `through`.
    recent: dict[str, datetime] = field(default_factory=dict)
    last_reconcile: datetime | None = None


def window_start(cursor: EventCursor | None, now: datetime, backfill: timedelta) -> datetime:
    """Where the next read of the feed starts: the backfill horizon on a first poll."""
    if cursor is None:
        return now - backfill
    return cursor.through - OVERLAP


def unseen(cursor: EventCursor | None, events: Iterable[DeploymentEvent]) -> list[DeploymentEvent]:
    """The events not already handled by an earlier poll."""
    seen = cursor.recent if cursor else {}
    return [e for e in events if e.event_id not in seen]


def advance(
    cursor: EventCursor | None,
    start: datetime,
    events: Iterable[DeploymentEvent],
    others: Iterable[tuple[str, datetime]] = (),
) -> EventCursor:
    """The cursor after `events` (read from `start` on) have been applied.

    `others` are the (id, occurred) of the other events read with them (a project's `Modified`):
    remembered too, so that counting the overlap (`rest_known`) still finds every event known.
    """
    seen = [(e.event_id, e.occurred) for e in events] + list(others)
    through = max([occurred for _, occurred in seen], default=start)
    known = dict(cursor.recent) if cursor else {}
    if cursor is not None:
        through = max(through, cursor.through)
    known.update(seen)
    horizon = through - OVERLAP
    inside = sorted(
        ((occurred, event_id) for event_id, occurred in known.items() if occurred >= horizon), reverse=True
    )
    recent = {event_id: occurred for occurred, event_id in inside[:MAX_REMEMBERED]}
    last = cursor.last_reconcile if cursor else None
    return EventCursor(through=through, recent=recent, last_reconcile=last)


def reconcile_due(cursor: EventCursor | None, now: datetime, every: timedelta) -> bool:
    """Whether the slower pass against the dashboard is due."""
    return cursor is None or cursor.last_reconcile is None or now - cursor.last_reconcile >= every


def rest_known(cursor: EventCursor | None, start: datetime, total: int, read: Iterable[str]) -> bool:
    """Whether the events from `start` on that were not read (`total` minus `read`) are all remembered.

    After a fan-out the overlap behind the cursor holds more events than one page, all of them
    known. Octopus counts the events of the window (`TotalResults`); the cursor remembers every
    one seen there. The unread ones can all be known only if they are no more than the remembered
    ones not among those read. Audit events are never deleted within minutes, so an unread event
    that is not remembered (one written late) makes the count larger, and the rest is read.
    """
    if cursor is None or len(cursor.recent) >= MAX_REMEMBERED:
        return False
    seen = set(read)
    unread = total - len(seen)
    remembered = sum(
        1 for event_id, occurred in cursor.recent.items() if occurred >= start and event_id not in seen
    )
    return unread <= remembered
