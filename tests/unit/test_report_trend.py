"""The report's trend and hours, its waits and coord's own deployments, and ad-hoc runs."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from coord.report.build import build_report
from coord.report.model import Counts, DayCount, RunSummary
from coord.report.render import render_report
from tests.fixtures.pages import LINKS
from tests.unit.test_report_world import CATALOGUE, Deployments

LONDON = ZoneInfo("Europe/London")
AFTER = datetime(2026, 11, 27, 7, tzinfo=UTC)


def build(day: date, d: Deployments, **kw: object):
    return build_report(day, LONDON, d.records, d.matrix(), CATALOGUE, kw.pop("runs", []), [],
                        generated_at=AFTER, **kw)  # type: ignore[arg-type]  # fmt: skip


def test_the_trend_is_fourteen_days_ending_with_the_day_and_unknown_days_have_no_counts() -> None:
    d = Deployments()
    d.add("Identity", "Staging", "1", datetime(2026, 11, 26, 9, tzinfo=UTC))
    d.add("Identity", "Staging", "2", datetime(2026, 11, 26, 10, tzinfo=UTC), state="Failed")
    history = [DayCount(date(2026, 11, 25), Counts(3, 1, 0))]
    model = build(date(2026, 11, 26), d, history=history)
    assert [t.day for t in model.trend] == [date(2026, 11, 13) + timedelta(days=n) for n in range(14)]
    assert model.trend[-1].counts == Counts(1, 1, 0) and model.trend[-2].counts == Counts(3, 1, 0)
    assert model.trend[0].counts is None


def test_hours_follow_the_local_day_and_a_day_the_clocks_change_has_25() -> None:
    d = Deployments()
    d.add("Identity", "Staging", "1", datetime(2026, 10, 25, 0, 30, tzinfo=UTC), minutes=1)  # 01:30 BST
    d.add("Identity", "Staging", "2", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), minutes=1)  # 01:30 GMT
    model = build(date(2026, 10, 25), d)
    assert len(model.hourly) == 25
    assert [(h.start.strftime("%H %Z"), h.counts.total) for h in model.hourly[1:3]] == [
        ("01 BST", 1),
        ("01 GMT", 1),
    ]
    _, html, _ = render_report(model)
    assert "BST until the clocks changed, then GMT" in html
    assert re.search(r"01:30:\d\d BST", html) and re.search(r"01:31:\d\d GMT", html)


def test_a_long_wait_in_the_queue_and_coords_own_deployments_are_shown() -> None:
    d = Deployments()
    at = datetime(2026, 11, 26, 9, tzinfo=UTC)
    waited = d.add("Identity", "Staging", "1", at)
    d.records[-1] = replace(waited, start_time=at + timedelta(minutes=12))
    quick = d.add("Catalog", "Staging", "1", at)
    d.records[-1] = replace(quick, comments="[coord:20261126T183000Z-1a2b3c4d/Projects-2/rollback]")
    _, html, text = render_report(build(date(2026, 11, 26), d), LINKS)
    assert "waited 12m 00s in the queue before it started" in html
    assert html.count("in the queue") == 1  # ten seconds is not notable
    assert (
        'rollback of promotion run <a href="https://coord.example.com/api/promotions/20261126T183000Z-1a2b3c4d"'
        in html
    )
    assert "rollback of run 20261126T183000Z-1a2b3c4d" in text


def test_ad_hoc_runs_are_labelled_with_who_started_them_and_scheduled_ones_with_their_name() -> None:
    at = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
    runs = [
        RunSummary("r-1", "shop", "Staging", "Production", "succeeded", at, at, promotion="evening"),
        RunSummary(
            "r-2", "shop", "Staging", "Production", "succeeded", at, at, requested_by="priya@shop.example"
        ),
        RunSummary("r-3", "shop", "Staging", "Production", "failed", at, at, requested_by="CLI"),
    ]
    _, html, text = render_report(build(date(2026, 11, 26), Deployments(), runs=runs), LINKS)
    assert "ad hoc (started by priya@shop.example)" in text and "ad hoc (started by CLI)" in text
    assert "evening: shop Staging -> Production" in text
    assert html.count("started by priya@shop.example") == 1 and ">ad hoc<" in html
    assert "https://coord.example.com/api/promotions/r-2" in html
