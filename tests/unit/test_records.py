from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from coord.domain.records import (
    DeploymentRecord,
    TaskState,
    id_number,
    merge_records,
    parse_state,
    update_cell,
)

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def record(
    dep: str = "Deployments-1", state: TaskState = TaskState.QUEUED, minutes: int = 0, **kw
) -> DeploymentRecord:
    base = DeploymentRecord(
        deployment_id=dep,
        project_id="Projects-1",
        environment_id="Environments-1",
        tenant_id=None,
        release_id="Releases-1",
        release_version="1.0.0",
        channel_id="Channels-1",
        task_id="ServerTasks-1",
        state=state,
        created=T0,
        task_updated=T0 + timedelta(minutes=minutes),
    )
    return replace(base, **kw)


def test_unknown_task_states_count_as_queued() -> None:
    assert parse_state("New") is TaskState.QUEUED
    assert parse_state(None) is TaskState.QUEUED
    assert parse_state("Canceled") is TaskState.CANCELED


def test_completed_states_match_octopus() -> None:
    completed = {s for s in TaskState if s.is_completed}
    assert completed == {TaskState.SUCCESS, TaskState.FAILED, TaskState.CANCELED, TaskState.TIMED_OUT}


def test_merging_the_same_snapshot_twice_changes_nothing() -> None:
    first = record(state=TaskState.EXECUTING, minutes=1)
    assert merge_records(first, first) is None


def test_an_older_snapshot_never_overwrites_a_newer_one() -> None:
    done = record(state=TaskState.SUCCESS, minutes=5, completed_time=T0 + timedelta(minutes=5))
    late = record(state=TaskState.EXECUTING, minutes=2)
    assert merge_records(done, late) is None


def test_a_newer_snapshot_replaces_the_task_fields() -> None:
    running = record(state=TaskState.EXECUTING, minutes=2)
    failed = record(state=TaskState.FAILED, minutes=4, error_message="boom")
    merged = merge_records(running, failed)
    assert merged is not None
    assert merged.state is TaskState.FAILED
    assert merged.error_message == "boom"


def test_static_facts_are_filled_in_but_never_erased() -> None:
    partial = record(release_version="", tenant_id=None)
    full = record(release_version="1.0.0", tenant_id="Tenants-1")
    merged = merge_records(partial, full)
    assert merged is not None
    assert (merged.release_version, merged.tenant_id) == ("1.0.0", "Tenants-1")
    assert merge_records(full, partial) is None


@given(st.permutations([0, 1, 2, 3]))
def test_snapshots_in_any_order_give_the_same_record(order: list[int]) -> None:
    states = [TaskState.QUEUED, TaskState.EXECUTING, TaskState.EXECUTING, TaskState.SUCCESS]
    snapshots = [record(state=states[i], minutes=i) for i in range(4)]
    current = None
    for i in order:
        current = merge_records(current, snapshots[i]) or current
    assert current == snapshots[3]


def test_ids_sort_by_number_not_text() -> None:
    assert id_number("Deployments-10") > id_number("Deployments-9")
    assert id_number("nonsense") == -1


def test_latest_cell_follows_creation_time_and_keeps_last_success() -> None:
    ok = record("Deployments-1", TaskState.SUCCESS, release_version="1.0.0")
    cell = update_cell(None, ok)
    assert cell is not None and cell.last_success == ok
    newer_failed = record(
        "Deployments-2", TaskState.FAILED, created=T0 + timedelta(hours=1), release_version="1.1.0"
    )
    cell2 = update_cell(cell, newer_failed)
    assert cell2 is not None
    assert cell2.latest == newer_failed
    assert cell2.last_success == ok
    assert not cell2.is_current_success


def test_an_older_deployment_finishing_late_does_not_become_latest() -> None:
    newer = record("Deployments-2", TaskState.SUCCESS, created=T0 + timedelta(hours=1))
    cell = update_cell(None, newer)
    scheduled_earlier = record("Deployments-1", TaskState.SUCCESS, minutes=90)
    cell2 = update_cell(cell, scheduled_earlier)
    assert cell2 is None or cell2.latest == newer


def test_a_cell_that_learns_nothing_reports_no_change() -> None:
    ok = record(state=TaskState.SUCCESS)
    cell = update_cell(None, ok)
    assert update_cell(cell, ok) is None


def test_a_newer_snapshot_with_nothing_new_is_no_change() -> None:
    running = record(state=TaskState.EXECUTING, minutes=2)
    refreshed = record(state=TaskState.EXECUTING, minutes=4)
    assert merge_records(running, refreshed) is None
