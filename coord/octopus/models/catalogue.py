"""The things coord coordinates: spaces, projects, environments, lifecycles, tenants, releases."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from coord.octopus.models.base import (
    NONE_AS_EMPTY,
    EnvironmentsByProject,
    LinkMap,
    OctopusModel,
    Resource,
    Strings,
    Timestamp,
)


class RootDocument(OctopusModel):
    """`GET /api`."""

    Application: str | None = None
    Version: str | None = None
    ApiVersion: str | None = None
    InstallationId: str | None = None
    Links: LinkMap = Field(default_factory=dict)


class Space(Resource):
    Name: str
    Slug: str | None = None
    Description: str | None = None
    IsDefault: bool = False


class Project(Resource):
    Name: str
    Slug: str | None = None
    Description: str | None = None
    IsDisabled: bool = False
    ProjectGroupId: str | None = None
    LifecycleId: str | None = None
    TenantedDeploymentMode: str = "Untenanted"
    SpaceId: str | None = None


class ProjectGroup(Resource):
    Name: str
    Slug: str | None = None
    Description: str | None = None
    EnvironmentIds: Strings = ()
    SpaceId: str | None = None


class Environment(Resource):
    Name: str
    Slug: str | None = None
    Description: str | None = None
    SortOrder: int = 0
    UseGuidedFailure: bool = False
    SpaceId: str | None = None


class Phase(OctopusModel):
    """A lifecycle phase; `MinimumEnvironmentsBeforePromotion` 0 means all (Holdout 14)."""

    Id: str | None = None
    Name: str
    AutomaticDeploymentTargets: Strings = ()
    OptionalDeploymentTargets: Strings = ()
    MinimumEnvironmentsBeforePromotion: int = 0
    IsOptionalPhase: bool = False
    IsPriorityPhase: bool = False


class Lifecycle(Resource):
    Name: str
    Slug: str | None = None
    Description: str | None = None
    Phases: Annotated[tuple[Phase, ...], NONE_AS_EMPTY] = ()
    SpaceId: str | None = None


class Channel(Resource):
    Name: str
    Description: str | None = None
    ProjectId: str | None = None
    LifecycleId: str | None = None
    IsDefault: bool = False
    TenantTags: Strings = ()
    SpaceId: str | None = None


class Tenant(Resource):
    Name: str
    Slug: str | None = None
    Description: str | None = None
    IsDisabled: bool = False
    TenantTags: Strings = ()
    ProjectEnvironments: EnvironmentsByProject = Field(default_factory=dict)
    SpaceId: str | None = None


class Release(Resource):
    Version: str
    ProjectId: str | None = None
    ChannelId: str | None = None
    ReleaseNotes: str | None = None
    Assembled: Timestamp | None = None
    SpaceId: str | None = None
