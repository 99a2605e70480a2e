"""The API key's user and what it may do (OctopusClients `UserResource`, `UserPermissionSetResource`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from coord.octopus.models.base import OctopusModel, Resource, Strings, none_as_empty_dict


class User(Resource):
    """`GET /api/users/me`: the user the API key belongs to (a service account, usually)."""

    Username: str | None = None
    DisplayName: str | None = None
    IsService: bool | None = None
    IsActive: bool | None = None


class PermissionGrant(OctopusModel):
    """One grant of a permission (`UserPermissionRestriction`): its space and any restrictions.

    An empty restriction list means no restriction: every project (environment, tenant) of the space.
    """

    SpaceId: str | None = None
    RestrictedToProjectIds: Strings = ()
    RestrictedToEnvironmentIds: Strings = ()
    RestrictedToTenantIds: Strings = ()
    RestrictedToProjectGroupIds: Strings = ()


Grants = Annotated[dict[str, tuple[PermissionGrant, ...]], BeforeValidator(none_as_empty_dict)]


class UserPermissions(OctopusModel):
    """`GET /api/users/{id}/permissions`: the user's permissions through its teams, per space."""

    SpacePermissions: Grants = Field(default_factory=dict)
    SystemPermissions: Strings = ()
    IsPermissionsComplete: bool | None = None
