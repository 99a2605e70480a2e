"""Promotion plans over the dependency graph (pure).

`plan_promotion` decides, for each project (and tenant) of a group, what a promotion from one
environment to another does (interface.md, "Promotion semantics"). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from coord.config.fields import DependencySpec
from coord.domain.catalogue import Catalogue
from coord.domain.records import MatrixCell
from coord.domain.versions import VersionError
from coord.promotion.decide import Allowed, Constraint, Target, candidate_of, decide, step_after
from coord.promotion.model import Decision, DeploymentKind, Step, StepStatus


class PlanError(ValueError):
    """A request that cannot be planned: a name that does not resolve (the caller answers 404)."""


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
    constraints: dict[str, tuple[Constraint, ...]] = field(default_factory=dict)

    @property
    def deploys(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.decision is Decision.DEPLOY)


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
    """Releases whose deployment template the planner needs: those it would deploy if Octopus allows.

    A release already current in `to`, or older than what `to` has, is decided without one.
    """
    table = _cells(cells)
    ids = resolve_request(request, catalogue)
    # Decided with no template at all, exactly the releases only a template could allow come out blocked.
    world = _World(request, catalogue, table, ids, {}, "", "")
    found = set()
    for name in _selected(request):
        for tenant_id in _tenants(catalogue, ids[name], request.target_id):
            step = world.decide(name, tenant_id)
            if step.decision is Decision.BLOCKED and step.release_id is not None:
                found.add(step.release_id)
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
        constraints={
            name: tuple(
                Constraint(ids[d.project], d.project, str(d.constraint)) for d in needs if d.constraint
            )
            for name, needs in graph.items()
            if name in in_run and any(d.constraint for d in needs)
        },
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
    catalogue, table, request = world.catalogue, world.table, world.request
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
        previous = there.last_success
        base = base.evolve(
            current_version=there.latest.release_version,
            previous_release_id=previous.release_id if previous else None,
            previous_version=previous.release_version if previous else None,
            previous_created=previous.release_assembled if previous else None,
        )
    here = table.get((project_id, request.source_id, tenant_id))
    release = here.last_success if here is not None else None
    if release is None:
        return base.evolve(reason=f"no successful deployment in {source} to promote")
    base = base.evolve(
        release_id=release.release_id,
        version=release.release_version,
        release_created=release.release_assembled,
    )
    judgement = decide(
        DeploymentKind.DEPLOY,
        candidate_of(base, DeploymentKind.DEPLOY),
        there,
        Target(request.target_id, target, tenant_id),
        allowed=world.allowed.get(release.release_id, Allowed()),
    )
    return step_after(base, judgement)


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
