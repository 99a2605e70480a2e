"""Octopus's paged collection envelope (octopus-api.md §2, Holdout 6)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from tests.octosim.errors import rejected

TAKE_DEFAULT = 30
TAKE_ALL = 2147483647


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    values = query.get(name)
    if not values or values[-1] == "":
        return default
    try:
        value = int(values[-1])
    except ValueError:
        raise rejected(f"The value '{values[-1]}' is not valid for '{name}'.") from None
    if value < 0:
        raise rejected(f"'{name}' must not be negative.")
    return value


def _link(path: str, query: dict[str, list[str]], skip: int, take: int) -> str:
    kept = [(k, v) for k, values in query.items() if k.lower() not in ("skip", "take") for v in values]
    return f"{path}?{urlencode([*kept, ('skip', skip), ('take', take)])}"


def paged(
    items: Sequence[Any],
    query: dict[str, list[str]],
    path: str,
    item_type: str,
    render: Callable[[Any], dict[str, Any]],
    template: str | None = None,
    extra: dict[str, Any] | None = None,
    link_query: Callable[[dict[str, list[str]]], dict[str, list[str]]] | None = None,
) -> dict[str, Any]:
    """One page of `items` (already filtered and ordered) in Octopus's envelope.

    `link_query` rewrites the query carried into the links, as a server may (`traits.culture_links`).
    """
    skip = _int(query, "skip", 0)
    take = _int(query, "take", TAKE_DEFAULT)
    if link_query is not None:
        query = link_query(query)
    total = len(items)
    page = items[skip : skip + take] if take else []
    pages = -(-total // take) if take else 0
    links = {
        "Self": _link(path, query, skip, take),
        "Template": template or f"{path}{{?skip,take}}",
        "Page.All": _link(path, query, 0, TAKE_ALL),
        "Page.Current": _link(path, query, skip, take),
        "Page.Last": _link(path, query, max(pages - 1, 0) * take, take),
    }
    # Holdout 6: Page.Next only when another page follows.
    if take and skip + take < total:
        links["Page.Next"] = _link(path, query, skip + take, take)
    body: dict[str, Any] = {
        "ItemType": item_type,
        "TotalResults": total,
        "ItemsPerPage": take,
        "NumberOfPages": pages,
        # Zero-based: NumberOfPages - 1 (so -1 for an empty collection; see README).
        "LastPageNumber": pages - 1,
        "Items": [render(item) for item in page],
        "Links": links,
    }
    if extra:
        body.update(extra)
    return body
