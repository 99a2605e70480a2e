"""The soak's order invariant, read from the simulator's deployments and their idempotency keys.

A promotion run's deployment of a project is created only after the run's deployment of each
project it depends on has succeeded; a rollback of a project only after the rollbacks of the
projects that depend on it have ended (interface.md, "Promotion semantics").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tests.octosim import Simulator
from tests.octosim.model import Deployment

_MARK = "[coord:"


def keys_of(comments: str | None) -> list[str]:
    """The idempotency keys a deployment's Comments carry (`<run id>/<step key>/<kind>`)."""
    if not comments:
        return []
    found = []
    for part in comments.split(_MARK)[1:]:
        key, sep, _ = part.partition("]")
        if sep:
            found.append(key)
    return found


def _by_run(sim: Simulator, kind: str) -> dict[str, dict[str, list[Deployment]]]:
    """run id -> project name -> the run's deployments of that kind."""
    runs: dict[str, dict[str, list[Deployment]]] = {}
    for dep in sim.deployments.values():
        for key in keys_of(dep.comments):
            run_id, _, rest = key.partition("/")
            if rest.rpartition("/")[2] == kind:
                project = sim.projects[dep.project_id].name
                runs.setdefault(run_id, {}).setdefault(project, []).append(dep)
    return runs


def order_violations(sim: Simulator, depends_on: Mapping[str, Sequence[str]]) -> list[str]:
    """Each deployment a run created too early, in words; empty when the order held."""
    found = []
    for run_id, projects in _by_run(sim, "deploy").items():
        for project, deployments in projects.items():
            for need in depends_on.get(project, ()):
                for dep in deployments:
                    for before in projects.get(need, ()):
                        task = sim.tasks[before.task_id]
                        done = task.completed_time
                        if task.state != "Success" or done is None or done > dep.created:
                            found.append(
                                f"run {run_id}: {project} {dep.id} created at {dep.created.isoformat()} "
                                f"before {need} {before.id} succeeded ({task.state}, {done})"
                            )
    for run_id, projects in _by_run(sim, "rollback").items():
        for project, rollbacks in projects.items():
            dependents = [p for p, needs in depends_on.items() if project in needs]
            for dep in rollbacks:
                for dependent in dependents:
                    for later in projects.get(dependent, ()):
                        done = sim.tasks[later.task_id].completed_time
                        if done is None or done > dep.created:
                            found.append(
                                f"run {run_id}: rollback of {project} {dep.id} created before the "
                                f"rollback of {dependent} {later.id} ended"
                            )
    return found
