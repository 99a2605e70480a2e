"""Gathering the status page: the stored matrix, the active runs, the locks and the last polls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord.feed import service as feed_service
from coord.feed.freshness import read_freshness
from coord.locks.service import locks_for
from coord.promotion.runner import runs
from coord.statuspage.model import StatusPage, build_page

if TYPE_CHECKING:
    from coord.bootstrap import Services


def status_page(services: Services) -> StatusPage:
    """The page as it stands now, from stored state only (it never waits for Octopus)."""
    store = runs(services)
    active = []
    for _, run_id in store.active():
        stored = store.load(run_id)
        if stored is not None and not stored.run.phase.is_terminal:
            active.append(stored.run)
    return build_page(
        feed_service.status(services),
        list(services.config.groups),
        active,
        locks_for(services).all_states(),
        read_freshness(services.store.table("state")),
        services.config.timezone,
    )


def render_page(services: Services, page: StatusPage) -> str:
    """The page as HTML, with the installation's links."""
    from coord.statuspage.render import render_status_page  # noqa: PLC0415  (Jinja2 loads on first use)

    return render_status_page(page, services.links())
