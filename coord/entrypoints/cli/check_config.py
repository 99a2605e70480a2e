"""`check-config`: validate coord.yaml, resolve its names against Octopus, and print a summary."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.config import ConfigError, CoordConfig, Named, format_duration, lookup, resolve_names
from coord.entrypoints.cli.context import CliContext
from coord.entrypoints.cli.errors import CliError
from coord.entrypoints.cli.output import Console
from coord.schedules.cron import next_slot
from coord.settings import Settings


def run(args: argparse.Namespace, context: CliContext) -> int:
    """Check settings, the file and (unless --offline) every name against Octopus; exit 2 on a problem."""
    console = context.console
    settings = context.settings()
    if not args.offline:
        settings.require_octopus()
    config = context.config()
    names = _Names()
    if not args.offline:
        names = _fetch_names(settings, console)
        problems = resolve_names(config, names.projects, names.environments)
        if problems:
            raise ConfigError(problems, str(context.config_path))
    _print_summary(console, config, settings, names, context.now)
    where = "offline: names not checked against Octopus" if args.offline else "every name resolves"
    console.print(f"{context.config_path}: OK ({where})", "green")
    return 0


def _fetch_names(settings: Settings, console: Console) -> _Names:
    from coord.octopus import OctopusClient  # noqa: PLC0415  (loads httpx only when Octopus is asked)
    from coord.octopus.errors import OctopusError  # noqa: PLC0415

    server = settings.octopus_server_url
    console.progress(f"reading projects and environments from {server} ...")
    try:
        with OctopusClient.from_settings(settings) as client:
            return _Names(client.projects(), client.environments())
    except OctopusError as exc:
        msg = f"cannot check names against Octopus at {server}: {exc}"
        raise CliError(msg) from exc


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _named(reference: str, items: Sequence[Named]) -> str:
    found = lookup(reference, items)
    if found is None or not items:
        return reference
    return f"{found.Name} ({found.Id})"


def _print_summary(
    console: Console, config: CoordConfig, settings: Settings, names: _Names, now: datetime
) -> None:
    zone = config.zone
    console.print(f"time zone   {config.timezone} (now {_local(now, zone)})", "bold")
    console.print()
    _print_groups(console, config, names)
    _print_promotions(console, config, names, now)
    _print_notifications(console, config, names, now)
    console.print("mail", "bold")
    sender = config.mail.sender if config.mail else "not set"
    console.print(f"  from     {sender}")
    console.print(f"  sent by  {settings.describe_mail()}")
    if settings.mail_kind is None and (config.report or config.notify):
        console.warning("emails are configured but no mail transport is set; nothing will be sent")


@dataclass(frozen=True)
class _Names:
    projects: Sequence[Named] = ()
    environments: Sequence[Named] = ()


def _print_groups(console: Console, config: CoordConfig, names: _Names) -> None:
    console.print("groups", "bold")
    if not config.groups:
        console.print("  none")
    for name, group in config.groups.items():
        console.print(f"  {name}")
        for project, needs in group.dependencies().items():
            after = f"  after {', '.join(str(need) for need in needs)}" if needs else ""
            console.print(f"    {_named(project, names.projects)}{after}")
    console.print()


def _print_promotions(console: Console, config: CoordConfig, names: _Names, now: datetime) -> None:
    zone = config.zone
    console.print("promotions", "bold")
    if not config.promotions:
        console.print("  none")
    for promotion in config.promotions:
        source = _named(promotion.source, names.environments)
        target = _named(promotion.target, names.environments)
        limit = f", at most {promotion.max_parallel} at once" if promotion.max_parallel else ""
        console.print(f"  {promotion.name}: {promotion.group} from {source} to {target}")
        console.print(f"    on failure {promotion.on_failure}{limit}")
        if promotion.schedule:
            upcoming = _local(next_slot(promotion.schedule, zone, now), zone)
            console.print(f"    schedule '{promotion.schedule}', next {upcoming}")
        else:
            console.print("    no schedule (ad-hoc defaults only)")
        for window in promotion.windows:
            opens = _local(next_slot(window.schedule, zone, now), zone)
            duration = format_duration(window.duration)
            console.print(f"    deny '{window.schedule}' for {duration}, next opens {opens}")
    console.print()


def _print_notifications(console: Console, config: CoordConfig, names: _Names, now: datetime) -> None:
    zone = config.zone
    console.print("notifications", "bold")
    notify = config.notify
    rules = notify.all_deployed if notify else []
    for rule in rules:
        where = ", ".join(_named(environment, names.environments) for environment in rule.environments)
        console.print(f"  all deployed: {rule.group} in {where} -> {', '.join(rule.to)}")
    if notify and notify.promotions:
        console.print(f"  promotion outcomes -> {', '.join(notify.promotions.to)}")
    if config.report:
        upcoming = _local(next_slot(config.report.schedule, zone, now), zone)
        recipients = ", ".join(config.report.to)
        console.print(f"  daily report '{config.report.schedule}' (next {upcoming}) -> {recipients}")
    if not rules and not (notify and notify.promotions) and not config.report:
        console.print("  none")
    console.print()
