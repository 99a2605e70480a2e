"""HTTP routes for cooperating projects: named locks and gates (interface.md, "HTTP functions").

POST   /api/locks/{name}                 acquire: holder, ttl_seconds, wait_seconds?, ticket?, request_id?
DELETE /api/locks/{name}?token=...       release; ?ticket=... leaves the queue instead
GET    /api/gates/{group}/{environment}  open, or what it still waits for (?versions= ?projects= ?exclude=)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from coord.bootstrap import Services
from coord.config import Group
from coord.domain.catalogue import Catalogue
from coord.entrypoints.http.messages import Request, Response, json_response
from coord.entrypoints.http.problems import BadRequest, Conflict, NotFound, Unavailable, field_problems
from coord.locks.gates import Member, VersionWish, WishError, check_gate, parse_wishes
from coord.locks.service import locks_for
from coord.locks.table import Grant, NotHeld
from coord.store import StoreError

# Functions stop an HTTP request after 230 s (azure-ecosystem.md); a step loops for longer waits.
MAX_WAIT_SECONDS = 60
MAX_TTL_SECONDS = 7 * 24 * 3600
MAX_NAME = 200

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class LockRequest(BaseModel):
    """The body of POST /api/locks/{name}."""

    model_config = ConfigDict(extra="forbid")

    holder: Text
    ttl_seconds: int = Field(ge=1, le=MAX_TTL_SECONDS)
    wait_seconds: float = Field(default=0, ge=0, le=MAX_WAIT_SECONDS)
    ticket: Annotated[str, StringConstraints(max_length=100)] | None = None
    request_id: Annotated[str, StringConstraints(max_length=200)] = ""


def acquire_lock(request: Request, services: Services) -> Response:
    """POST /api/locks/{name}: 200 with a token when granted, 409 with the holder when not."""
    name = _lock_name(request)
    try:
        body = LockRequest.model_validate(request.json())
    except ValidationError as exc:
        raise BadRequest("the lock request is not valid", field_problems(exc)) from None
    try:
        result = locks_for(services).acquire(
            name,
            body.holder,
            timedelta(seconds=body.ttl_seconds),
            wait=timedelta(seconds=body.wait_seconds),
            ticket=body.ticket,
            request_id=body.request_id,
        )
    except StoreError as exc:
        raise Unavailable(f"the state store did not answer: {exc}") from None
    if isinstance(result, Grant):
        return json_response(grant_json(result))
    holder = result.holder
    if holder is not None:
        detail = f"lock {name!r} is held by {holder.holder!r} until {holder.expires_at.isoformat()}"
    else:
        detail = f"lock {name!r} is promised to {result.position - 1} earlier request(s)"
    extra: dict[str, Any] = {
        "name": name,
        "holder": holder.holder if holder else None,
        "expires_at": holder.expires_at.isoformat() if holder else None,
        "position": result.position,
    }
    if result.ticket:
        extra["ticket"] = result.ticket
        detail += "; send the ticket back to keep your place in the queue"
    raise Conflict(detail, None, **extra)


def release_lock(request: Request, services: Services) -> Response:
    """DELETE /api/locks/{name}?token=...: release (404: wrong or expired token); ?ticket= leaves queue."""
    name = _lock_name(request)
    token, ticket = request.query.get("token"), request.query.get("ticket")
    if not token and not ticket:
        raise BadRequest("query parameter 'token' is required (or 'ticket' to leave the queue)")
    locks = locks_for(services)
    try:
        if ticket and not token:
            if not locks.withdraw(name, ticket):
                raise NotFound(f"lock {name!r}: this ticket is not in the queue (granted, or expired)")
            return json_response({"name": name, "withdrawn": True})
        event = locks.release(name, token or "")
    except NotHeld as exc:
        raise NotFound(str(exc)) from None
    except StoreError as exc:
        raise Unavailable(f"the state store did not answer: {exc}") from None
    return json_response(
        {"name": name, "released": True, "holder": event.holder, "held_seconds": event.held_seconds}
    )


def gate(request: Request, services: Services) -> Response:
    """GET /api/gates/{group}/{environment}: open when every project is current and successful there."""
    group_name = request.route_params.get("group", "")
    env_ref = request.route_params.get("environment", "")
    group = _group(services, group_name)
    try:
        catalogue = services.names.load()
        if not catalogue.environments:
            raise Unavailable(
                "coord has not read Octopus yet (the first poll has not run); try again shortly"
            )
        environment = catalogue.environment(env_ref)
        if environment is None:
            raise NotFound(f"unknown environment {env_ref!r}")
        members = [Member(ref, catalogue.project(ref)) for ref in group.projects]
        members = _selected(request, group_name, group, members, catalogue)
        wishes = _wishes(request, group_name, group, members, catalogue)
        cells = services.repo.matrix()
    except StoreError as exc:
        raise Unavailable(f"the state store did not answer: {exc}") from None
    answer = check_gate(members, environment.id, cells, catalogue, wishes)
    return json_response(
        {
            "open": answer.open,
            "group": group_name,
            "environment": environment.name,
            "projects": list(answer.projects),
            "waiting_for": [w.to_json() for w in answer.waiting_for],
            "checked_at": services.clock.now().isoformat(),
        }
    )


def grant_json(grant: Grant) -> dict[str, object]:
    """A grant as the API and the CLI show it."""
    return {
        "name": grant.name,
        "holder": grant.holder,
        "token": grant.token,
        "granted_at": grant.granted_at.isoformat(),
        "expires_at": grant.expires_at.isoformat(),
        "waited_seconds": round(grant.waited.total_seconds(), 3),
    }


def _lock_name(request: Request) -> str:
    name = request.route_params.get("name", "").strip()
    if not name or len(name) > MAX_NAME or any(ord(ch) < 0x20 for ch in name):
        raise BadRequest(f"lock name: expected 1 to {MAX_NAME} printable characters, got {name[:40]!r}")
    return name


def _group(services: Services, name: str) -> Group:
    groups = services.config.groups
    found = groups.get(name) or next(
        (g for key, g in groups.items() if key.casefold() == name.casefold()), None
    )
    if found is None:
        known = ", ".join(sorted(groups)) or "none"
        raise NotFound(f"unknown group {name!r} (groups in coord.yaml: {known})")
    return found


def _member(ref: str, group: Group, members: list[Member], catalogue: Catalogue) -> Member | None:
    """The member a caller's name means: as spelled in coord.yaml, or as Octopus names, slugs or ids it."""
    canonical = group.canonical(ref)
    info = catalogue.project(ref)
    for member in members:
        if member.ref == canonical or (
            info is not None and member.info is not None and member.info.id == info.id
        ):
            return member
    return None


