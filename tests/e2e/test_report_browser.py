"""The daily report in headless Chromium at desktop and phone widths: nothing overflows the page.

Screenshots are kept in out/screenshots/ for people to look at. `python3 scripts/dev.py test` installs
Chromium when it may, or stops before any test saying what to install; run otherwise, this test fails
without it and says so.
"""

from __future__ import annotations

import html as htmlmod
import json
import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dev  # scripts/dev.py, on the path through tests/conftest.py: where the tests look for Chromium
import pytest

from coord.report.build import build_report
from coord.report.render import render_report
from tests.unit.test_report_world import CATALOGUE, Deployments

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "out" / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 375}
# Run inside the report's own frame: page width against the viewport, and any element that sticks
# out of it without being inside a horizontally scrolling container.
PROBE = """<script>(function () {
  var root = document.documentElement, wide = [], all = document.body.getElementsByTagName('*');
  for (var i = 0; i < all.length && wide.length < 10; i++) {
    var box = all[i].getBoundingClientRect();
    if (box.right > window.innerWidth + 1 && !all[i].closest('.scroll')) {
      wide.push(all[i].tagName + '.' + all[i].className + ' right=' + Math.round(box.right));
    }
  }
  parent.document.documentElement.setAttribute('data-probe', JSON.stringify(
    {scrollWidth: root.scrollWidth, innerWidth: window.innerWidth, wide: wide}));
})();</script>"""


def chromium() -> str:
    found = dev.find_chromium()
    if found is None:
        pytest.fail(f"Chromium is not installed: none of {', '.join(dev.CHROMIUM_NAMES)} is on PATH")
    return found


def busy_day_html() -> str:
    """A day with long names, long unbroken errors, tenants, drift and a long list of successes."""
    d = Deployments()
    start = datetime(2026, 11, 26, 0, 5, tzinfo=UTC)
    for n in range(120):
        d.add(
            "Identity",
            "Staging",
            f"2026.11.{n}-feature-very-long-branch-name-{n}",
            start + timedelta(minutes=11 * n),
        )
    d.add(
        "Payments",
        "Production",
        "0.9.0",
        start,
        tenant="Globex",
        state="Failed",
        error="System.InvalidOperationException:"
        + "x" * 300
        + "\n  at Octopus.Step("
        + "/very/long/path" * 20,
    )
    d.add(
        "Catalog", "Production", "2.3.0-" + "y" * 80, start + timedelta(hours=3), state="TimedOut", minutes=0
    )
    d.add("Catalog", "Staging", "2.4.0", start + timedelta(hours=4), state="Executing")
    d.add("Payments", "Staging", "0.9.1", start + timedelta(hours=5), tenant="Acme")
    model = build_report(
        date(2026, 11, 26),
        ZoneInfo("Europe/London"),
        d.records,
        d.matrix(),
        CATALOGUE,
        [],
        [],
        generated_at=datetime(2026, 11, 27, 7, tzinfo=UTC),
    )
    return render_report(model)[1]


def load(page: str, width: int, workdir: Path, screenshot: Path) -> dict[str, object]:
    """Open the page in a frame `width` pixels wide (Chromium's window has a larger minimum)."""
    framed = page.replace("</body>", PROBE + "</body>")
    host = workdir / f"host-{width}.html"
    host.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe style="border:0;display:block" width="{width}" height="2400" '
        f'srcdoc="{htmlmod.escape(framed, quote=True)}"></iframe></body></html>',
        encoding="utf-8",
    )
    args = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={workdir / 'profile'}",
        f"--window-size={max(width, 500)},2400",
    ]
    dumped = subprocess.run(
        [*args, "--dump-dom", host.as_uri()], capture_output=True, text=True, timeout=120, check=False
    )
    found = re.search(r'data-probe="([^"]*)"', dumped.stdout)
    assert found, f"Chromium did not run the probe: {dumped.stderr[-1500:]}"
    shot = subprocess.run(
        [*args, f"--screenshot={screenshot}", host.as_uri()], capture_output=True, timeout=120, check=False
    )
    assert screenshot.exists() and screenshot.stat().st_size > 0, shot.stderr[-1500:]
    return json.loads(htmlmod.unescape(found.group(1)))


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_report_fits_the_width_without_overflow(device: str, tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = WIDTHS[device]
    probe = load(busy_day_html(), width, tmp_path, SCREENSHOTS / f"daily-report-{device}.png")
    assert probe["innerWidth"] == width
    assert probe["scrollWidth"] <= width, probe
    assert probe["wide"] == [], probe
