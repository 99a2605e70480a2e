"""The README's first command: the demo day runs end to end and its outputs say what its timeline said."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

from coord.settings import SETTING_NAMES
from tests.e2e.layout import Browser

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_day_produces_the_emails_and_the_report_it_announces(
    azurite_connection_string: str, tmp_path: Path, browser: Browser
) -> None:
    env = {key: value for key, value in os.environ.items() if key not in SETTING_NAMES}
    env |= {"COORD_STORAGE": azurite_connection_string, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.demo", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    timeline = result.stdout

    emails = [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted((tmp_path / "mail").glob("*.eml"))
    ]
    subjects = [str(message["Subject"]) for message in emails]

    # The timeline announced each email; each arrived, with both parts.
    announced_all_deployed = timeline.count("all deployed: shop in ")
    assert announced_all_deployed >= 2
    assert any(s.startswith("shop is deployed to Staging") for s in subjects)
    # Production is announced when coord starts (already complete) and after the second run; the
    # moments between the waves of a promotion are not announced, the run's outcome email is.
    # The first notice lists the set; each later one says what changed, so no two read alike.
    notices = [s for s in subjects if " complete" in s or s.startswith("shop is deployed to ")]
    assert len(notices) == announced_all_deployed and len(set(notices)) == len(notices), notices
    assert "Storefront 5.2.1 completes shop in Staging" in subjects
    assert "Storefront 5.2.2 completes shop in Staging" in subjects
    assert sum(s.endswith("complete shop in Production") or s.startswith("shop is deployed to Production")
               for s in subjects) == 2  # fmt: skip
    assert [s for s in subjects if s.startswith("Promotion shop")] == [
        "Promotion shop Staging → Production rolled back: Storefront 5.2.1 failed",
        "Promotion shop Staging → Production succeeded: Catalog 2.5.0, Identity 3.2.0 and 4 more deployed",
    ]
    assert "promotion evening: run" in timeline and "RolledBack" in timeline and "Succeeded" in timeline
    report_subjects = [s for s in subjects if s.startswith("coord daily report 2026-11-26")]
    assert len(report_subjects) == 1, subjects
    for message in emails:
        kinds = {part.get_content_type() for part in message.walk()}
        assert {"text/plain", "text/html"} <= kinds
        assert message["Auto-Submitted"] == "auto-generated"
        assert str(message["List-Id"]).endswith(".coord.shop.example>")
    promotion = next(m for m in emails if str(m["Subject"]).startswith("Promotion shop"))
    promotion_html = promotion.get_body(("html",)).get_content()
    assert "2026-11-26 18:30 GMT" in promotion_html and "UTC" not in promotion_html
    assert "/app#/Spaces-1/tasks/ServerTasks-" in promotion_html
    assert "http://localhost:7071/api/promotions/20261126T183000Z-" in promotion_html

    # The morning report lists what the timeline showed happening during the day.
    report = (tmp_path / "report-2026-11-26.html").read_text(encoding="utf-8")
    for line in timeline.splitlines():
        if "  Octopus: Storefront 5.2.0 to Staging: Failed" in line:
            break
    else:
        raise AssertionError("the timeline shows the failed Storefront deployment")
    assert "Storefront" in report and "5.2.0" in report and "Failed" in report
    assert "the report: " in timeline and "everything it started has stopped" in timeline

    # Every deployment's times, the wait of the one Octopus queued, links, coord's own deployments.
    assert "queued 11:10:00 &middot; started 11:22:00 &middot; finished 11:26:00" in report
    assert "waited 12m 00s in the queue before it started" in report
    assert "/app#/Spaces-1/projects/Projects-" in report and "/deployments/releases/3.2.0" in report
    assert "rollback of promotion run" in report and "deployment of promotion run" in report
    assert "started by priya@shop.example" in report and "Last 14 days" in report and "<svg" in report

    # The status page, as the evening promotion runs with a lock held, and the next morning.
    during = (tmp_path / "status-2026-11-26-1840.html").read_text(encoding="utf-8")
    assert "Promotions running" in during and "evening" in during and "RUNNING" in during
    assert "shop-database" in during and "Checkout database migration" in during
    assert 'http-equiv="refresh"' in during and "Octopus was last polled just now" in during
    after = (tmp_path / "status-2026-11-27-0710.html").read_text(encoding="utf-8")
    assert "No promotion is running." in after and "No lock is held." in after

    # And each of them, as a person sees it at desktop and phone widths.
    pages = {f"demo-{path.stem}": path.read_text(encoding="utf-8") for path in tmp_path.glob("*.html")}
    for n, message in enumerate(emails, 1):
        pages[f"demo-mail-{n:02d}"] = message.get_body(("html",)).get_content()
    for name, html in sorted(pages.items()):
        assert browser.check(html, name) == {"desktop": [], "phone": []}, name
