"""Promotion plans and the next steps of a run over the dependency graph (pure).

`plan_promotion` decides, for each project (and tenant) of a group, what a promotion from one
environment to another does (interface.md, "Promotion semantics"); `next_steps` looks at a run
as stored, the current matrix of the target environment and the time, and returns intents that
the runner applies. `observe_task` folds a task's state into a step. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.config.fields import DependencySpec
from coord.domain.catalogue import Catalogue
from coord.domain.records import MatrixCell, TaskState, parse_state
from coord.domain.schedule import in_deny_window
from coord.domain.versions import VersionError, parse_version
from coord.promotion.model import (
    Decision,
    DeploymentKind,
    RollbackStatus,
    Run,
    RunPhase,
    Step,
    StepStatus,
)


class PlanError(ValueError):
    """A request that cannot be planned: a name that does not resolve (the caller answers 404)."""


@dataclass(frozen=True, slots=True)
class Allowed:
    """Where Octopus lets a release go now (deployments/template, octopus-api.md §4), and why not."""

    environments: frozenset[str] = frozenset()
    tenants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    reason: str = ""  # what holds the release back, e.g. the lifecycle phase still to complete

    def allows(self, environment_id: str, tenant_id: str | None) -> bool:
        # Tenanted: the CLI reads TenantPromotions[].PromoteTo (octopus-api.md §4).
        if tenant_id is not None:
            return environment_id in self.tenants.get(tenant_id, frozenset())
        return environment_id in self.environments


@dataclass(frozen=True, slots=True)
class PromotionRequest:
    """What to promote: a group (its projects and dependencies), a subset, and the two environments."""

    group: str
    projects: tuple[str, ...]
    dependencies: Mapping[str, tuple[DependencySpec, ...]]
    source_id: str
    target_id: str
    selected: tuple[str, ...] | None = None  # project names of the group; None means all
    max_parallel: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The decision per project and tenant, in dependency order, and the waves they start in."""

    group: str
    source_id: str
    source: str
    target_id: str
    target: str
    steps: tuple[Step, ...]
    dependencies: dict[str, tuple[str, ...]]  # project -> projects of the run it depends on
    group_project_ids: tuple[str, ...]
    waves: tuple[tuple[str, ...], ...]  # step keys

    @property
    def deploys(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.decision is Decision.DEPLOY)


# --- intents -------------------------------------------------------------------------------


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
    """Nothing can start now, and why (shown as the run's `waiting`)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Finish:
    """The run ends in `phase`; `outcome` says it in one line."""

    phase: RunPhase
    outcome: str


Intent = StartDeployment | MarkStep | MarkRollback | SetPhase | WaitFor | Finish


# --- planning ------------------------------------------------------------------------------


def step_key(project_id: str, tenant_id: str | None) -> str:
    """A step's key within its run: the project id, with `@tenant id` for a tenanted deployment."""
    return project_id if tenant_id is None else f"{project_id}@{tenant_id}"


def resolve_request(request: PromotionRequest, catalogue: Catalogue) -> dict[str, str]:
    """Project name -> id for every project of the group; PlanError naming what does not resolve."""
    ids: dict[str, str] = {}
    missing = []
    for name in request.projects:
        info = catalogue.project(name)
        if info is None:
            missing.append(name)
        else:
            ids[name] = info.id
    if missing:
        raise PlanError(f"project(s) not found in Octopus: {', '.join(missing)}")
    for env in (request.source_id, request.target_id):
        if env not in catalogue.environments:
            raise PlanError(f"environment {env!r} not found in Octopus")
    if request.selected is not None:
        unknown = [name for name in request.selected if name not in ids]
        if unknown:
            raise PlanError(f"project(s) not in group {request.group!r}: {', '.join(unknown)}")
    return ids


