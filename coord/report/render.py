"""The daily report as email-ready HTML and plain text.

HTML is rendered from Jinja2 templates with autoescaping, then its stylesheet is inlined into
style attributes (css-inline), because most email clients drop <style> blocks. Only @media
rules stay in a <style> block, for the clients that honour them on phones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from coord.domain.links import Links
from coord.rendering.charts import Column, bars
from coord.rendering.templating import RUN_OUTCOME_STATES, duration_text, inline_css, percent, render
from coord.report.model import Counts, DeploymentRow, MatrixRow, ReportModel

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


def render_report(
    model: ReportModel, links: Links | None = None, *, web: bool = False
) -> tuple[str, str, str]:
    """(subject, html, text) of the daily report; `web` draws its charts as SVG, for a browser."""
    links = links or Links()
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
        "links": links,
        "web": web,
        "page_link": None if web else links.report(model.day.isoformat()),
        "run_states": RUN_OUTCOME_STATES,
        **_zone_context(model),
        **_charts(model),
    }
    html = _splice(inline_css(render("daily_report.html.j2", **context)), compact, model, context)
    text = render("daily_report.txt.j2", **context)
    return subject, html, text


def _zone_context(model: ReportModel) -> dict[str, Any]:
    names = model.zone_names
    if len(names) > 1:
        text = f"{model.zone} time ({names[0]} until the clocks changed, then {names[-1]})"
    else:
        text = f"{model.zone} time ({names[0]})" if names else model.zone
    # On the day the clocks change each time carries its abbreviation, as the hour repeats or is skipped.
    return {"zone_text": text, "tzmark": len(names) > 1}


def _charts(model: ReportModel) -> dict[str, Any]:
    """The trend and the hours as chart columns, and a line naming the busiest hour."""

    def parts(counts: Counts | None) -> tuple[int, int, int] | None:
        return (counts.succeeded, counts.failed, counts.other) if counts is not None else None

    def words(counts: Counts | None) -> str:
        if counts is None:
            return "no data kept"
        return f"{counts.total} deployment{'s' if counts.total != 1 else ''}, {counts.failed} failed"

    trend = [
        Column(
            label=str(day.day.day),
            title=f"{day.day.strftime('%a %d %b')}: {words(day.counts)}",
            counts=parts(day.counts),
            strong=day.day == model.day,
        )
        for day in model.trend
    ]
    hours = []
    for hour in model.hourly:
        end = (hour.start + timedelta(hours=1)).astimezone(hour.start.tzinfo)
        span = f"{hour.start:%H:%M}\u2013{end:%H:%M} {hour.start.tzname()}"
        label = f"{hour.start:%H}" if hour.start.hour % 3 == 0 else ""
        hours.append(Column(label, f"{span}: {words(hour.counts)}", parts(hour.counts)))
    busiest = max(model.hourly, key=lambda h: h.counts.total, default=None)
    if busiest is None or not busiest.counts.total:
        line = "No deployments on this day."
    else:
        end = (busiest.start + timedelta(hours=1)).astimezone(busiest.start.tzinfo)
        line = f"Busiest hour: {busiest.start:%H:%M}\u2013{end:%H:%M}, {words(busiest.counts)}."
    trend_max = max((d.counts.total for d in model.trend if d.counts), default=0) or 1
    known = [d.day for d in model.trend if d.counts is not None]
    gap = (
        f"coord keeps no data before {known[0]:%a %d %b}." if known and known[0] != model.trend[0].day else ""
    )
    return {
        "trend_bars": bars(trend),
        "hour_bars": bars(hours),
        "busiest": line,
        "trend_max": trend_max,
        "trend_gap": gap,
    }


def _splice(html: str, compact: list[Sequence[object]], model: ReportModel, context: dict[str, Any]) -> str:
    """Put the long lists into their placeholders after inlining.

    The inliner's cost grows with the document (about 35 MB per MB of HTML); the long lists
    are most of a large day's HTML and carry their few styles themselves, so they skip it.
    """
    pieces: list[str] = []
    rest = html
    for index, rows in enumerate(compact):
        placeholder = f'<div data-compact="{index}"></div>'
        before, found, rest = rest.partition(placeholder)
        if not found:
            msg = f"the report template lost placeholder {index} while inlining CSS"
            raise RuntimeError(msg)
        kind = "successes" if rows and isinstance(rows[0], DeploymentRow) else "settled"
        links, tzmark = context["links"], context["tzmark"]
        table = render("_compact.html.j2", rows=rows, kind=kind, day=model.day, links=links, tzmark=tzmark)
        pieces += [before, table]
    # One join at the end: replacing into a growing page would copy it once per list.
    return "".join([*pieces, rest])
