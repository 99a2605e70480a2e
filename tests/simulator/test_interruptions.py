"""§3 Interruption: a deployment waiting on a manual intervention until someone answers."""

from __future__ import annotations

from datetime import timedelta


def _waiting(octosim, api):
    sim = octosim.sim
    sim.script_outcome(project="Catalog", outcome="ManualIntervention")
    dep = api.post(
        "/api/deployments",
        json={
            "ReleaseId": sim.release("Catalog", "2.3.0").id,
            "EnvironmentId": sim.environment("Production").id,
        },
    ).json()
    sim.clock.advance(timedelta(minutes=10))
    return dep


def test_a_manual_intervention_keeps_the_task_executing_with_a_pending_interruption(octosim, api):
    dep = _waiting(octosim, api)
    task = api.get(f"/api/tasks/{dep['TaskId']}").json()
    assert (task["State"], task["HasPendingInterruptions"], task["PendingInterruptionTypes"]) == (
        "Executing",
        True,
        ["ManualIntervention"],
    )
    page = api.get(f"/api/interruptions?regarding={dep['TaskId']}&pendingOnly=true").json()
    assert page["ItemType"] == "Interruption"
    interruption = page["Items"][0]
    assert (interruption["Type"], interruption["IsPending"], interruption["TaskId"]) == (
        "ManualIntervention",
        True,
        dep["TaskId"],
    )
    assert [e["Name"] for e in interruption["Form"]["Elements"]] == ["Instructions", "Notes", "Result"]
    categories = [e["Category"] for e in api.get(f"/api/events?regarding={dep['Id']}").json()["Items"]]
    assert categories[0] == "ManualInterventionInterruptionRaised"


def test_proceed_after_taking_responsibility_lets_the_deployment_succeed(octosim, api):
    dep = _waiting(octosim, api)
    interruption = api.get(f"/api/interruptions?regarding={dep['TaskId']}").json()["Items"][0]
    assert (
        api.post(f"/api/interruptions/{interruption['Id']}/submit", json={"Result": "Proceed"}).status_code
        == 400
    )
    assert api.put(f"/api/interruptions/{interruption['Id']}/responsible").status_code == 200
    answered = api.post(
        f"/api/interruptions/{interruption['Id']}/submit", json={"Notes": "ok", "Result": "Proceed"}
    )
    assert answered.status_code == 200
    assert answered.json()["IsPending"] is False
    octosim.sim.clock.advance(timedelta(minutes=1))
    assert api.get(f"/api/tasks/{dep['TaskId']}").json()["State"] == "Success"


def test_abort_fails_the_deployment(octosim, api):
    dep = _waiting(octosim, api)
    interruption = octosim.sim.pending_interruptions(dep["TaskId"])[0]
    octosim.sim.answer_interruption(interruption, "Abort")
    task = api.get(f"/api/tasks/{dep['TaskId']}").json()
    assert (task["State"], task["HasPendingInterruptions"]) == ("Failed", False)
    assert api.get("/api/events?take=1").json()["Items"][0]["Category"] == "DeploymentFailed"


def test_a_guided_failure_waits_for_guidance_and_ignore_completes_it(octosim, api):
    sim = octosim.sim
    sim.script_outcome(outcome="GuidedFailure")
    dep = sim.create_deployment(
        {"ReleaseId": sim.release("Catalog", "2.3.0").id, "EnvironmentId": sim.environment("Production").id}
    )
    sim.clock.advance(timedelta(minutes=10))
    task = api.get(f"/api/tasks/{dep.task_id}").json()
    assert task["PendingInterruptionTypes"] == ["GuidedFailure"]
    sim.answer_interruption(sim.pending_interruptions(dep.task_id)[0], "Ignore")
    sim.clock.advance(timedelta(minutes=1))
    assert sim.task_state(dep.id) == "Success"


def test_an_answered_interruption_cannot_be_answered_again(octosim, api):
    dep = _waiting(octosim, api)
    interruption = octosim.sim.pending_interruptions(dep["TaskId"])[0]
    octosim.sim.answer_interruption(interruption)
    again = api.post(f"/api/interruptions/{interruption}/submit", json={"Result": "Abort"})
    assert again.status_code == 400
