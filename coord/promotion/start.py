"""Starting a promotion run: resolve names, read the matrix and Octopus's templates, plan, store.

The same function serves `POST /api/promotions`, `python -m coord promote` and the schedule.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from coord.config.models import DEFAULT_RUN_TIMEOUT
from coord.feed import service as feed_service
from coord.octopus import OctopusError
from coord.promotion.errors import UnknownName
from coord.promotion.events import advance_after_poll, advance_promptly
from coord.promotion.model import Run, Window
from coord.promotion.planner import (
    Plan,
    PlanError,
    PromotionRequest,
    plan_promotion,
    releases_to_check,
)
from coord.promotion.runner import runs
from coord.promotion.templates import read_allowed

if TYPE_CHECKING:
    from coord.bootstrap import Services
    from coord.config.models import Group
    from coord.domain.catalogue import Catalogue, EnvironmentInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StartCommand:
    """What a caller asks for: a group from one environment to another, optionally a subset."""

    group: str
    source: str
    target: str
    projects: tuple[str, ...] | None = None
    on_failure: Literal["halt", "rollback"] | None = None
    dry_run: bool = False
    trigger: str = "ad hoc"
    promotion: str | None = None  # the `promotions` entry that scheduled it
    timeout: timedelta | None = None  # default: the promotions entry's, else 6 hours
    requested_by: str = ""  # who asked for an ad-hoc run


@dataclass(frozen=True, slots=True)
class Started:
    """A plan (dry run) or a run that was stored (and advanced once)."""

    plan: Plan
    run: Run | None = None


def new_run_id(now: datetime) -> str:
    """A run id that sorts by creation time and is unique: `20261126T183000Z-1a2b3c4d`."""
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def start_run(
    services: Services,
    command: StartCommand,
    *,
    poll: bool = True,
    advance: bool = True,
    fresh: bool = False,
) -> Started:
    """Plan the promotion and, unless it is a dry run, store the run; RunConflict if one is active.

    With `poll`, Octopus is polled first; `fresh` says the caller's own poll just caught up.
    """
    report = feed_service.poll(services) if poll else None
    if poll:
        fresh = report is not None and report.caught_up
    config = services.config
    group = config.groups.get(command.group)
    if group is None:
        known = ", ".join(sorted(config.groups)) or "none"
        raise UnknownName(f"group {command.group!r} is not in coord.yaml (groups: {known})")
    # A name that does not resolve (renamed in Octopus since the last refresh) refreshes the names.
    catalogue = feed_service.catalogue_for(
        services,
        projects=[*group.projects, *(command.projects or ())],
        environments=[command.source, command.target],
        min_age=timedelta(0),
    )
    source, target = _environments(catalogue, command)
    entry = config.promotion(command.promotion) if command.promotion else None
    entry = entry or config.promotion_for(command.group, source.name, target.name)
    request = PromotionRequest(
        group=command.group,
        projects=tuple(group.projects),
        dependencies=group.dependencies(),
        source_id=source.id,
        target_id=target.id,
        selected=_selected(command, group, catalogue),
        max_parallel=entry.max_parallel if entry else None,
    )
    cells = services.repo.matrix()
    try:
        wanted = releases_to_check(request, catalogue, cells)
        allowed = read_allowed(services.octopus, wanted, target.id)
        plan = plan_promotion(request, catalogue, cells, allowed)
    except PlanError as exc:
        raise UnknownName(str(exc)) from exc
    if command.dry_run:
        return Started(plan)
    now = services.clock.now()
    timeout = command.timeout or (entry.timeout if entry else DEFAULT_RUN_TIMEOUT)
    run = Run(
        id=new_run_id(now),
        group=plan.group,
        source_id=plan.source_id,
        source=plan.source,
        target_id=plan.target_id,
        target=plan.target,
        on_failure=command.on_failure or (entry.on_failure if entry else "halt"),
        created=now,
        steps=plan.steps,
        group_project_ids=plan.group_project_ids,
        dependencies=plan.dependencies,
        max_parallel=request.max_parallel,
        # The entry lends an ad-hoc run its settings, not its name: only a scheduled run is "evening".
        promotion=entry.name if entry and command.promotion else None,
        trigger=command.trigger,
        requested_by=command.requested_by,
        zone=config.timezone,
        windows=tuple(Window(w.schedule, w.duration) for w in entry.windows) if entry else (),
        deadline=now + timeout,
        constraints={
            name: tuple((c.project_id, c.project, c.versions) for c in needs)
            for name, needs in plan.constraints.items()
        },
    )
    runs(services).create(run)
    log.info("promotion run %s created: %s %s -> %s", run.id, run.group, run.source, run.target)
    if advance:
        try:
            # The first wave starts in this request; news arriving meanwhile is taken up too.
            run = advance_promptly(services, run.id, fresh=fresh, templates=allowed).run or run
        except OctopusError as exc:
            log.warning("run %s will go on at the next tick: %s", run.id, exc)
    advance_after_poll(services, report, skip={run.id})
    return Started(plan, run)


def _environments(catalogue: Catalogue, command: StartCommand) -> tuple[EnvironmentInfo, EnvironmentInfo]:
    source = catalogue.environment(command.source)
    target = catalogue.environment(command.target)
    for name, found in ((command.source, source), (command.target, target)):
        if found is None:
            raise UnknownName(f"environment {name!r} not found in Octopus")
    assert source is not None and target is not None
    return source, target


def _selected(command: StartCommand, group: Group, catalogue: Catalogue) -> tuple[str, ...] | None:
    """The group's projects the command names (in the group's spelling), or None for all."""
    if not command.projects:
        return None
    selected = []
    for name in command.projects:
        canonical = group.canonical(name) or _by_id(group.projects, catalogue, name)
        if canonical is None:
            raise UnknownName(f"project {name!r} is not in group {command.group!r}")
        selected.append(canonical)
    return tuple(selected)


def _by_id(projects: list[str], catalogue: Catalogue, ref: str) -> str | None:
    """A group project named by another of its Octopus names (id or slug)."""
    info = catalogue.project(ref)
    if info is None:
        return None
    for name in projects:
        if catalogue.project(name) == info:
            return name
    return None
