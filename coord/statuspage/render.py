"""The status page as HTML: it reloads itself every minute and says plainly when its data is old."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from coord.domain.links import Links
from coord.rendering.templating import duration_text, inline_css, render
from coord.statuspage.model import StatusPage

REFRESH_SECONDS = 60


def age_text(now: datetime, then: datetime | None) -> str:
    """`3m 10s ago`, `just now`, or `never`."""
    if then is None:
        return "never"
    age = now - then
    return "just now" if age < timedelta(seconds=5) else f"{duration_text(age)} ago"


def render_status_page(page: StatusPage, links: Links | None = None) -> str:
    """The whole page."""
    zone = ZoneInfo(page.zone)
    context = {
        "p": page,
        "zone": zone,
        "links": links or Links(),
        "refresh": REFRESH_SECONDS,
        "now_local": page.generated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z"),
        "poll_age": age_text(page.generated_at, page.freshness.last_success),
        "attempt_age": age_text(page.generated_at, page.freshness.last_attempt),
    }
    return inline_css(render("status_page.html.j2", **context))
