"""What coord knows about each deployment, and how new observations merge into it (pure).

Events (polled or pushed by webhooks) only say which deployments changed; the facts come
from the deployments and tasks APIs. Those snapshots can still arrive late, twice or out
of order (two polls at once, a webhook racing a poll), so merging keeps the newest task
snapshot, and a merge that learns nothing new reports "no change" so that nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum

# coord marks each deployment it creates with `[coord:<run id>/<step key>/<deploy|rollback>]` in the
# deployment's Comments (coord/octopus/deployments.py; the key is Step.key_for): the run that made
# it, and whether it was the run's deployment or its rollback.
_RUN_MARKER = re.compile(r"\[coord:([^/\]\s]+)/[^\]\s]*/(deploy|rollback)\]")


class TaskState(StrEnum):
    """Octopus task states (octopus-api.md Holdout 1: `Canceled` one l, `Cancelling` two)."""

    QUEUED = "Queued"
    EXECUTING = "Executing"
    CANCELLING = "Cancelling"
    SUCCESS = "Success"
    FAILED = "Failed"
    CANCELED = "Canceled"
    TIMED_OUT = "TimedOut"

    @property
    def is_completed(self) -> bool:
        """Holdout 5: completed unless Queued, Executing or Cancelling."""
        return self not in (TaskState.QUEUED, TaskState.EXECUTING, TaskState.CANCELLING)

    @property
    def rank(self) -> int:
        """How far along a task is; a merge never moves a record backwards in rank."""
        return {TaskState.QUEUED: 0, TaskState.EXECUTING: 1, TaskState.CANCELLING: 2}.get(self, 3)


def parse_state(value: str | None) -> TaskState:
    """An Octopus task state; unknown or missing values (e.g. `New`) count as queued."""
    try:
        return TaskState(value or "Queued")
    except ValueError:
        return TaskState.QUEUED


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """One deployment as coord stores it: identity, release, task state and times."""

    deployment_id: str
    project_id: str
    environment_id: str
    tenant_id: str | None
    release_id: str
    release_version: str
    channel_id: str | None
    task_id: str | None
    state: TaskState
    created: datetime
    queue_time: datetime | None = None
    start_time: datetime | None = None
    completed_time: datetime | None = None
    duration: str | None = None
    deployed_by: str | None = None
    error_message: str = ""
    pending_interruptions: tuple[str, ...] = ()
    comments: str | None = None
    release_assembled: datetime | None = None
    # LastUpdatedTime of the task snapshot the task fields came from; None when only events were seen.
    task_updated: datetime | None = None

    @property
    def is_completed(self) -> bool:
        return self.state.is_completed

    @property
    def finished_successfully(self) -> bool:
        return self.state is TaskState.SUCCESS

    @property
    def matrix_key(self) -> tuple[str, str, str | None]:
        return (self.project_id, self.environment_id, self.tenant_id)

    @property
    def belongs_at(self) -> datetime:
        """The instant that decides a record's report day: when it finished, else when it was queued."""
        return self.completed_time or self.queue_time or self.created


@dataclass(frozen=True, slots=True)
class RunOrigin:
    """The promotion run that created a deployment, and whether as a rollback."""

    run_id: str
    rollback: bool


def run_origin(comments: str | None) -> RunOrigin | None:
    """The run named by coord's marker in a deployment's Comments, or None for anyone else's deployment."""
    found = _RUN_MARKER.search(comments or "")
    return RunOrigin(found[1], found[2] == "rollback") if found else None


_TASK_FIELDS = (
    "state",
    "queue_time",
    "start_time",
    "completed_time",
    "duration",
    "error_message",
    "pending_interruptions",
    "task_updated",
)


def merge_records(existing: DeploymentRecord | None, observed: DeploymentRecord) -> DeploymentRecord | None:
    """The merged record, or None when `observed` adds nothing to `existing`."""
    if existing is None:
        return observed
    if existing.deployment_id != observed.deployment_id:
        msg = "merge_records needs two observations of the same deployment"
        raise ValueError(msg)
    merged = existing
    # Static facts: fill what was unknown (an event-only record lacks the tenant, for instance).
    for f in fields(DeploymentRecord):
        if f.name in _TASK_FIELDS:
            continue
        old, new = getattr(existing, f.name), getattr(observed, f.name)
        if new not in (None, "", ()) and old in (None, "", ()):
            merged = replace(merged, **{f.name: new})
    if (
        observed.task_updated is None
        or existing.task_updated is None
        or observed.task_updated >= existing.task_updated
    ):
        # A task snapshot at least as new as the stored one is authoritative: it can even move a
        # task back (a rerun), while an older snapshot read by a slower concurrent poll is ignored.
        merged = replace(merged, **{name: getattr(observed, name) for name in _TASK_FIELDS})
    # A running task's snapshot is refreshed every few minutes with nothing new in it; rewriting
    # the row for its timestamp alone would cost a write per running deployment per poll.
    if replace(merged, task_updated=existing.task_updated) == existing:
        return None
    return merged


@dataclass(frozen=True, slots=True)
class MatrixCell:
    """The latest deployment of a project to an environment (per tenant), and the latest success."""

    project_id: str
    environment_id: str
    tenant_id: str | None
    latest: DeploymentRecord
    last_success: DeploymentRecord | None

    @property
    def is_current_success(self) -> bool:
        """True when the latest deployment there succeeded (what 'current and successful' means)."""
        return self.latest.finished_successfully


def update_cell(cell: MatrixCell | None, record: DeploymentRecord) -> MatrixCell | None:
    """The cell after `record` is known, or None when the cell does not change.

    Latest means latest by `Created`, as Octopus's dashboard orders it (octopus-api.md Holdout 19),
    so a deployment scheduled earlier that runs later does not displace a newer one.
    """
    if cell is None:
        success = record if record.finished_successfully else None
        return MatrixCell(*record.matrix_key, latest=record, last_success=success)
    latest = cell.latest
    if record.deployment_id == latest.deployment_id:
        # The same deployment again: an older task snapshot (a slower writer's) never replaces a newer one.
        latest = merge_records(latest, record) or latest
    elif _newer(record, latest):
        latest = record
    success = cell.last_success
    if success is not None and record.deployment_id == success.deployment_id:
        merged = merge_records(success, record) or success
        # A rerun of the task that had succeeded is no longer a success.
        success = merged if merged.finished_successfully else None
    elif record.finished_successfully and (success is None or _newer(record, success)):
        success = record
    new = replace(cell, latest=latest, last_success=success)
    return None if new == cell else new


def _newer(a: DeploymentRecord, b: DeploymentRecord) -> bool:
    return (a.created, id_number(a.deployment_id)) > (b.created, id_number(b.deployment_id))


def id_number(document_id: str) -> int:
    """The number in an Octopus document id (`Deployments-42` -> 42); ids sort by it, not as text."""
    _, _, digits = document_id.rpartition("-")
    return int(digits) if digits.isdigit() else -1
