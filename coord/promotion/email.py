"""The outcome email of a promotion run: subject, HTML and text, project by project.

The subject says what changed (which releases were deployed, or which failed); every time is in
the configured zone with its abbreviation, and every deployment links into Octopus. Values that
come from Octopus or the configuration are escaped by the templates (coord/rendering/).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from coord.domain.links import Links
from coord.mail.message import Message
from coord.promotion.model import RollbackStatus, Run, RunPhase, Step, StepStatus

if TYPE_CHECKING:
    from coord.config import CoordConfig

_WORDS = {
    RunPhase.SUCCEEDED: "succeeded",
    RunPhase.FAILED: "failed",
    RunPhase.ROLLED_BACK: "rolled back",
    RunPhase.CANCELED: "canceled",
    RunPhase.TIMED_OUT: "timed out",
}
_LISTED = 2  # projects named in a subject before "and N more"
# Each step status as the state whose word and colour the badge shows (coord/rendering/templating.py).
_STEP_STATES = {
    StepStatus.PLANNED: "Pending",
    StepStatus.STARTING: "Queued",
    StepStatus.RUNNING: "Executing",
    StepStatus.SUCCEEDED: "Success",
    StepStatus.FAILED: "Failed",
    StepStatus.SKIPPED: "Skipped",
    StepStatus.BLOCKED: "Blocked",
    StepStatus.NOT_STARTED: "NotStarted",
}


def email_key(run_id: str) -> str:
    """The once-only key of a run's outcome email."""
    return f"promotion:{run_id}"


def outcome_message(run: Run, config: CoordConfig, links: Links | None = None) -> Message | None:
    """The run's outcome email, or None when coord.yaml names no recipients for promotions."""
    notify = config.notify.promotions if config.notify else None
    if notify is None or config.mail is None:
        return None
    return Message(
        key=email_key(run.id),
        sender=config.mail.sender,
        to=tuple(notify.to),
        subject=outcome_subject(run),
        html=render_html(run, links),
        text=render_text(run, links),
    )


def outcome_word(run: Run) -> str:
    return _WORDS.get(run.phase, run.phase.value.lower())


def outcome_subject(run: Run) -> str:
    """`Promotion shop Staging → Production rolled back: Storefront 5.2.2 failed`."""
    head = f"Promotion {run.group} {run.source} → {run.target} {outcome_word(run)}"
    for status, verb in ((StepStatus.FAILED, "failed"), (StepStatus.SUCCEEDED, "deployed")):
        named = [f"{_name(step)} {step.version}" for step in run.steps if step.status is status]
        if named:
            listed = ", ".join(named[:_LISTED])
            if len(named) == _LISTED + 1:
                listed += f" and {named[-1]}"
            elif len(named) > _LISTED:
                listed += f" and {len(named) - _LISTED} more"
            return f"{head}: {listed} {verb}"
    blocked = sum(step.status is StepStatus.BLOCKED for step in run.steps)
    return f"{head}: {blocked} blocked" if blocked else f"{head}: nothing to deploy"


def step_line(step: Step) -> str:
    """What happened to one project (and tenant), in words."""
    parts = [step.status.value]
    if step.version:
        parts.append(step.version)
    if step.deployment_id:
        parts.append(f"({step.deployment_id})")
    if step.reason:
        parts.append(f"- {step.reason}")
    if step.rollback is not RollbackStatus.NONE:
        back = f"rollback to {step.previous_version}" if step.previous_version else "rollback"
        parts.append(f"; {back}: {step.rollback.value}")
        if step.rollback_reason:
            parts.append(f"({step.rollback_reason})")
    return " ".join(parts)


def _name(step: Step) -> str:
    return f"{step.project} ({step.tenant})" if step.tenant else step.project


def _context(run: Run, links: Links | None) -> dict[str, object]:
    return {
        "run": run,
        "zone": ZoneInfo(run.zone),
        "links": links or Links(),
        "word": outcome_word(run),
        "subject": outcome_subject(run),
        "phase_state": run.phase.value,
        "step_states": {status.value: state for status, state in _STEP_STATES.items()},
        "step_name": _name,
        "step_line": step_line,
    }


def render_text(run: Run, links: Links | None = None) -> str:
    """The plain-text part."""
    from coord.rendering.templating import render  # noqa: PLC0415  (Jinja2 loads on first use)

    return render("promotion_outcome.txt.j2", **_context(run, links))


def render_html(run: Run, links: Links | None = None) -> str:
    """The HTML part, its styles inlined for email clients."""
    from coord.rendering.templating import inline_css, render  # noqa: PLC0415

    return inline_css(render("promotion_outcome.html.j2", **_context(run, links)))
