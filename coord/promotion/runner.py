"""The runner: advances one promotion run under its lease, applying what `coord.promotion.advance` decides.

Each advance re-reads the run (practice 3), reconciles steps left `starting` by a process that
died, follows the run's own tasks with one request, reads the target environment's matrix, asks
`next_steps` what to do and applies it. Starting a deployment is three writes: the step becomes
`starting` (with its idempotency key derived from the run and step), then Octopus is asked to create
the deployment under that key (the client finds an existing one first, octopus/deployments.py),
then the step records the deployment. A crash anywhere leaves a state the next advance finishes.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from coord.octopus import OctopusError, OctopusRejected
from coord.promotion.advance import (
    Finish,
    MarkRollback,
    MarkStep,
    SetPhase,
    StartDeployment,
    WaitFor,
    next_steps,
    observe_task,
)
from coord.promotion.email import outcome_message
from coord.promotion.model import DeploymentKind, RollbackStatus, Run, Step, StepStatus
from coord.promotion.store import RUNS_TABLE, RunStore, StoredRun
from coord.store import Lease, LeaseLost, StoreError, acquire_lease, release_lease, renew_lease

if TYPE_CHECKING:
    from coord.bootstrap import Services
    from coord.domain.records import MatrixCell

log = logging.getLogger(__name__)

# An advance takes seconds; a runner that died frees the run this long after its last renewal.
LEASE_TTL = timedelta(minutes=2)
_PASSES = 3  # decisions per advance: a start can unlock a finish, a failure a phase change


class AdvanceStopped(Exception):
    """Octopus could not be reached mid-advance; the next advance carries on from the stored state."""


class BudgetSpent(AdvanceStopped):
    """The caller's time budget ran out before the next deployment; the next advance starts it."""


