"""The HTTP routes: parse the request, call one application function, format the answer."""

from __future__ import annotations

import logging

from coord.bootstrap import Services
from coord.entrypoints.http.messages import Request, Response, json_response
from coord.entrypoints.http.problems import BadRequest, Unauthorized, Unavailable
from coord.entrypoints.http.webhook import parse_webhook, secret_matches
from coord.feed import service as feed_service
from coord.promotion.events import advance_for_event
from coord.store import StoreError

log = logging.getLogger(__name__)


def status(request: Request, services: Services) -> Response:
    """GET /api/status[?all=true]: the current matrix as JSON."""
    all_projects = _flag(request, "all")
    try:
        view = feed_service.status(services, all_projects=all_projects)
    except StoreError as exc:
        raise Unavailable(f"the state store did not answer: {exc}") from None
    return json_response(view.to_json())


def octopus_events(request: Request, services: Services) -> Response:
    """POST /api/octopus/events: an Octopus subscription webhook.

    Every authenticated payload gets a 2xx: a non-2xx answer stops the rest of Octopus's batch
    (octopus-api-checked.md §7, Issue 7216), and the poll reads the feed anyway. One coord cannot
    use is answered 200 with `recorded: false` and the reason, and logged. A deployment event is
    recorded first (claim and pending row), then its deployment is fetched only if Octopus answers
    at once; otherwise the next poll fetches it.
    """
    expected = services.settings.webhook_secret
    if expected is None:
        raise Unauthorized("the webhook is disabled: COORD_WEBHOOK_SECRET is not set")
    if not secret_matches(expected.get_secret_value(), request.header("X-Coord-Secret")):
        raise Unauthorized("missing or wrong X-Coord-Secret header")
    try:
        event = parse_webhook(request.json())
    except BadRequest as problem:
        detail = problem.to_dict()["detail"]
        log.warning("webhook payload ignored: %s", detail)
        return json_response({"recorded": False, "detail": f"ignored: {detail}"}, 200)
    if event is None:
        return json_response({"recorded": False, "detail": "not a deployment event; ignored"}, 200)
    try:
        new = feed_service.record_webhook_event(services, event)
        fetched = new and feed_service.fetch_webhook_event(services, event)
    except StoreError as exc:
        raise Unavailable(f"the state store did not answer: {exc}") from None
    if not new:
        detail = "already recorded (duplicate delivery)"
    elif fetched:
        detail = "recorded"
    else:
        detail = "recorded; Octopus did not answer at once, so the next poll fetches the deployment"
    # A new event advances the runs it concerns within a time budget, well inside Octopus's
    # 10 s webhook timeout; a duplicate delivery leaves that to the first one, and an Octopus
    # too slow to answer the fetch leaves it to the tick.
    advanced = advance_for_event(services, event) if new and fetched else []
    return json_response(
        {
            "recorded": new,
            "event": event.event_id,
            "deployment": event.deployment_id,
            "detail": detail,
            "advanced": advanced,
        },
        202,
    )


def _flag(request: Request, name: str) -> bool:
    value = request.query.get(name)
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no", ""):
        return False
    raise BadRequest(f"query parameter '{name}': expected true or false, got {value!r}")
