"""What to do with one step's target cell, decided from what the cell holds now (pure).

`decide` is the one decision: the planner makes it for every step when a run is planned, and
the runner makes it again from the freshest state of the target cell immediately before each
deployment it creates (forward or rollback), because Octopus does not stand still meanwhile:
people deploy by hand, releases are deleted, lifecycles change.

Forward, for the release a step would deploy:
- the same release queued or running there: WAIT for it, then decide again;
- another deployment queued or running there: WAIT for it, then decide again;
- the same release current and successful there: CURRENT (skipped);
- a newer release there, or one whose order against it cannot be established: DOWNGRADE
  (skipped, naming both versions and who deployed);
- Octopus's lifecycle does not offer the target for the release: BLOCKED;
- otherwise DEPLOY.

Rollback, for the release the target had before the run: only if the run's own deployment is
still the latest there. If someone deployed after it, CHANGED: not rolled back, naming who.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from coord.domain.records import DeploymentRecord, MatrixCell
from coord.domain.versions import Order, VersionConstraint, VersionError, order_releases
from coord.promotion.model import Decision, DeploymentKind, Step, StepStatus


class Verdict(StrEnum):
    """The outcome of a decision about one target cell."""

    DEPLOY = "deploy"
    CURRENT = "current"
    DOWNGRADE = "downgrade"
    WAIT = "wait"
    BLOCKED = "blocked"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Judgement:
    """A verdict and the sentence that explains it to a person."""

    verdict: Verdict
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """The release a step would deploy: its id, version and when Octopus created it."""

    release_id: str
    version: str
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class Allowed:
    """Where Octopus lets a release go now (deployments/template, octopus-api.md §4), and why not."""

    environments: frozenset[str] = frozenset()
    tenants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    reason: str = ""  # what holds the release back, e.g. the lifecycle phase still to complete

    def allows(self, environment_id: str, tenant_id: str | None) -> bool:
        """Whether the release may be deployed to the environment (for the tenant) now."""
        # Tenanted: the CLI reads TenantPromotions[].PromoteTo (octopus-api.md §4).
        if tenant_id is not None:
            return environment_id in self.tenants.get(tenant_id, frozenset())
        return environment_id in self.environments


@dataclass(frozen=True, slots=True)
class Constraint:
    """A version a project needs of another before it deploys: `Checkout >= 3.2` (coord.yaml)."""

    project_id: str
    project: str
    versions: str  # the constraint as written, e.g. `>= 3.2`


def unmet_constraint(
    constraints: Iterable[Constraint], cells: Iterable[MatrixCell], target: Target
) -> str | None:
    """Why a dependency's version in the target now fails a constraint, or None when all hold.

    Made again before a deployment: someone may have deployed another version of the dependency
    since the plan checked it. Only current and successful deployments there count.
    """
    cells = list(cells)
    for constraint in constraints:
        rule = VersionConstraint.parse(constraint.versions)
        there = [
            c.latest.release_version
            for c in cells
            if c.project_id == constraint.project_id
            and c.environment_id == target.environment_id
            and c.is_current_success
        ]
        failing = sorted({v for v in there if not _allows(rule, v)})
        if failing:
            return (
                f"needs {constraint.project} {constraint.versions}; {constraint.project} is "
                f"{', '.join(failing)} in {target.environment}"
            )
    return None


def _allows(rule: VersionConstraint, version: str) -> bool:
    try:
        return rule.allows(version)
    except VersionError:
        return False


@dataclass(frozen=True, slots=True)
class Target:
    """The cell a step deploys to: the environment (id and name) and the tenant."""

    environment_id: str
    environment: str
    tenant_id: str | None = None


def decide(
    kind: DeploymentKind,
    candidate: Candidate,
    cell: MatrixCell | None,
    target: Target,
    *,
    allowed: Allowed | None = None,
    run_deployment: str | None = None,
) -> Judgement:
    """What to do about deploying `candidate` to the target cell, given what the cell holds now.

    `allowed` is Octopus's deployment template of the candidate (forward only; None: not asked).
    `run_deployment` is the run's own deployment to the cell (rollback only).
    """
    if kind is DeploymentKind.ROLLBACK:
        return _decide_rollback(candidate, cell, target, run_deployment)
    latest = cell.latest if cell is not None else None
    if latest is not None and not latest.is_completed:
        return Judgement(Verdict.WAIT, _in_flight(latest, candidate, target))
    if latest is not None and latest.release_id == candidate.release_id and latest.finished_successfully:
        return Judgement(
            Verdict.CURRENT, f"{candidate.version} is already current in {target.environment}{_by(latest)}"
        )
    downgrade = _downgrade(candidate, cell, target)
    if downgrade is not None:
        return downgrade
    if allowed is not None and not allowed.allows(target.environment_id, target.tenant_id):
        why = allowed.reason or "the lifecycle does not allow it yet"
        return Judgement(
            Verdict.BLOCKED,
            f"Octopus does not offer {target.environment} for release {candidate.version}: {why}",
        )
    return Judgement(Verdict.DEPLOY)


def candidate_of(step: Step, kind: DeploymentKind) -> Candidate:
    """The release a step deploys: the promoted one, or for a rollback the one `to` had before."""
    if kind is DeploymentKind.ROLLBACK:
        return Candidate(step.previous_release_id or "", step.previous_version or "", step.previous_created)
    return Candidate(step.release_id or "", step.version or "", step.release_created)


_SKIPS = {
    Verdict.CURRENT: Decision.CURRENT,
    Verdict.DOWNGRADE: Decision.DOWNGRADE,
}


def step_after(step: Step, judgement: Judgement) -> Step:
    """The (forward) step as the judgement leaves it: planned, waiting, skipped or blocked."""
    verdict = judgement.verdict
    if verdict is Verdict.DEPLOY:
        return step.evolve(decision=Decision.DEPLOY, status=StepStatus.PLANNED, reason="", waiting="")
    if verdict is Verdict.WAIT:
        return step.evolve(decision=Decision.DEPLOY, status=StepStatus.PLANNED, waiting=judgement.reason)
    if verdict is Verdict.BLOCKED:
        return step.evolve(decision=Decision.BLOCKED, status=StepStatus.BLOCKED, reason=judgement.reason)
    decision = _SKIPS.get(verdict, Decision.DOWNGRADE)
    return step.evolve(decision=decision, status=StepStatus.SKIPPED, reason=judgement.reason, waiting="")


def _downgrade(candidate: Candidate, cell: MatrixCell | None, target: Target) -> Judgement | None:
    """A skip when the cell holds a release newer than the candidate, or one of unknown order."""
    for held in _held(cell):
        if held.release_id == candidate.release_id:
            continue
        order = order_releases(
            candidate.version, candidate.created, held.release_version, held.release_assembled
        )
        if order is Order.NEWER:
            continue
        there = f"{target.environment} has {held.release_version}{_by(held)}"
        if order is Order.OLDER:
            return Judgement(Verdict.DOWNGRADE, f"{there}, newer than {candidate.version}: never downgraded")
        return Judgement(
            Verdict.DOWNGRADE,
            f"{there}, which cannot be ordered against {candidate.version}: not deployed over it",
        )
    return None


def _decide_rollback(
    previous: Candidate, cell: MatrixCell | None, target: Target, run_deployment: str | None
) -> Judgement:
    latest = cell.latest if cell is not None else None
    if latest is None or run_deployment is None:
        return Judgement(Verdict.WAIT, f"waiting to see the run's deployment in {target.environment}")
    if latest.deployment_id == run_deployment:
        if not latest.is_completed:
            return Judgement(Verdict.WAIT, f"waiting for {run_deployment} to end before rolling back")
        return Judgement(Verdict.DEPLOY)
    if latest.release_id == previous.release_id and latest.finished_successfully:
        return Judgement(
            Verdict.CURRENT, f"{target.environment} is back at {previous.version} already{_by(latest)}"
        )
    return Judgement(
        Verdict.CHANGED,
        f"not rolled back: changed since by {latest.deployed_by or 'someone'} "
        f"({latest.release_version}, {latest.deployment_id})",
    )


def _held(cell: MatrixCell | None) -> list[DeploymentRecord]:
    """The releases a cell holds: its latest deployment and its latest success."""
    if cell is None:
        return []
    held = [cell.latest]
    if cell.last_success is not None and cell.last_success.deployment_id != cell.latest.deployment_id:
        held.append(cell.last_success)
    return held


def _in_flight(latest: DeploymentRecord, candidate: Candidate, target: Target) -> str:
    state = latest.state.value.lower()
    what = (
        f"{candidate.version} is already {state}"
        if latest.release_id == candidate.release_id
        else f"{latest.release_version} is {state}"
    )
    who = latest.deployed_by or "someone"
    where = f"{target.environment} ({latest.deployment_id} by {who})"
    return f"{what} in {where}; waiting for it, then deciding again"


def _by(record: DeploymentRecord) -> str:
    return f" (deployed by {record.deployed_by})" if record.deployed_by else ""
