"""Facts about real Octopus servers that the simulator honours, each with its public source.

Sources are keyed as in octopus-api-checked.md, the fidelity check of the facts reference: [MCP]
Octopus's own MCP server (2026), [REC] a pasted capture from a 2023.1 Octopus Cloud server, [OC] the
C# client, [GO] the Go client, [API] the generated 2026 API reference, [ISS n] OctopusDeploy/Issues#n.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

from tests.octosim.formats import parse_time


def test_events_to_is_exclusive_and_from_inclusive(octosim, api):
    # [MCP] src/tools/findEvents.ts: "Inclusive lower bound on Occurred (Occurred >= from)",
    # "Exclusive upper bound on Occurred (Occurred < to)" (checked §2).
    items = api.get("/api/events?take=1000").json()["Items"]
    middle = items[len(items) // 2]["Occurred"]
    at_middle = {e["Id"] for e in items if e["Occurred"] == middle}
    after = {e["Id"] for e in api.get(f"/api/events?take=1000&from={quote(middle)}").json()["Items"]}
    before = {e["Id"] for e in api.get(f"/api/events?take=1000&to={quote(middle)}").json()["Items"]}
    assert at_middle <= after
    assert not at_middle & before
    assert after | before == {e["Id"] for e in items}


def test_page_links_carry_from_and_to_as_culture_formatted_text_to_the_second(octosim, api):
    # [REC] lines 1734-1740: Self/Page.Next/Page.Last carry
    # `from=2%2F1%2F2023%2012%3A00%3A00%20AM%20%2B10%3A00` (checked §2): milliseconds are lost.
    newest = api.get("/api/events?take=1").json()["Items"][0]["Occurred"]
    since = parse_time(newest) - timedelta(days=3, milliseconds=-250)
    query = f"from={quote(since.isoformat(timespec='milliseconds'))}&to={quote(newest)}&take=2"
    page = api.get(f"/api/events?{query}").json()
    link = parse_qs(urlsplit(page["Links"]["Page.Next"]).query)
    assert link["from"] == [f"{since.month}/{since.day}/{since.year} {_twelve(since)} +00:00"]
    assert parse_time(link["from"][0]) == since.replace(microsecond=0) != since
    # The server reads its own links back.
    followed = api.get(page["Links"]["Page.Next"])
    assert followed.status_code == 200


def _twelve(moment) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}:{moment.second:02d} {'AM' if moment.hour < 12 else 'PM'}"


def test_events_carry_no_auto_id(api):
    # [OC] Model/EventResource.cs has Id, RelatedDocumentIds, Category, ..., Occurred, SpaceId and
    # no AutoId, although the events template accepts fromAutoId/toAutoId (checked §2).
    event = api.get("/api/events?take=1").json()["Items"][0]
    assert not any("autoid" in key.lower() for key in event)


def test_event_categories_lists_the_ids_and_a_server_may_lack_some(octosim, api):
    # [API] events.md: `GET /api/{space}/events/categories` returns [{Id, Name}] (checked §2).
    ids = {c["Id"] for c in api.get("/api/Spaces-1/events/categories").json()}
    assert {"DeploymentQueued", "DeploymentStarted", "DeploymentSucceeded", "DeploymentFailed"} <= ids
    octosim.sim.traits.missing_categories = {"TaskCanceled"}
    dep = octosim.sim.deploy("Catalog", "2.3.0", "Production")
    octosim.sim.cancel_task(octosim.sim.deployments[dep].task_id)
    assert "TaskCanceled" not in {c["Id"] for c in api.get("/api/Spaces-1/events/categories").json()}
    events = api.get(f"/api/events?regarding={dep}").json()["Items"]
    assert [e["Category"] for e in events] == ["DeploymentQueued"]


def test_the_dashboard_follows_the_users_project_limit_unless_show_all(octosim, api):
    # [API] dashboard.md and [GO] pkg/dashboard/dashboard.go: `ProjectLimit` and `IsFiltered`;
    # [ISS 5698], [ISS 5861]: a limit set in /dashboard/configure; [ISS 2548], [ISS 2571]: projects
    # beyond it still show when failing or running (checked §4).
    sim = octosim.sim
    sim.traits.dashboard_project_limit = 1
    sim.deploy("Identity", "1.1.0", "Production", outcome="Failed")
    sim.clock.advance(timedelta(minutes=1))
    narrowed = api.get("/api/dashboard").json()
    assert narrowed["IsFiltered"] is True
    assert narrowed["ProjectLimit"] == 1
    shown = {i["ProjectId"] for i in narrowed["Items"]}
    assert sim.project("Identity").id in shown  # failing, so shown beyond the limit
    assert len(shown) == 2
    everything = api.get("/api/dashboard?showAll=true").json()
    assert everything["IsFiltered"] is False
    assert len({i["ProjectId"] for i in everything["Items"]}) == 4


def test_discrete_channel_releases_give_one_dashboard_item_per_channel(octosim, api):
    # [ISS 5721] (Octopus staff, 2019) "For projects with Discrete Channel Releases enabled, display a
    # row per channel"; [ISS 7227] "every channel should show it's latest release" (checked §4).
    sim = octosim.sim
    sim.project("Checkout").discrete_channel_release = True
    hotfix = sim.add_channel("Checkout", "Hotfix")
    sim.create_release("Checkout", "3.1.1", channel=hotfix)
    sim.deploy("Checkout", "3.1.1", "Staging")
    sim.clock.advance(timedelta(minutes=1))
    project = api.get(f"/api/projects/{sim.project('Checkout').id}").json()
    assert project["DiscreteChannelRelease"] is True
    staging = sim.environment("Staging").id
    items = [
        i
        for i in api.get("/api/dashboard?showAll=true").json()["Items"]
        if (i["ProjectId"], i["EnvironmentId"]) == (sim.project("Checkout").id, staging)
    ]
    assert sorted(i["ReleaseVersion"] for i in items) == ["3.1.0", "3.1.1"]
    assert len({i["ChannelId"] for i in items}) == 2


def test_a_root_template_without_ids_means_releases_ignores_ids(octosim, api):
    # [OC] canned 2019.7.12 root, [GO] 2020.4.0 root, [REC] 2023.1.9626 root:
    # `releases{/id}{?skip,ignoreChannelRules,take,ids}`; the 2026 [API] releases.md lists only
    # skip/take (checked §1). ASP.NET ignores a query parameter it does not know.
    sim = octosim.sim
    some = next(iter(sim.releases))
    assert "ids" in api.get("/api").json()["Links"]["Releases"]
    assert [r["Id"] for r in api.get(f"/api/releases?ids={some}").json()["Items"]] == [some]
    sim.traits.releases_by_ids = False
    assert "ids" not in api.get("/api").json()["Links"]["Releases"]
    listed = api.get(f"/api/releases?ids={some}&take=100").json()
    assert listed["TotalResults"] == len(sim.releases) > 1
