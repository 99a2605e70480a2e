"""The runner: advances one promotion run under its lease, applying what `coord.promotion.advance` decides.

Each advance re-reads the run (practice 3), ends it TimedOut if it is past its deadline (without
asking Octopus anything), reconciles steps left `starting` by a process that died, follows the
run's own tasks with one request, reads the target environment's matrix, asks `next_steps` what
to do and applies it.

Before a deployment is created the decision is made again (`decide_again`) from the freshest
state of the step's target cell: the matrix when this tick's poll brought it up to date, else a
direct read from Octopus. Creating it is then three writes: the step becomes `starting` (its
idempotency key derives from the run and step), Octopus is asked to create the deployment under
that key (the client finds an existing one first, octopus/deployments.py), and the step records
the deployment. A crash anywhere leaves a state the next advance finishes.

A refusal by Octopus (400, 401, 403, 404, 409) is final for the step it concerns: the step (or its
rollback) fails with Octopus's reason. An outage stops the advance; the next one carries on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from coord.octopus import OctopusError, OctopusRefused
from coord.promotion.advance import decide_again, next_steps, observe_task
from coord.promotion.decide import Allowed
from coord.promotion.email import outcome_message
from coord.promotion.fresh import allowed_targets, read_cell
from coord.promotion.intents import Finish, Intent, MarkRollback, MarkStep, SetPhase, StartDeployment, WaitFor
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

Cells = dict[tuple[str, str, str | None], "MatrixCell"]


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


def advance_run(
    services: Services, run_id: str, *, fresh: bool = False, deadline: float | None = None
) -> Run | None:
    """Advance a run as far as it can go now; the run as stored afterwards (None if unknown).

    `fresh`: the caller's poll has just brought the matrix up to date, so the decisions made
    again before each deployment may read it instead of asking Octopus. When another runner
    holds the run's lease this does nothing and returns the stored run. When Octopus could not
    be reached, the progress made is kept and the OctopusError is raised once the lease is free.
    """
    return try_advance_run(services, run_id, fresh=fresh, deadline=deadline)[1]


def try_advance_run(
    services: Services,
    run_id: str,
    *,
    fresh: bool = False,
    deadline: float | None = None,
    templates: Mapping[str, Allowed] | None = None,
) -> tuple[bool, Run | None]:
    """Advance a run under its lease: (whether this call held the lease, the run as stored after).

    `deadline` (a `time.monotonic()` value) bounds the advance: no deployment is started after
    it, so a caller that must answer in time (the webhook) leaves the rest to the next advance.
    `templates`: where Octopus let each release go, read by the caller moments ago (a run's
    start), so deciding again does not read them twice. Octopus trouble is raised as in
    `advance_run`.
    """
    store = runs(services)
    lease = acquire_lease(store.table, f"run:{run_id}", holder_name(), LEASE_TTL, services.clock.now())
    if lease is None:
        stored = store.load(run_id)
        return False, stored.run if stored else None
    runner = _Runner(services, store, lease, fresh=fresh, deadline=deadline, templates=templates or {})
    try:
        run = runner.advance(run_id)
    finally:
        try:
            release_lease(store.table, runner.lease)
        except (LeaseLost, StoreError):
            log.warning("could not release the lease of run %s; it expires by itself", run_id)
    if runner.stopped is not None:
        raise runner.stopped
    return True, run


@dataclass
class _Runner:
    services: Services
    store: RunStore
    lease: Lease
    fresh: bool = False
    deadline: float | None = None
    stopped: OctopusError | None = None
    cells: Cells = field(default_factory=dict)
    templates: Mapping[str, Allowed] = field(default_factory=dict)

    def advance(self, run_id: str) -> Run | None:
        stored = self.store.load(run_id)
        if stored is None:
            return None
        try:
            if _past_deadline(stored.run, self.services.clock.now()):
                self._apply(stored)
            elif not stored.run.phase.is_terminal:
                self._reconcile(stored)
                self._follow(stored)
                self.cells = self._target_cells(stored.run)
                for _ in range(_PASSES):
                    if not self._apply(stored):
                        break
        except BudgetSpent:
            log.info("run %s: time budget spent; the next advance starts the rest", run_id)
        except AdvanceStopped as exc:
            log.warning("run %s paused until the next advance: %s", run_id, exc)
            self.stopped = exc.__cause__ if isinstance(exc.__cause__, OctopusError) else None
        if stored.run.phase.is_terminal:
            self._finalize(stored)
        return stored.run

    # --- reading what happened -----------------------------------------------------------

    def _reconcile(self, stored: StoredRun) -> None:
        """Steps left `starting` by a runner that died: find their deployment, or decide again."""
        for step in stored.run.steps:
            if step.status is StepStatus.STARTING and step.deployment_id is None:
                self._recover(stored, step, DeploymentKind.DEPLOY)
            elif step.rollback is RollbackStatus.STARTING and step.rollback_deployment_id is None:
                self._recover(stored, step, DeploymentKind.ROLLBACK)

    def _recover(self, stored: StoredRun, step: Step, kind: DeploymentKind) -> None:
        rollback = kind is DeploymentKind.ROLLBACK
        try:
            found = self.services.octopus.find_deployment(**_identity(stored.run, step, kind))
        except OctopusRefused as exc:
            self._refused(stored, step, kind, exc)
            return
        except OctopusError as exc:
            raise AdvanceStopped(f"could not look for the deployment of {step.project}: {exc}") from exc
        if found is not None:
            self._record(stored, step, kind, found.Id, found.TaskId)
        elif rollback:  # never created: the rollback is proposed, and decided, again
            self.store.save_step(stored, step.evolve(rollback=RollbackStatus.NONE))
        else:
            self.store.save_step(stored, step.evolve(status=StepStatus.PLANNED, started=None))

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
        except OctopusRefused as exc:
            for step, kind in watched.values():
                self._refused(stored, stored.run.step(step.key), kind, exc)
            return
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

    def _target_cells(self, run: Run) -> Cells:
        return {
            (c.project_id, c.environment_id, c.tenant_id): c
            for c in self.services.repo.matrix()
            if c.environment_id == run.target_id
        }

    # --- acting ----------------------------------------------------------------------------

    def _apply(self, stored: StoredRun) -> bool:
        """Apply one round of decisions; True when something changed that may allow more."""
        now = self.services.clock.now()
        changed = False
        waiting = ""
        for proposed in next_steps(stored.run, self.cells.values(), now):
            intent: Intent | None = proposed
            if isinstance(proposed, StartDeployment):
                self._keep_lease()
                intent = self._decide_again(stored, stored.run.step(proposed.step_key), proposed.kind)
            if intent is None:  # Octopus refused what the decision needed: the step has failed
                changed = True
                continue
            if isinstance(intent, WaitFor):
                waiting = waiting or intent.reason
                if intent.step_key is not None:
                    self._step_waits(stored, intent.step_key, intent.reason)
                continue
            if isinstance(intent, Finish):
                run = stored.run.evolve(phase=intent.phase, outcome=intent.outcome, finished=now, waiting="")
                self.store.save_run(stored, run)
                log.info("run %s ended %s: %s", run.id, intent.phase, intent.outcome)
                return False
            changed = self._act(stored, intent, now) or changed
        if waiting != stored.run.waiting:
            self.store.save_run(stored, stored.run.evolve(waiting=waiting))
        return changed

    def _act(self, stored: StoredRun, intent: Intent, now: datetime) -> bool:
        if isinstance(intent, StartDeployment):
            self._start(stored, stored.run.step(intent.step_key), intent.kind)
        elif isinstance(intent, MarkStep):
            step = stored.run.step(intent.step_key)
            finished = now if intent.status.is_terminal else None
            decision = intent.decision or step.decision
            update = step.evolve(
                status=intent.status, reason=intent.reason, finished=finished, decision=decision, waiting=""
            )
            self.store.save_step(stored, update)
        elif isinstance(intent, MarkRollback):
            step = stored.run.step(intent.step_key)
            self.store.save_step(stored, step.evolve(rollback=intent.status, rollback_reason=intent.reason))
        elif isinstance(intent, SetPhase):
            run = stored.run.evolve(phase=intent.phase, started=stored.run.started or now)
            self.store.save_run(stored, run)
            log.info("run %s: %s %s", run.id, intent.phase, intent.reason)
        else:
            return False
        return True

    def _decide_again(self, stored: StoredRun, step: Step, kind: DeploymentKind) -> Intent | None:
        """The plan's decision made again from the target cell as it is now (None: refused)."""
        run = stored.run
        rollback = kind is DeploymentKind.ROLLBACK
        key = (step.project_id, run.target_id, step.tenant_id)
        try:
            if self.fresh and not rollback:  # the poll has caught up: no cell means nothing there
                cell: MatrixCell | None = self.cells.get(key)
            else:
                include = (step.deployment_id,) if rollback else ()
                cell = read_cell(
                    self.services, step.project_id, run.target_id, step.tenant_id, include=include
                )
                if cell is not None:
                    self.cells[key] = cell
            allowed = None if rollback else self._allowed(step.release_id or "", run.target_id)
        except OctopusRefused as exc:
            self._refused(stored, step, kind, exc)
            return None
        except OctopusError as exc:
            raise AdvanceStopped(f"could not read {run.target} for {step.project}: {exc}") from exc
        intent = decide_again(run, step, kind, cell, allowed, target_cells=self.cells.values())
        if not isinstance(intent, StartDeployment):
            log.info("run %s: %s decided again: %s", run.id, step.project, intent)
        return intent

    def _allowed(self, release_id: str, target_id: str) -> Allowed:
        known = self.templates.get(release_id)
        return known if known is not None else allowed_targets(self.services.octopus, release_id, target_id)

    def _step_waits(self, stored: StoredRun, step_key: str, reason: str) -> None:
        step = stored.run.step(step_key)
        if step.waiting != reason:
            self.store.save_step(stored, step.evolve(waiting=reason))

    def _start(self, stored: StoredRun, step: Step, kind: DeploymentKind) -> None:
        """Record `starting` first, then create the deployment: a crash in between is reconciled."""
        now = self.services.clock.now()
        if kind is DeploymentKind.DEPLOY:
            starting = step.evolve(status=StepStatus.STARTING, started=now, reason="", waiting="")
        else:
            starting = step.evolve(
                rollback=RollbackStatus.STARTING, rollback_reason="", rollback_started=now, waiting=""
            )
        self.store.save_step(stored, starting)
        self._create(stored, starting, kind)

    def _create(self, stored: StoredRun, step: Step, kind: DeploymentKind) -> None:
        run = stored.run
        what = "Rollback by" if kind is DeploymentKind.ROLLBACK else "Deployed by"
        comments = f"{what} coord promotion run {run.id} ({run.group}: {run.source} to {run.target})"
        try:
            deployment = self.services.octopus.create_deployment(
                **_identity(run, step, kind), comments=comments
            )
        except OctopusRefused as exc:
            self._refused(stored, step, kind, exc)
            return
        except OctopusError as exc:
            raise AdvanceStopped(f"could not create the deployment of {step.project}: {exc}") from exc
        self._record(stored, step, kind, deployment.Id, deployment.TaskId)

    def _record(
        self, stored: StoredRun, step: Step, kind: DeploymentKind, deployment_id: str, task_id: str | None
    ) -> None:
        if kind is DeploymentKind.ROLLBACK:
            done = step.evolve(
                rollback=RollbackStatus.RUNNING,
                rollback_deployment_id=deployment_id,
                rollback_task_id=task_id,
                rollback_task_state="Queued",
            )
        else:
            done = step.evolve(
                status=StepStatus.RUNNING, deployment_id=deployment_id, task_id=task_id, task_state="Queued"
            )
        self.store.save_step(stored, done)

    def _refused(self, stored: StoredRun, step: Step, kind: DeploymentKind, exc: OctopusRefused) -> None:
        """Octopus's refusal is final for this step (or its rollback): it fails with Octopus's reason."""
        now = self.services.clock.now()
        what = "the rollback" if kind is DeploymentKind.ROLLBACK else "the deployment"
        why = f"Octopus refused {what}: {exc.reason}"
        log.warning("run %s: %s: %s", stored.run.id, step.project, why)
        if kind is DeploymentKind.ROLLBACK:
            self.store.save_step(stored, step.evolve(rollback=RollbackStatus.FAILED, rollback_reason=why))
        else:
            self.store.save_step(
                stored, step.evolve(status=StepStatus.FAILED, reason=why, finished=now, waiting="")
            )

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


def _identity(run: Run, step: Step, kind: DeploymentKind) -> dict[str, Any]:
    """What names a step's deployment in Octopus: release, environment, tenant, key, and since when."""
    rollback = kind is DeploymentKind.ROLLBACK
    return {
        "release_id": (step.previous_release_id if rollback else step.release_id) or "",
        "environment_id": run.target_id,
        "tenant_id": step.tenant_id,
        "idempotency_key": step.key_for(run.id, kind),
        "since": step.rollback_started if rollback else step.started,
    }


def _past_deadline(run: Run, now: datetime) -> bool:
    return not run.phase.is_terminal and run.deadline is not None and now >= run.deadline
