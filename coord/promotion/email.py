"""The outcome email of a promotion run: subject, HTML and text, project by project (pure).

Every value that comes from Octopus or the configuration is HTML-escaped; the text part carries
the same content for clients that do not render HTML.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from coord.mail.message import Message
from coord.promotion.model import RollbackStatus, Run, RunPhase, Step

if TYPE_CHECKING:
    from coord.config import CoordConfig

_COLOURS = {
    RunPhase.SUCCEEDED: "#1a7f37",
    RunPhase.FAILED: "#cf222e",
    RunPhase.ROLLED_BACK: "#9a6700",
    RunPhase.CANCELED: "#57606a",
    RunPhase.TIMED_OUT: "#cf222e",
}
_WORDS = {
    RunPhase.SUCCEEDED: "succeeded",
    RunPhase.FAILED: "failed",
    RunPhase.ROLLED_BACK: "rolled back",
    RunPhase.CANCELED: "canceled",
    RunPhase.TIMED_OUT: "timed out",
}


def email_key(run_id: str) -> str:
    """The once-only key of a run's outcome email."""
    return f"promotion:{run_id}"


def outcome_message(run: Run, config: CoordConfig) -> Message | None:
    """The run's outcome email, or None when coord.yaml names no recipients for promotions."""
    notify = config.notify.promotions if config.notify else None
    if notify is None or config.mail is None:
        return None
    subject = f"Promotion {run.group} {run.source} → {run.target} {outcome_word(run)}"
    return Message(
        key=email_key(run.id),
        sender=config.mail.sender,
        to=tuple(notify.to),
        subject=subject,
        html=render_html(run),
        text=render_text(run),
    )


def outcome_word(run: Run) -> str:
    return _WORDS.get(run.phase, run.phase.value.lower())


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


def render_text(run: Run) -> str:
    lines = [
        f"Promotion run {run.id}: {run.group} from {run.source} to {run.target} {outcome_word(run)}.",
        run.outcome,
        "",
    ]
    lines += [f"- {_name(step)}: {step_line(step)}" for step in run.steps]
    when = []
    if run.started:
        when.append(f"started {run.started.isoformat(timespec='seconds')}")
    if run.finished:
        when.append(f"ended {run.finished.isoformat(timespec='seconds')}")
    if when:
        lines += ["", ", ".join(when) + " (UTC)"]
    return "\n".join(lines) + "\n"


def render_html(run: Run) -> str:
    colour = _COLOURS.get(run.phase, "#57606a")
    cell = 'style="padding:4px 8px;border-bottom:1px solid #d0d7de;text-align:left"'
    rows = "".join(
        f"<tr><td {cell}>{escape(_name(step))}</td><td {cell}>{escape(step.version or '')}</td>"
        f"<td {cell}>{escape(step.status.value)}</td><td {cell}>{escape(step_line(step))}</td></tr>"
        for step in run.steps
    )
    return (
        '<html><body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px">'
        f'<h2 style="color:{colour}">Promotion {escape(run.group)}: {escape(run.source)} → '
        f"{escape(run.target)} {escape(outcome_word(run))}</h2>"
        f"<p>Run {escape(run.id)}. {escape(run.outcome)}</p>"
        '<table style="border-collapse:collapse">'
        f"<tr><th {cell}>Project</th><th {cell}>Release</th>"
        f"<th {cell}>Status</th><th {cell}>Details</th></tr>"
        f"{rows}</table></body></html>"
    )
