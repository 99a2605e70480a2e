"""The HTTP routes of promotions: start (or plan) a run, read it, cancel it.

Bodies are validated by pydantic (unknown fields are named in a 400); promotion errors become
problem+json: 404 for unknown names and runs, 409 with the active run's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coord.config.fields import Duration
from coord.entrypoints.http.messages import Request, Response, json_response
from coord.entrypoints.http.problems import BadRequest, Conflict, NotFound, Unavailable, field_problems
from coord.octopus import OctopusError
from coord.promotion.errors import RunConflict, RunEnded, RunNotFound, UnknownName
from coord.promotion.runner import advance_run, runs
from coord.promotion.start import StartCommand, start_run
from coord.promotion.view import plan_document, run_document
from coord.promotion.watch import refresh_run

if TYPE_CHECKING:
    from coord.bootstrap import Services


class PromotionBody(BaseModel):
    """`POST /api/promotions`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    group: str = Field(min_length=1)
    source: str = Field(alias="from", min_length=1)
    target: str = Field(alias="to", min_length=1)
    projects: list[str] | None = None
    on_failure: Literal["halt", "rollback"] | None = None
    dry_run: bool = False
    timeout: Duration | None = None  # e.g. "90m" or "6h"; default: the promotions entry's, else 6h


def start_promotion(request: Request, services: Services) -> Response:
    """`POST /api/promotions`: 202 with the run and a Location header; `dry_run`: 200 with the plan."""
    document = request.json()
    if not isinstance(document, dict):
        raise BadRequest("the body must be a JSON object with group, from and to")
    try:
        body = PromotionBody.model_validate(document)
    except ValidationError as exc:
        raise BadRequest("the promotion request is not valid", field_problems(exc)) from None
    command = StartCommand(
        group=body.group,
        source=body.source,
        target=body.target,
        projects=tuple(body.projects) if body.projects else None,
        on_failure=body.on_failure,
        dry_run=body.dry_run,
        trigger="http",
        timeout=body.timeout,
        requested_by=caller(request, services),
    )
    try:
        started = start_run(services, command)
    except UnknownName as exc:
        raise NotFound(str(exc)) from None
    except RunConflict as exc:
        raise Conflict(str(exc), active_run_id=exc.active_run_id) from None
    except OctopusError as exc:
        raise Unavailable(f"Octopus could not be reached: {exc}") from None
    if started.run is None:
        return json_response({"dry_run": True, **plan_document(started.plan)}, 200)
    location = f"/api/promotions/{started.run.id}"
    return json_response(run_document(started.run), 202, {"Location": location})


def caller(request: Request, services: Services) -> str:
    """Who asked: the name App Service authentication signed in, else "HTTP" (a function key names nobody)."""
    name = request.header("X-MS-CLIENT-PRINCIPAL-NAME") if services.settings.caller_identity else None
    name = " ".join((name or "").split())[:200]
    return name or "HTTP"


def get_promotion(request: Request, services: Services) -> Response:
    """`GET /api/promotions/{id}`: the run, project by project, as of now."""
    run_id = _run_id(request)
    stored = runs(services).load(run_id)
    if stored is None:
        raise NotFound(f"no promotion run {run_id!r}")
    return json_response(run_document(refresh_run(services, stored.run)))


def cancel_promotion(request: Request, services: Services) -> Response:
    """`POST /api/promotions/{id}/cancel`: start no further deployments; 202 with the run."""
    run_id = _run_id(request)
    try:
        run = cancel_run(services, run_id)
    except RunNotFound as exc:
        raise NotFound(str(exc)) from None
    except RunEnded as exc:
        raise Conflict(str(exc), phase=exc.phase) from None
    return json_response(run_document(run), 202, {"Location": f"/api/promotions/{run_id}"})


def cancel_run(services: Services, run_id: str) -> Any:
    """Ask a run to start nothing further, and advance it once so that shows at once."""
    store = runs(services)
    stored = store.load(run_id)
    if stored is None:
        raise RunNotFound(f"no promotion run {run_id!r}")
    if stored.run.phase.is_terminal:
        raise RunEnded(f"run {run_id} has already ended ({stored.run.phase})", stored.run.phase.value)
    store.request_cancel(run_id, services.clock.now())
    try:
        return advance_run(services, run_id) or stored.run
    except OctopusError:
        reread = store.load(run_id)
        return reread.run if reread else stored.run


def _run_id(request: Request) -> str:
    run_id = (request.route_params.get("id") or "").strip()
    if not run_id or len(run_id) > 100 or any(c in run_id for c in "/\\#?"):
        raise NotFound(f"no promotion run {run_id!r}")
    return run_id
