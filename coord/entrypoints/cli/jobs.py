"""The jobs of the command line: the same application functions the timer and routes call."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager

from coord import heartbeat
from coord.bootstrap import Services
from coord.entrypoints.cli.context import CliContext
from coord.entrypoints.cli.errors import EXIT_OK, EXIT_USAGE
from coord.entrypoints.cli.output import wants_colour
from coord.feed import service as feed_service
from coord.feed.status import render_status_table
from coord.promotion.events import advance_after_poll


@contextmanager
def services_for(context: CliContext) -> Iterator[Services]:
    """Services built from the command's settings, configuration and `--now`."""
    services = Services(settings=context.settings(), config=context.config(), clock=context.clock)
    try:
        yield services
    finally:
        services.close()


def poll(args: argparse.Namespace, context: CliContext) -> int:
    """`coord poll`: read Octopus into the stored state (and advance the runs it brings news of)."""
    with services_for(context) as services:
        context.console.progress(f"polling {services.settings.octopus_server_url} ...")
        report = feed_service.poll(services)
        if report is None:
            context.console.print("another poll is running; nothing done")
        else:
            context.console.print(f"poll: {report.summary()}")
            for note in advance_after_poll(services, report):
                context.console.print(note)
    return EXIT_OK


def tick(args: argparse.Namespace, context: CliContext) -> int:
    """`coord tick [--follow]`: one heartbeat, as the timer function runs it; exit 2 if it failed."""
    with services_for(context) as services:
        report = heartbeat.tick(services, follow=bool(getattr(args, "follow", False)))
        context.console.print(f"tick: {report.summary()}")
    for failure in report.failures:
        context.console.error(failure)
    return EXIT_USAGE if report.failed else EXIT_OK


def status(args: argparse.Namespace, context: CliContext) -> int:
    """`coord status [--json] [--all] [--html FILE]`: the current matrix, or the status page as a file."""
    if getattr(args, "html", None) is not None:
        from coord.statuspage.service import render_page, status_page  # noqa: PLC0415  (Jinja2 on first use)

        with services_for(context) as services:
            args.html.write_text(render_page(services, status_page(services)), encoding="utf-8")
        context.console.print(f"wrote {args.html}")
        return EXIT_OK
    with services_for(context) as services:
        view = feed_service.status(services, all_projects=bool(getattr(args, "all", False)))
    if getattr(args, "json", False):
        context.console.print(json.dumps(view.to_json(), indent=2))
    else:
        context.console.print(render_status_table(view, color=wants_colour(context.console.out)))
    return EXIT_OK
