"""Where a release may go next: the deployment template and the lifecycle progression (§4)."""

from __future__ import annotations

from typing import Annotated

from coord.octopus.models.activity import Deployment as DeploymentModel
from coord.octopus.models.activity import Task as TaskModel
from coord.octopus.models.base import NONE_AS_EMPTY, OctopusModel, PhaseProgress, Strings


class PromotionTarget(OctopusModel):
    """An environment a release may be deployed to now (Holdout 16)."""

    Id: str
    Name: str | None = None


class TenantPromotion(OctopusModel):
    Id: str
    Name: str | None = None
    PromoteTo: Annotated[tuple[PromotionTarget, ...], NONE_AS_EMPTY] = ()


class DeploymentTemplate(OctopusModel):
    """`GET releases/{id}/deployments/template`: where the release may go next (§4)."""

    PromoteTo: Annotated[tuple[PromotionTarget, ...], NONE_AS_EMPTY] = ()
    TenantPromotions: Annotated[tuple[TenantPromotion, ...], NONE_AS_EMPTY] = ()
    IsDeploymentProcessModified: bool = False
    IsVariableSetModified: bool = False


class PhaseDeployment(OctopusModel):
    """A deployment of the release within a phase, with its task."""

    Task: TaskModel | None = None
    Deployment: DeploymentModel | None = None


class PhaseProgression(OctopusModel):
    Id: str | None = None
    Name: str
    Blocked: bool = False
    Progress: PhaseProgress
    Deployments: Annotated[tuple[PhaseDeployment, ...], NONE_AS_EMPTY] = ()
    AutomaticDeploymentTargets: Strings = ()
    OptionalDeploymentTargets: Strings = ()
    MinimumEnvironmentsBeforePromotion: int = 0
    IsOptionalPhase: bool = False


class LifecycleProgression(OctopusModel):
    """`GET releases/{id}/progression` (§4); `NextDeployments` are environment ids."""

    Phases: Annotated[tuple[PhaseProgression, ...], NONE_AS_EMPTY] = ()
    NextDeployments: Strings = ()
    NextDeploymentsMinimumRequired: int = 0
