"""Which Octopus permissions coord needs, and which of them an API key's user lacks (pure).

Octopus grants permissions to a user through its teams, per space, each grant possibly
restricted to some projects, environments or tenants (OctopusClients `UserPermissionSetResource`,
`UserPermissionRestriction`; names from `Model/Permission.cs`). A missing one surfaces as a 403
naming it ("Missing permission: DeploymentCreate") only when coord first needs it, possibly in
the middle of a promotion; `check-config` names them all beforehand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Need:
    """A permission coord uses, and what for."""

    permission: str
    why: str
    for_promotions: bool = False  # needed only where promotions are run


NEEDS: tuple[Need, ...] = (
    Need("ProjectView", "to read the space's projects and its dashboard"),
    Need("EnvironmentView", "to read the space's environments"),
    Need("TenantView", "to read the tenants of tenanted projects"),
    Need("ReleaseView", "to read releases, where Octopus lets them go and their lifecycle progress"),
    Need("DeploymentView", "to read deployments, and to find a deployment coord created before"),
    Need("TaskView", "to follow the tasks of deployments"),
    Need("EventView", "to read the events feed that polling follows"),
    Need("DeploymentCreate", "to create the deployments of promotion runs", for_promotions=True),
)


@dataclass(frozen=True, slots=True)
class Grant:
    """One grant of a permission: the space and the projects and environments it is restricted to."""

    space_id: str | None
    project_ids: tuple[str, ...] = ()  # empty: every project
    environment_ids: tuple[str, ...] = ()  # empty: every environment


@dataclass(frozen=True, slots=True)
class Missing:
    """A permission coord needs that the user lacks, in whole or for some projects or environments."""

    need: Need
    not_for: tuple[str, ...] = ()  # the names it is missing for; empty: missing altogether
    required: bool = True  # False: only a command not configured to run would need it

    def __str__(self) -> str:
        where = f" (granted, but not for {', '.join(self.not_for)})" if self.not_for else ""
        return f"{self.need.permission}{where}: {self.need.why}"


def missing_permissions(
    granted: Mapping[str, Sequence[Grant]],
    *,
    space_id: str | None,
    projects: Mapping[str, str],
    environments: Mapping[str, str],
    promotions: bool,
) -> list[Missing]:
    """Each permission coord needs that no grant in the space covers for these projects and environments.

    `projects` and `environments` map the ids coord.yaml names to their names. DeploymentCreate is
    required only when `promotions` are configured; otherwise it is listed as not required.
    """
    found: list[Missing] = []
    for need in NEEDS:
        grants = [g for g in granted.get(need.permission, ()) if g.space_id in (None, space_id)]
        required = promotions or not need.for_promotions
        if not grants:
            found.append(Missing(need, required=required))
            continue
        uncovered = _uncovered(projects, (g.project_ids for g in grants))
        uncovered += _uncovered(environments, (g.environment_ids for g in grants))
        if uncovered:
            found.append(Missing(need, tuple(uncovered), required=required))
    return found


def _uncovered(named: Mapping[str, str], restrictions: Iterable[tuple[str, ...]]) -> list[str]:
    """Names of the ids no grant covers (a grant without restriction covers every id)."""
    covered: set[str] = set()
    for restricted in restrictions:
        if not restricted:
            return []
        covered.update(restricted)
    return [name for item_id, name in named.items() if item_id not in covered]
