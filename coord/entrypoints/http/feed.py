"""The HTTP routes: parse the request, call one application function, format the answer."""

from __future__ import annotations

from coord.bootstrap import Services
from coord.entrypoints.http.messages import Request, Response, json_response
from coord.entrypoints.http.problems import BadRequest, Unauthorized, Unavailable
from coord.entrypoints.http.webhook import parse_webhook, secret_matches
from coord.feed import service as feed_service
from coord.octopus import OctopusError
from coord.promotion.events import advance_for_event
from coord.store import StoreError


def status(request: Request, services: Services) -> Response:
    """GET /api/status[?all=true]: the current matrix as JSON."""
    all_projects = _flag(request, "all")
    try:
        view = feed_service.status(services, all_projects=all_projects)
    except StoreError as exc:
        raise Unavailable(f"the state store did not answer: {exc}") from None
    return json_response(view.to_json())


def octopus_events(request: Request, services: Services) -> Response:
    """POST /api/octopus/events: an Octopus subscription webhook."""
    expected = services.settings.webhook_secret
    if expected is None:
        raise Unauthorized("the webhook is disabled: COORD_WEBHOOK_SECRET is not set")
    if not secret_matches(expected.get_secret_value(), request.header("X-Coord-Secret")):
        raise Unauthorized("missing or wrong X-Coord-Secret header")
    event = parse_webhook(request.json())
    if event is None:
        return json_response({"recorded": False, "detail": "not a deployment event; ignored"}, 200)
    try:
        new = feed_service.record_webhook_event(services, event)
    except StoreError as exc:
        raise Unavailable(f"the state store did not answer: {exc}") from None
    except OctopusError as exc:  # pragma: no cover - record_webhook_event keeps these for the next poll
        raise Unavailable(str(exc)) from None
    # A new event advances the runs it concerns within a time budget, well inside Octopus's
    # 10 s webhook timeout; a duplicate delivery leaves that to the first one.
    advanced = advance_for_event(services, event) if new else []
    detail = "recorded" if new else "already recorded (duplicate delivery)"
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
