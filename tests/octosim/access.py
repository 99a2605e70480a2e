"""API keys, the users they belong to, and the permissions each route needs.

Octopus checks every request against the permissions of the API key's user (its teams' roles).
A key that is not known gets 401; a known key whose user lacks the permission a route needs gets
403 with the body a real server sends, naming the permission (help.octopus.com/t/690):
`{"ErrorMessage": "You do not have permission to perform this action. Please contact your Octopus
administrator. Missing permission: DeploymentDelete", "HelpText": "..."}`.

The simulator's own key (`sim.api_key`) belongs to a user with every permission. Tests add keys
with fewer (`sim.access.add_key(permissions=[...])`), take permissions away from a key
(`sim.access.deny(key, "DeploymentCreate")`) or revoke one (`sim.access.revoke(key)`).
Restrictions to projects, environments or tenants are not modelled: a user has a permission in
the whole space or not at all.

Permission names are Octopus's (OctopusDeploy/OctopusClients, `Model/Permission.cs`). The user
and permission-set shapes follow `UserResource`, `UserPermissionSetResource` and
`UserPermissionRestriction` there; api-client.ts reads a user's permissions from its
`Links.Permissions` with `spaces` and `includeSystem` (`src/repositories/userPermissionRepository.ts`).
"""

from __future__ import annotations

import fnmatch
import re
import secrets
import string
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.octosim.errors import ApiError

if TYPE_CHECKING:
    from tests.octosim.simulator import Simulator

UNAUTHORIZED = "You must be logged in to perform this action. Please provide a valid API key or log in again."
MISSING = (
    "You do not have permission to perform this action. Please contact your Octopus administrator. "
    "Missing permission: {permission}"
)

# The permission each route needs (route names as in routes.py; globs allowed). Routes not
# listed (the root document, spaces, the current user) need none.
ROUTE_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("GET /projects/{id}/releases*", "ReleaseView"),
    ("GET /projects/{id}/progression", "ReleaseView"),
    ("GET /progression/{id}", "ReleaseView"),
    ("GET /projects*", "ProjectView"),
    ("GET /projectgroups*", "ProjectGroupView"),
    ("GET /channels*", "ProjectView"),
    ("GET /environments*", "EnvironmentView"),
    ("GET /lifecycles*", "LifecycleView"),
    ("GET /tenants*", "TenantView"),
    ("GET /releases/{id}/deployments", "DeploymentView"),
    ("GET /releases*", "ReleaseView"),
    ("POST /releases*", "ReleaseCreate"),
    ("GET /deployments*", "DeploymentView"),
    ("POST /deployments*", "DeploymentCreate"),
    ("GET /tasks*", "TaskView"),
    ("GET /api/tasks*", "TaskView"),
    ("POST /tasks/{id}/cancel", "TaskCancel"),
    ("GET /dashboard*", "ProjectView"),
    ("GET /events*", "EventView"),
    ("GET /api/events*", "EventView"),
    ("GET /interruptions*", "InterruptionView"),
    ("PUT /interruptions*", "InterruptionSubmit"),
    ("POST /interruptions*", "InterruptionSubmit"),
    ("GET /subscriptions*", "SubscriptionView"),
    ("POST /subscriptions*", "SubscriptionEdit"),
)
SPACE_PERMISSIONS = frozenset(
    {name for _, name in ROUTE_PERMISSIONS}
    | {"ProjectEdit", "ReleaseEdit", "ReleaseDelete", "DeploymentDelete", "EnvironmentEdit", "FeedView"}
)
SYSTEM_PERMISSIONS = ("SpaceView", "UserView", "TeamView")


def required_permission(route: str) -> str | None:
    """The permission a route needs, or None."""
    for pattern, permission in ROUTE_PERMISSIONS:
        if fnmatch.fnmatchcase(route, pattern):
            return permission
    return None


@dataclass
class ApiUser:
    """The user an API key belongs to: a service account in a team with some roles."""

    id: str
    username: str
    display_name: str
    permissions: set[str] = field(default_factory=set)