def releases_to_check(
    request: PromotionRequest, catalogue: Catalogue, cells: Iterable[MatrixCell]
) -> set[str]:
    """Releases whose deployment template the planner needs (those it may deploy)."""
    table = _cells(cells)
    ids = resolve_request(request, catalogue)
    found = set()
    for name in _selected(request):
        for tenant_id in _tenants(catalogue, ids[name], request.target_id):
            source = table.get((ids[name], request.source_id, tenant_id))
            if source is not None and source.last_success is not None:
                found.add(source.last_success.release_id)
    return found


def plan_promotion(
    request: PromotionRequest,
    catalogue: Catalogue,
    cells: Iterable[MatrixCell],
    allowed: Mapping[str, Allowed],
) -> Plan:
    """The plan: per project and tenant deploy, skip (current, downgrade, nothing), blocked or dependency."""
    table = _cells(cells)
    ids = resolve_request(request, catalogue)
    selected = _selected(request)
    source, target = (
        catalogue.environment_name(request.source_id),
        catalogue.environment_name(request.target_id),
    )
    in_run = set(selected)
    graph = {name: tuple(d for d in request.dependencies.get(name, ()) if d.project in ids) for name in ids}
    world = _World(request, catalogue, table, ids, allowed, source, target)
    steps: dict[str, list[Step]] = {}
    for name in _topological(
        selected, {n: tuple(d.project for d in graph[n] if d.project in in_run) for n in selected}
    ):
        own = [
            world.decide(name, tenant_id) for tenant_id in _tenants(catalogue, ids[name], request.target_id)
        ]
        steps[name] = world.with_dependencies(own, graph[name], steps)
    ordered = _waves(steps, request.max_parallel)
    dependencies = {n: tuple(d.project for d in graph[n] if d.project in in_run) for n in selected}
    waves: dict[int, list[str]] = {}
    for step in ordered:
        if step.wave is not None:
            waves.setdefault(step.wave, []).append(step.key)
    return Plan(
        group=request.group,
        source_id=request.source_id,
        source=source,
        target_id=request.target_id,
        target=target,
        steps=tuple(ordered),
        dependencies=dependencies,
        group_project_ids=tuple(ids[n] for n in request.projects),
        waves=tuple(tuple(waves[w]) for w in sorted(waves)),
    )


def _selected(request: PromotionRequest) -> list[str]:
    if request.selected is None:
        return list(request.projects)
    wanted = {name.casefold() for name in request.selected}
    return [name for name in request.projects if name.casefold() in wanted]


def _cells(cells: Iterable[MatrixCell]) -> dict[tuple[str, str, str | None], MatrixCell]:
    return {(c.project_id, c.environment_id, c.tenant_id): c for c in cells}


def _tenants(catalogue: Catalogue, project_id: str, target_id: str) -> list[str | None]:
    info = catalogue.projects.get(project_id)
    # A Tenanted project is deployed per tenant (interface.md: "covered per tenant").
    if info is not None and info.tenanted_mode == "Tenanted":
        return list(catalogue.connected_tenants(project_id, target_id))
    return [None]


@dataclass(frozen=True, slots=True)
class _World:
    """What planning reads: the request, names, the matrix and Octopus's templates."""

    request: PromotionRequest
    catalogue: Catalogue
    table: Mapping[tuple[str, str, str | None], MatrixCell]
    ids: Mapping[str, str]
    allowed: Mapping[str, Allowed]
    source: str
    target: str

    def decide(self, name: str, tenant_id: str | None) -> Step:
        return _decide(self, name, tenant_id)

    def with_dependencies(
        self, own: list[Step], needs: tuple[DependencySpec, ...], planned: Mapping[str, list[Step]]
    ) -> list[Step]:
        return _with_dependencies(self, own, needs, planned)


