"""Jinja2 templates of coord's emails and pages, and the CSS inliner email clients need.

Both libraries load on first use (design.md, "Lazy heavy imports"): a status request or a
poll never pays for them. HTML templates escape every value (autoescape), since project
names, release versions, tenant names and error messages come from Octopus users.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"

# Colour plus a word for each state, so a state reads the same without colour (and in plain text).
STATE_STYLES: dict[str, tuple[str, str, str]] = {
    # state: (word, text colour, background)
    "Success": ("SUCCESS", "#116329", "#dafbe1"),
    "Failed": ("FAILED", "#a40e26", "#ffebe9"),
    "TimedOut": ("TIMED OUT", "#a40e26", "#ffebe9"),
    "Canceled": ("CANCELED", "#57606a", "#eaeef2"),
    "Cancelling": ("CANCELLING", "#57606a", "#eaeef2"),
    "Executing": ("RUNNING", "#0550ae", "#ddf4ff"),
    "Queued": ("QUEUED", "#0550ae", "#ddf4ff"),
    # Promotion run phases, in the same colours.
    "Pending": ("PENDING", "#0550ae", "#ddf4ff"),
    "Running": ("RUNNING", "#0550ae", "#ddf4ff"),
    "Succeeded": ("SUCCEEDED", "#116329", "#dafbe1"),
    "Halting": ("HALTING", "#7d4e00", "#fff8c5"),
    "Halted": ("HALTED", "#7d4e00", "#fff8c5"),
    "RollingBack": ("ROLLING BACK", "#7d4e00", "#fff8c5"),
    "RolledBack": ("ROLLED BACK", "#7d4e00", "#fff8c5"),
    # Promotion step statuses that are not task states.
    "Skipped": ("SKIPPED", "#57606a", "#eaeef2"),
    "NotStarted": ("NOT STARTED", "#57606a", "#eaeef2"),
    "Blocked": ("BLOCKED", "#7d4e00", "#fff8c5"),
}
# The report's words for a run's outcome, as the states above.
RUN_OUTCOME_STATES = {
    "succeeded": "Succeeded",
    "failed": "Failed",
    "rolled back": "RolledBack",
    "canceled": "Canceled",
    "halted": "Halted",
    "running": "Running",
}


def state_word(state: object) -> str:
    """The word shown for a task state."""
    text = str(state)
    return STATE_STYLES.get(text, (text.upper(), "", ""))[0]


def state_colours(state: object) -> tuple[str, str]:
    """Text and background colour of a task state."""
    _, fg, bg = STATE_STYLES.get(str(state), ("", "#1f2328", "#eaeef2"))
    return fg, bg


def duration_text(value: timedelta | None) -> str:
    """`1d 2h`, `3h 05m`, `4m 07s`, `12s`; empty for None."""
    if value is None:
        return ""
    seconds = max(0, round(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def percent(value: float | None) -> str:
    """`94.8%`, or an en dash when there is nothing to divide."""
    return "\u2013" if value is None else f"{value * 100:.1f}%"


def clock_text(moment: datetime | None, day: object = None, zone_name: bool = False) -> str:
    """`HH:MM:SS`, prefixed with the date when it is not on the report's day, and `GMT` when asked."""
    if moment is None:
        return ""
    # Formatted by hand: a large day's report shows some 80,000 times, and strftime is the slow part.
    text = f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    if day is not None and moment.date() != day:
        text = f"{moment.month:02d}-{moment.day:02d} {text}"
    return f"{text} {moment.tzname()}" if zone_name and moment.tzname() else text


def local_text(moment: datetime | None, zone: Any) -> str:
    """`2026-11-26 18:30 GMT`: a moment in the configured zone, with the zone's abbreviation."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


# An unbroken run this long (a version with a branch name, a hash) may be broken anywhere;
# shorter ones never are, so a narrow column never splits an ordinary word.
LONG_RUN = 24


def long_text(value: object) -> Any:
    """The value, escaped, allowed to break inside when it has an unbroken run of LONG_RUN characters."""
    from markupsafe import Markup, escape  # noqa: PLC0415  (loads with Jinja2)

    text = str(value)
    if max((len(part) for part in text.replace("-", " ").split()), default=0) < LONG_RUN:
        return escape(text)
    return Markup('<span style="word-break: break-word;">%s</span>') % text


def lines_html(value: object) -> Any:
    """The text, escaped, its line breaks kept as <br> (no `white-space`, which Outlook drops)."""
    from markupsafe import Markup, escape  # noqa: PLC0415

    return Markup("<br>").join(escape(line) for line in str(value).splitlines())


@cache
def environment() -> Environment:
    """The Jinja2 environment: `.html.j2` templates autoescaped, `.txt.j2` plain."""
    import jinja2  # noqa: PLC0415  (templating loads on first use)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        duration=duration_text,
        percent=percent,
        clock=clock_text,
        local=local_text,
        state_word=state_word,
        long=long_text,
        lines=lines_html,
    )
    env.globals.update(state_colours=state_colours)
    return env


def render(name: str, **context: Any) -> str:
    """Render one template by file name (`.html.j2` are autoescaped)."""
    return environment().get_template(name).render(**context)


@cache
def _inliner() -> Any:
    import css_inline  # noqa: PLC0415

    # keep_at_rules: @media rules cannot be inlined; they stay in a <style> block for clients
    # that honour it (phone widths), while every other rule becomes style attributes.
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """The HTML with its <style> rules moved into style attributes."""
    return str(_inliner().inline(html))
