"""§1 and Holdout 9: API keys, space-scoped URL forms, error bodies, 404s."""

from __future__ import annotations

import re

import httpx
import pytest


def test_requests_without_an_api_key_get_401_with_an_octopus_error_body(octosim):
    response = httpx.get(f"{octosim.url}/api/projects")
    assert response.status_code == 401
    assert set(response.json()) >= {"ErrorMessage", "Errors"}


def test_a_wrong_api_key_gets_401_even_on_the_root(octosim):
    assert httpx.get(f"{octosim.url}/api", headers={"X-Octopus-ApiKey": "API-WRONG"}).status_code == 401


def test_the_root_document_is_readable_without_a_key(octosim):
    root = httpx.get(f"{octosim.url}/api").json()
    assert root["Application"] == "Octopus Deploy"
    assert {"Version", "ApiVersion", "InstallationId"} <= set(root)
    assert root["Links"]["Events"].startswith("/api/events{")


def test_the_api_key_is_accepted_in_the_query_string(octosim):
    assert httpx.get(f"{octosim.url}/api/projects?apikey={octosim.api_key}").status_code == 200


def test_api_keys_look_like_octopus_keys(octosim):
    assert re.fullmatch(r"API-[A-Z\d]+", octosim.api_key)


def test_the_default_space_is_marked_in_spaces_all(api):
    spaces = api.get("/api/spaces/all").json()
    assert [s["Id"] for s in spaces if s["IsDefault"]] == ["Spaces-1"]


@pytest.mark.parametrize("prefix", ["/api", "/api/Spaces-1", "/api/spaces/Spaces-1"])
def test_space_scoped_routes_answer_in_every_url_form(api, prefix):
    assert [p["Name"] for p in api.get(f"{prefix}/projects/all").json()] == [
        "Catalog",
        "Checkout",
        "Identity",
        "Payments",
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/api/projects/Projects-999",
        "/api/tasks/ServerTasks-999",
        "/api/Spaces-1/deployments/Deployments-999",
        "/api/releases/Releases-999",
        "/api/events/Events-999999",
        "/api/Spaces-77/projects",
        "/api/nothing-here",
    ],
)
def test_unknown_ids_get_404_with_an_error_body(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["ErrorMessage"]


def test_projects_all_is_sorted_by_name_and_environments_all_by_sort_order(octosim, api):
    octosim.sim.add_environment("Hotfix", sort_order=-1)
    assert [e["Name"] for e in api.get("/api/environments/all").json()] == [
        "Hotfix",
        "Development",
        "Staging",
        "Production",
    ]
    assert [e["SortOrder"] for e in api.get("/api/environments/all").json()] == [-1, 0, 1, 2]


def test_ids_filter_accepts_comma_separated_and_repeated_values(api):
    comma = api.get("/api/projects?ids=Projects-1,Projects-3").json()["Items"]
    repeated = api.get("/api/projects?ids=Projects-1&ids=Projects-3").json()["Items"]
    assert {p["Id"] for p in comma} == {p["Id"] for p in repeated} == {"Projects-1", "Projects-3"}


def test_project_shape_has_the_octopus_field_names(api):
    project = api.get("/api/projects/Projects-4").json()
    assert project["TenantedDeploymentMode"] == "Tenanted"
    assert {"Id", "Name", "Slug", "ProjectGroupId", "LifecycleId", "IsDisabled", "SpaceId", "Links"} <= set(
        project
    )
    assert api.get("/api/projects/payments").json()["Id"] == "Projects-4"


def test_tenants_carry_project_environments(octosim, api):
    sim = octosim.sim
    acme = api.get("/api/tenants/all").json()[0]
    assert acme["Name"] == "Acme"
    assert acme["ProjectEnvironments"] == {
        sim.project("Payments").id: [sim.environment(n).id for n in ("Development", "Staging", "Production")]
    }
    assert [
        t["Name"] for t in api.get(f"/api/tenants?projectId={sim.project('Payments').id}").json()["Items"]
    ] == ["Acme", "Globex"]


def test_lifecycle_phases_have_the_octopus_field_names(api):
    lifecycle = api.get("/api/lifecycles/all").json()[1]
    phase = lifecycle["Phases"][0]
    assert {
        "AutomaticDeploymentTargets",
        "OptionalDeploymentTargets",
        "MinimumEnvironmentsBeforePromotion",
        "IsOptionalPhase",
    } <= set(phase)
    assert api.get("/api/lifecycles/all").json()[0]["Phases"] == []


# -- keys with fewer permissions -------------------------------------------------------------------


def test_a_key_without_a_permission_gets_403_naming_it_as_octopus_does(octosim):
    key = octosim.sim.access.add_key(permissions=["ProjectView", "ReleaseView", "DeploymentView"])
    release = octosim.sim.release("Identity", "1.1.0").id
    environment = octosim.sim.environment("Production").id
    with httpx.Client(base_url=octosim.url, headers={"X-Octopus-ApiKey": key}) as limited:
        assert limited.get("/api/projects/all").status_code == 200
        refused = limited.post("/api/deployments", json={"ReleaseId": release, "EnvironmentId": environment})
    assert refused.status_code == 403
    body = refused.json()
    assert body["ErrorMessage"] == (
        "You do not have permission to perform this action. Please contact your Octopus administrator. "
        "Missing permission: DeploymentCreate"
    )
    assert "DeploymentCreate" in body["HelpText"]
    assert octosim.sim.observations.counter("deployments_created") == 0


def test_users_me_is_the_key_s_user_and_its_permissions_are_listed_per_space(octosim):
    key = octosim.sim.access.add_key(username="coord", permissions=["ProjectView", "TaskView"])
    with httpx.Client(base_url=octosim.url, headers={"X-Octopus-ApiKey": key}) as limited:
        me = limited.get("/api/users/me").json()
        link = me["Links"]["Permissions"].split("{")[0]
        permissions = limited.get(link, params={"spaces": "Spaces-1", "includeSystem": "true"}).json()
    assert me["Username"] == "coord" and me["IsService"] is True
    assert set(permissions["SpacePermissions"]) == {"ProjectView", "TaskView"}
    (grant,) = permissions["SpacePermissions"]["TaskView"]
    assert grant["SpaceId"] == "Spaces-1" and grant["RestrictedToProjectIds"] == []


def test_a_permission_taken_away_is_refused_from_then_on(octosim, api):
    assert api.get("/api/events").status_code == 200
    octosim.sim.access.deny(octosim.api_key, "EventView")
    refused = api.get("/api/events")
    assert refused.status_code == 403
    assert refused.json()["ErrorMessage"].endswith("Missing permission: EventView")


def test_a_revoked_key_gets_401_everywhere(octosim, api):
    octosim.sim.access.revoke(octosim.api_key)
    assert api.get("/api/projects/all").status_code == 401
    assert api.get("/api/users/me").status_code == 401
