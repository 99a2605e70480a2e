"""What happens to releases: deployments, their tasks, the dashboard, events, interruptions."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from coord.octopus.models.base import (
    NONE_AS_EMPTY,
    EnvironmentsByProject,
    OctopusModel,
    Resource,
    Strings,
    TaskState,
    Timestamp,
    Values,
)


class Deployment(Resource):
    """A deployment of a release to an environment (and tenant); its Deploy task is `TaskId`."""

    ReleaseId: str
    EnvironmentId: str
    TenantId: str | None = None
    ProjectId: str | None = None
    ChannelId: str | None = None
    TaskId: str | None = None
    Name: str | None = None
    Created: Timestamp | None = None
    Comments: str | None = None
    QueueTime: Timestamp | None = None
    QueueTimeExpiry: Timestamp | None = None
    DeployedBy: str | None = None
    DeployedById: str | None = None
    FailureEncountered: bool = False
    UseGuidedFailure: bool = False
    SpaceId: str | None = None


class Task(Resource):
    """A ServerTask (octopus-api.md §3); `Duration` is human text such as "32 seconds"."""

    State: TaskState
    Name: str | None = None
    Description: str | None = None
    Arguments: Values = Field(default_factory=dict)
    QueueTime: Timestamp | None = None
    QueueTimeExpiry: Timestamp | None = None
    StartTime: Timestamp | None = None
    LastUpdatedTime: Timestamp | None = None
    CompletedTime: Timestamp | None = None
    Duration: str | None = None
    ErrorMessage: str | None = None
    IsCompleted: bool | None = None
    FinishedSuccessfully: bool | None = None
    HasPendingInterruptions: bool = False
    HasWarningsOrErrors: bool = False
    PendingInterruptionTypes: Strings = ()
    ProjectId: str | None = None
    SpaceId: str | None = None


class DashboardItem(Resource):
    """One cell of the dashboard; `Id` equals `DeploymentId` (Holdout 4)."""

    ProjectId: str
    EnvironmentId: str
    ReleaseId: str
    DeploymentId: str
    TaskId: str | None = None
    TenantId: str | None = None
    ChannelId: str | None = None
    ReleaseVersion: str
    Created: Timestamp | None = None
    QueueTime: Timestamp | None = None
    StartTime: Timestamp | None = None
    CompletedTime: Timestamp | None = None
    State: TaskState
    HasPendingInterruptions: bool = False
    HasWarningsOrErrors: bool = False
    ErrorMessage: str | None = None
    Duration: str | None = None
    IsCurrent: bool = False
    IsPrevious: bool = False
    IsCompleted: bool | None = None
    PendingInterruptionTypes: Strings = ()


class DashboardProject(OctopusModel):
    Id: str
    Name: str
    Slug: str | None = None
    IsDisabled: bool = False
    ProjectGroupId: str | None = None
    EnvironmentIds: Strings = ()
    TenantedDeploymentMode: str | None = None


class DashboardEnvironment(OctopusModel):
    Id: str
    Name: str


class DashboardProjectGroup(OctopusModel):
    Id: str
    Name: str
    EnvironmentIds: Strings = ()


class DashboardTenant(OctopusModel):
    Id: str
    Name: str
    ProjectEnvironments: EnvironmentsByProject = Field(default_factory=dict)
    TenantTags: Strings = ()
    IsDisabled: bool = False


class Dashboard(OctopusModel):
    """`GET /api/{space}/dashboard`: the current state per project, environment and tenant."""

    Projects: Annotated[tuple[DashboardProject, ...], NONE_AS_EMPTY] = ()
    ProjectGroups: Annotated[tuple[DashboardProjectGroup, ...], NONE_AS_EMPTY] = ()
    Environments: Annotated[tuple[DashboardEnvironment, ...], NONE_AS_EMPTY] = ()
    Tenants: Annotated[tuple[DashboardTenant, ...], NONE_AS_EMPTY] = ()
    Items: Annotated[tuple[DashboardItem, ...], NONE_AS_EMPTY] = ()
    PreviousItems: Annotated[tuple[DashboardItem, ...], NONE_AS_EMPTY] = ()
    ProjectLimit: int | None = None
    IsFiltered: bool = False


class Event(Resource):
    """An audit event; deployment events name their documents in `RelatedDocumentIds` (§3 Events)."""

    Category: str
    Occurred: Timestamp
    Message: str | None = None
    RelatedDocumentIds: Strings = ()
    UserId: str | None = None
    Username: str | None = None
    Comments: str | None = None
    SpaceId: str | None = None


class Interruption(Resource):
    """A manual intervention or guided failure waiting on a task (§3 Interruption)."""

    Title: str | None = None
    Type: str | None = None
    Created: Timestamp | None = None
    IsPending: bool = False
    TaskId: str | None = None
    RelatedDocumentIds: Strings = ()
    CanTakeResponsibility: bool = False
    HasResponsibility: bool = False
    Form: Values = Field(default_factory=dict)
    SpaceId: str | None = None
