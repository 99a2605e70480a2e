"""Where Octopus lets each release go now: its deployment template, read a few at a time.

A run's start needs one template per release it may deploy (octopus-api.md §4). They are read
in parallel by a small pool, so a start of hundreds of projects takes a few round trips' time;
the pool stays small because Octopus rate-limits each API key (§9), and the client honours the
`Retry-After` of a 429 before asking again.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from coord.octopus import OctopusClient
from coord.promotion.planner import Allowed

# Template reads in flight at once: a few times faster than one by one, and far from the
# request rate at which Octopus starts answering 429.
TEMPLATE_READERS = 6


def allowed_targets(octopus: OctopusClient, release_id: str, target_id: str) -> Allowed:
    """Where Octopus lets the release go now, and, when not to `target_id`, the lifecycle's reason."""
    template = octopus.deployment_template(release_id)
    environments = frozenset(t.Id for t in template.PromoteTo)
    tenants = {t.Id: frozenset(p.Id for p in t.PromoteTo) for t in template.TenantPromotions}
    reason = ""
    if target_id not in environments or any(target_id not in envs for envs in tenants.values()):
        reason = _lifecycle_reason(octopus, release_id)
    return Allowed(environments, tenants, reason)


def read_allowed(
    octopus: OctopusClient, release_ids: Iterable[str], target_id: str, *, readers: int = TEMPLATE_READERS
) -> dict[str, Allowed]:
    """`allowed_targets` of each release, read `readers` at a time; the first failure is raised."""
    wanted = sorted(set(release_ids))
    if len(wanted) <= 1 or readers <= 1:
        return {release_id: allowed_targets(octopus, release_id, target_id) for release_id in wanted}
    octopus.space_id  # noqa: B018  (resolve the space once, before the readers share the client)
    with ThreadPoolExecutor(max_workers=readers, thread_name_prefix="coord-templates") as pool:
        found = pool.map(lambda release_id: allowed_targets(octopus, release_id, target_id), wanted)
        return dict(zip(wanted, found, strict=True))


def _lifecycle_reason(octopus: OctopusClient, release_id: str) -> str:
    """Which lifecycle phase holds the release back (octopus-api.md §4, release progression)."""
    progression = octopus.release_progression(release_id)
    for phase in progression.Phases:
        if str(phase.Progress) != "Complete" and not phase.IsOptionalPhase:
            return f"the lifecycle phase '{phase.Name}' is not complete"
    return "the environment is not in the list of environments this release can be deployed to"
