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
from coord.promotion.decide import Allowed
from coord.promotion.fresh import allowed_targets

# Template reads in flight at once: a few times faster than one by one, and far from the
# request rate at which Octopus starts answering 429.
TEMPLATE_READERS = 6


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
