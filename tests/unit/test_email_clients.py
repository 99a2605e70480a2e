"""Every CSS property and HTML feature of coord's emails, against what Outlook, Gmail and Apple Mail keep.

The data is caniemail.com's (the `caniemail` npm package, pinned in package.json). A feature a
client does not support ("n" for its latest tested version) must be one whose loss leaves the
layout whole, listed below with what the reader sees instead; anything else fails the test.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.fixtures.pages import EMAILS, all_pages

DATA = Path(__file__).resolve().parents[2] / "node_modules" / "caniemail" / "data" / "caniemail.json"
CLIENTS = (
    ("outlook", "windows"),
    ("outlook", "macos"),
    ("outlook", "outlook-com"),
    ("outlook", "ios"),
    ("outlook", "android"),
    ("gmail", "desktop-webmail"),
    ("gmail", "ios"),
    ("gmail", "android"),
    ("apple-mail", "macos"),
    ("apple-mail", "ios"),
)
# (feature, client family) -> what a reader of that client sees instead, and why the layout holds.
DEGRADES = {
    ("css-border-radius", "outlook"): "square corners on state badges and boxes",
    ("css-white-space", "outlook"): "a two-word badge such as TIMED OUT may wrap inside its own cell",
    ("css-min-width", "outlook"): "the headline figures' boxes shrink to their text",
    ("css-at-media", "outlook"): "the phone-width adjustments (smaller padding, fewer columns) do not "
    "apply; Outlook for Windows is a desktop client",
    ("html-body", "outlook"): "Outlook for Mac drops <body> and its grey page background; the "
    "fonts and colours are set again on the content itself",
    ("html-doctype", "outlook"): "Outlook for Windows ignores the doctype; the layout is tables and "
    "inline styles, which do not depend on it",
}
# CSS longhands caniemail files under their shorthand.
SHORTHANDS = {"border": "border", "padding": "padding", "margin": "margin", "font": "font"}


def features(html: str) -> set[str]:
    """caniemail feature slugs an email uses: its elements, attributes, CSS properties and values."""
    known = {feature["slug"] for feature in load()["data"]}
    used: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            used.add(f"html-{tag}")
            for name, value in attrs:
                used.add(f"html-{name}")
                if name == "style" and value:
                    used.update(declarations(value))

        def handle_decl(self, decl: str) -> None:
            used.add("html-doctype")

    collector = Collect()
    collector.feed(html)
    for block in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S):
        if "@media" in block:
            used.add("css-at-media")
        for body in re.findall(r"\{([^{}]*)\}", block):
            used.update(declarations(body))
    return {slug for slug in used if slug in known}


def declarations(css: str) -> set[str]:
    """The feature slugs of the declarations in a style attribute or rule body."""
    used: set[str] = set()
    for declaration in css.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if not name:
            continue
        used.add(f"css-{name}")
        used.add(f"css-{SHORTHANDS.get(name.split('-')[0], name)}")
        if name == "display":
            used.add(f"css-display-{value}")
        for function in ("rgba", "rgb", "calc", "var", "linear-gradient"):
            if f"{function}(" in value:
                used.add({"calc": "css-unit-calc", "var": "css-variables"}.get(function, f"css-{function}"))
        if re.search(r"\d(rem|vw|vh)\b", value):
            used.add(f"css-unit-{re.search(r'(rem|vw|vh)', value)[1]}")  # type: ignore[index]
        if "!important" in value:
            used.add("css-important")
    return used


_DATA: dict[str, object] = {}


def load() -> dict[str, list[dict[str, object]]]:
    if not _DATA:
        if not DATA.exists():
            pytest.fail(f"{DATA} is missing: run `npm ci` (python3 scripts/dev.py setup)")
        _DATA.update(json.loads(DATA.read_text(encoding="utf-8")))
    return _DATA  # type: ignore[return-value]


def support(slug: str, family: str, platform: str) -> str:
    """The client's support of a feature in its latest tested version: y, a (partial), n or u."""
    feature = next(f for f in load()["data"] if f["slug"] == slug)
    versions = feature["stats"].get(family, {}).get(platform, {})  # type: ignore[attr-defined]
    return str(list(versions.values())[-1])[0] if versions else "u"


def unsupported(html: str) -> list[str]:
    """Each feature a client drops that is not known to degrade harmlessly."""
    problems = []
    for slug in sorted(features(html)):
        for family, platform in CLIENTS:
            if support(slug, family, platform) == "n" and (slug, family) not in DEGRADES:
                problems.append(f"{slug} is not supported by {family} {platform}")
    return problems


@pytest.mark.parametrize("name", EMAILS)
def test_every_email_uses_only_what_outlook_gmail_and_apple_mail_keep(name: str) -> None:
    html = all_pages()[name]
    used = features(html)
    assert {"css-padding", "html-table", "css-background-color"} <= used  # the reader saw the email
    assert unsupported(html) == []


def test_the_check_names_a_property_that_gmail_and_outlook_drop() -> None:
    html = '<table><tr><td style="overflow-wrap: anywhere; display: flex">x</td></tr></table>'
    problems = unsupported(html)
    assert "css-overflow-wrap is not supported by gmail desktop-webmail" in problems
    assert "css-display-flex is not supported by outlook windows" in problems


def test_charts_are_svg_only_on_the_web_page_which_no_email_client_would_draw() -> None:
    pages = all_pages()
    assert "html-svg" in features(pages["daily-report-web"])
    assert "html-svg" not in features(pages["daily-report-email"])
    assert "html-svg is not supported by gmail desktop-webmail" in unsupported("<svg></svg>")


def test_every_allowance_is_for_a_feature_an_email_uses_and_the_client_drops() -> None:
    used = set().union(*(features(all_pages()[name]) for name in EMAILS))
    for slug, family in DEGRADES:
        assert slug in used, f"{slug}: no email uses it any more; drop its allowance"
        platforms = [platform for fam, platform in CLIENTS if fam == family]
        assert any(support(slug, family, platform) == "n" for platform in platforms), (slug, family)
