"""The README's first command: the demo day runs end to end and its outputs say what its timeline said."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

from coord.settings import SETTING_NAMES

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_day_produces_the_emails_and_the_report_it_announces(
    azurite_connection_string: str, tmp_path: Path
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
    assert sum(s.startswith("shop is deployed to ") for s in subjects) == announced_all_deployed >= 2
    assert any(s.startswith("shop is deployed to Staging") for s in subjects)
    # Production is announced when coord starts (already complete) and after the second run; the
    # moments between the waves of a promotion are not announced, the run's outcome email is.
    assert sum(s.startswith("shop is deployed to Production") for s in subjects) == 2
    assert [s for s in subjects if s.startswith("Promotion shop")] == [
        "Promotion shop Staging → Production rolled back",
        "Promotion shop Staging → Production succeeded",
    ]
    assert "promotion evening: run" in timeline and "RolledBack" in timeline and "Succeeded" in timeline
    report_subjects = [s for s in subjects if s.startswith("coord daily report 2026-11-26")]
    assert len(report_subjects) == 1, subjects
    for message in emails:
        kinds = {part.get_content_type() for part in message.walk()}
        assert {"text/plain", "text/html"} <= kinds

    # The morning report lists what the timeline showed happening during the day.
    report = (tmp_path / "report-2026-11-26.html").read_text(encoding="utf-8")
    for line in timeline.splitlines():
        if "  Octopus: Storefront 5.2.0 to Staging: Failed" in line:
            break
    else:
        raise AssertionError("the timeline shows the failed Storefront deployment")
    assert "Storefront" in report and "5.2.0" in report and "Failed" in report
    assert "the report: " in timeline and "everything it started has stopped" in timeline