def _selected(
    request: Request, group_name: str, group: Group, members: list[Member], catalogue: Catalogue
) -> list[Member]:
    only = _names(request, "projects")
    if only:
        chosen = []
        for ref in only:
            member = _member(ref, group, members, catalogue)
            if member is None:
                raise BadRequest(f"projects: {ref!r} is not a project of group {group_name!r}")
            chosen.append(member)
        members = [m for m in members if m in chosen]
    # The calling project is usually a member and is itself deploying: `exclude` leaves it out.
    # Names that are not members are ignored, so one step template serves every project.
    left_out = [m for ref in _names(request, "exclude") if (m := _member(ref, group, members, catalogue))]
    return [m for m in members if m not in left_out]


def _wishes(
    request: Request, group_name: str, group: Group, members: list[Member], catalogue: Catalogue
) -> dict[str, VersionWish]:
    text = request.query.get("versions", "")
    if not text.strip():
        return {}
    try:
        parsed = parse_wishes(text)
    except WishError as exc:
        raise BadRequest(str(exc)) from None
    wishes: dict[str, VersionWish] = {}
    for ref, wish in parsed:
        member = _member(ref, group, members, catalogue)
        if member is None:
            raise BadRequest(f"versions: {ref!r} is not a project this gate checks (group {group_name!r})")
        wishes[member.ref] = wish
    return wishes


def _names(request: Request, key: str) -> list[str]:
    return [part.strip() for part in request.query.get(key, "").split(",") if part.strip()]
