"""§3 Dashboard and Holdouts 4, 19: latest per project x environment x tenant, by Created."""

from __future__ import annotations

from datetime import timedelta


def _item(dashboard, project_id, env_id, tenant_id=None):
    found = [
        i
        for i in dashboard["Items"]
        if (i["ProjectId"], i["EnvironmentId"], i["TenantId"]) == (project_id, env_id, tenant_id)
    ]
    assert len(found) <= 1
    return found[0] if found else None


def test_dashboard_items_are_keyed_by_deployment_and_link_to_the_task_outside_the_space(api):
    dashboard = api.get("/api/dashboard").json()
    assert dashboard["Items"]
    for item in dashboard["Items"]:
        assert item["Id"] == item["DeploymentId"]
        assert item["Links"]["Task"] == f"/api/tasks/{item['TaskId']}"
    assert {"Projects", "ProjectGroups", "Environments", "Tenants", "Items", "PreviousItems"} <= set(
        dashboard
    )


def test_untenanted_items_have_null_tenant_and_tenanted_ones_their_tenant(octosim, api):
    sim = octosim.sim
    dashboard = api.get("/api/Spaces-1/dashboard").json()
    identity = _item(dashboard, sim.project("Identity").id, sim.environment("Production").id)
    assert "TenantId" in identity and identity["TenantId"] is None
    acme = _item(
        dashboard, sim.project("Payments").id, sim.environment("Development").id, sim.tenant("Acme").id
    )
    assert acme["ReleaseVersion"] == "0.9.0"


def test_there_is_one_item_per_project_environment_and_tenant_and_failed_ones_show(octosim, api):
    sim = octosim.sim
    sim.deploy("Identity", "1.1.0", "Production", outcome="Failed")
    sim.clock.advance(timedelta(minutes=1))
    dashboard = api.get("/api/dashboard").json()
    keys = [(i["ProjectId"], i["EnvironmentId"], i["TenantId"]) for i in dashboard["Items"]]
    assert len(keys) == len(set(keys))
    item = _item(dashboard, sim.project("Identity").id, sim.environment("Production").id)
    assert (item["State"], item["ReleaseVersion"], item["IsCurrent"]) == ("Failed", "1.1.0", True)
    previous = [p for p in dashboard["PreviousItems"] if p["ProjectId"] == sim.project("Identity").id]
    assert [(p["ReleaseVersion"], p["IsPrevious"], p["State"]) for p in previous] == [
        ("1.0.0", True, "Success")
    ]


def test_the_dashboard_orders_by_created_so_an_earlier_scheduled_deployment_is_not_current(octosim, api):
    sim = octosim.sim
    release = sim.release("Catalog", "2.3.0").id
    prod = sim.environment("Production").id
    scheduled = api.post(
        "/api/deployments",
        json={
            "ReleaseId": release,
            "EnvironmentId": prod,
            "QueueTime": (sim.clock.now() + timedelta(hours=1)).isoformat(),
        },
    )
    sim.clock.advance(timedelta(minutes=1))
    immediate = api.post("/api/deployments", json={"ReleaseId": release, "EnvironmentId": prod}).json()
    sim.clock.advance(timedelta(hours=2))
    item = _item(api.get("/api/dashboard").json(), sim.project("Catalog").id, prod)
    assert item["DeploymentId"] == immediate["Id"] != scheduled.json()["Id"]


def test_the_dynamic_dashboard_matches_ids_only(octosim, api):
    sim = octosim.sim
    identity = sim.project("Identity").id
    dynamic = api.get(f"/api/dashboard/dynamic?projects={identity}&environments=Staging").json()
    assert dynamic["Items"] == []
    staging = sim.environment("Staging").id
    dynamic = api.get(f"/api/dashboard/dynamic?projects={identity}&environments={staging}").json()
    assert [i["ReleaseVersion"] for i in dynamic["Items"]] == ["1.1.0"]


def test_the_dashboard_shows_running_deployments_with_their_state(octosim, api):
    sim = octosim.sim
    sim.deploy("Catalog", "2.3.0", "Production")
    sim.clock.advance(timedelta(seconds=3))
    item = _item(
        api.get("/api/dashboard").json(), sim.project("Catalog").id, sim.environment("Production").id
    )
    assert (item["State"], item["IsCompleted"], item["CompletedTime"]) == ("Executing", False, None)
