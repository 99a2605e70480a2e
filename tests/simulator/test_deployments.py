"""§4 and Holdouts 8, 10, 14-16: creating deployments under lifecycle rules; template and progression."""

from __future__ import annotations

from datetime import timedelta


def _ids(sim, project, version, env):
    return {"ReleaseId": sim.release(project, version).id, "EnvironmentId": sim.environment(env).id}


def test_post_deployments_returns_201_with_the_full_resource_and_its_task(octosim, api):
    response = api.post("/api/Spaces-1/deployments", json=_ids(octosim.sim, "Catalog", "2.3.0", "Production"))
    assert response.status_code == 201
    dep = response.json()
    assert dep["TaskId"].startswith("ServerTasks-")
    assert dep["Name"] == "Deploy to Production"
    assert dep["TenantId"] is None
    assert {
        "ReleaseId",
        "EnvironmentId",
        "ProjectId",
        "ChannelId",
        "Created",
        "DeployedBy",
        "SpaceId",
    } <= set(dep)


def test_comments_are_stored_and_returned(octosim, api):
    body = {**_ids(octosim.sim, "Catalog", "2.3.0", "Production"), "Comments": "coord:run-7:step-3"}
    dep = api.post("/api/deployments", json=body).json()
    assert api.get(f"/api/deployments/{dep['Id']}").json()["Comments"] == "coord:run-7:step-3"


def test_a_deployment_the_lifecycle_does_not_allow_yet_is_rejected_with_400(octosim, api):
    sim = octosim.sim
    sim.create_release("Checkout", "3.2.0")
    response = api.post("/api/deployments", json=_ids(sim, "Checkout", "3.2.0", "Production"))
    assert response.status_code == 400
    body = response.json()
    assert body["ErrorMessage"]
    assert "Production" in body["Errors"][0]
    assert "Staging" in body["Errors"][0]
    assert sim.observations.counter("deployments_created") == 0


def test_missing_fields_and_bodies_are_rejected_naming_the_field(api):
    missing = api.post("/api/deployments", json={"ReleaseId": "Releases-1"})
    assert missing.status_code == 400
    assert "EnvironmentId" in " ".join(missing.json()["Errors"])
    assert api.post("/api/deployments").status_code == 400


def test_the_template_promotes_only_to_environments_the_lifecycle_allows_now(octosim, api):
    sim = octosim.sim
    release = sim.create_release("Checkout", "3.2.0")

    def names():
        template = api.get(f"/api/releases/{release}/deployments/template").json()
        return [e["Name"] for e in template["PromoteTo"]]

    # Development is an optional phase, so Staging is reachable at once; Production waits for Staging.
    assert names() == ["Development", "Staging"]
    sim.deploy("Checkout", "3.2.0", "Staging")
    sim.clock.advance(timedelta(minutes=1))
    assert names() == ["Development", "Staging", "Production"]
    entry = api.get(f"/api/releases/{release}/deployments/template").json()["PromoteTo"][0]
    assert set(entry) == {"Id", "Name", "Links"}
    assert entry["Id"].startswith("Environments-")


def test_a_lifecycle_without_phases_follows_environment_order(octosim, api):
    sim = octosim.sim
    release = sim.create_release("Catalog", "2.4.0")
    template = api.get(f"/api/releases/{release}/deployments/template").json()
    assert [e["Name"] for e in template["PromoteTo"]] == ["Development"]


def test_a_failed_deployment_does_not_complete_a_phase(octosim, api):
    sim = octosim.sim
    release = sim.create_release("Catalog", "2.4.0")
    sim.deploy("Catalog", "2.4.0", "Development", outcome="Failed")
    sim.clock.advance(timedelta(minutes=1))
    assert [
        e["Name"] for e in api.get(f"/api/releases/{release}/deployments/template").json()["PromoteTo"]
    ] == ["Development"]


def test_minimum_zero_means_every_environment_of_the_phase(octosim, api):
    sim = octosim.sim
    sim.add_environment("Test")
    sim.add_lifecycle(
        "Both tests",
        [
            {"name": "QA", "optional": ["Development", "Test"], "minimum": 0},
            {"name": "Prod", "optional": ["Production"]},
        ],
    )
    sim.add_lifecycle(
        "Any test",
        [
            {"name": "QA", "optional": ["Development", "Test"], "minimum": 1},
            {"name": "Prod", "optional": ["Production"]},
        ],
    )
    for name, lifecycle in (("All", "Both tests"), ("One", "Any test")):
        sim.add_project(name, lifecycle=lifecycle)
        sim.create_release(name, "1.0.0")
        sim.deploy(name, "1.0.0", "Development")
    sim.clock.advance(timedelta(minutes=1))
    prod = sim.environment("Production").id
    assert api.post("/api/deployments", json=_ids(sim, "All", "1.0.0", "Production")).status_code == 400
    assert api.post("/api/deployments", json=_ids(sim, "One", "1.0.0", "Production")).status_code == 201
    assert prod


