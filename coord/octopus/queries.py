"""coord's filters as Octopus query parameters (octopus-api.md §3 Events and Deployments)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


def event_filters(
    categories: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    from_auto_id: int | None,
    projects: Sequence[str] | None,
) -> dict[str, str | int | None]:
    """The events list's query parameters for these filters (None = not sent)."""
    return {
        "eventCategories": csv_list(categories),
        "from": instant(since),
        "to": instant(until),
        "fromAutoId": from_auto_id,
        "projects": csv_list(projects),
    }


def csv_list(values: Sequence[str] | None) -> str | None:
    """A list filter: Octopus takes them "as a comma separated list" (§3 Events)."""
    return ",".join(values) if values else None


def instant(moment: datetime | None) -> str | None:
    """An aware time as ISO-8601 with its offset, as the Octopus samples send `from` (§3 Events)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        msg = "Octopus filter times must be aware datetimes"
        raise ValueError(msg)
    return moment.isoformat(timespec="milliseconds")
