"""Rendering the daily report: subject, escaping, plain text, state words, inlined styles, collapsing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from coord.report.build import build_report
from coord.report.render import COLLAPSE_AFTER, render_report, report_subject
from tests.unit.test_report_world import CATALOGUE, Deployments

LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 11, 26)
AFTER = datetime(2026, 11, 27, 7, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 26, hour, minute, tzinfo=UTC)


def model_of(d: Deployments):
    return build_report(DAY, LONDON, d.records, d.matrix(), CATALOGUE, [], [], generated_at=AFTER)


def test_subject_carries_the_headline_numbers() -> None:
    d = Deployments()
    d.add("Identity", "Production", "1", at(9), state="Failed")
    d.add("Identity", "Production", "2", at(10))
    d.add("Catalog", "Production", "2", at(11))
    d.add("Catalog", "Staging", "2", at(12))
    subject = report_subject(model_of(d))
    assert subject == "coord daily report 2026-11-26: 4 deployments, 75.0% succeeded, 1 failed, MTTR 1h 00m"


def test_subject_of_an_empty_day() -> None:
    subject, _, _ = render_report(model_of(Deployments()))
    assert subject == "coord daily report 2026-11-26: no deployments"


def test_names_versions_and_errors_are_escaped_in_html() -> None:
    d = Deployments()
    d.add(
        "Identity",
        "Production",
        "1.0.0<b>",
        at(9),
        state="Failed",
        error="<script>alert('x')</script>",
        by="<img src=x onerror=alert(1)>",
    )
    _, html, text = render_report(model_of(d))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert "<img src=x" not in html
    assert "1.0.0&lt;b&gt;" in html
    assert "<script>alert('x')</script>" in text  # plain text is not HTML: shown as written


def test_states_are_words_as_well_as_colours() -> None:
    d = Deployments()
    d.add("Identity", "Production", "1", at(9), state="Failed")
    d.add("Identity", "Staging", "1", at(9), state="TimedOut", minutes=0)
    d.add("Catalog", "Staging", "1", at(9), state="Canceled")
    d.add("Catalog", "Production", "1", at(9), state="Executing")
    _, html, text = render_report(model_of(d))
    for word in ("FAILED", "TIMED OUT", "CANCELED", "RUNNING"):
        assert f">{word}</span>" in html
        assert f"[{word}]" in text
    failed_badge = re.search(r'<span [^>]*style="([^"]*)"[^>]*>FAILED</span>', html)
    assert failed_badge is not None and "background-color: #ffebe9" in failed_badge.group(1)


def test_css_is_inlined_into_style_attributes() -> None:
    d = Deployments()
    d.add("Identity", "Production", "1", at(9), state="Failed")
    _, html, _ = render_report(model_of(d))
    assert re.search(r'<h1 style="[^"]*font-size: 20px', html)
    style_blocks = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)
    # Only @media rules are kept in a block (clients that honour them on phones); the rest is inline.
    assert all(block.strip().startswith("@media") for block in style_blocks)
    assert "data-compact" not in html


def test_text_part_lists_every_deployment_with_its_details() -> None:
    d = Deployments()
    d.add("Payments", "Production", "0.9.0", at(9), tenant="Acme", state="Failed", error="boom", by="carol")
    d.add("Identity", "Production", "1.1.0", at(10), by="dave")
    _, _, text = render_report(model_of(d))
    assert "[FAILED] Payments / Acme 0.9.0" in text
    assert "queued 09:00:00, started 09:00:10, finished 09:05:10 (5m 00s) by carol, Deployments-1" in text
    assert "error: boom" in text
    assert "09:05:10 " not in text.split("Succeeded (1):")[1].splitlines()[1]
    assert "10:05:10  Identity 1.1.0 (queued 10:00:00, started 10:00:10, took 5m 00s) by dave" in text
    assert "Change failure rate:  50.0%" in text


def test_long_lists_of_successes_collapse_but_failures_stay_in_view() -> None:
    d = Deployments()
    start = at(1)
    for n in range(COLLAPSE_AFTER + 5):
        d.add("Identity", "Production", f"1.{n}", start + timedelta(minutes=10 * n))
    d.add("Catalog", "Production", "9", at(20), state="Failed")
    _, html, _ = render_report(model_of(d))
    assert re.search(rf"<summary[^>]*>{COLLAPSE_AFTER + 5} successful deployments</summary>", html)
    assert html.index("FAILED</span>") < html.index("<summary")
    collapsed = html[html.index("<summary") : html.index("</details>")]
    assert collapsed.count(">Identity<") == COLLAPSE_AFTER + 5  # collapsed, not dropped


def test_midnight_spanning_deployment_is_explained_and_dated() -> None:
    d = Deployments()
    d.add(
        "Identity", "Production", "1", datetime(2026, 11, 25, 23, 50, tzinfo=UTC), minutes=30, state="Failed"
    )
    _, html, text = render_report(model_of(d))
    assert "started the day before and finished on this day" in html
    assert "counted here, on the day they finished" in text
    assert "queued 11-25 23:50:00, started 11-25 23:50:10, finished 00:20:10" in text


def test_footer_defines_the_metrics_and_says_where_they_differ_from_octopus() -> None:
    _, html, text = render_report(model_of(Deployments()))
    for term in ("Change failure rate", "Mean time to recovery", "Lead time", "Drift"):
        assert f">{term}</dt>" in html
        assert f"  {term}: " in text
    assert "Octopus Insights" in text and "guided failure" in text
