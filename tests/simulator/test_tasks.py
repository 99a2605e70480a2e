"""§3 ServerTask and Holdouts 1, 3, 5, 17: tasks move on the clock to their scripted outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest


def _deploy(api, octosim, release="Catalog", version="2.3.0", env="Production"):
    sim = octosim.sim
    body = {"ReleaseId": sim.release(release, version).id, "EnvironmentId": sim.environment(env).id}
    response = api.post("/api/deployments", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_task_is_queued_then_executing_then_successful_as_the_clock_moves(octosim, api):
    dep = _deploy(api, octosim)
    task = api.get(f"/api/tasks/{dep['TaskId']}").json()
    assert (task["State"], task["IsCompleted"], task["HasBeenPickedUpByProcessor"]) == (
        "Queued",
        False,
        False,
    )
    assert task["StartTime"] is None and task["CompletedTime"] is None
    octosim.sim.clock.advance(timedelta(seconds=5))
    task = api.get(f"/api/tasks/{dep['TaskId']}").json()
    assert (task["State"], task["IsCompleted"], task["Completed"]) == ("Executing", False, "Executing...")
    octosim.sim.clock.advance(timedelta(seconds=30))
    task = api.get(f"/api/tasks/{dep['TaskId']}").json()
    assert (task["State"], task["IsCompleted"], task["FinishedSuccessfully"]) == ("Success", True, True)
    assert task["ErrorMessage"] == ""
    assert task["Duration"] == "30 seconds"


def test_deploy_tasks_are_named_deploy_and_point_back_to_their_deployment(octosim, api):
    dep = _deploy(api, octosim)
    task = api.get(dep["Links"]["Task"]).json()
    assert task["Name"] == "Deploy"
    assert task["Arguments"] == {"DeploymentId": dep["Id"]}
    assert task["Description"] == "Deploy Catalog release 2.3.0 to Production"
    assert task["Links"]["Self"] == f"/api/tasks/{dep['TaskId']}"


def test_tasks_answer_under_api_tasks_and_the_space(octosim, api):
    dep = _deploy(api, octosim)
    assert (
        api.get(f"/api/tasks/{dep['TaskId']}").json()
        == api.get(f"/api/Spaces-1/tasks/{dep['TaskId']}").json()
    )


@pytest.mark.parametrize(
    ("outcome", "state"), [("Failed", "Failed"), ("Canceled", "Canceled"), ("TimedOut", "TimedOut")]
)
def test_scripted_outcomes_end_in_their_state_and_count_as_completed(octosim, api, outcome, state):
    octosim.sim.script_outcome(project="Catalog", environment="Production", outcome=outcome)
    dep = _deploy(api, octosim)
    octosim.sim.clock.advance(timedelta(minutes=5))
    task = api.get(f"/api/tasks/{dep['TaskId']}").json()
    assert task["State"] == state
    assert task["IsCompleted"] is True
    assert task["FinishedSuccessfully"] is False
    assert task["ErrorMessage"] != ""


def test_a_script_applies_once_then_deployments_succeed_again(octosim, api):
    octosim.sim.script_outcome(project="Catalog", outcome="Failed")
    first, second = _deploy(api, octosim), _deploy(api, octosim)
    octosim.sim.clock.advance(timedelta(minutes=5))
    assert api.get(f"/api/tasks/{first['TaskId']}").json()["State"] == "Failed"
    assert api.get(f"/api/tasks/{second['TaskId']}").json()["State"] == "Success"


def test_a_failed_task_reports_warnings_or_errors(octosim, api):
    octosim.sim.script_outcome(outcome="Failed", error_message="Step 2 failed")
    dep = _deploy(api, octosim)
    octosim.sim.clock.advance(timedelta(minutes=5))
    task = api.get(f"/api/tasks/{dep['TaskId']}").json()
    assert (task["HasWarningsOrErrors"], task["ErrorMessage"]) == (True, "Step 2 failed")


def test_cancelling_an_executing_task_passes_through_cancelling(octosim, api):
    dep = _deploy(api, octosim)
    octosim.sim.clock.advance(timedelta(seconds=5))
    task = api.post(f"/api/tasks/{dep['TaskId']}/cancel").json()
    assert (task["State"], task["IsCompleted"]) == ("Cancelling", False)
    octosim.sim.clock.advance(timedelta(seconds=2))
    task = api.get(f"/api/tasks/{dep['TaskId']}").json()
    assert (task["State"], task["IsCompleted"]) == ("Canceled", True)


def test_task_list_filters_by_ids_states_and_reports_total_counts(octosim, api):
    dep = _deploy(api, octosim)
    page = api.get(f"/api/Spaces-1/tasks?ids={dep['TaskId']},ServerTasks-1&take=300").json()
    assert {t["Id"] for t in page["Items"]} == {dep["TaskId"], "ServerTasks-1"}
    queued = api.get("/api/tasks?states=Queued").json()
    assert [t["Id"] for t in queued["Items"]] == [dep["TaskId"]]
    assert queued["TotalCounts"] == {"Queued": 1}
    assert [t["Id"] for t in api.get("/api/tasks?active=true").json()["Items"]] == [dep["TaskId"]]


def test_tasks_are_listed_newest_first(octosim, api):
    first, second = _deploy(api, octosim), _deploy(api, octosim)
    octosim.sim.clock.advance(1)
    third = _deploy(api, octosim)
    listed = [t["Id"] for t in api.get("/api/tasks?take=3").json()["Items"]]
    assert listed == [third["TaskId"], second["TaskId"], first["TaskId"]]


def test_queue_time_delays_the_start_and_expiry_times_it_out(octosim, api):
    sim = octosim.sim
    start = sim.clock.now()
    body = {
        "ReleaseId": sim.release("Catalog", "2.3.0").id,
        "EnvironmentId": sim.environment("Production").id,
        "QueueTime": (start + timedelta(hours=1)).isoformat(),
    }
    later = api.post("/api/deployments", json=body).json()
    expiring = api.post(
        "/api/deployments",
        json={
            **body,
            "QueueTimeExpiry": (start + timedelta(minutes=1)).isoformat(),
            "QueueTime": (start + timedelta(hours=2)).isoformat(),
        },
    ).json()
    sim.clock.advance(timedelta(minutes=30))
    assert api.get(f"/api/tasks/{later['TaskId']}").json()["State"] == "Queued"
    assert api.get(f"/api/tasks/{expiring['TaskId']}").json()["State"] == "TimedOut"
    assert api.get(f"/api/tasks/{expiring['TaskId']}").json()["Completed"] == "Timed out"
    sim.clock.advance(timedelta(minutes=30, seconds=10))
    assert api.get(f"/api/tasks/{later['TaskId']}").json()["State"] == "Executing"
