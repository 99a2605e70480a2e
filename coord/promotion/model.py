"""The values of a promotion run: phases, step statuses, steps and runs (pure).

A run is a persisted state machine (aesthetics.md practice 3): its phase and each step's status
are typed, terminal sets are explicit, and every transition is decided by `coord.promotion.advance`
from the stored state, never from a cached copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum


class RunPhase(StrEnum):
    """Where a run is: Pending until first advanced, then Running, and one of five outcomes."""

    PENDING = "Pending"
    RUNNING = "Running"
    HALTING = "Halting"  # after a failure (halt) or a cancel: nothing new starts, running ones end
    ROLLING_BACK = "RollingBack"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    ROLLED_BACK = "RolledBack"
    CANCELED = "Canceled"
    TIMED_OUT = "TimedOut"  # still going at its deadline: ended, the group freed

    @property
    def is_terminal(self) -> bool:
        """True once the run has ended; nothing changes it afterwards."""
        return self in _TERMINAL_PHASES


_TERMINAL_PHASES = frozenset(
    {RunPhase.SUCCEEDED, RunPhase.FAILED, RunPhase.ROLLED_BACK, RunPhase.CANCELED, RunPhase.TIMED_OUT}
)


class Decision(StrEnum):
    """What the plan decided for a project (and tenant)."""

    DEPLOY = "deploy"
    CURRENT = "current"  # the release is already current and successful in `to`
    DOWNGRADE = "downgrade"  # `to` has a newer release: never downgrade
    NOTHING = "nothing"  # no successful deployment in `from` to promote
    BLOCKED = "blocked"  # the lifecycle (or a dependency's state or version) does not allow it
    DEPENDENCY = "dependency"  # a project it depends on is blocked


class StepStatus(StrEnum):
    """Where a step is. `starting` is written before the deployment is created (idempotency)."""

    PLANNED = "planned"
    STARTING = "starting"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    BLOCKED = "blocked"
    NOT_STARTED = "not started"

    @property
    def is_terminal(self) -> bool:
        return self not in (StepStatus.PLANNED, StepStatus.STARTING, StepStatus.RUNNING)

    @property
    def in_flight(self) -> bool:
        return self in (StepStatus.STARTING, StepStatus.RUNNING)


class RollbackStatus(StrEnum):
    """The rollback of a changed step: redeploying the release `to` had before the run."""

    NONE = ""
    STARTING = "starting"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    IMPOSSIBLE = "impossible"  # `to` had no successful release before the run
    SKIPPED = "skipped"  # decided again before acting: someone changed `to` since, or it is back already

    @property
    def is_terminal(self) -> bool:
        return self in (
            RollbackStatus.SUCCEEDED,
            RollbackStatus.FAILED,
            RollbackStatus.IMPOSSIBLE,
            RollbackStatus.SKIPPED,
        )

    @property
    def in_flight(self) -> bool:
        return self in (RollbackStatus.STARTING, RollbackStatus.RUNNING)


class DeploymentKind(StrEnum):
    DEPLOY = "deploy"
    ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class Step:
    """One project (and tenant) of a run: what the plan decided and how its deployment went."""

    key: str  # project id, or `project id@tenant id`
    project_id: str
    project: str
    tenant_id: str | None
    tenant: str | None
    decision: Decision
    reason: str = ""
    release_id: str | None = None  # the release promoted (from `from`)
    version: str | None = None
    release_created: datetime | None = None  # when Octopus created it (orders what versions cannot)
    current_version: str | None = None  # latest in `to` when planned
    previous_release_id: str | None = None  # last success in `to` before the run: the rollback target
    previous_version: str | None = None
    previous_created: datetime | None = None
    needs: tuple[str, ...] = ()  # projects of the run it waits for
    wave: int | None = None
    status: StepStatus = StepStatus.PLANNED
    deployment_id: str | None = None
    task_id: str | None = None
    task_state: str | None = None
    waiting: str = ""  # e.g. waiting for a manual intervention
    started: datetime | None = None
    finished: datetime | None = None
    rollback: RollbackStatus = RollbackStatus.NONE
    rollback_reason: str = ""
    rollback_started: datetime | None = None
    rollback_deployment_id: str | None = None
    rollback_task_id: str | None = None
    rollback_task_state: str | None = None

    @property
    def changed_target(self) -> bool:
        """Whether this run's deployment touched `to` (so a rollback has something to undo)."""
        return self.deployment_id is not None and self.status in (StepStatus.SUCCEEDED, StepStatus.FAILED)

    @property
    def in_flight(self) -> bool:
        return self.status.in_flight or self.rollback.in_flight

    def key_for(self, run_id: str, kind: DeploymentKind) -> str:
        """The idempotency key of this step's deployment (written into Octopus's Comments)."""
        return f"{run_id}/{self.key}/{kind.value}"

    def evolve(self, **changes: object) -> Step:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Window:
    """A deny window as stored with a run (a copy, so later edits of coord.yaml do not change a run)."""

    schedule: str
    duration: timedelta


@dataclass(frozen=True, slots=True)
class Run:
    """A promotion run: what it promotes, how it reacts to failure, its phase and its steps."""

    id: str
    group: str
    source_id: str
    source: str
    target_id: str
    target: str
    on_failure: str  # halt | rollback
    created: datetime
    steps: tuple[Step, ...]
    group_project_ids: tuple[str, ...] = ()
    dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # project -> in-run projects
    max_parallel: int | None = None
    promotion: str | None = None  # the `promotions` entry, None for an ad-hoc run
    trigger: str = ""
    zone: str = "UTC"
    windows: tuple[Window, ...] = ()
    phase: RunPhase = RunPhase.PENDING
    started: datetime | None = None
    finished: datetime | None = None
    waiting: str = ""
    cancel_requested: bool = False
    outcome: str = ""
    email_queued: bool = False
    deadline: datetime | None = None  # `timeout` after creation: past it the run ends TimedOut
    # project -> (dependency id, dependency name, constraint) of coord.yaml's `"Checkout >= 3.2"`
    constraints: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    requested_by: str = ""  # who started an ad-hoc run: the HTTP caller's name, "HTTP" or "CLI"

    def step(self, key: str) -> Step:
        return next(step for step in self.steps if step.key == key)

    def with_step(self, step: Step) -> Run:
        return replace(self, steps=tuple(step if s.key == step.key else s for s in self.steps))

    def evolve(self, **changes: object) -> Run:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def deployment_ids(self) -> frozenset[str]:
        ids = {s.deployment_id for s in self.steps} | {s.rollback_deployment_id for s in self.steps}
        return frozenset(i for i in ids if i)
