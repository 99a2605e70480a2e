"""How often a follower looks at a run's tasks, and which news of a task is worth an advance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coord.promotion.model import Decision, Run, Step, StepStatus
from coord.promotion.pace import (
    FOLLOW_PACE,
    WAIT_PACE,
    Pace,
    needs_reconciling,
    next_look,
    task_news,
    typical_duration,
    watched_tasks,
)

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
PACE = Pace(floor=0.5, ceiling=10.0, fraction=0.1)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("ages", "wait"),
    [
        ([0.0], 0.5),  # just started: the floor
        ([30.0], 3.0),  # a tenth of its age
        ([600.0], 10.0),  # old: the ceiling
        ([600.0, 20.0], 2.0),  # the youngest task sets the pace
        ([], 10.0),  # nothing with an age (only rollbacks): the ceiling
    ],
)
def test_the_wait_grows_with_the_age_of_the_youngest_task_within_bounds(ages, wait) -> None:
    assert next_look(NOW, [ago(a) for a in ages], None, PACE) == pytest.approx(wait)


def test_a_typical_duration_adds_a_look_when_tasks_are_due_to_end() -> None:
    typical = timedelta(seconds=300)
    # Half a floor after it is due, instead of 10 s later.
    assert next_look(NOW, [ago(298.0)], typical, PACE) == pytest.approx(2.25)
    assert next_look(NOW, [ago(299.9)], typical, PACE) == pytest.approx(0.5)  # never below the floor
    assert next_look(NOW, [ago(310.0)], typical, PACE) == pytest.approx(10.0)  # overdue: by age again
    assert next_look(NOW, [ago(100.0)], typical, PACE) == pytest.approx(10.0)  # not due soon


def test_typical_duration_is_the_median_of_those_seen() -> None:
    assert typical_duration([]) is None
    seen = [timedelta(seconds=s) for s in (30, 32, 300)]
    assert typical_duration(seen) == timedelta(seconds=32)


def test_waiting_looks_more_often_than_a_following_tick() -> None:
    assert WAIT_PACE.floor < FOLLOW_PACE.floor
    assert WAIT_PACE.ceiling <= FOLLOW_PACE.ceiling


def step(**changes) -> Step:
    base = Step(
        key="Projects-1",
        project_id="Projects-1",
        project="Identity",
        tenant_id=None,
        tenant=None,
        decision=Decision.DEPLOY,
    )
    return base.evolve(**changes)


@pytest.mark.parametrize(
    ("state", "interruptions", "waiting", "news"),
    [
        ("Executing", (), "", False),
        ("Queued", (), "", False),
        ("Success", (), "", True),
        ("Failed", (), "", True),
        ("Canceled", (), "", True),
        ("TimedOut", (), "", True),
        ("Executing", ("ManualIntervention",), "", True),  # a person is needed
        ("Executing", ("ManualIntervention",), "waiting for a manual intervention in Octopus", False),
        ("Executing", (), "waiting for a manual intervention in Octopus", True),  # answered
    ],
)
def test_task_news_is_an_end_or_a_change_in_what_waits_for_a_person(
    state, interruptions, waiting, news
) -> None:
    assert task_news(step(waiting=waiting), state=state, interruptions=interruptions) is news


def test_the_tasks_watched_are_those_of_deployments_in_flight() -> None:
    run = Run(
        id="r",
        group="shop",
        source_id="Environments-2",
        source="Staging",
        target_id="Environments-3",
        target="Production",
        on_failure="halt",
        created=NOW,
        steps=(
            step(key="a", status=StepStatus.RUNNING, task_id="ServerTasks-1", started=ago(5)),
            step(key="b", status=StepStatus.SUCCEEDED, task_id="ServerTasks-2"),
            step(key="c", status=StepStatus.PLANNED),
        ),
    )
    assert set(watched_tasks(run)) == {"ServerTasks-1"}
    assert not needs_reconciling(run)
    starting = run.with_step(step(key="c", status=StepStatus.STARTING))
    assert needs_reconciling(starting)
