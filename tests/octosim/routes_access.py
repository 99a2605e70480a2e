"""The routes of users and their permissions (`tests/octosim/access.py` holds the model)."""

from __future__ import annotations

from typing import Any

from tests.octosim.access import permissions_json, user_json
from tests.octosim.errors import ApiError, not_found
from tests.octosim.routes import Request, route
from tests.octosim.simulator import Simulator


@route("GET", "/users/me", spaced=False)
def users_me(sim: Simulator, req: Request) -> Any:
    """The API key's user (root link `CurrentUser`, octopus-api.md §1)."""
    user = sim.access.user(req.api_key)
    if user is None:  # the server refuses unknown keys before this runs
        raise ApiError(401, "You must be logged in to perform this action.")
    return user_json(user)


def _permissions(sim: Simulator, req: Request) -> Any:
    me = sim.access.user(req.api_key)
    if me is None or me.id != req.params["id"]:
        # Reading another user's permissions needs UserView; the simulator's users read their own.
        raise not_found(req.params["id"])
    wanted = req.values("spaces")
    spaces = [s.id for s in sim.spaces.values()] if not wanted or "all" in wanted else wanted
    return permissions_json(me, spaces, include_system=bool(req.flag("includeSystem")))


@route("GET", "/users/{id}/permissions", spaced=False)
def user_permissions(sim: Simulator, req: Request) -> Any:
    """What the user may do, per space (UserPermissionSetResource)."""
    return _permissions(sim, req)


@route("GET", "/users/{id}/permissions/configuration", spaced=False)
def user_permissions_configuration(sim: Simulator, req: Request) -> Any:
    """The same set as configured through teams (the simulator has no difference)."""
    return _permissions(sim, req)
