"""GET /api/reports/{date}: the daily report of a local date as HTML."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from coord.entrypoints.http.messages import Request, Response, html_response
from coord.entrypoints.http.problems import BadRequest, NotFound, Unavailable
from coord.store import StoreError

if TYPE_CHECKING:
    from coord.bootstrap import Services


def report_route(request: Request, services: Services) -> Response:
    """The report page (charts as SVG); 400 for a malformed date, 404 for a day coord keeps no data for."""
    text = request.route_params.get("date", "")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"date: expected a date as YYYY-MM-DD, got {text!r}") from None
    if len(text) != len("YYYY-MM-DD"):
        raise BadRequest(f"date: expected a date as YYYY-MM-DD, got {text!r}")
    from coord.report.job import build_day  # noqa: PLC0415
    from coord.report.render import render_report  # noqa: PLC0415  (Jinja2 loads on first use)

    try:
        model = build_day(services, day)
    except StoreError as exc:
        raise Unavailable(f"the state store did not answer: {exc}") from None
    if model is None:
        raise NotFound(
            f"no deployment data is kept for {day.isoformat()} ({services.config.timezone}): "
            "the day is in the future or before coord's history starts"
        )
    _, html, _ = render_report(model, services.links(), web=True)
    return html_response(html)
