"""coord's filters as Octopus query parameters (octopus-api.md §3 Events and Deployments)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

# Octopus's own TypeScript client asks for tasks by id 300 at a time (octopus-api-checked.md §1,
# `spaceServerTaskRepository.getByIds`); the length bound keeps a URL of long ids under the 8 KiB
# that common reverse proxies accept.
IDS_PER_REQUEST = 300
IDS_CHARACTERS = 6000


def event_filters(
    categories: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    projects: Sequence[str] | None,
) -> dict[str, str | int | None]:
    """The events list's query parameters for these filters (None = not sent).

    `from` is inclusive and `to` exclusive (octopus-api-checked.md §2). There is no `fromAutoId`:
    no event resource carries its AutoId, so a client never has one to send (§2).
    """
    return {
        "eventCategories": csv_list(categories),
        "from": instant(since),
        "to": instant(until),
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


def id_batches(ids: Iterable[str]) -> Iterator[list[str]]:
    """Distinct non-empty ids in batches small enough for one `?ids=` request each."""
    batch: list[str] = []
    length = 0
    for item in dict.fromkeys(i for i in ids if i):
        # Each comma travels as %2C.
        cost = len(item) + 3
        if batch and (len(batch) == IDS_PER_REQUEST or length + cost > IDS_CHARACTERS):
            yield batch
            batch, length = [], 0
        batch.append(item)
        length += cost
    if batch:
        yield batch


_QUERY_EXPANSION = re.compile(r"\{\?([^}]*)\}")


def template_parameters(template: str) -> set[str]:
    """The query parameters an RFC 6570 link template offers: `{?skip,take,ids}` gives skip, take, ids."""
    found = _QUERY_EXPANSION.finditer(template)
    return {name.strip() for match in found for name in match.group(1).split(",")}
