"""What a promotion run's state machine asks the runner to do: one value per action (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from coord.promotion.model import Decision, DeploymentKind, RollbackStatus, RunPhase, StepStatus


@dataclass(frozen=True, slots=True)
class StartDeployment:
    """Create the step's deployment (or its rollback): the runner writes `starting` first."""

    step_key: str
    kind: DeploymentKind
    release_id: str


@dataclass(frozen=True, slots=True)
class MarkStep:
    step_key: str
    status: StepStatus
    reason: str
    decision: Decision | None = None  # set when a decision made again changes the plan's


@dataclass(frozen=True, slots=True)
class MarkRollback:
    step_key: str
    status: RollbackStatus
    reason: str


@dataclass(frozen=True, slots=True)
class SetPhase:
    phase: RunPhase
    reason: str = ""


@dataclass(frozen=True, slots=True)
class WaitFor:
    """Nothing can start now, and why (shown as the run's `waiting`, and the step's if named)."""

    reason: str
    step_key: str | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    """The run ends in `phase`; `outcome` says it in one line."""

    phase: RunPhase
    outcome: str


Intent = StartDeployment | MarkStep | MarkRollback | SetPhase | WaitFor | Finish
