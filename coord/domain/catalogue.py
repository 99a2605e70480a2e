"""The names of a space's projects, environments and tenants, and lookups by name (pure).

Users name projects and environments as Octopus shows them (case-insensitively), by slug
or by id (interface.md, coord.yaml); everything coord stores is keyed by id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

_Info = TypeVar("_Info")


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    id: str
    name: str
    slug: str = ""
    tenanted_mode: str = "Untenanted"


@dataclass(frozen=True, slots=True)
class EnvironmentInfo:
    id: str
    name: str
    sort_order: int = 0


@dataclass(frozen=True, slots=True)
class TenantInfo:
    id: str
    name: str
    # Project id -> environment ids the tenant is connected to for that project.
    project_environments: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A snapshot of the space's names."""

    projects: dict[str, ProjectInfo] = field(default_factory=dict)
    environments: dict[str, EnvironmentInfo] = field(default_factory=dict)
    tenants: dict[str, TenantInfo] = field(default_factory=dict)
    space_id: str | None = None  # the space's id, for links into Octopus's web app

    def project(self, ref: str) -> ProjectInfo | None:
        """A project by id, name or slug (case-insensitive)."""
        return _find(self.projects, ref, lambda p: (p.name, p.slug))

    def environment(self, ref: str) -> EnvironmentInfo | None:
        """An environment by id or name (case-insensitive)."""
        return _find(self.environments, ref, lambda e: (e.name,))

    def project_name(self, project_id: str) -> str:
        info = self.projects.get(project_id)
        return info.name if info else project_id

    def environment_name(self, environment_id: str) -> str:
        info = self.environments.get(environment_id)
        return info.name if info else environment_id

    def tenant_name(self, tenant_id: str | None) -> str:
        if tenant_id is None:
            return ""
        info = self.tenants.get(tenant_id)
        return info.name if info else tenant_id

    def environments_in_order(self) -> list[EnvironmentInfo]:
        """Environments as Octopus's dashboard orders them: by SortOrder (octopus-api.md §2)."""
        return sorted(self.environments.values(), key=lambda e: (e.sort_order, e.name.lower()))

    def required_tenants(self, project: ProjectInfo, environment_id: str) -> list[str | None]:
        """Which streams of a project must be deployed to an environment: each connected tenant,
        or the untenanted one (interface.md: a project counts per connected tenant).
        """
        if project.tenanted_mode == "Untenanted":
            return [None]
        tenants: list[str | None] = list(self.connected_tenants(project.id, environment_id))
        if project.tenanted_mode == "Tenanted":
            # No tenant connected there: the project cannot be deployed there at all, so it
            # holds nothing back.
            return tenants
        return tenants or [None]  # TenantedOrUntenanted without tenants there deploys untenanted

    def connected_tenants(self, project_id: str, environment_id: str) -> list[str]:
        """Ids of the tenants connected to a project for an environment."""
        return sorted(
            t.id
            for t in self.tenants.values()
            if environment_id in t.project_environments.get(project_id, ())
        )


def _find(items: dict[str, _Info], ref: str, names: Callable[[Any], tuple[str, ...]]) -> _Info | None:
    if ref in items:
        return items[ref]
    wanted = ref.casefold()
    for item in items.values():
        if getattr(item, "id", "").casefold() == wanted or any(
            n and n.casefold() == wanted for n in names(item)
        ):
            return item
    return None
