"""The audit events feed: its categories, and paging it with explicit `skip` and `take`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from coord.octopus.models import OctopusModel, Page


class EventCategory(OctopusModel):
    """One entry of `GET /api/{space}/events/categories` (octopus-api-checked.md §2)."""

    Id: str
    Name: str | None = None


def explicit_pages(read: Callable[[int], Page[Any]], take: int) -> Iterator[Any]:
    """Every item of a collection read as `read(skip)` (`take` at a time), until a page ends it.

    A page ends the collection when it holds fewer than `take` items, when `TotalResults` items
    have been read, or, on a server that does not count, when it has no `Page.Next` (the link is
    a signal here, never a URL to follow).
    """
    skip = 0
    while True:
        page = read(skip)
        yield from page.Items
        skip += len(page.Items)
        if len(page.Items) < take:
            return
        if page.TotalResults is not None:
            if skip >= page.TotalResults:
                return
        elif "Page.Next" not in page.Links:
            return
