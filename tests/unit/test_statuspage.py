"""The status page's values: groups by environment with drift, runs in progress, held locks, stale data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coord.entrypoints.http.statuspage import prefers_html
from coord.feed.status import PollFreshness, build_status
from coord.locks.fair import Holder, LockState
from coord.promotion.model import StepStatus
from coord.statuspage.model import build_page
from coord.statuspage.render import render_status_page
from tests.fixtures.pages import LINKS, promotion_run
from tests.unit.test_report_world import CATALOGUE, Deployments

NOW = datetime(2026, 11, 26, 18, 40, tzinfo=UTC)
GROUPS = {"shop": ["Identity", "Catalog"], "billing": ["Payments"]}


def page(freshness: PollFreshness | None = None, locks=(), runs=()):
    d = Deployments()
    d.add("Identity", "Staging", "3.2.0", NOW - timedelta(hours=3))
    d.add("Identity", "Production", "3.1.0", NOW - timedelta(hours=2))
    d.add("Catalog", "Staging", "2.5.0", NOW - timedelta(hours=3))
    d.add("Catalog", "Production", "2.5.0", NOW - timedelta(hours=1))
    d.add("Payments", "Staging", "1.9.0", NOW - timedelta(hours=2), tenant="Acme")
    view = build_status(d.matrix(), CATALOGUE, GROUPS, NOW)
    fresh = freshness or PollFreshness(NOW, NOW - timedelta(minutes=1))
    return build_page(view, list(GROUPS), runs, locks, fresh, "Europe/London")


def test_each_group_shows_its_environments_and_drift_from_the_one_before() -> None:
    built = page()
    shop, billing = built.groups
    assert (shop.name, shop.environments, billing.environments) == (
        "shop",
        ("Staging", "Production"),
        ("Staging",),
    )
    identity = next(row for row in shop.rows if row.project == "Identity")
    assert [c.drift_from for cells in identity.cells for c in cells] == [None, "Staging"]
    assert shop.drifted == 1 and billing.rows[0].cells[0][0].entry.tenant == "Acme"


def test_runs_show_progress_and_only_live_locks_are_held() -> None:
    run = promotion_run()
    running = run.evolve(steps=(run.steps[0].evolve(status=StepStatus.RUNNING), *run.steps[1:]))
    live = LockState("db", Holder("Checkout", NOW - timedelta(minutes=5), NOW + timedelta(minutes=5), "t"))
    gone = LockState("old", Holder("Reporting", NOW - timedelta(hours=2), NOW - timedelta(hours=1), "t"))
    built = page(locks=[live, gone], runs=[running])
    [progress] = built.runs
    assert (progress.done, progress.total, progress.running, progress.failed) == (
        3,
        4,
        ("Identity",),
        ("Catalog",),
    )
    assert [lock.name for lock in built.locks] == ["db"]
    html = render_status_page(built, LINKS)
    assert "3 of 4 projects done" in html and "deploying Identity" in html and "held by Checkout" in html
    assert 'http-equiv="refresh" content="60"' in html


@pytest.mark.parametrize(
    ("freshness", "words"),
    [
        (PollFreshness(NOW, NOW - timedelta(minutes=1)), "Octopus was last polled 1m 00s ago"),
        (
            PollFreshness(NOW, NOW - timedelta(minutes=34), "Octopus did not answer"),
            "The data below is 34m 00s old.",
        ),
        (PollFreshness(), "No poll of Octopus has worked yet."),
    ],
)
def test_old_data_is_said_plainly_with_the_reason(freshness: PollFreshness, words: str) -> None:
    built = page(freshness)
    html = render_status_page(built, LINKS)
    assert words in html
    assert built.stale == (words != "Octopus was last polled 1m 00s ago")
    if freshness.error:
        assert "failed: Octopus did not answer." in html


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # a browser
        ("application/json", False),
        ("*/*", False),  # curl
        (None, False),
        ("application/json;q=0.5, text/html", True),
        ("text/html;q=0.1, application/json", False),
    ],
)
def test_a_browser_gets_the_page_and_a_script_gets_json(accept: str | None, html: bool) -> None:
    assert prefers_html(accept) is html
