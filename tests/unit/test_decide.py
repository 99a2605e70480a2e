"""The one decision about a step's target cell, made when a run is planned and again before acting.

Each branch is shown with literal values: what the target cell holds, and what coord decides.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coord.domain.records import DeploymentRecord, MatrixCell, TaskState
from coord.promotion.advance import decide_again
from coord.promotion.decide import Allowed, Candidate, Target, Verdict, decide
from coord.promotion.intents import MarkRollback, MarkStep, StartDeployment, WaitFor
from coord.promotion.model import Decision, DeploymentKind, RollbackStatus, Run, Step, StepStatus

T0 = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
PROD = Target("Environments-3", "Production")
ALLOWED = Allowed(frozenset({"Environments-3"}))
DEPLOY, ROLLBACK = DeploymentKind.DEPLOY, DeploymentKind.ROLLBACK


def held(
    version: str,
    state: TaskState = TaskState.SUCCESS,
    *,
    by: str = "alice",
    deployment: str = "Deployments-50",
    created: datetime = T0,
) -> DeploymentRecord:
    """A deployment of Checkout `version` to Production, by `by`."""
    return DeploymentRecord(
        deployment_id=deployment,
        project_id="Projects-3",
        environment_id="Environments-3",
        tenant_id=None,
        release_id=f"Releases-{version}",
        release_version=version,
        channel_id=None,
        task_id="ServerTasks-50",
        state=state,
        created=created,
        deployed_by=by,
        release_assembled=created - timedelta(days=1),
    )


def cell(latest: DeploymentRecord, last_success: DeploymentRecord | None = None) -> MatrixCell:
    success = latest if latest.finished_successfully else last_success
    return MatrixCell("Projects-3", "Environments-3", None, latest, success)


def candidate(version: str, created: datetime | None = None) -> Candidate:
    return Candidate(f"Releases-{version}", version, created)


# -- forward ------------------------------------------------------------------------------------


def test_an_empty_target_is_deployed() -> None:
    assert decide(DEPLOY, candidate("3.4.0"), None, PROD, allowed=ALLOWED).verdict is Verdict.DEPLOY


def test_an_older_release_there_is_upgraded() -> None:
    there = cell(held("3.3.0"))
    assert decide(DEPLOY, candidate("3.4.0"), there, PROD, allowed=ALLOWED).verdict is Verdict.DEPLOY


def test_the_same_release_current_there_is_skipped_as_current() -> None:
    judgement = decide(DEPLOY, candidate("3.4.0"), cell(held("3.4.0", by="bob")), PROD, allowed=ALLOWED)
    assert judgement.verdict is Verdict.CURRENT
    assert judgement.reason == "3.4.0 is already current in Production (deployed by bob)"


def test_a_newer_release_a_person_deployed_is_never_downgraded_and_both_versions_are_named() -> None:
    judgement = decide(DEPLOY, candidate("3.4.0"), cell(held("3.5.0", by="alice")), PROD, allowed=ALLOWED)
    assert judgement.verdict is Verdict.DOWNGRADE
    assert judgement.reason == "Production has 3.5.0 (deployed by alice), newer than 3.4.0: never downgraded"


def test_a_newer_release_that_failed_there_is_not_deployed_over_either() -> None:
    there = cell(held("3.5.0", TaskState.FAILED), last_success=held("3.3.0", deployment="Deployments-40"))
    assert decide(DEPLOY, candidate("3.4.0"), there, PROD, allowed=ALLOWED).verdict is Verdict.DOWNGRADE


def test_a_version_with_a_leading_zero_label_is_ordered_and_not_deployed_over_a_newer_one() -> None:
    there = cell(held("2020.05.04-01"))
    judgement = decide(DEPLOY, candidate("2020.05.03-07"), there, PROD, allowed=ALLOWED)
    assert judgement.verdict is Verdict.DOWNGRADE
    assert "newer than 2020.05.03-07" in judgement.reason


def test_a_release_whose_order_is_unknown_is_not_deployed_over() -> None:
    # Octopus's two comparers disagree on beta-10 against beta-9, and no creation times are known.
    there = cell(held("1.0.0-beta-9"))
    judgement = decide(DEPLOY, candidate("1.0.0-beta-10"), there, PROD, allowed=ALLOWED)
    assert judgement.verdict is Verdict.DOWNGRADE
    assert "cannot be ordered against 1.0.0-beta-10: not deployed over it" in judgement.reason


def test_where_versions_cannot_be_ordered_the_release_created_later_counts_as_newer() -> None:
    there = cell(held("1.0.0-beta-9"))  # its release was created a day before T0
    later = decide(DEPLOY, candidate("1.0.0-beta-10", T0), there, PROD, allowed=ALLOWED)
    earlier = decide(DEPLOY, candidate("1.0.0-beta-10", T0 - timedelta(days=2)), there, PROD, allowed=ALLOWED)
    assert later.verdict is Verdict.DEPLOY
    assert earlier.verdict is Verdict.DOWNGRADE


def test_the_same_release_queued_there_by_someone_else_is_waited_for() -> None:
    there = cell(held("3.4.0", TaskState.EXECUTING, by="bob", deployment="Deployments-61"))
    judgement = decide(DEPLOY, candidate("3.4.0"), there, PROD, allowed=ALLOWED)
    assert judgement.verdict is Verdict.WAIT
    assert judgement.reason == (
        "3.4.0 is already executing in Production (Deployments-61 by bob); "
        "waiting for it, then deciding again"
    )


def test_another_release_in_flight_there_is_waited_for() -> None:
    there = cell(held("3.5.0", TaskState.QUEUED, by="alice", deployment="Deployments-62"))
    judgement = decide(DEPLOY, candidate("3.4.0"), there, PROD, allowed=ALLOWED)
    assert judgement.verdict is Verdict.WAIT
    assert judgement.reason.startswith("3.5.0 is queued in Production (Deployments-62 by alice)")


def test_a_lifecycle_that_no_longer_offers_the_target_blocks_with_octopus_reason() -> None:
    held_back = Allowed(frozenset({"Environments-2"}), reason="the lifecycle phase 'Test' is not complete")
    judgement = decide(DEPLOY, candidate("3.4.0"), cell(held("3.3.0")), PROD, allowed=held_back)
    assert judgement.verdict is Verdict.BLOCKED
    assert judgement.reason == (
        "Octopus does not offer Production for release 3.4.0: the lifecycle phase 'Test' is not complete"
    )


def test_a_tenant_cell_is_allowed_by_the_tenant_s_promotions() -> None:
    acme = Target("Environments-3", "Production", "Tenants-1")
    by_tenant = Allowed(frozenset(), {"Tenants-1": frozenset({"Environments-3"})})
    assert decide(DEPLOY, candidate("1.0.0"), None, acme, allowed=by_tenant).verdict is Verdict.DEPLOY
    other = Target("Environments-3", "Production", "Tenants-2")
    assert decide(DEPLOY, candidate("1.0.0"), None, other, allowed=by_tenant).verdict is Verdict.BLOCKED


# -- rollback -----------------------------------------------------------------------------------


def test_a_rollback_goes_ahead_while_the_run_s_deployment_is_still_the_latest() -> None:
    ours = held("3.4.0", TaskState.FAILED, by="coord", deployment="Deployments-70")
    there = cell(ours, last_success=held("3.3.0", deployment="Deployments-40"))
    judgement = decide(ROLLBACK, candidate("3.3.0"), there, PROD, run_deployment="Deployments-70")
    assert judgement.verdict is Verdict.DEPLOY


def test_a_rollback_never_overwrites_what_someone_deployed_after_the_run() -> None:
    theirs = held("3.5.0", by="alice", deployment="Deployments-71")
    judgement = decide(ROLLBACK, candidate("3.3.0"), cell(theirs), PROD, run_deployment="Deployments-70")
    assert judgement.verdict is Verdict.CHANGED
    assert judgement.reason == "not rolled back: changed since by alice (3.5.0, Deployments-71)"


def test_a_rollback_someone_already_did_is_not_done_twice() -> None:
    back = held("3.3.0", by="bob", deployment="Deployments-72")
    judgement = decide(ROLLBACK, candidate("3.3.0"), cell(back), PROD, run_deployment="Deployments-70")
    assert judgement.verdict is Verdict.CURRENT
    assert judgement.reason == "Production is back at 3.3.0 already (deployed by bob)"


def test_a_rollback_waits_until_the_run_s_deployment_has_ended_and_is_seen() -> None:
    running = held("3.4.0", TaskState.EXECUTING, by="coord", deployment="Deployments-70")
    assert decide(
        ROLLBACK, candidate("3.3.0"), cell(running), PROD, run_deployment="Deployments-70"
    ).verdict is (Verdict.WAIT)
    assert decide(ROLLBACK, candidate("3.3.0"), None, PROD, run_deployment="Deployments-70").verdict is (
        Verdict.WAIT
    )


# -- the same decision, made again by the state machine -----------------------------------------


def step(**changes: object) -> Step:
    base = Step(
        key="Projects-3",
        project_id="Projects-3",
        project="Checkout",
        tenant_id=None,
        tenant=None,
        decision=Decision.DEPLOY,
        release_id="Releases-3.4.0",
        version="3.4.0",
        previous_release_id="Releases-3.3.0",
        previous_version="3.3.0",
    )
    return base.evolve(**changes)


def run_of(*steps: Step) -> Run:
    return Run(
        id="run-1",
        group="shop",
        source_id="Environments-2",
        source="Staging",
        target_id="Environments-3",
        target="Production",
        on_failure="rollback",
        created=T0,
        steps=steps,
    )


@pytest.mark.parametrize(
    ("there", "expected"),
    [
        (None, StartDeployment("Projects-3", DEPLOY, "Releases-3.4.0")),
        (
            cell(held("3.4.0")),
            MarkStep(
                "Projects-3",
                StepStatus.SKIPPED,
                "3.4.0 is already current in Production (deployed by alice)",
                Decision.CURRENT,
            ),
        ),
        (
            cell(held("3.5.0")),
            MarkStep(
                "Projects-3",
                StepStatus.SKIPPED,
                "Production has 3.5.0 (deployed by alice), newer than 3.4.0: never downgraded",
                Decision.DOWNGRADE,
            ),
        ),
    ],
    ids=["deploy", "current", "downgrade"],
)
def test_deciding_again_turns_a_start_into_what_the_cell_calls_for(
    there: MatrixCell | None, expected: object
) -> None:
    planned = step()
    assert decide_again(run_of(planned), planned, DEPLOY, there, ALLOWED) == expected


def test_deciding_again_waits_for_the_same_release_in_flight_and_names_the_step() -> None:
    planned = step()
    there = cell(held("3.4.0", TaskState.QUEUED, by="bob"))
    intent = decide_again(run_of(planned), planned, DEPLOY, there, ALLOWED)
    assert isinstance(intent, WaitFor) and intent.step_key == "Projects-3"


def test_deciding_again_blocks_when_the_lifecycle_no_longer_allows_it() -> None:
    planned = step()
    intent = decide_again(run_of(planned), planned, DEPLOY, None, Allowed())
    assert isinstance(intent, MarkStep)
    assert (intent.status, intent.decision) == (StepStatus.BLOCKED, Decision.BLOCKED)


def test_a_rollback_decided_again_over_a_later_hand_deployment_is_skipped_with_who() -> None:
    failed = step(status=StepStatus.FAILED, deployment_id="Deployments-70")
    theirs = cell(held("3.5.0", by="alice", deployment="Deployments-71"))
    intent = decide_again(run_of(failed), failed, ROLLBACK, theirs, None)
    assert intent == MarkRollback(
        "Projects-3",
        RollbackStatus.SKIPPED,
        "not rolled back: changed since by alice (3.5.0, Deployments-71)",
    )


def test_a_dependency_now_at_a_version_its_constraint_refuses_blocks_the_dependent() -> None:
    # Storefront needs Checkout >= 3.2; someone has since put Checkout 3.1.0 back in Production.
    storefront = step(key="Projects-4", project_id="Projects-4", project="Storefront")
    run = run_of(storefront).evolve(constraints={"Storefront": (("Projects-3", "Checkout", ">= 3.2"),)})
    checkout_now = [cell(held("3.1.0", by="bob"))]
    intent = decide_again(run, storefront, DEPLOY, None, ALLOWED, target_cells=checkout_now)
    assert intent == MarkStep(
        "Projects-4",
        StepStatus.BLOCKED,
        "needs Checkout >= 3.2; Checkout is 3.1.0 in Production",
        Decision.BLOCKED,
    )
    holding = [cell(held("3.2.0.1"))]
    assert isinstance(
        decide_again(run, storefront, DEPLOY, None, ALLOWED, target_cells=holding), StartDeployment
    )
