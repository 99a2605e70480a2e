"""When to look at a run's tasks again, and which news of a task is worth an advance (pure).

A follower looks at the tasks a run has in flight with one request, then waits. The wait grows
with the age of the youngest task, so a task of seconds is seen ending within a fraction of a
second and a task of minutes costs a request every few seconds. Once tasks of the run have ended,
their typical duration adds a look at the moment the others are due to end.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from coord.domain.records import parse_state
from coord.promotion.model import Run, Step


@dataclass(frozen=True, slots=True)
class Pace:
    """Bounds of the wait between two looks: seconds, and the share of the youngest task's age."""

    floor: float
    ceiling: float
    fraction: float


# `promote --wait`: a person watches, and the run is all this process does.
WAIT_PACE = Pace(floor=0.1, ceiling=5.0, fraction=0.1)
# A tick following runs after its own work: lighter on Octopus, which other clients share.
FOLLOW_PACE = Pace(floor=1.0, ceiling=10.0, fraction=0.05)


@dataclass(frozen=True, slots=True)
class Watched:
    """A task the run waits for: whose step it is, and when coord started it (None: a rollback)."""

    run_id: str
    step_key: str
    started: datetime | None


def watched_tasks(run: Run) -> dict[str, Watched]:
    """Task id -> what waits for it, for every deployment of the run in flight with a known task."""
    found: dict[str, Watched] = {}
    for step in run.steps:
        if step.status.in_flight and step.task_id:
            found[step.task_id] = Watched(run.id, step.key, step.started)
        if step.rollback.in_flight and step.rollback_task_id:
            # A step records when its deployment started, not its rollback: no age to pace by.
            found[step.rollback_task_id] = Watched(run.id, step.key, None)
    return found


def needs_reconciling(run: Run) -> bool:
    """A step marked starting whose deployment is not recorded yet: only an advance settles it."""
    return any(
        (s.status.in_flight and not s.task_id) or (s.rollback.in_flight and not s.rollback_task_id)
        for s in run.steps
    )


def task_news(step: Step, *, state: str, interruptions: Sequence[str]) -> bool:
    """Whether a look at a task found what an advance acts on: it ended, or a person is (no longer) needed."""
    if parse_state(state).is_completed:
        return True
    return (step.waiting != "") != bool(interruptions)


def typical_duration(durations: Iterable[timedelta]) -> timedelta | None:
    """The median duration of the run's tasks that ended, None before any did."""
    seen = sorted(durations)
    return statistics.median_low(seen) if seen else None


def next_look(
    now: datetime, started: Iterable[datetime | None], typical: timedelta | None, pace: Pace
) -> float:
    """Seconds to wait before the next look at tasks started at `started`."""
    times = [s for s in started if s is not None]
    if not times:
        return pace.ceiling
    youngest = max(0.0, (now - max(times)).total_seconds())
    wait = min(pace.ceiling, max(pace.floor, youngest * pace.fraction))
    if typical is not None:
        # A task ends a little after coord started it plus the typical duration (Octopus queues it
        # when the create request is answered): look half a floor later rather than a hair early.
        slack = timedelta(seconds=pace.floor / 2)
        for moment in times:
            due = (moment + typical + slack - now).total_seconds()
            if due > 0:
                wait = min(wait, max(pace.floor, due))
    return wait