def test_release_progression_reports_phase_progress_and_next_environment_ids(octosim, api):
    sim = octosim.sim
    release = sim.release("Checkout", "3.1.0")
    prog = api.get(f"/api/releases/{release.id}/progression").json()
    assert [p["Progress"] for p in prog["Phases"]] == ["Complete", "Complete", "Current"]
    assert prog["NextDeployments"] == [sim.environment("Development").id, sim.environment("Production").id]
    assert prog["Phases"][1]["Deployments"][0]["Task"]["State"] == "Success"
    fresh = sim.create_release("Checkout", "3.3.0")
    prog = api.get(f"/api/releases/{fresh}/progression").json()
    assert [p["Progress"] for p in prog["Phases"]] == ["Complete", "Current", "Pending"]


def test_project_progression_lists_recent_releases_with_their_deployments(octosim, api):
    sim = octosim.sim
    progression = api.get(f"/api/progression/{sim.project('Identity').id}").json()
    assert [r["Release"]["Version"] for r in progression["Releases"]] == ["1.1.0", "1.0.0"]
    staging = sim.environment("Staging").id
    assert progression["Releases"][0]["Deployments"][staging][0]["State"] == "Success"
    assert api.get(f"/api/projects/{sim.project('Identity').id}/progression").json() == progression


def test_tenanted_projects_need_a_connected_tenant(octosim, api):
    sim = octosim.sim
    body = _ids(sim, "Payments", "0.9.0", "Development")
    assert api.post("/api/deployments", json=body).status_code == 400
    globex = sim.tenant("Globex").id
    assert api.post("/api/deployments", json={**body, "TenantId": globex}).status_code == 400
    ok = api.post("/api/deployments", json={**body, "TenantId": sim.tenant("Acme").id})
    assert ok.status_code == 201
    assert ok.json()["TenantId"] == sim.tenant("Acme").id
    assert (
        api.post(
            "/api/deployments", json={**_ids(sim, "Catalog", "2.3.0", "Production"), "TenantId": globex}
        ).status_code
        == 400
    )


def test_the_template_lists_per_tenant_promotions(octosim, api):
    sim = octosim.sim
    template = api.get(f"/api/releases/{sim.release('Payments', '0.9.0').id}/deployments/template").json()
    promotions = {t["Name"]: [e["Name"] for e in t["PromoteTo"]] for t in template["TenantPromotions"]}
    # Acme has Development behind it; Globex is not connected to Development, so it starts at Staging.
    assert promotions == {"Acme": ["Development", "Staging"], "Globex": ["Staging"]}


def test_deployments_are_listed_newest_first_and_filter_by_project_and_environment(octosim, api):
    sim = octosim.sim
    created = api.post("/api/deployments", json=_ids(sim, "Catalog", "2.3.0", "Production")).json()
    listed = api.get("/api/deployments").json()["Items"]
    assert listed[0]["Id"] == created["Id"]
    stamps = [d["Created"] for d in listed]
    assert stamps == sorted(stamps, reverse=True)
    identity, staging = sim.project("Identity").id, sim.environment("Staging").id
    filtered = api.get(f"/api/deployments?projects={identity}&environments={staging}").json()["Items"]
    assert [d["Name"] for d in filtered] == [
        "Deploy to Staging (#2)",
        "Deploy to Staging",
        "Deploy to Staging",
    ]


def test_project_releases_are_newest_first_and_found_by_version(octosim, api):
    identity = octosim.sim.project("Identity").id
    assert [r["Version"] for r in api.get(f"/api/projects/{identity}/releases").json()["Items"]] == [
        "1.1.0",
        "1.0.0",
    ]
    assert api.get(f"/api/projects/{identity}/releases/1.0.0").json()["Assembled"].endswith("+00:00")


def test_automatic_deployment_targets_deploy_new_releases_except_in_optional_phases(octosim, api):
    sim = octosim.sim
    sim.add_lifecycle(
        "Auto dev",
        [
            {"name": "Dev", "automatic": ["Development"]},
            {"name": "Prod", "automatic": ["Production"], "optional_phase": True},
        ],
    )
    sim.add_project("Auto", lifecycle="Auto dev")
    sim.create_release("Auto", "1.0.0")
    sim.clock.advance(timedelta(minutes=5))
    deployed = api.get(f"/api/deployments?projects={sim.project('Auto').id}").json()["Items"]
    assert [d["EnvironmentId"] for d in deployed] == [sim.environment("Development").id]


def test_release_creation_over_post_returns_201(octosim, api):
    body = {"ProjectId": octosim.sim.project("Catalog").id, "Version": "2.5.0"}
    response = api.post("/api/releases", json=body)
    assert response.status_code == 201
    assert response.json()["Version"] == "2.5.0"
    assert api.post("/api/releases", json=body).status_code == 400
