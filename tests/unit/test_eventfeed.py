from datetime import UTC, datetime, timedelta

from coord.feed.events import (
    FEED_CATEGORIES,
    MAX_REMEMBERED,
    OVERLAP,
    EventCursor,
    advance,
    deployment_event,
    names_changed,
    reconcile_due,
    rest_known,
    unseen,
    window_start,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def event(n: int, minutes: float):
    return deployment_event(
        f"Events-{n}",
        "DeploymentSucceeded",
        NOW + timedelta(minutes=minutes),
        [f"Deployments-{n}", "Projects-1", "Releases-1", "Environments-1", f"ServerTasks-{n}", "Channels-1"],
    )


def test_related_ids_are_found_by_prefix_whatever_their_order() -> None:
    ev = deployment_event(
        "Events-9", "DeploymentQueued", NOW, ["ProjectGroups-1", "Projects-3", "Deployments-7"]
    )
    assert ev is not None
    assert (ev.deployment_id, ev.project_id, ev.environment_id) == ("Deployments-7", "Projects-3", None)


def test_events_without_a_deployment_are_ignored() -> None:
    assert deployment_event("Events-1", "Created", NOW, ["Projects-1"]) is None


def test_first_poll_reads_back_the_backfill_period() -> None:
    assert window_start(None, NOW, timedelta(days=7)) == NOW - timedelta(days=7)


def test_later_polls_start_an_overlap_before_the_newest_event_seen() -> None:
    cursor = EventCursor(through=NOW)
    assert window_start(cursor, NOW + timedelta(hours=5), timedelta(days=7)) == NOW - OVERLAP


def test_cursor_follows_octopus_time_and_remembers_ids_inside_the_overlap() -> None:
    events = [event(1, -30), event(2, -1), event(3, 0)]
    cursor = advance(None, NOW - timedelta(days=1), events)
    assert cursor.through == NOW
    assert set(cursor.recent) == {"Events-2", "Events-3"}
    assert unseen(cursor, [event(2, -1), event(4, 1)]) == [event(4, 1)]


def test_advancing_with_nothing_new_leaves_the_cursor_equal() -> None:
    cursor = advance(None, NOW, [event(1, 0)])
    assert advance(cursor, NOW - OVERLAP, [event(1, 0)]) == cursor


def test_a_late_event_inside_the_overlap_is_still_unseen() -> None:
    cursor = advance(None, NOW, [event(5, 0)])
    late = event(4, -2)
    assert unseen(cursor, [late]) == [late]


def test_reconciliation_is_due_on_first_poll_and_then_every_interval() -> None:
    assert reconcile_due(None, NOW, timedelta(minutes=15))
    cursor = EventCursor(through=NOW, last_reconcile=NOW)
    assert not reconcile_due(cursor, NOW + timedelta(minutes=14), timedelta(minutes=15))
    assert reconcile_due(cursor, NOW + timedelta(minutes=15), timedelta(minutes=15))


def test_an_extreme_burst_is_remembered_only_up_to_the_cap() -> None:
    burst = [event(n, n / 100_000) for n in range(MAX_REMEMBERED + 50)]
    cursor = advance(None, NOW, burst)
    assert len(cursor.recent) == MAX_REMEMBERED
    assert "Events-0" not in cursor.recent  # the oldest are forgotten first
    assert f"Events-{MAX_REMEMBERED + 49}" in cursor.recent


def test_a_modified_project_environment_or_tenant_is_a_name_change_and_nothing_else_is() -> None:
    assert "Modified" in FEED_CATEGORIES
    assert names_changed("Modified", ["Projects-3"])
    assert names_changed("Modified", ["Environments-2"])
    assert names_changed("Modified", ["Tenants-1", "Projects-3"])
    assert not names_changed("Modified", ["Variables-3"])
    assert not names_changed("DeploymentQueued", ["Deployments-1", "Projects-3"])


def test_a_rename_read_with_the_deployment_events_is_remembered_so_the_overlap_still_counts_as_known() -> (
    None
):
    # A page of the overlap: 3 deployment events and a project's Modified event, all read before.
    deployments = [event(n, n * 0.1) for n in range(1, 4)]
    renamed = ("Events-99", NOW + timedelta(minutes=0.05))
    start = NOW - OVERLAP
    with_rename = advance(None, start, deployments, [renamed])
    without = advance(None, start, deployments)
    assert with_rename.recent["Events-99"] == renamed[1]
    # The next poll reads only the newest event and Octopus counts all 4 in the window.
    newest = ["Events-3"]
    assert rest_known(with_rename, start, 4, newest)
    assert not rest_known(without, start, 4, newest)
