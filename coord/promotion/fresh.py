"""Reading what a decision needs from Octopus now: one target cell, and where a release may go.

A decision made again before a deployment must see the target as it is. When the poll of this
tick brought the matrix up to date, the stored cell is that fresh; otherwise `read_cell` asks
Octopus for the newest deployment and the newest successful one of that project, environment
and tenant, records them as a poll would, and returns the cell. `allowed_targets` reads the
release's deployment template (and, when the target is not offered, which lifecycle phase
holds it back).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

from coord.promotion.decide import Allowed

if TYPE_CHECKING:
    from coord.bootstrap import Services
    from coord.domain.records import MatrixCell
    from coord.octopus import OctopusClient
    from coord.octopus.models import Deployment

# Deployments of a project to an environment searched for the cell's newest one (an untenanted
# cell of a project with many tenants cannot be filtered for, so it is looked for among them).
SCAN_LIMIT = 300


def read_cell(
    services: Services,
    project_id: str,
    environment_id: str,
    tenant_id: str | None,
    *,
    include: Iterable[str | None] = (),
) -> MatrixCell | None:
    """The target cell as Octopus has it now (also recorded in the matrix); `include` ids are read too."""
    octopus = services.octopus
    wanted = {i for i in include if i}
    tenants = [tenant_id] if tenant_id else None
    # The newest deployment there, and the newest successful one (`taskState`, octopus-api.md §3).
    for state in (None, "Success"):
        listed = octopus.deployments(
            projects=[project_id], environments=[environment_id], tenants=tenants, task_state=state, take=100
        )
        found = _first_of_cell(listed, tenant_id)
        if found is not None:
            wanted.add(found.Id)
    if wanted:
        services.poller.ingest_ids(wanted)
    return services.repo.cell(project_id, environment_id, tenant_id)


def _first_of_cell(deployments: Iterator[Deployment], tenant_id: str | None) -> Deployment | None:
    for deployment in islice(deployments, SCAN_LIMIT):
        if (deployment.TenantId or None) == tenant_id:
            return deployment
    return None


def allowed_targets(octopus: OctopusClient, release_id: str, target_id: str) -> Allowed:
    """Where Octopus lets the release go now, and, when not to `target_id`, the lifecycle's reason."""
    template = octopus.deployment_template(release_id)
    environments = frozenset(t.Id for t in template.PromoteTo)
    tenants = {t.Id: frozenset(p.Id for p in t.PromoteTo) for t in template.TenantPromotions}
    reason = ""
    if target_id not in environments or any(target_id not in envs for envs in tenants.values()):
        reason = _lifecycle_reason(octopus, release_id)
    return Allowed(environments, tenants, reason)


def _lifecycle_reason(octopus: OctopusClient, release_id: str) -> str:
    """Which lifecycle phase holds the release back (octopus-api.md §4, release progression)."""
    progression = octopus.release_progression(release_id)
    for phase in progression.Phases:
        if str(phase.Progress) != "Complete" and not phase.IsOptionalPhase:
            return f"the lifecycle phase '{phase.Name}' is not complete"
    return "the environment is not in the list of environments this release can be deployed to"
