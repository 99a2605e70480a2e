"""Time to recovery and lead time over a set of deployments (pure; anchors.md [O6])."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import timedelta

from coord.domain.records import DeploymentRecord, TaskState


def recoveries(
    records: Iterable[DeploymentRecord], failures: Collection[TaskState]
) -> tuple[list[timedelta], int]:
    """Each failure's time to the next success in its stream, and how many failures stayed unrecovered.

    Octopus Insights' stream is project, channel, environment and tenant (metrics.md, "Mean time
    to recovery"); each failed deployment counts once, measured to the next successful one.
    """
    streams: dict[tuple[str, str | None, str, str | None], list[DeploymentRecord]] = defaultdict(list)
    for record in records:
        if record.completed_time is not None:
            key = (record.project_id, record.channel_id, record.environment_id, record.tenant_id)
            streams[key].append(record)
    times: list[timedelta] = []
    unrecovered = 0
    for stream in streams.values():
        stream.sort(key=lambda r: (r.completed_time, r.deployment_id))
        waiting: list[DeploymentRecord] = []
        for record in stream:
            if record.state in failures:
                waiting.append(record)
            elif record.state is TaskState.SUCCESS:
                assert record.completed_time is not None
                times += [record.completed_time - f.completed_time for f in waiting if f.completed_time]
                waiting = []
        unrecovered += len(waiting)
    return times, unrecovered


def lead_times(records: Iterable[DeploymentRecord], environment_id: str) -> list[timedelta]:
    """Release creation to successful completion, for successful deployments to one environment."""
    return [
        r.completed_time - r.release_assembled
        for r in records
        if r.environment_id == environment_id
        and r.state is TaskState.SUCCESS
        and r.completed_time is not None
        and r.release_assembled is not None
        and r.completed_time >= r.release_assembled
    ]
