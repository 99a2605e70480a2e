"""`coord lock` and `coord unlock`: the cross-project locks of the HTTP API, from a terminal."""

from __future__ import annotations

import argparse
from datetime import timedelta

from coord.entrypoints.cli.context import CliContext
from coord.entrypoints.cli.errors import EXIT_JOB_FAILED, EXIT_OK, CliError
from coord.entrypoints.cli.jobs import services_for
from coord.locks.service import locks_for
from coord.locks.table import Grant, NotHeld


def lock(args: argparse.Namespace, context: CliContext) -> int:
    """`coord lock NAME --holder TEXT --ttl SECONDS [--wait SECONDS]`: print the token, or exit 1."""
    with services_for(context) as services:
        locks = locks_for(services)
        result = locks.acquire(
            args.name, args.holder, timedelta(seconds=args.ttl), wait=timedelta(seconds=args.wait)
        )
        if not isinstance(result, Grant) and result.ticket:
            # Nobody will come back with this ticket: leave the queue now rather than hold it up.
            locks.withdraw(args.name, result.ticket)
    if isinstance(result, Grant):
        context.console.print(result.token)
        context.console.progress(
            f"locked {result.name!r} for {result.holder!r} until {result.expires_at.isoformat()}"
        )
        return EXIT_OK
    if result.holder is not None:
        held = f"held by {result.holder.holder!r} until {result.holder.expires_at.isoformat()}"
    else:
        held = f"promised to {result.position - 1} earlier request(s)"
    raise CliError(f"lock {args.name!r} not granted within {args.wait:g} s: {held}", EXIT_JOB_FAILED)


def unlock(args: argparse.Namespace, context: CliContext) -> int:
    """`coord unlock NAME --token TOKEN`: release the lock; exit 1 for a wrong or expired token."""
    with services_for(context) as services:
        try:
            event = locks_for(services).release(args.name, args.token)
        except NotHeld as exc:
            raise CliError(str(exc), EXIT_JOB_FAILED) from None
    context.console.print(f"released {args.name!r} (held by {event.holder!r} for {event.held_seconds:.0f} s)")
    return EXIT_OK
