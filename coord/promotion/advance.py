"""The next steps of a promotion run, tick by tick (pure).

`next_steps` looks at a run as stored, the current matrix of the target environment and the
time, and returns intents that the runner applies; `observe_task` folds a task's state into a
step. A StartDeployment is a proposal: immediately before acting on it, the runner reads the
freshest state of the step's target cell and asks `decide_again`, which makes the planner's
decision (`coord.promotion.decide`) once more and may turn it into a skip, a block or a wait.
A run past its deadline ends TimedOut whatever else is going on. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.domain.records import MatrixCell, TaskState, parse_state
from coord.promotion.decide import (
    Allowed,
    Constraint,
    Target,
    Verdict,
    candidate_of,
    decide,
    step_after,
    unmet_constraint,
)
from coord.promotion.intents import (
    Finish,
    Intent,
    MarkRollback,
    MarkStep,
    SetPhase,
    StartDeployment,
    WaitFor,
)
from coord.promotion.model import (
    Decision,
    DeploymentKind,
    RollbackStatus,
    Run,
    RunPhase,
    Step,
    StepStatus,
)
from coord.schedules.cron import in_deny_window

_FAILED_STATES = {
    TaskState.FAILED: "failed",
    TaskState.TIMED_OUT: "timed out",
    TaskState.CANCELED: "was canceled",
}


def observe_task(
    step: Step,
    kind: DeploymentKind,
    *,
    state: str,
    error_message: str,
    interruptions: Sequence[str],
    now: datetime,
) -> Step:
    """The step after its (or its rollback's) task was seen in `state`."""
    task_state = parse_state(state)
    if kind is DeploymentKind.ROLLBACK:
        if task_state is TaskState.SUCCESS:
            return step.evolve(rollback=RollbackStatus.SUCCEEDED, rollback_task_state=state, waiting="")
        if task_state in _FAILED_STATES:
            why = f"rollback deployment {_FAILED_STATES[task_state]}" + (
                f": {error_message}" if error_message else ""
            )
            return step.evolve(
                rollback=RollbackStatus.FAILED, rollback_task_state=state, rollback_reason=why, waiting=""
            )
        return step.evolve(
            rollback=RollbackStatus.RUNNING, rollback_task_state=state, waiting=_waiting(interruptions)
        )
    if task_state is TaskState.SUCCESS:
        return step.evolve(
            status=StepStatus.SUCCEEDED, task_state=state, waiting="", finished=step.finished or now
        )
    if task_state in _FAILED_STATES:
        why = f"deployment {_FAILED_STATES[task_state]}" + (f": {error_message}" if error_message else "")
        return step.evolve(
            status=StepStatus.FAILED, task_state=state, reason=why, waiting="", finished=step.finished or now
        )
    return step.evolve(status=StepStatus.RUNNING, task_state=state, waiting=_waiting(interruptions))


def _waiting(interruptions: Sequence[str]) -> str:
    if "ManualIntervention" in interruptions:
        return "waiting for a manual intervention in Octopus"
    if "GuidedFailure" in interruptions:
        return "waiting for failure guidance in Octopus"
    if interruptions:
        return f"waiting for {', '.join(interruptions)} in Octopus"
    return ""


def decide_again(
    run: Run,
    step: Step,
    kind: DeploymentKind,
    cell: MatrixCell | None,
    allowed: Allowed | None,
    *,
    target_cells: Iterable[MatrixCell] = (),
) -> Intent:
    """Immediately before creating a step's deployment: the plan's decision, made again from `cell`.

    `cell` is the freshest state of the step's target cell; `allowed` Octopus's deployment
    template of the release (forward only); `target_cells` the target environment's matrix, for
    the version constraints on dependencies. Returns the StartDeployment to go ahead, or what to
    do instead: skip or block the step, leave the target as it is, or wait and decide again.
    """
    target = Target(run.target_id, run.target, step.tenant_id)
    candidate = candidate_of(step, kind)
    judgement = decide(kind, candidate, cell, target, allowed=allowed, run_deployment=step.deployment_id)
    if judgement.verdict is Verdict.DEPLOY and kind is DeploymentKind.DEPLOY:
        constraints = [Constraint(*c) for c in run.constraints.get(step.project, ())]
        unmet = unmet_constraint(constraints, target_cells, target)
        if unmet is not None:
            return MarkStep(step.key, StepStatus.BLOCKED, unmet, Decision.BLOCKED)
    if judgement.verdict is Verdict.DEPLOY:
        return StartDeployment(step.key, kind, candidate.release_id)
    if judgement.verdict is Verdict.WAIT:
        return WaitFor(judgement.reason, step.key)
    if kind is DeploymentKind.ROLLBACK:
        return MarkRollback(step.key, RollbackStatus.SKIPPED, judgement.reason)
    after = step_after(step, judgement)
    return MarkStep(step.key, after.status, after.reason, after.decision)


def next_steps(run: Run, target_cells: Iterable[MatrixCell], now: datetime) -> list[Intent]:
    """What the runner should do now, from the stored run, the target environment's matrix and the time."""
    if run.phase.is_terminal:
        return []
    if run.deadline is not None and now >= run.deadline:
        return _time_out(run)
    steps = {s.key: s for s in run.steps}
    phase, intents = _transition(run, steps)
    intents += _skip_stopped(run, steps, phase)
    blocker = _blockers(run, steps, target_cells, now)
    if phase is RunPhase.RUNNING:
        intents += _starts(run, steps, blocker)
    elif (
        phase is RunPhase.ROLLING_BACK
        and not run.cancel_requested
        # Rollbacks wait until every deployment of the run has ended.
        and not any(s.status.in_flight for s in steps.values())
    ):
        intents += _rollbacks(run, steps, blocker)
    busy = any(s.in_flight or s.status is StepStatus.PLANNED for s in steps.values())
    if busy or any(isinstance(i, StartDeployment) for i in intents):
        return intents
    if phase is RunPhase.ROLLING_BACK and not run.cancel_requested and _rollbacks_pending(steps):
        return intents
    return [*intents, _finish(run, phase, steps)]


def _transition(run: Run, steps: Mapping[str, Step]) -> tuple[RunPhase, list[Intent]]:
    """The phase this advance works in: a cancel halts; a failure halts or rolls back."""
    intents: list[Intent] = []
    phase = run.phase
    if phase is RunPhase.PENDING:
        phase = RunPhase.RUNNING
        intents.append(SetPhase(phase))
    failed = [s for s in steps.values() if s.status is StepStatus.FAILED]
    if phase is RunPhase.RUNNING and run.cancel_requested:
        phase = RunPhase.HALTING
        intents.append(SetPhase(phase, "canceled"))
    elif phase is RunPhase.RUNNING and failed:
        phase = RunPhase.ROLLING_BACK if run.on_failure == "rollback" else RunPhase.HALTING
        intents.append(SetPhase(phase, f"{failed[0].project}: {failed[0].reason}"))
    return phase, intents


def _skip_stopped(run: Run, steps: dict[str, Step], phase: RunPhase) -> list[Intent]:
    """Dependents of a failed, blocked or skipped project are skipped; a stopping run starts nothing new."""
    intents: list[Intent] = []
    for step in run.steps:
        current = steps[step.key]
        if current.status is not StepStatus.PLANNED:
            continue
        for need in current.needs:
            bad = [s for s in steps.values() if s.project == need and _stopped(s)]
            if bad:
                reason = f"{need} {_stopped_reason(bad[0])}"
                steps[step.key] = current.evolve(status=StepStatus.SKIPPED, reason=reason)
                intents.append(MarkStep(step.key, StepStatus.SKIPPED, reason))
                break
    if phase in (RunPhase.HALTING, RunPhase.ROLLING_BACK):
        failed = [s for s in steps.values() if s.status is StepStatus.FAILED]
        why = "run stopped"
        if run.cancel_requested:
            why = "run canceled"
        elif failed:
            why = f"run stopped after {failed[0].project} failed"
        for key, step in list(steps.items()):
            if step.status is StepStatus.PLANNED:
                steps[key] = step.evolve(status=StepStatus.NOT_STARTED, reason=why)
                intents.append(MarkStep(key, StepStatus.NOT_STARTED, why))
    return intents


def _stopped(step: Step) -> bool:
    """A step that will not deploy although the plan needed it to (its dependents cannot start)."""
    if step.status is StepStatus.SKIPPED:
        return step.decision in (Decision.DEPLOY, Decision.DEPENDENCY)
    return step.status in (StepStatus.FAILED, StepStatus.BLOCKED, StepStatus.NOT_STARTED)


def _done(step: Step) -> bool:
    """A step after which its dependents may start: deployed now, or already fine in `to`."""
    return step.status is StepStatus.SUCCEEDED or (step.status is StepStatus.SKIPPED and not _stopped(step))


def _stopped_reason(step: Step) -> str:
    if step.status is StepStatus.FAILED:
        return f"failed: {step.reason}"
    if step.status is StepStatus.BLOCKED:
        return f"is blocked: {step.reason}"
    if step.status is StepStatus.NOT_STARTED:
        return "was not started"
    return f"was skipped: {step.reason}"


def _blockers(run: Run, steps: Mapping[str, Step], cells: Iterable[MatrixCell], now: datetime) -> str:
    """Why no deployment of the run may start now ('' when one may)."""
    denied = in_deny_window(run.windows, ZoneInfo(run.zone), now)
    if denied is not None:
        return f"deny window until {denied.ends.isoformat(timespec='minutes')}"
    ours = {s.deployment_id for s in steps.values()} | {s.rollback_deployment_id for s in steps.values()}
    group = set(run.group_project_ids)
    for cell in cells:
        latest = cell.latest
        if (
            cell.environment_id == run.target_id
            and cell.project_id in group
            and not latest.is_completed
            and latest.deployment_id not in ours
        ):
            # interface.md: nothing of the run starts while another deployment to `to` of a
            # project in the group is queued or running.
            state = latest.state.value.lower()
            return f"{latest.deployment_id} of a project in the group is {state} in {run.target}"
    return ""


def _budget(run: Run, steps: Mapping[str, Step]) -> float:
    if run.max_parallel is None:
        return float("inf")
    return run.max_parallel - sum(1 for s in steps.values() if s.in_flight)


def _starts(run: Run, steps: Mapping[str, Step], blocker: str) -> list[Intent]:
    ready = []
    for step in run.steps:
        current = steps[step.key]
        if current.status is not StepStatus.PLANNED or current.release_id is None:
            continue
        needed = [s for s in steps.values() if s.project in current.needs]
        if all(_done(s) for s in needed):
            ready.append(current)
    if not ready:
        return []
    if blocker:
        return [WaitFor(blocker)]
    budget = _budget(run, steps)
    intents: list[Intent] = []
    for step in ready:
        if budget <= 0:
            intents.append(WaitFor(f"max_parallel {run.max_parallel} deployments at once"))
            break
        intents.append(StartDeployment(step.key, DeploymentKind.DEPLOY, step.release_id or ""))
        budget -= 1
    return intents


def _dependents(run: Run) -> dict[str, set[str]]:
    """Project -> every project of the run that depends on it, directly or not."""
    direct: dict[str, set[str]] = {name: set() for name in run.dependencies}
    for name, needs in run.dependencies.items():
        for need in needs:
            direct.setdefault(need, set()).add(name)
    closed: dict[str, set[str]] = {}

    def visit(name: str, seen: frozenset[str]) -> set[str]:
        if name in closed:
            return closed[name]
        found: set[str] = set()
        for child in direct.get(name, ()):
            if child not in seen:
                found |= {child} | visit(child, seen | {child})
        closed[name] = found
        return found

    for name in list(direct):
        visit(name, frozenset({name}))
    return closed


def _rollbacks(run: Run, steps: dict[str, Step], blocker: str) -> list[Intent]:
    """Rollbacks in reverse dependency order: a project's only after all its dependents' ended."""
    intents: list[Intent] = []
    dependents = _dependents(run)
    changed = [s for s in steps.values() if s.changed_target]
    budget = _budget(run, steps)
    waiting = False
    for step in changed:
        if step.rollback is not RollbackStatus.NONE:
            continue
        if step.previous_release_id is None:
            why = f"no earlier successful release in {run.target} to return to"
            steps[step.key] = step.evolve(rollback=RollbackStatus.IMPOSSIBLE, rollback_reason=why)
            intents.append(MarkRollback(step.key, RollbackStatus.IMPOSSIBLE, why))
    for candidate in changed:
        step = steps[candidate.key]
        if step.rollback is not RollbackStatus.NONE:
            continue
        later = [s for s in changed if s.project in dependents.get(step.project, set())]
        if any(not steps[s.key].rollback.is_terminal for s in later):
            continue
        if blocker:
            waiting = True
            continue
        if budget <= 0:
            intents.append(WaitFor(f"max_parallel {run.max_parallel} deployments at once"))
            break
        intents.append(StartDeployment(step.key, DeploymentKind.ROLLBACK, step.previous_release_id or ""))
        budget -= 1
    if waiting:
        intents.append(WaitFor(blocker))
    return intents


def _rollbacks_pending(steps: Mapping[str, Step]) -> bool:
    return any(s.changed_target and not s.rollback.is_terminal for s in steps.values())


def _time_out(run: Run) -> list[Intent]:
    """Past its deadline a run ends TimedOut: nothing further starts; running deployments go on."""
    why = "run timed out before it started"
    intents: list[Intent] = [
        MarkStep(s.key, StepStatus.NOT_STARTED, why) for s in run.steps if s.status is StepStatus.PLANNED
    ]
    steps = {s.key: s for s in run.steps}
    for intent in intents:
        assert isinstance(intent, MarkStep)
        steps[intent.step_key] = steps[intent.step_key].evolve(status=StepStatus.NOT_STARTED)
    running = [s.project for s in steps.values() if s.in_flight]
    deadline = run.deadline.isoformat(timespec="minutes") if run.deadline else "its deadline"
    still = f"; still running in Octopus: {', '.join(running)}" if running else ""
    return [*intents, Finish(RunPhase.TIMED_OUT, f"timed out at {deadline}{still}; {_summary(steps)}")]


def _summary(steps: Mapping[str, Step]) -> str:
    counts: dict[str, int] = {}
    for step in steps.values():
        counts[step.status.value] = counts.get(step.status.value, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))


def _finish(run: Run, phase: RunPhase, steps: Mapping[str, Step]) -> Finish:
    summary = _summary(steps)
    if run.cancel_requested:
        return Finish(RunPhase.CANCELED, f"canceled; {summary}")
    if phase is RunPhase.ROLLING_BACK:
        failed = [s.project for s in steps.values() if s.rollback is RollbackStatus.FAILED]
        if failed:
            return Finish(RunPhase.FAILED, f"rollback failed for {', '.join(failed)}; {summary}")
        kept = [s.project for s in steps.values() if s.rollback is RollbackStatus.SKIPPED]
        if kept:
            return Finish(
                RunPhase.ROLLED_BACK, f"rolled back, except {', '.join(kept)} (changed since); {summary}"
            )
        return Finish(RunPhase.ROLLED_BACK, f"rolled back; {summary}")
    if phase is RunPhase.HALTING or any(_stopped(s) for s in steps.values()):
        return Finish(RunPhase.FAILED, summary)
    return Finish(RunPhase.SUCCEEDED, summary)
