"""Runs and plans as JSON documents (HTTP) and as terminal tables (CLI) (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from coord.promotion.model import RollbackStatus, Run, Step
from coord.promotion.planner import Plan


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def step_document(step: Step) -> dict[str, Any]:
    """One project (and tenant) of a run or plan."""
    doc: dict[str, Any] = {
        "project": step.project,
        "project_id": step.project_id,
        "tenant": step.tenant,
        "decision": step.decision.value,
        "status": step.status.value,
        "release": step.version,
        "release_id": step.release_id,
        "current_in_target": step.current_version,
        "reason": step.reason or None,
        "waits_for": list(step.needs),
        "wave": step.wave,
        "deployment": step.deployment_id,
        "task": step.task_id,
        "task_state": step.task_state,
        "waiting": step.waiting or None,
        "started": _time(step.started),
        "finished": _time(step.finished),
    }
    if step.rollback is not RollbackStatus.NONE:
        doc["rollback"] = {
            "status": step.rollback.value,
            "release": step.previous_version,
            "deployment": step.rollback_deployment_id,
            "task_state": step.rollback_task_state,
            "reason": step.rollback_reason or None,
        }
    return doc


def run_document(run: Run) -> dict[str, Any]:
    """`GET /api/promotions/{id}`: the run's state and each project's."""
    return {
        "id": run.id,
        "status": run.phase.value,
        "group": run.group,
        "from": run.source,
        "to": run.target,
        "on_failure": run.on_failure,
        "max_parallel": run.max_parallel,
        "promotion": run.promotion,
        "trigger": run.trigger,
        "requested_by": run.requested_by or None,
        "created": _time(run.created),
        "started": _time(run.started),
        "finished": _time(run.finished),
        "deadline": _time(run.deadline),
        "cancel_requested": run.cancel_requested,
        "waiting": run.waiting or None,
        "outcome": run.outcome or None,
        "projects": [step_document(step) for step in run.steps],
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    """A dry run: what a run would do, project by project, and its waves."""
    return {
        "group": plan.group,
        "from": plan.source,
        "to": plan.target,
        "waves": [list(wave) for wave in plan.waves],
        "projects": [step_document(step) for step in plan.steps],
    }


def _name(step: Step) -> str:
    return f"{step.project} ({step.tenant})" if step.tenant else step.project


def _action(step: Step) -> str:
    if step.wave is not None and step.decision.value == "deploy":
        action = f"deploy in wave {step.wave + 1}" + (f" after {', '.join(step.needs)}" if step.needs else "")
        # e.g. the same release already in flight there: decided again once it has ended
        return f"{action}; {step.waiting}" if step.waiting else action
    return f"{step.decision.value}: {step.reason}" if step.reason else step.decision.value


def plan_table(plan: Plan) -> str:
    """The plan as a table for the terminal."""
    rows = [("Project", "Release", f"In {plan.target}", "Action")]
    rows += [(_name(s), s.version or "-", s.current_version or "-", _action(s)) for s in plan.steps]
    return _table(rows)


def run_table(run: Run) -> str:
    """The run's projects as a table for the terminal."""
    rows = [("Project", "Release", "Status", "Deployment", "Details")]
    for step in run.steps:
        details = step.waiting or step.reason
        if step.rollback is not RollbackStatus.NONE:
            details = f"{details}; rollback {step.rollback.value}".strip("; ")
        rows.append((_name(step), step.version or "-", step.status.value, step.deployment_id or "-", details))
    return _table(rows)


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines)
