"""The daily report as email-ready HTML and plain text.

HTML is rendered from Jinja2 templates with autoescaping, then its stylesheet is inlined into
style attributes (css-inline), because most email clients drop <style> blocks. Only @media
rules stay in a <style> block, for the clients that honour them on phones.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from coord.rendering.templating import duration_text, inline_css, percent, render
from coord.report.model import DeploymentRow, MatrixRow, ReportModel

# Above this many rows a list of successes (or of in-step projects) is collapsed under a
# summary line, so the failures stay in view on a large day.
COLLAPSE_AFTER = 25


def report_subject(model: ReportModel) -> str:
    """One line with the headline numbers."""
    head = f"coord daily report {model.day.isoformat()}"
    totals = model.totals
    if not totals.total:
        parts = ["no deployments"]
    else:
        parts = [f"{totals.total} deployment{'s' if totals.total != 1 else ''}"]
        if totals.success_rate is not None:
            parts.append(f"{percent(totals.success_rate)} succeeded")
        parts.append(f"{totals.failed} failed")
        if model.metrics.mttr is not None:
            parts.append(f"MTTR {duration_text(model.metrics.mttr)}")
    if model.skipped_slots:
        parts.append(f"{len(model.skipped_slots)} skipped slot{'s' if len(model.skipped_slots) != 1 else ''}")
    if model.in_progress:
        parts.append("day in progress")
    return f"{head}: {', '.join(parts)}"


def render_report(model: ReportModel) -> tuple[str, str, str]:
    """(subject, html, text) of the daily report."""
    zone = ZoneInfo(model.zone)
    subject = report_subject(model)
    settled: list[MatrixRow] = []
    unsettled: list[MatrixRow] = []
    for row in model.matrix:
        (settled if row.settled else unsettled).append(row)
    compact: list[Sequence[object]] = []

    def compact_slot(rows: Sequence[object]) -> int:
        compact.append(rows)
        return len(compact) - 1

    context = {
        "compact_slot": compact_slot,
        "r": model,
        "subject": subject,
        "zone": zone,
        "day_title": model.day.strftime("%A %d %B %Y"),
        "hours_text": f"{model.hours:g} hours",
        "generated_local": model.generated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
        "collapse_after": COLLAPSE_AFTER,
        "settled": settled,
        "unsettled": unsettled,
    }
    html = _splice(inline_css(render("daily_report.html.j2", **context)), compact, model)
    text = render("daily_report.txt.j2", **context)
    return subject, html, text


def _splice(html: str, compact: list[Sequence[object]], model: ReportModel) -> str:
    """Put the long lists into their placeholders after inlining.

    The inliner's cost grows with the document (about 35 MB per MB of HTML); the long lists
    are most of a large day's HTML and carry their few styles themselves, so they skip it.
    """
    for index, rows in enumerate(compact):
        kind = "successes" if rows and isinstance(rows[0], DeploymentRow) else "settled"
        table = render("_compact.html.j2", rows=rows, kind=kind, day=model.day)
        placeholder = f'<div data-compact="{index}"></div>'
        if placeholder not in html:
            msg = f"the report template lost placeholder {index} while inlining CSS"
            raise RuntimeError(msg)
        html = html.replace(placeholder, table, 1)
    return html