def holder_name() -> str:
    """Who holds a run's lease: host, process and thread, enough to find a stuck holder in the logs."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def runs(services: Services) -> RunStore:
    """The store of promotion runs."""
    return RunStore(services.store.table(RUNS_TABLE))


def advance_run(services: Services, run_id: str, *, deadline: float | None = None) -> Run | None:
    """Advance a run as far as it can go now; the run as stored afterwards (None if unknown).

    When another runner holds the run's lease this does nothing and returns the stored run.
    """
    return try_advance_run(services, run_id, deadline=deadline)[1]


def try_advance_run(
    services: Services, run_id: str, *, deadline: float | None = None
) -> tuple[bool, Run | None]:
    """Advance a run under its lease: (whether this call held the lease, the run as stored after).

    `deadline` (a `time.monotonic()` value) bounds the advance: no deployment is started after
    it, so a caller that must answer in time (the webhook) leaves the rest to the next advance.
    """
    store = runs(services)
    lease = acquire_lease(store.table, f"run:{run_id}", holder_name(), LEASE_TTL, services.clock.now())
    if lease is None:
        stored = store.load(run_id)
        return False, stored.run if stored else None
    runner = _Runner(services, store, lease, deadline)
    try:
        return True, runner.advance(run_id)
    finally:
        try:
            release_lease(store.table, runner.lease)
        except (LeaseLost, StoreError):
            log.warning("could not release the lease of run %s; it expires by itself", run_id)


@dataclass
class _Runner:
    services: Services
    store: RunStore
    lease: Lease
    deadline: float | None = None

    def advance(self, run_id: str) -> Run | None:
        stored = self.store.load(run_id)
        if stored is None:
            return None
        try:
            if not stored.run.phase.is_terminal:
                self._reconcile(stored)
                self._follow(stored)
                cells = self._target_cells(stored.run)
                for _ in range(_PASSES):
                    if not self._apply(stored, cells):
                        break
        except BudgetSpent:
            log.info("run %s: time budget spent; the next advance starts the rest", run_id)
        except AdvanceStopped as exc:
            log.warning("run %s paused until the next advance: %s", run_id, exc)
        if stored.run.phase.is_terminal:
            self._finalize(stored)
        return stored.run

    # --- reading what happened -----------------------------------------------------------

    def _reconcile(self, stored: StoredRun) -> None:
        """Steps left `starting` by a runner that died: create or find their deployment, once."""
        for step in stored.run.steps:
            if step.status is StepStatus.STARTING and step.deployment_id is None:
                self._create(stored, step, DeploymentKind.DEPLOY)
            elif step.rollback is RollbackStatus.STARTING and step.rollback_deployment_id is None:
                self._create(stored, step, DeploymentKind.ROLLBACK)

    def _follow(self, stored: StoredRun) -> None:
        """Fold the state of the run's running tasks into its steps (one request for all of them)."""
        watched: dict[str, tuple[Step, DeploymentKind]] = {}
        for step in stored.run.steps:
            if step.status.in_flight and step.task_id:
                watched[step.task_id] = (step, DeploymentKind.DEPLOY)
            if step.rollback.in_flight and step.rollback_task_id:
                watched[step.rollback_task_id] = (step, DeploymentKind.ROLLBACK)
        if not watched:
            return
        try:
            tasks = self.services.octopus.tasks_by_ids(watched)
        except OctopusError as exc:
            raise AdvanceStopped(f"could not read the run's tasks: {exc}") from exc
        now = self.services.clock.now()
        for task in tasks:
            if task.Id not in watched:
                continue
            step, kind = watched[task.Id]
            step = stored.run.step(step.key)
            seen = observe_task(
                step,
                kind,
                state=str(task.State),
                error_message=task.ErrorMessage or "",
                interruptions=tuple(str(t) for t in task.PendingInterruptionTypes),
                now=now,
            )
            if seen != step:
                self.store.save_step(stored, seen)

    def _target_cells(self, run: Run) -> list[MatrixCell]:
        return [c for c in self.services.repo.matrix() if c.environment_id == run.target_id]

    # --- acting ----------------------------------------------------------------------------

    def _apply(self, stored: StoredRun, cells: list[MatrixCell]) -> bool:
        """Apply one round of decisions; True when something changed that may allow more."""
        now = self.services.clock.now()
        run = stored.run
        changed = False
        waiting = ""
        for intent in next_steps(run, cells, now):
            if isinstance(intent, StartDeployment):
                self._keep_lease()
                self._start(stored, stored.run.step(intent.step_key), intent.kind)
                changed = True
            elif isinstance(intent, MarkStep):
                step = stored.run.step(intent.step_key)
                finished = now if intent.status.is_terminal else None
                self.store.save_step(
                    stored, step.evolve(status=intent.status, reason=intent.reason, finished=finished)
                )
                changed = True
            elif isinstance(intent, MarkRollback):
                step = stored.run.step(intent.step_key)
                self.store.save_step(
                    stored, step.evolve(rollback=intent.status, rollback_reason=intent.reason)
                )
                changed = True
            elif isinstance(intent, SetPhase):
                run = stored.run.evolve(phase=intent.phase, started=stored.run.started or now)
                self.store.save_run(stored, run)
                log.info("run %s: %s %s", run.id, intent.phase, intent.reason)
                changed = True
            elif isinstance(intent, WaitFor):
                waiting = waiting or intent.reason
            elif isinstance(intent, Finish):
                run = stored.run.evolve(phase=intent.phase, outcome=intent.outcome, finished=now, waiting="")
                self.store.save_run(stored, run)
                log.info("run %s ended %s: %s", run.id, intent.phase, intent.outcome)
                return False
        if waiting != stored.run.waiting:
            self.store.save_run(stored, stored.run.evolve(waiting=waiting))
        return changed

    def _start(self, stored: StoredRun, step: Step, kind: DeploymentKind) -> None:
        """Record `starting` first, then create the deployment: a crash in between is reconciled."""
        now = self.services.clock.now()
        if kind is DeploymentKind.DEPLOY:
            starting = step.evolve(status=StepStatus.STARTING, started=now, reason="")
        else:
            starting = step.evolve(rollback=RollbackStatus.STARTING, rollback_reason="")
        self.store.save_step(stored, starting)
        self._create(stored, starting, kind)

    def _create(self, stored: StoredRun, step: Step, kind: DeploymentKind) -> None:
        run = stored.run
        rollback = kind is DeploymentKind.ROLLBACK
        release_id = step.previous_release_id if rollback else step.release_id
        if release_id is None:  # the plan never starts a step without one; a stored row could lack it
            self._refused(stored, step, kind, "no release to deploy")
            return
        what = "Rollback by" if rollback else "Deployed by"
        comments = f"{what} coord promotion run {run.id} ({run.group}: {run.source} to {run.target})"
        try:
            deployment = self.services.octopus.create_deployment(
                release_id,
                run.target_id,
                tenant_id=step.tenant_id,
                idempotency_key=step.key_for(run.id, kind),
                comments=comments,
                project_id=step.project_id,
            )
        except OctopusRejected as exc:
            self._refused(stored, step, kind, exc.error_message or str(exc))
            return
        except OctopusError as exc:
            raise AdvanceStopped(f"could not create the deployment of {step.project}: {exc}") from exc
        if rollback:
            done = step.evolve(
                rollback=RollbackStatus.RUNNING,
                rollback_deployment_id=deployment.Id,
                rollback_task_id=deployment.TaskId,
                rollback_task_state="Queued",
            )
        else:
            done = step.evolve(
                status=StepStatus.RUNNING,
                deployment_id=deployment.Id,
                task_id=deployment.TaskId,
                task_state="Queued",
            )
        self.store.save_step(stored, done)

    def _refused(self, stored: StoredRun, step: Step, kind: DeploymentKind, message: str) -> None:
        now = self.services.clock.now()
        why = f"Octopus refused the deployment: {message}"
        if kind is DeploymentKind.ROLLBACK:
            self.store.save_step(stored, step.evolve(rollback=RollbackStatus.FAILED, rollback_reason=why))
        else:
            self.store.save_step(stored, step.evolve(status=StepStatus.FAILED, reason=why, finished=now))

    def _keep_lease(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise BudgetSpent
        now = self.services.clock.now()
        if self.lease.expires_at - now < LEASE_TTL / 2:
            self.lease = renew_lease(self.store.table, self.lease, LEASE_TTL, now)

    # --- ending -----------------------------------------------------------------------------

    def _finalize(self, stored: StoredRun) -> None:
        """One outcome email per run (insert-only under its key), then free the group's target."""
        run = stored.run
        if not run.email_queued:
            message = outcome_message(run, self.services.config, self.services.links())
            if message is not None:
                self.services.outbox.enqueue(message)
            self.store.save_run(stored, run.evolve(email_queued=True))
        self.store.release_active(stored.run)
