"""Changes people make while coord works: renames (with their audit event) and deleted releases."""

from __future__ import annotations


def test_a_rename_keeps_the_id_and_slug_and_writes_a_modified_event(octosim, api):
    sim = octosim.sim
    project_id = sim.project("Checkout").id
    sim.rename_project("Checkout", "Checkout Service")
    project = api.get(f"/api/projects/{project_id}").json()
    assert (project["Name"], project["Slug"]) == ("Checkout Service", "checkout")
    environment_id = sim.rename_environment("Production", "Live")
    assert api.get(f"/api/environments/{environment_id}").json()["Name"] == "Live"
    events = api.get("/api/events", params={"eventCategories": "Modified"}).json()["Items"]
    assert [e["RelatedDocumentIds"] for e in events] == [[environment_id], [project_id]]
    assert events[1]["Message"] == "Project Checkout was renamed to Checkout Service"


def test_a_deleted_release_and_its_deployments_answer_404(octosim, api):
    sim = octosim.sim
    release_id = sim.delete_release("Identity", "1.0.0")
    assert api.get(f"/api/releases/{release_id}").status_code == 404
    assert api.get(f"/api/releases/{release_id}/deployments").status_code == 404
    assert all(d["ReleaseId"] != release_id for d in api.get("/api/deployments?take=1000").json()["Items"])
    assert all(i["ReleaseId"] != release_id for i in api.get("/api/dashboard").json()["Items"])
