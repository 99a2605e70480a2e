"""Which groups are completely deployed to an environment right now (pure).

A group is complete in an environment when every project's latest deployment there (by
creation, as Octopus's dashboard orders them) succeeded. A deployment queued or running after
it is the latest one and is not a success, so a group with anything in flight is never
complete. Tenanted projects count per connected tenant (interface.md, coord.yaml): every tenant
connected to the project for that environment must be deployed.

Each completion carries a once-key derived from the group, the environment, the recipients and
the sorted (project, tenant, version) set: the same set is the same key however often it is
seen, and a new set of versions is a new key (interface.md, "Notification and schedule
guarantees").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from coord.config import CoordConfig
from coord.domain.catalogue import Catalogue, ProjectInfo
from coord.domain.records import DeploymentRecord, MatrixCell, RunOrigin, run_origin

KEY_PREFIX = "all-deployed"


@dataclass(frozen=True, slots=True)
class CompletedEntry:
    """One project (and tenant) of a complete group: what is deployed, when and by whom."""

    project_id: str
    project: str
    tenant_id: str | None
    tenant: str
    version: str
    deployment_id: str
    completed: datetime | None
    deployed_by: str
    origin: RunOrigin | None = None  # the promotion run that deployed it, when coord did


@dataclass(frozen=True, slots=True)
class Completion:
    """A group complete in an environment for one set of versions, with the rule's recipients."""

    key: str
    group: str
    environment_id: str
    environment: str
    to: tuple[str, ...]
    entries: tuple[CompletedEntry, ...]

    @property
    def last_completed(self) -> datetime | None:
        """When the last project of the set finished: the moment the group became complete."""
        times = [e.completed for e in self.entries if e.completed is not None]
        return max(times) if times else None


@dataclass(frozen=True, slots=True)
class Change:
    """An entry that differs from the set announced before, and the version it replaced."""

    entry: CompletedEntry
    previous: str | None  # None: the project (or tenant) was not in the set announced before


Announced = dict[tuple[str, str | None], str]  # (project id, tenant id) -> version


def changes_since(announced: Announced | None, completion: Completion) -> tuple[Change, ...]:
    """What differs from the set last announced for this rule and environment; () when none was."""
    if announced is None:
        return ()
    return tuple(
        Change(entry, announced.get((entry.project_id, entry.tenant_id)))
        for entry in completion.entries
        if announced.get((entry.project_id, entry.tenant_id)) != entry.version
    )


def completion_keys(
    config: CoordConfig, matrix_cells: Iterable[MatrixCell], catalogue: Catalogue
) -> list[Completion]:
    """Every (rule, environment) whose group is complete now, with its once-key."""
    rules = config.notify.all_deployed if config.notify else []
    if not rules:
        return []
    cells = {(c.project_id, c.environment_id, c.tenant_id): c for c in matrix_cells}
    found: list[Completion] = []
    for rule in rules:
        group = config.groups.get(rule.group)
        if group is None:
            continue
        projects = [catalogue.project(ref) for ref in group.projects]
        if any(p is None for p in projects):
            continue  # a name Octopus does not know (yet): completeness cannot be judged
        for env_ref in rule.environments:
            env = catalogue.environment(env_ref)
            if env is None:
                continue
            entries = _complete_entries([p for p in projects if p], env.id, cells, catalogue)
            if entries:
                found.append(
                    Completion(
                        key=completion_key(rule.group, env.id, rule.to, entries),
                        group=rule.group,
                        environment_id=env.id,
                        environment=env.name,
                        to=tuple(rule.to),
                        entries=tuple(entries),
                    )
                )
    return found


def completion_key(
    group: str, environment_id: str, to: Iterable[str], entries: Iterable[CompletedEntry]
) -> str:
    """`all-deployed:{group}:{environment}:{hash}`, the hash over recipients and the version set."""
    versions = sorted(f"{e.project_id}\x1f{e.tenant_id or ''}\x1f{e.version}" for e in entries)
    recipients = sorted(address.casefold() for address in to)
    digest = hashlib.sha256("\x1e".join([*versions, "\x1d", *recipients]).encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{group}:{environment_id}:{digest}"


def _complete_entries(
    projects: list[ProjectInfo],
    environment_id: str,
    cells: dict[tuple[str, str, str | None], MatrixCell],
    catalogue: Catalogue,
) -> list[CompletedEntry] | None:
    """The entries of a complete group, or None when any required deployment is missing or not a success."""
    entries: list[CompletedEntry] = []
    for project in projects:
        for tenant_id in catalogue.required_tenants(project, environment_id):
            cell = cells.get((project.id, environment_id, tenant_id))
            if cell is None or not cell.is_current_success:
                return None
            entries.append(_entry(project, tenant_id, cell.latest, catalogue))
    return entries or None


def _entry(
    project: ProjectInfo, tenant_id: str | None, latest: DeploymentRecord, catalogue: Catalogue
) -> CompletedEntry:
    return CompletedEntry(
        project_id=project.id,
        project=project.name,
        tenant_id=tenant_id,
        tenant=catalogue.tenant_name(tenant_id),
        version=latest.release_version,
        deployment_id=latest.deployment_id,
        completed=latest.completed_time,
        deployed_by=latest.deployed_by or "",
        origin=run_origin(latest.comments),
    )
