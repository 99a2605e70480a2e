"""Changes people make to the world while coord works: renames, and releases deleted by retention.

A rename keeps the document's id and slug and writes a `Modified` audit event regarding the
document, as Octopus records create/modify/delete events for projects, environments and tenants
(https://octopus.com/docs/security/users-and-teams/auditing). The event's exact message is
UNCONFIRMED; the simulator writes `{Kind} {old name} was renamed to {new name}`.

Retention deletes a release together with its deployments (they disappear from the dashboard
and the deployments list); afterwards every route that names the release answers 404. Only a
release none of whose deployments is still running can be deleted, as retention never removes
what is in progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.octosim.errors import SimulatorError

if TYPE_CHECKING:
    from tests.octosim.simulator import Simulator

_KINDS = {"project": "Project", "environment": "Environment", "tenant": "Tenant"}


def rename(sim: Simulator, kind: str, ref: str, new_name: str) -> str:
    """Rename a project, environment or tenant (by id or name); returns its id."""
    with sim.lock:
        sim.sync()
        item = {"project": sim.project, "environment": sim.environment, "tenant": sim.tenant}[kind](ref)
        old = item.name
        item.name = new_name
        sim.add_event(
            "Modified",
            f"{_KINDS[kind]} {old} was renamed to {new_name}",
            [item.id],
            space_id=item.space_id,
            user_id="Users-alice",
            username="alice",
            user_agent="Mozilla/5.0",
        )
        return str(item.id)


def delete_release(sim: Simulator, project: str, version: str) -> str:
    """Delete a release and its deployments, as retention does; returns the release id."""
    with sim.lock:
        sim.sync()
        release = sim.release(project, version)
        doomed = list(sim._by_release.get(release.id, []))
        running = [d for d in doomed if sim.is_unfinished(sim.deployments[d].task_id)]
        if running:
            msg = f"release {version} of {project} is still being deployed ({', '.join(running)})"
            raise SimulatorError(msg)
        for dep_id in doomed:
            dep = sim.deployments.pop(dep_id)
            key = (dep.project_id, dep.environment_id, dep.tenant_id)
            sim._by_key[key].remove(dep_id)
        sim._by_release.pop(release.id, None)
        sim._releases_by_project[release.project_id].remove(release.id)
        del sim.releases[release.id]
        sim._deployments_sorted = None
        return release.id
