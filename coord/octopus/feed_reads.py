"""The reads of Octopus's events feed and dashboard, part of `OctopusClient`.

Kept apart from the rest of the client because they carry the feed's paging rules: time-bounded
events are paged with explicit `skip` and `take`, never by `Page.Next` (octopus-api-checked.md §2).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from coord.octopus.events import EventCategory, explicit_pages
from coord.octopus.models import Dashboard, Event, Page
from coord.octopus.queries import event_filters
from coord.octopus.transport import OctopusHttp, Params


class _Space(Protocol):
    """What these reads need of the client: its HTTP session and the space's path prefix."""

    @property
    def _http(self) -> OctopusHttp: ...

    @property
    def _s(self) -> str: ...

    def events_page(
        self,
        *,
        categories: Sequence[str],
        since: datetime | None = None,
        until: datetime | None = None,
        projects: Sequence[str] | None = None,
        skip: int = 0,
        take: int = 100,
    ) -> Page[Event]: ...


class FeedReads:
    """The events feed and the dashboard of one space."""

    def dashboard(self: _Space, *, show_all: bool = False) -> Dashboard:
        """The space's dashboard: the current deployments per project, environment and tenant.

        Without `show_all`, Octopus narrows it to the API user's dashboard settings and project
        limit (`IsFiltered`, `ProjectLimit`; octopus-api-checked.md §4).
        """
        params: Params = {"showAll": True} if show_all else {}
        return self._http.get_model(Dashboard, f"{self._s}/dashboard", route="dashboard", params=params)

    def events(
        self: _Space,
        *,
        categories: Sequence[str],
        since: datetime | None = None,
        until: datetime | None = None,
        projects: Sequence[str] | None = None,
        take: int = 100,
    ) -> Iterator[Event]:
        """Events of these categories from `since` (inclusive) to `until` (exclusive), newest first.

        Paged by explicit `skip`: Octopus rewrites `from`/`to` in its Page.Next links as culture-formatted
        text to the second (octopus-api-checked.md §2), which shifts the pages of a time-bounded query.
        """
        return explicit_pages(
            lambda skip: self.events_page(
                categories=categories, since=since, until=until, projects=projects, skip=skip, take=take
            ),
            take,
        )

    def event_categories(self: _Space) -> list[EventCategory]:
        """`GET /api/{space}/events/categories`: the event category ids this server writes (§2)."""
        path = f"{self._s}/events/categories"
        return self._http.get_list(EventCategory, path, route="events/categories")

    def events_page(
        self: _Space,
        *,
        categories: Sequence[str],
        since: datetime | None = None,
        until: datetime | None = None,
        projects: Sequence[str] | None = None,
        skip: int = 0,
        take: int = 100,
    ) -> Page[Event]:
        """One page of events (newest first), for readers that walk pages themselves."""
        params = {
            **event_filters(categories, since, until, projects),
            "skip": skip,
            "take": take,
        }
        return self._http.get_model(Page[Event], f"{self._s}/events", route="events", params=params)
