"""Pure decisions of a busy poll: counting the overlap, categories, dashboard cells, id batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from coord.feed.dashboard import current_items, differing
from coord.feed.events import (
    CONFIRMED_CATEGORIES,
    MAX_REMEMBERED,
    EventCursor,
    known_categories,
    rest_known,
)
from coord.octopus.queries import IDS_CHARACTERS, IDS_PER_REQUEST, id_batches, template_parameters

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
START = NOW - timedelta(minutes=5)


def cursor(count: int) -> EventCursor:
    return EventCursor(NOW, {f"Events-{n}": NOW - timedelta(seconds=n % 240) for n in range(count)})


def test_the_rest_of_the_window_is_known_when_octopus_counts_no_more_than_is_remembered() -> None:
    remembered = cursor(1200)
    newest = [f"Events-{n}" for n in range(5000, 5060)] + [f"Events-{n}" for n in range(40)]
    assert rest_known(remembered, START, 1260, newest)


def test_one_unknown_event_below_the_newest_page_makes_the_rest_worth_reading() -> None:
    remembered = cursor(1200)
    newest = [f"Events-{n}" for n in range(5000, 5060)] + [f"Events-{n}" for n in range(40)]
    assert not rest_known(remembered, START, 1261, newest)


def test_without_a_cursor_or_with_a_full_memory_nothing_is_assumed_known() -> None:
    assert not rest_known(None, START, 10, ["Events-1"])
    assert not rest_known(cursor(MAX_REMEMBERED), START, 10, ["Events-1"])


def test_remembered_events_older_than_the_window_do_not_count() -> None:
    old = EventCursor(NOW, {"Events-1": START - timedelta(seconds=1), "Events-2": NOW})
    assert not rest_known(old, START, 3, ["Events-3"])
    assert rest_known(old, START, 2, ["Events-3"])


def test_categories_the_server_does_not_list_are_set_aside() -> None:
    kept, missing = known_categories([*CONFIRMED_CATEGORIES, "TaskCanceled", "Created"])
    assert kept == (*CONFIRMED_CATEGORIES, "TaskCanceled")
    assert missing == ("DeploymentResumed", "ManualInterventionInterruptionRaised")


def item(deployment: int, minutes: int, channel: str, state: str = "Success", tenant: str | None = None):
    return SimpleNamespace(
        ProjectId="Projects-1",
        EnvironmentId="Environments-1",
        TenantId=tenant,
        ChannelId=channel,
        DeploymentId=f"Deployments-{deployment}",
        Created=NOW + timedelta(minutes=minutes),
        State=state,
    )


def test_a_cell_with_an_item_per_channel_compares_its_newest() -> None:
    items = [item(7, 0, "Channels-1"), item(9, 5, "Channels-2"), item(8, 0, "Channels-3", tenant="Tenants-1")]
    cells = current_items(items)
    assert cells[("Projects-1", "Environments-1", None)].DeploymentId == "Deployments-9"
    stored = {
        ("Projects-1", "Environments-1", None): ("Deployments-9", "Success"),
        ("Projects-1", "Environments-1", "Tenants-1"): ("Deployments-8", "Executing"),
    }
    assert differing(items, stored) == {"Deployments-8"}


def test_ids_go_300_to_a_request_and_urls_stay_short() -> None:
    short = [len(b) for b in id_batches(f"Deployments-{n}" for n in range(700))]
    assert short == [IDS_PER_REQUEST, IDS_PER_REQUEST, 100]
    long = list(id_batches(f"ServerTasks-{n:012d}" for n in range(400)))
    assert all(sum(len(i) + 3 for i in batch) <= IDS_CHARACTERS for batch in long)
    assert sum(len(b) for b in long) == 400
    assert list(id_batches(["", "A-1", "A-1"])) == [["A-1"]]


def test_link_templates_say_which_query_parameters_a_server_takes() -> None:
    assert "ids" in template_parameters("/api/Spaces-1/releases{/id}{?skip,ignoreChannelRules,take,ids}")
    assert "ids" not in template_parameters("/api/Spaces-1/releases{/id}{?skip,take}")
    assert template_parameters("/api/tasks") == set()
