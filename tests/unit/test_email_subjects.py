"""Subjects that say what changed, for "all deployed" and promotion emails."""

from __future__ import annotations

from datetime import UTC, datetime

from coord.alldeployed.completion import changes_since, completion_keys
from coord.alldeployed.email import all_deployed_subject
from coord.promotion.email import outcome_subject
from coord.promotion.model import StepStatus
from tests.fixtures.pages import CONFIG, promotion_run
from tests.unit.test_report_world import CATALOGUE, Deployments

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)


def production(identity: str = "3.2.0", catalog: str = "2.5.0", acme: str = "1.9.0", globex: str = "1.9.0"):
    d = Deployments()
    d.add("Identity", "Production", identity, T0)
    d.add("Catalog", "Production", catalog, T0)
    d.add("Payments", "Production", acme, T0, tenant="Acme")
    d.add("Payments", "Production", globex, T0, tenant="Globex")
    return next(c for c in completion_keys(CONFIG, d.matrix(), CATALOGUE) if c.environment == "Production")


def announced(completion):
    return {(e.project_id, e.tenant_id): e.version for e in completion.entries}


def test_the_first_notice_lists_the_set() -> None:
    completion = production()
    assert changes_since(None, completion) == ()
    assert all_deployed_subject(completion) == (
        "shop is deployed to Production: Catalog 2.5.0, Identity 3.2.0, Payments 1.9.0"
    )


def test_one_project_that_changed_is_named_with_its_version() -> None:
    before = announced(production(catalog="2.4.0"))
    now = production()
    changes = changes_since(before, now)
    assert [(c.entry.project, c.previous) for c in changes] == [("Catalog", "2.4.0")]
    assert all_deployed_subject(now, changes) == "Catalog 2.5.0 completes shop in Production"


def test_tenants_moving_together_are_one_change_and_several_changes_are_counted() -> None:
    before = announced(production(identity="3.1.0", catalog="2.4.0", acme="1.8.0", globex="1.8.0"))
    now = production()
    subject = all_deployed_subject(now, changes_since(before, now))
    assert (
        subject
        == "Identity 3.2.0, Catalog 2.5.0 and Payments 1.9.0 for Acme, Globex complete shop in Production"
    )
    before = announced(production(acme="1.8.0"))
    assert all_deployed_subject(now, changes_since(before, now)) == (
        "Payments 1.9.0 for Acme completes shop in Production"
    )


def test_two_notices_for_different_changes_have_different_subjects() -> None:
    first, second = production(catalog="2.4.0"), production()
    base = announced(production(identity="3.1.0", catalog="2.4.0"))
    one = all_deployed_subject(first, changes_since(base, first))
    two = all_deployed_subject(second, changes_since(announced(first), second))
    assert (
        one == "Identity 3.2.0 completes shop in Production"
        and two == "Catalog 2.5.0 completes shop in Production"
    )


def test_a_promotion_subject_names_what_failed_else_what_was_deployed() -> None:
    run = promotion_run()
    assert outcome_subject(run) == (
        f"Promotion shop Staging → Production rolled back: Catalog {run.steps[1].version} failed"
    )
    deployed = run.evolve(
        steps=tuple(s.evolve(status=StepStatus.SUCCEEDED, version=f"{n}.0") for n, s in enumerate(run.steps))
    )
    assert outcome_subject(deployed).endswith(": Identity 0.0, Catalog 1.0 and 2 more deployed")
    nothing = run.evolve(steps=tuple(s.evolve(status=StepStatus.SKIPPED) for s in run.steps))
    assert outcome_subject(nothing).endswith(": nothing to deploy")
