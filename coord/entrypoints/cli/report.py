"""`python -m coord report [--date YYYY-MM-DD] [--out FILE] [--send]`."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TYPE_CHECKING

from coord import heartbeat
from coord.entrypoints.cli.context import CliContext
from coord.entrypoints.cli.errors import EXIT_OK, EXIT_USAGE, CliError
from coord.entrypoints.cli.jobs import services_for

if TYPE_CHECKING:
    from coord.bootstrap import Services
    from coord.mail import Message


def run(args: argparse.Namespace, context: CliContext) -> int:
    """Build a day's report; print its text, or write its HTML (`--out`); mail it (`--send`)."""
    from coord.report.job import build_day, report_message  # noqa: PLC0415
    from coord.report.render import render_report  # noqa: PLC0415  (Jinja2 loads on first use)

    config = context.config()
    day = args.date or (context.now.astimezone(config.zone).date() - timedelta(days=1))
    if args.send and (config.report is None or config.mail is None):
        msg = "--send needs `report.to` and `mail.from` in coord.yaml"
        raise CliError(msg, EXIT_USAGE)
    with services_for(context) as services:
        if args.send and services.mail_transport is None:
            msg = "--send needs a mail transport: set COORD_MAIL_DIR, ACS_EMAIL_ENDPOINT or SMTP_HOST"
            raise CliError(msg, EXIT_USAGE)
        context.console.progress(f"building the report of {day.isoformat()} ({config.timezone}) ...")
        model = build_day(services, day)
        if model is None:
            msg = (
                f"no deployment data is kept for {day.isoformat()} ({config.timezone}): "
                "the day is in the future or before coord's history starts"
            )
            raise CliError(msg, EXIT_USAGE)
        if args.send:
            message = report_message(services, model)
            text = message.text
        else:
            _, _, text = render_report(model, services.links())
        if args.out is not None:
            # A file is opened in a browser: the page as GET /api/reports/{date} serves it.
            _, html, _ = render_report(model, services.links(), web=True)
            args.out.write_text(html, encoding="utf-8")
            context.console.print(f"wrote {args.out}")
        elif not args.send:
            context.console.print(text.rstrip("\n"))
        if args.send:
            _send(services, message, context)
    return EXIT_OK


def _send(services: Services, message: Message, context: CliContext) -> None:
    """Queue the report under its date's key and deliver it now; a date already sent is not resent."""
    day = message.key.removeprefix("report:")
    if not services.outbox.enqueue(message):
        entry = services.outbox.entry(message.key)
        status = entry.status.value if entry else "queued"
        context.console.print(f"the report of {day} was queued before ({status}); not sent again")
        return
    heartbeat.deliver_mail(services)
    entry = services.outbox.entry(message.key)
    context.console.print(
        f"report of {day} to {', '.join(message.to)}: {entry.status.value if entry else 'queued'}"
    )
