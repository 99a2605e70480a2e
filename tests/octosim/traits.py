"""How this simulated server differs from version to version and user to user (octopus-api-checked.md).

- The API user's dashboard configuration narrows `GET /dashboard` unless `showAll=true`: its
  `IncludedProjectIds`, and its `ProjectLimit` (projects beyond the limit still shown when their
  current deployment failed or is running) (§4; Issues 2548, 2571, 5698, 5861).
- Projects with discrete channel releases show the latest deployment of each channel on the
  dashboard: several items for one project, environment and tenant (§4; Issues 5721, 7227).
- A server whose root document's `Releases` template has no `ids` ignores `?ids=` on
  `GET /releases`, as ASP.NET ignores any unknown query parameter, and answers with every release (§1).
- A server that neither lists nor writes some event categories (§2: three of coord's are
  unconfirmed ids).
- Time bounds in Page links rewritten as culture-formatted text to the second (§2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.octosim.formats import culture_time, parse_time

if TYPE_CHECKING:
    from tests.octosim.model import Deployment
    from tests.octosim.simulator import Simulator

RUNNING_OR_FAILED = frozenset({"Queued", "Executing", "Cancelling", "Failed", "TimedOut"})


@dataclass
class ServerTraits:
    """Switches for facts that vary between real servers; the defaults are those of a recent one."""

    # The API user's dashboard configuration (`/dashboard/configure`): None means no limit.
    dashboard_project_limit: int | None = 50
    dashboard_project_ids: list[str] = field(default_factory=list)
    # False: the root document's `Releases` template lacks `ids`, and `/releases` ignores it.
    releases_by_ids: bool = True
    # Event category ids this server neither lists in `events/categories` nor writes.
    missing_categories: set[str] = field(default_factory=set)


def channel_groups(sim: Simulator, deployments: list[Deployment]) -> list[list[Deployment]]:
    """One group per dashboard cell: per channel for projects with discrete channel releases."""
    if not deployments or not sim.projects[deployments[0].project_id].discrete_channel_release:
        return [deployments]
    by_channel: dict[str, list[Deployment]] = {}
    for dep in deployments:
        by_channel.setdefault(dep.channel_id, []).append(dep)
    return list(by_channel.values())


def dashboard_projects(sim: Simulator, space_id: str, current: Iterable[Deployment]) -> set[str] | None:
    """The projects the API user's dashboard shows without `showAll`; None when it shows every one."""
    traits = sim.traits
    projects = sorted(
        (p for p in sim.projects.values() if p.space_id == space_id),
        key=lambda p: (sim.project_groups[p.group_id].name.lower() if p.group_id else "", p.name.lower()),
    )
    if traits.dashboard_project_ids:
        projects = [p for p in projects if p.id in traits.dashboard_project_ids]
    limit = traits.dashboard_project_limit
    shown = {p.id for p in (projects if limit is None else projects[:limit])}
    # Beyond the limit, projects whose current deployment failed or is running still show (Issues 2548, 2571).
    shown |= {d.project_id for d in current if sim.tasks[d.task_id].state in RUNNING_OR_FAILED}
    if len(shown) == len([p for p in sim.projects.values() if p.space_id == space_id]):
        return None
    return shown


def culture_links(query: dict[str, list[str]]) -> dict[str, list[str]]:
    """`query` with its `from`/`to` as a real server writes them into Page links (§2)."""
    return {
        key: [culture_time(parse_time(v)) for v in values] if key.lower() in ("from", "to") else values
        for key, values in query.items()
    }
