"""`python -m coord promote GROUP --from ENV --to ENV [--project NAME]... [--dry-run] [--wait]`."""

from __future__ import annotations

import argparse
import time

from coord import heartbeat
from coord.bootstrap import Services
from coord.entrypoints.cli.context import CliContext
from coord.entrypoints.cli.errors import EXIT_JOB_FAILED, EXIT_OK, CliError
from coord.entrypoints.cli.jobs import services_for
from coord.promotion.errors import RunConflict, UnknownName
from coord.promotion.model import Run, RunPhase
from coord.promotion.pace import WAIT_PACE
from coord.promotion.start import StartCommand, start_run
from coord.promotion.view import plan_table, run_table
from coord.promotion.watch import follow_run


def run(args: argparse.Namespace, context: CliContext) -> int:
    """Start (or plan) a promotion run; with --wait, advance it until it ends, showing progress."""
    command = StartCommand(
        group=args.group,
        source=args.source,
        target=args.target,
        projects=tuple(args.projects) or None,
        on_failure=args.on_failure,
        dry_run=args.dry_run,
        trigger="command line",
        timeout=getattr(args, "timeout", None),
        requested_by="CLI",
    )
    with services_for(context) as services:
        try:
            started = start_run(services, command)
        except UnknownName as exc:
            raise CliError(str(exc)) from None
        except RunConflict as exc:
            raise CliError(f"{exc} (wait for it to end, or cancel it)", EXIT_JOB_FAILED) from None
        if started.run is None:
            context.console.print(plan_table(started.plan))
            return EXIT_OK
        current = started.run
        context.console.print(current.id)
        if not args.wait:
            return EXIT_OK
        current = _wait(context, services, current)
        heartbeat.deliver_mail(services)
    context.console.print(run_table(current))
    context.console.print(f"{current.phase.value}: {current.outcome}")
    return EXIT_OK if current.phase is RunPhase.SUCCEEDED else EXIT_JOB_FAILED


def _wait(context: CliContext, services: Services, run: Run) -> Run:
    """Follow the run to its end by its own tasks (coord.promotion.watch), printing what changes."""
    began = time.monotonic()
    seen: dict[str, str] = {}

    def show(current: Run) -> None:
        nonlocal seen
        seen = _progress(context, current, seen, time.monotonic() - began)

    show(run)
    return follow_run(services, run, WAIT_PACE, on_change=show, on_trouble=context.console.warning)


def _progress(context: CliContext, run: Run, seen: dict[str, str], elapsed: float) -> dict[str, str]:
    """Print a line for each project whose state changed since the last look."""
    now: dict[str, str] = {}
    for step in run.steps:
        name = f"{step.project} ({step.tenant})" if step.tenant else step.project
        state = step.status.value + (f", {step.waiting}" if step.waiting else "")
        if step.rollback.value:
            state += f", rollback {step.rollback.value}"
        now[name] = state
        if seen.get(name) != state:
            context.console.progress(
                f"{elapsed:6.1f}s  {name}: {state}"
                + (f" ({step.deployment_id})" if step.deployment_id else "")
            )
    if run.waiting and seen.get("") != run.waiting:
        context.console.progress(f"{elapsed:6.1f}s  waiting: {run.waiting}")
    now[""] = run.waiting
    return now