def _decide(world: _World, name: str, tenant_id: str | None) -> Step:
    catalogue, table, request, allowed = world.catalogue, world.table, world.request, world.allowed
    source, target, project_id = world.source, world.target, world.ids[name]
    base = Step(
        key=step_key(project_id, tenant_id),
        project_id=project_id,
        project=name,
        tenant_id=tenant_id,
        tenant=catalogue.tenant_name(tenant_id) or None,
        decision=Decision.NOTHING,
        status=StepStatus.SKIPPED,
    )
    there = table.get((project_id, request.target_id, tenant_id))
    if there is not None:
        base = base.evolve(
            current_version=there.latest.release_version,
            previous_release_id=there.last_success.release_id if there.last_success else None,
            previous_version=there.last_success.release_version if there.last_success else None,
        )
    here = table.get((project_id, request.source_id, tenant_id))
    release = here.last_success if here is not None else None
    if release is None:
        return base.evolve(reason=f"no successful deployment in {source} to promote")
    base = base.evolve(release_id=release.release_id, version=release.release_version)
    if there is not None and there.latest.release_id == release.release_id and there.is_current_success:
        return base.evolve(
            decision=Decision.CURRENT, reason=f"{release.release_version} is already current in {target}"
        )
    newer = _newest_version(there)
    if newer is not None and _is_older(release.release_version, newer):
        return base.evolve(
            decision=Decision.DOWNGRADE,
            reason=f"{target} has {newer}, newer than {release.release_version}: never downgraded",
        )
    template = allowed.get(release.release_id)
    if template is None or not template.allows(request.target_id, tenant_id):
        why = (
            template.reason
            if template is not None and template.reason
            else "the lifecycle does not allow it yet"
        )
        return base.evolve(
            decision=Decision.BLOCKED,
            status=StepStatus.BLOCKED,
            reason=f"Octopus does not offer {target} for release {release.release_version}: {why}",
        )
    return base.evolve(decision=Decision.DEPLOY, status=StepStatus.PLANNED, reason="")


def _newest_version(cell: MatrixCell | None) -> str | None:
    if cell is None:
        return None
    versions = [cell.latest.release_version]
    if cell.last_success is not None:
        versions.append(cell.last_success.release_version)
    best = None
    for text in versions:
        try:
            version = parse_version(text)
        except VersionError:
            continue
        if best is None or version > best[0]:
            best = (version, text)
    return best[1] if best else None


def _is_older(candidate: str, other: str) -> bool:
    try:
        return parse_version(candidate) < parse_version(other)
    except VersionError:
        return False  # versions Octopus accepts but we cannot order: do not guess a downgrade


def _with_dependencies(
    world: _World, own: list[Step], needs: tuple[DependencySpec, ...], planned: Mapping[str, list[Step]]
) -> list[Step]:
    """Deploy steps wait for dependencies of the run, or are blocked/skipped with the reason."""
    target = world.target
    if not any(s.decision is Decision.DEPLOY for s in own):
        return own
    waits: list[str] = []
    for need in needs:
        theirs = planned.get(need.project)
        bad = [s for s in theirs or () if s.decision in (Decision.BLOCKED, Decision.DEPENDENCY)]
        if bad:
            reason = (
                f"{need.project} is blocked"
                if bad[0].decision is Decision.BLOCKED
                else f"{need.project} is skipped"
            )
            return [
                _mark(s, Decision.DEPENDENCY, StepStatus.SKIPPED, f"{reason}: {bad[0].reason}") for s in own
            ]
        deploying = [s for s in theirs or () if s.decision is Decision.DEPLOY]
        if deploying:
            waits.append(need.project)
        versions = _target_versions(world, need.project, deploying)
        if versions is None:
            reason = f"needs {need.project} current and successful in {target}, and it is not"
            return [_mark(s, Decision.BLOCKED, StepStatus.BLOCKED, reason) for s in own]
        versions += [s.version for s in deploying if s.version]
        if need.constraint is not None:
            failing = [v for v in versions or () if not _satisfies(need, v)]
            if failing:
                reason = (
                    f"needs {need}; {need.project} would be {', '.join(sorted(set(failing)))} in {target}"
                )
                return [_mark(s, Decision.BLOCKED, StepStatus.BLOCKED, reason) for s in own]
    return [s.evolve(needs=tuple(waits)) if s.decision is Decision.DEPLOY else s for s in own]


