"""Deployments by id, with their tasks and releases, as deployment records.

Events only say which deployments changed; the facts come from `deployments?ids=`,
`tasks?ids=` and the releases (one request per 300 ids each). Two memories keep a busy space's
catch-up from asking twice:

- releases already read (their version and assembly time never change once recorded);
- deployments this process has seen completed, with when: an event about such a deployment
  that the completed snapshot already reflects (its own outcome, or anything that happened
  before it completed) needs no new fetch. An event after it, such as the start of a rerun, does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from coord.domain.records import DeploymentRecord, parse_state
from coord.feed.events import DeploymentEvent
from coord.octopus import OctopusClient

_ERROR_LIMIT = 4000  # characters of a task's error message kept on the record
_RELEASES_KEPT = 5_000
_SETTLED_KEPT = 50_000
# Events that report the completion a completed snapshot shows.
_OUTCOMES = frozenset({"DeploymentSucceeded", "DeploymentFailed", "TaskCanceled"})


class DeploymentFetcher:
    """Reads deployments, tasks and releases from Octopus into records."""

    def __init__(self, octopus: OctopusClient) -> None:
        self._octopus = octopus
        self._releases: dict[str, Any] = {}
        self._settled: dict[str, datetime] = {}

    def needed(self, events: Iterable[DeploymentEvent]) -> set[str]:
        """The deployments named by these events that a completed snapshot does not already cover."""
        ids: set[str] = set()
        for event in events:
            completed = self._settled.get(event.deployment_id)
            if completed is None or (event.occurred > completed and event.category not in _OUTCOMES):
                ids.add(event.deployment_id)
        return ids

    def fetch(self, ids: Iterable[str], inflight: dict[str, DeploymentRecord]) -> list[DeploymentRecord]:
        """Records of these deployments; those in flight only need their task read again."""
        wanted = set(ids)
        known = {i: inflight[i] for i in wanted if i in inflight}
        deployments = {d.Id: d for d in self._octopus.deployments_by_ids(sorted(wanted - set(known)))}
        task_ids = {d.TaskId for d in deployments.values() if d.TaskId} | {
            r.task_id for r in known.values() if r.task_id
        }
        tasks = {t.Id: t for t in self._octopus.tasks_by_ids(sorted(task_ids))}
        releases = self._releases_of({d.ReleaseId for d in deployments.values()})
        observed = [
            _record(d, tasks.get(d.TaskId or ""), releases.get(d.ReleaseId)) for d in deployments.values()
        ]
        for record in known.values():
            task = tasks.get(record.task_id or "")
            if task is not None:
                observed.append(_with_task(record, task))
        return observed

    def remember(self, records: Iterable[DeploymentRecord]) -> None:
        """Note which of these stored records are completed, and since when."""
        for record in records:
            if record.is_completed:
                self._settled[record.deployment_id] = record.completed_time or record.created
            else:
                self._settled.pop(record.deployment_id, None)
        _trim(self._settled, _SETTLED_KEPT)

    def _releases_of(self, release_ids: set[str]) -> dict[str, Any]:
        missing = sorted(release_ids - set(self._releases))
        for release in self._octopus.releases(missing):
            self._releases[release.Id] = release
        found = {i: self._releases[i] for i in release_ids if i in self._releases}
        _trim(self._releases, _RELEASES_KEPT)
        return found


def _trim(memory: dict[str, Any], limit: int) -> None:
    """Forget the oldest half once `limit` is passed (dicts keep insertion order)."""
    if len(memory) > limit:
        for key in list(memory)[: len(memory) // 2]:
            del memory[key]


def _record(deployment: Any, task: Any, release: Any) -> DeploymentRecord:
    record = DeploymentRecord(
        deployment_id=deployment.Id,
        project_id=deployment.ProjectId,
        environment_id=deployment.EnvironmentId,
        tenant_id=deployment.TenantId or None,
        release_id=deployment.ReleaseId,
        release_version=release.Version if release is not None else "",
        channel_id=deployment.ChannelId or None,
        task_id=deployment.TaskId or None,
        state=parse_state(None),
        created=deployment.Created,
        deployed_by=deployment.DeployedBy or None,
        comments=deployment.Comments or None,
        release_assembled=release.Assembled if release is not None else None,
    )
    return _with_task(record, task) if task is not None else record


def _with_task(record: DeploymentRecord, task: Any) -> DeploymentRecord:
    state = parse_state(str(task.State))
    return replace(
        record,
        state=state,
        queue_time=task.QueueTime,
        start_time=task.StartTime,
        completed_time=task.CompletedTime,
        # Octopus's Duration text of a running task changes every poll ("58 seconds", "1 minute"):
        # kept once the task has completed, derivable from the start time until then.
        duration=(task.Duration or None) if state.is_completed else None,
        error_message=(task.ErrorMessage or "")[:_ERROR_LIMIT],
        pending_interruptions=tuple(str(t) for t in (task.PendingInterruptionTypes or ())),
        task_updated=task.LastUpdatedTime,
    )
