"""The promotion planner and a run's next steps, with plain values (no I/O)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord.config.fields import parse_dependency
from coord.domain.catalogue import Catalogue, EnvironmentInfo, ProjectInfo, TenantInfo
from coord.domain.records import DeploymentRecord, MatrixCell, TaskState
from coord.promotion.advance import next_steps, observe_task
from coord.promotion.decide import Allowed
from coord.promotion.intents import (
    Finish,
    MarkRollback,
    MarkStep,
    SetPhase,
    StartDeployment,
    WaitFor,
)
from coord.promotion.model import (
    Decision,
    DeploymentKind,
    RollbackStatus,
    Run,
    RunPhase,
    StepStatus,
    Window,
)
from coord.promotion.planner import PlanError, PromotionRequest, plan_promotion, releases_to_check
from coord.promotion.view import plan_table

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
STAGING, PROD = "Environments-2", "Environments-3"
_counter = iter(range(1000, 10**9))


def record(
    project: str, env: str, version: str, state: TaskState = TaskState.SUCCESS, tenant=None
) -> DeploymentRecord:
    return DeploymentRecord(
        deployment_id=f"Deployments-{next(_counter)}",
        project_id=project,
        environment_id=env,
        tenant_id=tenant,
        release_id=f"Releases-{project}-{version}",
        release_version=version,
        channel_id=None,
        task_id=f"ServerTasks-{next(_counter)}",
        state=state,
        created=NOW - timedelta(hours=1),
    )


def cell(
    project: str, env: str, version: str, state: TaskState = TaskState.SUCCESS, tenant=None, last=None
) -> MatrixCell:
    latest = record(project, env, version, state, tenant)
    success = (
        latest
        if state is TaskState.SUCCESS
        else (record(project, env, last, tenant=tenant) if last else None)
    )
    return MatrixCell(project, env, tenant, latest, success)


def catalogue(names: list[str], tenanted: dict[str, list[str]] | None = None) -> Catalogue:
    tenanted = tenanted or {}
    tenants = {}
    for project, names_of_tenants in tenanted.items():
        for tenant in names_of_tenants:
            info = tenants.get(tenant, TenantInfo(tenant, tenant, {}))
            tenants[tenant] = TenantInfo(
                tenant, tenant, {**info.project_environments, project: (STAGING, PROD)}
            )
    return Catalogue(
        projects={
            n: ProjectInfo(n, n, n.lower(), "Tenanted" if n in tenanted else "Untenanted") for n in names
        },
        environments={
            STAGING: EnvironmentInfo(STAGING, "Staging", 2),
            PROD: EnvironmentInfo(PROD, "Production", 3),
        },
        tenants=tenants,
    )


def request(names: list[str], deps: dict[str, list[str]] | None = None, **kw) -> PromotionRequest:
    graph = {n: tuple(parse_dependency(d) for d in (deps or {}).get(n, ())) for n in names}
    return PromotionRequest("shop", tuple(names), graph, STAGING, PROD, **kw)


def allow_all(req: PromotionRequest, cat: Catalogue, cells: list[MatrixCell]) -> dict[str, Allowed]:
    tenants = {t: frozenset({PROD}) for t in cat.tenants}
    return {r: Allowed(frozenset({PROD}), tenants) for r in releases_to_check(req, cat, cells)}


def plan(names, cells, deps=None, allowed=None, cat=None, **kw):
    req = request(names, deps, **kw)
    cat = cat or catalogue(names)
    return plan_promotion(req, cat, cells, allowed if allowed is not None else allow_all(req, cat, cells))


def decisions(p) -> dict[str, Decision]:
    return {s.key: s.decision for s in p.steps}


def test_a_release_already_current_in_the_target_is_skipped() -> None:
    p = plan(["A"], [cell("A", STAGING, "1.0.0"), cell("A", PROD, "1.0.0")])
    assert decisions(p) == {"A": Decision.CURRENT}
    assert p.steps[0].status is StepStatus.SKIPPED


def test_the_target_is_never_downgraded() -> None:
    p = plan(["A"], [cell("A", STAGING, "1.9.0"), cell("A", PROD, "1.10.0")])
    assert decisions(p) == {"A": Decision.DOWNGRADE}
    assert "1.10.0" in p.steps[0].reason


def test_a_failed_latest_in_the_target_of_the_same_release_is_deployed_again() -> None:
    p = plan(["A"], [cell("A", STAGING, "1.0.0"), cell("A", PROD, "1.0.0", TaskState.FAILED, last="0.9.0")])
    assert decisions(p) == {"A": Decision.DEPLOY}
    assert p.steps[0].previous_version == "0.9.0"


def test_the_release_promoted_is_the_last_success_in_the_source() -> None:
    p = plan(["A"], [cell("A", STAGING, "2.0.0", TaskState.FAILED, last="1.5.0"), cell("A", PROD, "1.0.0")])
    assert p.steps[0].version == "1.5.0"


def test_nothing_in_the_source_means_nothing_to_promote() -> None:
    p = plan(["A"], [cell("A", PROD, "1.0.0")])
    assert decisions(p) == {"A": Decision.NOTHING}


def test_a_lifecycle_block_carries_octopus_reason_and_skips_dependents() -> None:
    cells = [cell("A", STAGING, "2.0.0"), cell("B", STAGING, "2.0.0"), cell("C", STAGING, "1.0.0")]
    blocked = {
        "Releases-A-2.0.0": Allowed(frozenset({STAGING}), reason="the lifecycle phase 'Test' is not complete")
    }
    allowed = {**allow_all(request(["B", "C"]), catalogue(["B", "C"]), cells), **blocked}
    p = plan(["A", "B", "C"], cells, {"B": ["A"], "C": ["B"]}, allowed)
    steps = {s.key: s for s in p.steps}
    assert steps["A"].status is StepStatus.BLOCKED
    assert "phase 'Test'" in steps["A"].reason and "Production" in steps["A"].reason
    assert steps["B"].decision is Decision.DEPENDENCY and "A is blocked" in steps["B"].reason
    assert steps["C"].decision is Decision.DEPENDENCY and "B is skipped" in steps["C"].reason


def test_a_version_constraint_that_the_dependency_would_not_meet_blocks_with_the_reason() -> None:
    cells = [cell("Checkout", STAGING, "3.1.0"), cell("Storefront", STAGING, "5.0.0")]
    p = plan(["Checkout", "Storefront"], cells, {"Storefront": ["Checkout >= 3.2"]})
    storefront = next(s for s in p.steps if s.project == "Storefront")
    assert storefront.status is StepStatus.BLOCKED
    assert "Checkout >= 3.2" in storefront.reason and "3.1.0" in storefront.reason
    ok = plan(["Checkout", "Storefront"], cells, {"Storefront": ["Checkout >= 3.1"]})
    assert next(s for s in ok.steps if s.project == "Storefront").needs == ("Checkout",)


def test_a_dependency_outside_the_run_must_already_be_current_and_successful_in_the_target() -> None:
    cells = [
        cell("A", STAGING, "2.0.0"),
        cell("B", STAGING, "2.0.0"),
        cell("A", PROD, "1.0.0", TaskState.FAILED),
    ]
    p = plan(["A", "B"], cells, {"B": ["A"]}, selected=("B",))
    assert [s.project for s in p.steps] == ["B"]
    assert p.steps[0].status is StepStatus.BLOCKED and "needs A current and successful" in p.steps[0].reason


def test_tenanted_projects_get_a_step_per_connected_tenant() -> None:
    cat = catalogue(["P"], {"P": ["Acme", "Globex"]})
    cells = [cell("P", STAGING, "1.0.0", tenant="Acme"), cell("P", STAGING, "1.0.0", tenant="Globex")]
    p = plan(["P"], cells, cat=cat)
    assert sorted(s.key for s in p.steps) == ["P@Acme", "P@Globex"]
    assert all(s.decision is Decision.DEPLOY for s in p.steps)


def test_waves_follow_levels_and_honour_max_parallel() -> None:
    names = ["A", "B", "C", "D", "E"]
    cells = [cell(n, STAGING, "1.0.0") for n in names]
    p = plan(names, cells, {"B": ["A"], "C": ["A"], "D": ["A"], "E": ["B", "C"]}, max_parallel=2)
    assert p.waves == (("A",), ("B", "C"), ("D",), ("E",))


def test_unknown_projects_are_named() -> None:
    with pytest.raises(PlanError, match="Ghost"):
        plan(["A", "Ghost"], [], cat=catalogue(["A"]))


# --- next steps ----------------------------------------------------------------------------


def run_of(p, **kw) -> Run:
    return Run(
        id="r1",
        group="shop",
        source_id=STAGING,
        source="Staging",
        target_id=PROD,
        target="Production",
        on_failure=kw.pop("on_failure", "halt"),
        created=NOW,
        steps=p.steps,
        group_project_ids=p.group_project_ids,
        dependencies=p.dependencies,
        **kw,
    )


def diamond(**kw):
    names = ["A", "B", "C", "D"]
    cells = [cell(n, STAGING, "2.0.0") for n in names] + [cell(n, PROD, "1.0.0") for n in names]
    return run_of(plan(names, cells, {"B": ["A"], "C": ["A"], "D": ["B", "C"]}), **kw)


def starts(intents) -> list[str]:
    return [i.step_key for i in intents if isinstance(i, StartDeployment)]


def apply(run: Run, intents, outcome: dict[str, str] | None = None) -> Run:
    """What the runner would store: starts become running, then the task reaches `outcome`."""
    for intent in intents:
        if isinstance(intent, StartDeployment):
            step = run.step(intent.step_key)
            if intent.kind is DeploymentKind.DEPLOY:
                step = step.evolve(
                    status=StepStatus.RUNNING, deployment_id=f"D-{step.key}", task_id=f"T-{step.key}"
                )
            else:
                step = step.evolve(rollback=RollbackStatus.RUNNING, rollback_deployment_id=f"R-{step.key}")
            run = run.with_step(step)
        elif isinstance(intent, MarkStep):
            run = run.with_step(run.step(intent.step_key).evolve(status=intent.status, reason=intent.reason))
        elif isinstance(intent, MarkRollback):
            run = run.with_step(run.step(intent.step_key).evolve(rollback=intent.status))
        elif isinstance(intent, SetPhase | Finish):
            run = run.evolve(phase=intent.phase)
    return run


def finish_running(run: Run, outcome: dict[str, str] | None = None) -> Run:
    for step in run.steps:
        kind = DeploymentKind.ROLLBACK if step.rollback is RollbackStatus.RUNNING else DeploymentKind.DEPLOY
        if step.in_flight:
            state = (outcome or {}).get(step.key, "Success") if kind is DeploymentKind.DEPLOY else "Success"
            run = run.with_step(
                observe_task(step, kind, state=state, error_message="", interruptions=(), now=NOW)
            )
    return run


def test_dependents_wait_for_all_their_dependencies() -> None:
    run = diamond()
    intents = next_steps(run, [], NOW)
    assert isinstance(intents[0], SetPhase) and starts(intents) == ["A"]
    run = finish_running(apply(run, intents))
    intents = next_steps(run, [], NOW)
    assert sorted(starts(intents)) == ["B", "C"]
    run = apply(run, intents)
    run = run.with_step(
        observe_task(
            run.step("B"), DeploymentKind.DEPLOY, state="Success", error_message="", interruptions=(), now=NOW
        )
    )
    assert starts(next_steps(run, [], NOW)) == []  # D still waits for C
    run = finish_running(run)
    intents = next_steps(run, [], NOW)
    assert starts(intents) == ["D"]
    run = finish_running(apply(run, intents))
    assert next_steps(run, [], NOW)[-1] == Finish(RunPhase.SUCCEEDED, "4 succeeded")


def test_another_deployment_to_the_target_of_a_group_project_holds_every_start() -> None:
    run = diamond()
    busy = cell("B", PROD, "1.5.0", TaskState.EXECUTING, last="1.0.0")
    intents = next_steps(run, [busy], NOW)
    assert starts(intents) == []
    assert any(isinstance(i, WaitFor) and busy.latest.deployment_id in i.reason for i in intents)
    other_group = replace(busy, project_id="Elsewhere")
    assert starts(next_steps(run, [other_group], NOW)) == ["A"]


def test_nothing_starts_inside_a_deny_window() -> None:
    run = diamond(windows=(Window("0 18 * * *", timedelta(hours=2)),), zone="UTC")
    intents = next_steps(run, [], NOW)
    assert starts(intents) == [] and any(
        isinstance(i, WaitFor) and "deny window" in i.reason for i in intents
    )
    assert starts(next_steps(run, [], NOW + timedelta(hours=2))) == ["A"]


def test_max_parallel_limits_deployments_in_flight() -> None:
    names = ["A", "B", "C"]
    cells = [cell(n, STAGING, "2.0.0") for n in names]
    run = run_of(plan(names, cells), max_parallel=2)
    assert starts(next_steps(run, [], NOW)) == ["A", "B"]


def test_halt_lets_running_ones_end_and_starts_nothing_else() -> None:
    run = diamond()
    run = finish_running(apply(run, next_steps(run, [], NOW)))
    run = apply(run, next_steps(run, [], NOW))  # B and C running
    run = run.with_step(
        observe_task(
            run.step("B"),
            DeploymentKind.DEPLOY,
            state="Failed",
            error_message="boom",
            interruptions=(),
            now=NOW,
        )
    )
    intents = next_steps(run, [], NOW)
    assert SetPhase(RunPhase.HALTING, "B: deployment failed: boom") in intents
    assert MarkStep("D", StepStatus.SKIPPED, "B failed: deployment failed: boom") in intents
    assert not any(isinstance(i, Finish) for i in intents)  # C still runs
    run = finish_running(apply(run, intents))
    assert next_steps(run, [], NOW)[-1].phase is RunPhase.FAILED


def test_a_cancel_starts_nothing_further_and_ends_canceled() -> None:
    run = diamond()
    run = apply(run, next_steps(run, [], NOW)).evolve(cancel_requested=True)
    intents = next_steps(run, [], NOW)
    assert {i.step_key for i in intents if isinstance(i, MarkStep)} == {"B", "C", "D"}
    run = finish_running(apply(run, intents))
    assert next_steps(run, [], NOW)[-1].phase is RunPhase.CANCELED


def test_a_waiting_manual_intervention_is_shown() -> None:
    run = diamond()
    run = apply(run, next_steps(run, [], NOW))
    step = observe_task(
        run.step("A"),
        DeploymentKind.DEPLOY,
        state="Executing",
        error_message="",
        interruptions=("ManualIntervention",),
        now=NOW,
    )
    assert step.status is StepStatus.RUNNING and "manual intervention" in step.waiting


# --- properties over any dependency graph --------------------------------------------------


@st.composite
def dags(draw):
    size = draw(st.integers(min_value=1, max_value=9))
    names = [f"P{i}" for i in range(size)]
    deps = {}
    for i, name in enumerate(names):
        if i:
            deps[name] = sorted(set(draw(st.lists(st.sampled_from(names[:i]), max_size=3))))
    order = draw(st.permutations(names))  # the group lists projects in any order
    fail = draw(st.one_of(st.none(), st.sampled_from(names)))
    parallel = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=3)))
    return list(order), deps, fail, parallel


def simulate(run: Run, fail: str | None) -> tuple[Run, list[tuple[str, str]]]:
    """Drive a run with next_steps, finishing every task at once; the order of (kind, step) starts."""
    started: list[tuple[str, str]] = []
    for _ in range(100):
        intents = next_steps(run, [], NOW)
        started += [(i.kind.value, i.step_key) for i in intents if isinstance(i, StartDeployment)]
        run = finish_running(apply(run, intents), {fail: "Failed"} if fail else None)
        if run.phase.is_terminal:
            return run, started
    raise AssertionError("the run did not end")


@settings(max_examples=150, deadline=None)
@given(dags(), st.sampled_from(["halt", "rollback"]))
def test_no_project_starts_before_its_dependencies_and_rollback_goes_in_reverse(case, on_failure) -> None:
    names, deps, fail, parallel = case
    cells = [cell(n, STAGING, "2.0.0") for n in names] + [cell(n, PROD, "1.0.0") for n in names]
    run = run_of(
        plan(names, cells, deps, max_parallel=parallel), on_failure=on_failure, max_parallel=parallel
    )
    run, started = simulate(run, fail)
    deployed = [key for kind, key in started if kind == "deploy"]
    assert len(deployed) == len(set(deployed))  # each step at most once
    for key in deployed:
        for need in deps.get(key, []):
            assert need in deployed and deployed.index(need) < deployed.index(key)
    if fail is None:
        assert run.phase is RunPhase.SUCCEEDED
        assert sorted(deployed) == sorted(names)
        return
    assert fail in deployed
    if on_failure == "halt":
        assert run.phase is RunPhase.FAILED
        assert not [k for kind, k in started if kind == "rollback"]
        return
    assert run.phase is RunPhase.ROLLED_BACK
    rolled = [key for kind, key in started if kind == "rollback"]
    assert sorted(rolled) == sorted(deployed)  # every changed project, the failed one included
    for key in rolled:
        for need in deps.get(key, []):
            if need in rolled:
                assert rolled.index(key) < rolled.index(need)  # dependents first


def test_a_run_past_its_deadline_ends_timed_out_naming_what_still_runs() -> None:
    run = diamond(deadline=NOW + timedelta(hours=6))
    run = apply(run, next_steps(run, [], NOW))  # A is deploying
    assert not any(isinstance(i, Finish) for i in next_steps(run, [], NOW + timedelta(hours=5)))
    intents = next_steps(run, [], NOW + timedelta(hours=6))
    marked = {i.step_key: i.status for i in intents if isinstance(i, MarkStep)}
    assert marked == {"B": StepStatus.NOT_STARTED, "C": StepStatus.NOT_STARTED, "D": StepStatus.NOT_STARTED}
    finish = intents[-1]
    assert isinstance(finish, Finish) and finish.phase is RunPhase.TIMED_OUT
    assert "still running in Octopus: A" in finish.outcome
    assert RunPhase.TIMED_OUT.is_terminal


def test_the_same_release_in_flight_in_the_target_is_planned_to_wait_then_decide_again() -> None:
    cells = [cell("A", STAGING, "2.0.0"), cell("A", PROD, "2.0.0", TaskState.EXECUTING, last="1.0.0")]
    cells[1] = replace(cells[1], latest=replace(cells[1].latest, release_id=cells[0].latest.release_id))
    (step,) = plan(["A"], cells).steps
    assert (step.decision, step.status) == (Decision.DEPLOY, StepStatus.PLANNED)
    assert step.waiting.startswith("2.0.0 is already executing in Production")


def test_the_dry_run_table_says_a_step_waits_for_the_same_release_in_flight() -> None:
    cells = [cell("A", STAGING, "2.0.0"), cell("A", PROD, "2.0.0", TaskState.QUEUED, last="1.0.0")]
    cells[1] = replace(cells[1], latest=replace(cells[1].latest, release_id=cells[0].latest.release_id))
    row = plan_table(plan(["A"], cells)).splitlines()[1]
    assert "deploy in wave 1; 2.0.0 is already queued in Production" in row
