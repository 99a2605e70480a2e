"""Reading the events feed for one poll: the pages it needs, oldest first, within its time budget.

Octopus serves events newest first, `from` inclusive and `to` exclusive (octopus-api-checked.md
§2), with no maximum `take`. A poll reads one small page of the newest events from the cursor
minus the overlap; usually that is everything. When it is not:

- if the events not on that page are all remembered from earlier polls (a fan-out's 1,200 known
  events behind the cursor), nothing more is read (`events.rest_known`);
- otherwise the poll catches up: the upper bound is frozen just above the newest event (`to`
  is exclusive), and large pages are read from the oldest to the newest with explicit `skip`
  and `take`. Octopus's `Page.Next` links are never followed: they carry `from`/`to` rewritten
  as culture-formatted text to the second, which moves the bounds. Events written meanwhile
  only push older events further down, so reading oldest first can see one twice, never miss one.

Each page is handed back before the next is read, so the poller records it and saves the cursor;
a catch-up stopped by the time budget resumes from there on the next poll.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from coord.feed.events import DeploymentEvent, EventCursor, deployment_event, names_changed, rest_known
from coord.octopus import OctopusClient

# `to` is exclusive and Octopus shows times to the millisecond: one more keeps the newest event.
_JUST_ABOVE = timedelta(milliseconds=1)


@dataclass(slots=True)
class ReadProgress:
    """How far one poll's reading got: events returned, and whether it reached the newest.

    The feed is asked for `Modified` events too (renames, coord.feed.events.NAME_CATEGORIES):
    `names_changed` is the newest that concerns a project, environment or tenant, and `others`
    holds the (id, occurred) of every such non-deployment event of the batch last handed back.
    """

    events_read: int = 0
    caught_up: bool = True
    names_changed: datetime | None = None
    others: list[tuple[str, datetime]] = field(default_factory=list)


class EventReader:
    """Reads the events a poll needs from one Octopus space."""

    def __init__(self, octopus: OctopusClient, *, first_page: int, catch_up_page: int) -> None:
        self._octopus = octopus
        self._first_page = first_page
        self._catch_up_page = catch_up_page

    def batches(
        self,
        categories: Sequence[str],
        cursor: EventCursor | None,
        start: datetime,
        out_of_time: Callable[[], bool],
        progress: ReadProgress,
    ) -> Iterator[list[DeploymentEvent]]:
        """Batches of deployment events to apply in order, oldest first.

        Once `out_of_time()` says so (after at least one page of a catch-up) it stops, with
        `progress.caught_up` false, and leaves the rest for the next poll.
        """
        first = self._octopus.events_page(categories=categories, since=start, skip=0, take=self._first_page)
        progress.events_read += len(first.Items)
        newest = _deployment_events(first.Items, progress)
        total = first.TotalResults
        if not first.Items or not _more(first):
            yield newest[::-1]
            return
        if total is not None and rest_known(cursor, start, total, (e.Id for e in first.Items)):
            yield newest[::-1]
            return
        until = first.Items[0].Occurred + _JUST_ABOVE
        if total is None:
            yield from self._uncounted(categories, start, until, progress)
            return
        through = cursor.through if cursor else None
        yield from self._oldest_first(
            categories, start, until, total, through=through, out_of_time=out_of_time, progress=progress
        )

    def _oldest_first(
        self,
        categories: Sequence[str],
        start: datetime,
        until: datetime,
        total: int,
        *,
        through: datetime | None,
        out_of_time: Callable[[], bool],
        progress: ReadProgress,
    ) -> Iterator[list[DeploymentEvent]]:
        """Pages of the window, each a full page counted from the oldest event, newer ones after."""
        end = total  # events [skip, end) of the newest-first list are read next
        checked = moved = False
        while end > 0:
            if moved and out_of_time():
                progress.caught_up = False
                return
            skip = max(end - self._catch_up_page, 0)
            page = self._octopus.events_page(
                categories=categories, since=start, until=until, skip=skip, take=end - skip
            )
            progress.events_read += len(page.Items)
            if not checked and page.TotalResults is not None and page.TotalResults != total:
                # The count moved since the first page (events written late): start from the real end.
                total = end = int(page.TotalResults)
                checked = True
                continue
            checked = True
            events = _deployment_events(page.Items, progress)
            # Stop for time only once the cursor can move: the overlap alone may fill a page.
            moved = moved or through is None or any(e.occurred > through for e in events)
            yield events[::-1]
            end = skip

    def _uncounted(
        self, categories: Sequence[str], start: datetime, until: datetime, progress: ReadProgress
    ) -> Iterator[list[DeploymentEvent]]:
        """For a server whose pages do not say how many events there are: read all, apply once."""
        events = list(
            self._octopus.events(categories=categories, since=start, until=until, take=self._catch_up_page)
        )
        progress.events_read += len(events)
        yield _deployment_events(events, progress)[::-1]


def _more(page: Any) -> bool:
    if page.TotalResults is not None:
        return int(page.TotalResults) > len(page.Items)
    return "Page.Next" in page.Links


def _deployment_events(items: Sequence[Any], progress: ReadProgress) -> list[DeploymentEvent]:
    """The deployment events among `items`; the others are noted in `progress`."""
    events = []
    progress.others = []
    for item in items:
        event = deployment_event(item.Id, item.Category, item.Occurred, item.RelatedDocumentIds or [])
        if event is not None:
            events.append(event)
            continue
        progress.others.append((item.Id, item.Occurred))
        if names_changed(item.Category, item.RelatedDocumentIds or ()):
            progress.names_changed = max(progress.names_changed or item.Occurred, item.Occurred)
    return events
