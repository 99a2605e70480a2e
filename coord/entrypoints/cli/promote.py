"""`python -m coord promote GROUP --from ENV --to ENV [--project NAME]... [--dry-run] [--wait]`."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from coord import heartbeat
from coord.entrypoints.cli.context import CliContext
from coord.entrypoints.cli.errors import EXIT_JOB_FAILED, EXIT_OK, CliError
from coord.entrypoints.cli.jobs import services_for
from coord.feed import service as feed_service
from coord.octopus import OctopusError
from coord.promotion.errors import RunConflict, UnknownName
from coord.promotion.model import Run, RunPhase
from coord.promotion.runner import advance_run
from coord.promotion.start import StartCommand, start_run
from coord.promotion.view import plan_table, run_table

# --wait checks often at first (a short run ends in seconds), then settles at a gentle pace.
FIRST_INTERVAL = 0.5
MAX_INTERVAL = 5.0


def run(args: argparse.Namespace, context: CliContext, sleep: Callable[[float], None] = time.sleep) -> int:
    """Start (or plan) a promotion run; with --wait, advance it until it ends, showing progress."""
    command = StartCommand(
        group=args.group,
        source=args.source,
        target=args.target,
        projects=tuple(args.projects) or None,
        on_failure=args.on_failure,
        dry_run=args.dry_run,
        trigger="command line",
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
        seen = _progress(context, current, {})
        interval = FIRST_INTERVAL
        while not current.phase.is_terminal:
            sleep(interval)
            interval = min(interval * 2, MAX_INTERVAL)
            try:
                feed_service.poll(services)
                current = advance_run(services, current.id) or current
            except OctopusError as exc:
                context.console.warning(f"Octopus did not answer; trying again: {exc}")
                continue
            seen = _progress(context, current, seen)
        heartbeat.deliver_mail(services)
    context.console.print(run_table(current))
    context.console.print(f"{current.phase.value}: {current.outcome}")
    return EXIT_OK if current.phase is RunPhase.SUCCEEDED else EXIT_JOB_FAILED


def _progress(context: CliContext, run: Run, seen: dict[str, str]) -> dict[str, str]:
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
                f"{name}: {state}" + (f" ({step.deployment_id})" if step.deployment_id else "")
            )
    if run.waiting and seen.get("") != run.waiting:
        context.console.progress(f"waiting: {run.waiting}")
    now[""] = run.waiting
    return now
