"""The "all deployed" notice as email-ready HTML and plain text."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from coord.alldeployed.completion import Completion
from coord.rendering.templating import inline_css, render


def all_deployed_subject(completion: Completion) -> str:
    """`shop is deployed to Production: Identity 1.1.0, Catalog 2.3.0, ...`."""
    versions = sorted({f"{e.project} {e.version}" for e in completion.entries})
    listed = ", ".join(versions[:4]) + (f" and {len(versions) - 4} more" if len(versions) > 4 else "")
    return f"{completion.group} is deployed to {completion.environment}: {listed}"


def render_all_deployed(completion: Completion, zone: ZoneInfo) -> tuple[str, str, str]:
    """(subject, html, text) of an "all deployed" notice."""
    subject = all_deployed_subject(completion)
    last = completion.last_completed
    context = {
        "c": completion,
        "subject": subject,
        "zone": zone,
        "when": last.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if last else "",
    }
    html = inline_css(render("all_deployed.html.j2", **context))
    text = render("all_deployed.txt.j2", **context)
    return subject, html, text
