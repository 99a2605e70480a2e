"""The "all deployed" notice as email-ready HTML and plain text."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from coord.alldeployed.completion import Change, Completion
from coord.domain.links import Links
from coord.rendering.templating import inline_css, render

_LISTED = 2  # changes named in a subject before "and N more"


def all_deployed_subject(completion: Completion, changes: Sequence[Change] = ()) -> str:
    """What changed: `Storefront 5.2.1 completes shop in Staging`; the whole set the first time."""
    if not changes:
        versions = sorted({f"{e.project} {e.version}" for e in completion.entries})
        listed = ", ".join(versions[:4]) + (f" and {len(versions) - 4} more" if len(versions) > 4 else "")
        return f"{completion.group} is deployed to {completion.environment}: {listed}"
    # A project whose tenants moved to the same version is one change: "Payments 1.9.0 for Acme, Globex".
    tenants: dict[tuple[str, str], list[str]] = {}
    for change in changes:
        tenants.setdefault((change.entry.project, change.entry.version), []).append(change.entry.tenant)
    named = [
        f"{project} {version}" + (f" for {', '.join(t for t in names if t)}" if any(names) else "")
        for (project, version), names in tenants.items()
    ]
    if len(named) == 1:
        what, verb = named[0], "completes"
    elif len(named) <= _LISTED + 1:
        what, verb = ", ".join(named[:-1]) + f" and {named[-1]}", "complete"
    else:
        what, verb = ", ".join(named[:_LISTED]) + f" and {len(named) - _LISTED} more", "complete"
    return f"{what} {verb} {completion.group} in {completion.environment}"


def render_all_deployed(
    completion: Completion, zone: ZoneInfo, links: Links | None = None, changes: Sequence[Change] = ()
) -> tuple[str, str, str]:
    """(subject, html, text) of an "all deployed" notice; `changes` are marked as what is new."""
    subject = all_deployed_subject(completion, changes)
    context = {
        "c": completion,
        "subject": subject,
        "zone": zone,
        "links": links or Links(),
        "changed": {(ch.entry.project_id, ch.entry.tenant_id): ch for ch in changes},
        "when": completion.last_completed,
    }
    html = inline_css(render("all_deployed.html.j2", **context))
    text = render("all_deployed.txt.j2", **context)
    return subject, html, text
