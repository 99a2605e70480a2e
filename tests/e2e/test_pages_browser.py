"""The report, the status page and each email, in Chromium at 1280 and 390 pixels, as a person sees them.

Nothing may be wider than its container, overflow or be clipped, and no word that fits on a
line may be broken inside (tests/e2e/layout.py). Screenshots go to out/screenshots/.
"""

from __future__ import annotations

import pytest

from tests.e2e.layout import SCREENSHOTS, WIDTHS, Browser
from tests.fixtures.pages import all_pages

PAGES = all_pages()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_fits_desktop_and_phone_widths(browser: Browser, name: str) -> None:
    found = browser.check(PAGES[name], name)
    assert found == {device: [] for device in WIDTHS}
    for device in WIDTHS:
        assert (SCREENSHOTS / f"{name}-{device}.png").stat().st_size > 0


def test_the_checker_sees_a_squeezed_table_broken_words_and_clipped_text(browser: Browser) -> None:
    cells = "".join(f'<td style="overflow-wrap: anywhere">Staging{n}</td>' for n in range(12))
    page = (
        '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width"></head><body>'
        '<table style="width: 100%"><tr>'
        f'<td style="white-space: nowrap">{"long " * 30}</td>{cells}</tr></table>'
        '<div style="width: 120px; overflow: hidden"><span style="white-space: nowrap">'
        "clipped text that does not fit</span></div></body></html>"
    )
    phone = browser.check(page, "checker-self-test")["phone"]
    assert any(line.startswith("the page is") for line in phone), phone
    assert any(line.startswith("wider than its container: table") for line in phone), phone
    assert any(line.startswith('word broken across lines: "Staging') for line in phone), phone
    assert any(line.startswith("content clipped: div") for line in phone), phone
