"""§2 and Holdouts 6-7: paging exactly like Octopus; /all returns bare arrays."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest


def test_collections_default_to_30_items_per_page(octosim, api):
    octosim.sim.deploy("Catalog", "2.3.0", "Production")
    page = api.get("/api/events").json()
    assert page["ItemsPerPage"] == 30
    assert page["ItemType"] == "Event"
    assert len(page["Items"]) == 30
    assert page["TotalResults"] > 30


def test_last_page_number_is_zero_based_and_next_is_absent_on_the_last_page(api):
    first = api.get("/api/events?take=10").json()
    assert first["NumberOfPages"] == -(-first["TotalResults"] // 10)
    assert first["LastPageNumber"] == first["NumberOfPages"] - 1
    assert "Page.Next" in first["Links"]
    last = api.get(first["Links"]["Page.Last"]).json()
    assert "Page.Next" not in last["Links"]
    assert set(last["Links"]) >= {"Self", "Template", "Page.All", "Page.Current", "Page.Last"}


def test_page_all_uses_take_2147483647(api):
    links = api.get("/api/deployments").json()["Links"]
    assert parse_qs(urlsplit(links["Page.All"]).query)["take"] == ["2147483647"]


def test_following_page_next_visits_every_item_once_and_keeps_filters(api):
    seen, url = [], "/api/events?take=7&eventCategories=DeploymentQueued,DeploymentSucceeded"
    while url:
        page = api.get(url).json()
        seen.extend(item["Id"] for item in page["Items"])
        url = page["Links"].get("Page.Next")
    everything = api.get("/api/events?take=1000&eventCategories=DeploymentQueued,DeploymentSucceeded").json()
    assert seen == [e["Id"] for e in everything["Items"]]
    assert len(seen) == len(set(seen)) == everything["TotalResults"]


def test_single_page_has_no_next_link(api):
    page = api.get("/api/projects").json()
    assert page["NumberOfPages"] == 1
    assert page["LastPageNumber"] == 0
    assert "Page.Next" not in page["Links"]


def test_empty_collection_has_no_pages(api):
    page = api.get("/api/interruptions").json()
    assert (page["TotalResults"], page["NumberOfPages"], page["LastPageNumber"], page["Items"]) == (
        0,
        0,
        -1,
        [],
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/spaces/all",
        "/api/projects/all",
        "/api/environments/all",
        "/api/lifecycles/all",
        "/api/tenants/all",
        "/api/Spaces-1/projectgroups/all",
        "/api/subscriptions/all",
    ],
)
def test_all_endpoints_return_a_bare_array(api, path):
    assert isinstance(api.get(path).json(), list)


def test_a_negative_take_is_rejected_with_an_octopus_error(api):
    response = api.get("/api/events?take=-1")
    assert response.status_code == 400
    assert response.json()["Errors"]
