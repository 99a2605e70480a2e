"""GET /api/status as a page (Accept: text/html) and GET /api/status.html: the live status page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord.entrypoints.http import feed
from coord.entrypoints.http.messages import Request, Response, html_response
from coord.entrypoints.http.problems import Unavailable
from coord.store import StoreError

if TYPE_CHECKING:
    from coord.bootstrap import Services


def status(request: Request, services: Services) -> Response:
    """GET /api/status: the page when the caller prefers HTML (a browser), else the matrix as JSON."""
    if prefers_html(request.header("Accept")):
        return status_html(request, services)
    return feed.status(request, services)


def status_html(request: Request, services: Services) -> Response:
    """GET /api/status.html: the live status page, from stored state."""
    from coord.statuspage.service import render_page, status_page  # noqa: PLC0415  (Jinja2 on first use)

    try:
        page = status_page(services)
    except StoreError as exc:
        raise Unavailable(f"the state store did not answer: {exc}") from None
    return html_response(render_page(services, page))


def prefers_html(accept: str | None) -> bool:
    """Whether an Accept header ranks text/html above application/json (RFC 9110 §12.5.1 q-values)."""
    ranks: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranks[media.strip().lower()] = max(quality, ranks.get(media.strip().lower(), 0.0))
    html = ranks.get("text/html", 0.0)
    json = max(ranks.get("application/json", 0.0), ranks.get("*/*", 0.0) if "text/html" not in ranks else 0.0)
    return html > 0 and html >= json
