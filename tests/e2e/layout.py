"""Pages and emails opened in Chromium at desktop and phone widths, checked as a person looks at them.

A page passes when, at each width, nothing is wider than its container (a table cut off at the
right, a page that scrolls sideways), no content overflows its box or is clipped, and no word that
would fit on a line is broken inside (a squeezed column that breaks "Staging" letter by letter).
Collapsed <details> are opened first: a reader can open them. Each page is screenshotted into
out/screenshots/ for people to look at. Chromium is Debian's `chromium` package (.ci/run installs
it); Playwright drives it, one browser for every page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "out" / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 390}

# Runs in the page; returns one line per problem. A word may break only inside a token longer than
# half the window (a 300-character path in an error message has to break somewhere).
PROBE = (Path(__file__).parent / "layout_probe.js").read_text(encoding="utf-8")


def chromium() -> str:
    """The path of the system Chromium, or a failure saying how to install it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is not installed: `apt-get install -y chromium` (Debian), as .ci/run does")
    return found


class Browser:
    """One headless Chromium that opens pages at a width, probes them and keeps a screenshot."""

    def __init__(self, browser: Any, workdir: Path) -> None:
        self._browser = browser
        self._workdir = workdir

    def check(self, html: str, name: str) -> dict[str, list[str]]:
        """Problems per width ({"desktop": [...], "phone": [...]}); screenshots in out/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = self._workdir / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        found: dict[str, list[str]] = {}
        for device, width in WIDTHS.items():
            page = self._browser.new_page(viewport={"width": width, "height": 900})
            try:
                page.goto(path.as_uri())
                found[device] = list(page.evaluate(PROBE))
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{device}.png"), full_page=True)
            finally:
                page.close()
        return found


@contextmanager
def open_browser(workdir: Path) -> Iterator[Browser]:
    """A Browser for the duration of the block."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    executable = chromium()
    with sync_playwright() as playwright:
        # Only local files are opened; the network stays off.
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield Browser(browser, workdir)
        finally:
            browser.close()