def _mark(step: Step, decision: Decision, status: StepStatus, reason: str) -> Step:
    if step.decision is not Decision.DEPLOY:
        return step
    return step.evolve(decision=decision, status=status, reason=reason)


def _target_versions(world: _World, project: str, deploying: Sequence[Step]) -> list[str] | None:
    """Versions in `to` of the cells of `project` the run does not deploy; None unless all succeeded."""
    ids, catalogue, table, request = world.ids, world.catalogue, world.table, world.request
    being_deployed = {s.tenant_id for s in deploying if s.decision is Decision.DEPLOY}
    versions = []
    for tenant_id in _tenants(catalogue, ids[project], request.target_id):
        if tenant_id in being_deployed:
            continue
        cell = table.get((ids[project], request.target_id, tenant_id))
        if cell is None or not cell.is_current_success:
            return None
        versions.append(cell.latest.release_version)
    return versions


def _satisfies(need: DependencySpec, version: str) -> bool:
    assert need.constraint is not None
    try:
        return need.constraint.allows(version)
    except VersionError:
        return False


def _topological(names: Sequence[str], needs: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Names with every dependency before its dependents; ties in the group's order."""
    done: list[str] = []
    remaining = list(names)
    while remaining:
        ready = [n for n in remaining if all(d in done for d in needs.get(n, ()))]
        if not ready:
            msg = f"dependency cycle among {', '.join(remaining)}"
            raise PlanError(msg)
        done += ready
        remaining = [n for n in remaining if n not in ready]
    return done


def _waves(steps: Mapping[str, list[Step]], max_parallel: int | None) -> list[Step]:
    """Steps ordered by dependency level; deploys numbered in waves of at most `max_parallel`."""
    level: dict[str, int] = {}
    for name, own in steps.items():  # already in topological order
        level[name] = max((level[d] + 1 for s in own for d in s.needs), default=0)
    ordered = sorted(
        (s for own in steps.values() for s in own),
        key=lambda s: (
            s.decision is not Decision.DEPLOY,
            level[s.project],
            s.project.casefold(),
            s.tenant or "",
        ),
    )
    result: list[Step] = []
    wave, used, current_level = -1, 0, None
    for step in ordered:
        if step.decision is not Decision.DEPLOY:
            result.append(step)
            continue
        if level[step.project] != current_level or (max_parallel is not None and used >= max_parallel):
            wave, used, current_level = wave + 1, 0, level[step.project]
        used += 1
        result.append(step.evolve(wave=wave))
    return result


# --- running -------------------------------------------------------------------------------

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


def next_steps(run: Run, target_cells: Iterable[MatrixCell], now: datetime) -> list[Intent]:
    """What the runner should do now, from the stored run, the target environment's matrix and the time."""
    if run.phase.is_terminal:
        return []
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


def _finish(run: Run, phase: RunPhase, steps: Mapping[str, Step]) -> Finish:
    counts: dict[str, int] = {}
    for step in steps.values():
        counts[step.status.value] = counts.get(step.status.value, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    if run.cancel_requested:
        return Finish(RunPhase.CANCELED, f"canceled; {summary}")
    if phase is RunPhase.ROLLING_BACK:
        failed = [s.project for s in steps.values() if s.rollback is RollbackStatus.FAILED]
        if failed:
            return Finish(RunPhase.FAILED, f"rollback failed for {', '.join(failed)}; {summary}")
        return Finish(RunPhase.ROLLED_BACK, f"rolled back; {summary}")
    if phase is RunPhase.HALTING or any(_stopped(s) for s in steps.values()):
        return Finish(RunPhase.FAILED, summary)
    return Finish(RunPhase.SUCCEEDED, summary)