class Access:
    """Known API keys and their users' permissions; thread-safe."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._lock = threading.Lock()
        self._users: dict[str, ApiUser] = {}  # key -> user
        self._revoked: set[str] = set()
        self._owner = ApiUser("Users-1", "api-user", "API user", set(SPACE_PERMISSIONS))

    def add_key(
        self, *, username: str = "coord", permissions: Iterable[str] | None = None, key: str | None = None
    ) -> str:
        """A new API key for a new service account with these permissions (default: all)."""
        alphabet = string.ascii_uppercase + string.digits
        new_key = key or "API-" + "".join(secrets.choice(alphabet) for _ in range(26))
        with self._lock:
            user = ApiUser(
                f"Users-{len(self._users) + 2}",
                username,
                username.title(),
                set(SPACE_PERMISSIONS if permissions is None else permissions),
            )
            self._users[new_key] = user
        return new_key

    def deny(self, key: str, *permissions: str) -> None:
        """Take permissions away from the key's user (a role removed from its team)."""
        with self._lock:
            self._user(key).permissions.difference_update(permissions)

    def grant(self, key: str, *permissions: str) -> None:
        """Give the key's user more permissions."""
        with self._lock:
            self._user(key).permissions.update(permissions)

    def revoke(self, key: str) -> None:
        """The key no longer works: every request with it gets 401."""
        with self._lock:
            self._revoked.add(key)

    def user(self, key: str | None) -> ApiUser | None:
        """The user a key belongs to, or None for an unknown or revoked key."""
        with self._lock:
            if key is None or key in self._revoked:
                return None
            if key == self._sim.api_key:
                return self._owner
            return self._users.get(key)

    def refusal(self, key: str | None, route: str) -> ApiError | None:
        """The 401 or 403 Octopus answers this key on this route, or None when it may go on."""
        if not key and route == "GET /":
            return None  # README: the root document is readable anonymously
        user = self.user(key)
        if user is None:
            return ApiError(401, UNAUTHORIZED)
        permission = required_permission(route)
        if permission is None or permission in user.permissions:
            return None
        help_text = f"This action requires the {permission} permission."
        return ApiError(403, MISSING.format(permission=permission), help_text=help_text)

    def _user(self, key: str) -> ApiUser:
        user = self._owner if key == self._sim.api_key else self._users.get(key)
        if user is None:
            msg = f"no such API key {key[:8]}..."
            raise KeyError(msg)
        return user


def user_json(user: ApiUser) -> dict[str, Any]:
    """`GET /api/users/me` (UserResource)."""
    return {
        "Id": user.id,
        "Username": user.username,
        "DisplayName": user.display_name,
        "IsActive": True,
        "IsService": True,
        "EmailAddress": None,
        "CanPasswordBeEdited": False,
        "IsRequestor": True,
        "Links": {
            "Self": f"/api/users/{user.id}",
            "Permissions": f"/api/users/{user.id}/permissions{{?spaces,includeSystem}}",
            "PermissionsConfiguration": (
                f"/api/users/{user.id}/permissions/configuration{{?spaces,includeSystem}}"
            ),
            "ApiKeys": f"/api/users/{user.id}/apikeys{{/id}}{{?skip,take}}",
        },
    }


def permissions_json(user: ApiUser, space_ids: Iterable[str], *, include_system: bool) -> dict[str, Any]:
    """`GET /api/users/{id}/permissions` (UserPermissionSetResource), unrestricted grants per space."""
    spaces = list(space_ids)
    restriction = {
        "RestrictedToProjectIds": [],
        "RestrictedToEnvironmentIds": [],
        "RestrictedToTenantIds": [],
        "RestrictedToProjectGroupIds": [],
    }
    return {
        "Id": None,
        "SpacePermissions": {
            permission: [{**restriction, "SpaceId": space} for space in spaces]
            for permission in sorted(user.permissions)
        },
        "SystemPermissions": list(SYSTEM_PERMISSIONS) if include_system else [],
        "Teams": [{"Id": f"Teams-{_number(user.id)}", "Name": f"{user.display_name} team", "SpaceId": None}],
        "IsPermissionsComplete": True,
        "IsTeamsComplete": True,
        "Links": {},
    }


def _number(document_id: str) -> str:
    return re.sub(r"\D", "", document_id)
