"""`check-config`: validate coord.yaml, resolve its names against Octopus, and print a summary."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.config import ConfigError, CoordConfig, Named, format_duration, lookup, resolve_names
from coord.config.permissions import NEEDS, Grant, Missing, missing_permissions
from coord.entrypoints.cli.context import CliContext
from coord.entrypoints.cli.errors import EXIT_USAGE, CliError
from coord.entrypoints.cli.output import Console
from coord.schedules.cron import next_slot
from coord.settings import Settings


def run(args: argparse.Namespace, context: CliContext) -> int:
    """Check settings, the file and (unless --offline) every name and permission against Octopus.

    Exit 2 on a problem: a name that does not resolve, or a permission coord needs that the API
    key's user lacks (each one named, with what coord needs it for).
    """
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
    lacking = _print_access(console, config, names)
    if lacking:
        for missing in lacking:
            console.error(f"the API key's user {names.user} lacks {missing}")
        return EXIT_USAGE
    where = "offline: names not checked against Octopus" if args.offline else "every name resolves"
    console.print(f"{context.config_path}: OK ({where})", "green")
    return 0


def _fetch_names(settings: Settings, console: Console) -> _Names:
    from coord.octopus import OctopusClient  # noqa: PLC0415  (loads httpx only when Octopus is asked)
    from coord.octopus.errors import OctopusError, OctopusRefused  # noqa: PLC0415

    server = settings.octopus_server_url
    console.progress(f"reading projects, environments and the API key's permissions from {server} ...")
    try:
        with OctopusClient.from_settings(settings) as client:
            projects, environments = client.projects(), client.environments()
            try:
                user = client.current_user()
                permissions = client.user_permissions(user)
            except OctopusRefused as exc:
                console.warning(f"cannot read the API key's permissions, so they are not checked: {exc}")
                return _Names(projects, environments)
            grants = {
                name: tuple(
                    Grant(g.SpaceId, g.RestrictedToProjectIds, g.RestrictedToEnvironmentIds) for g in given
                )
                for name, given in permissions.SpacePermissions.items()
            }
            who = f"{user.Username or user.DisplayName or user.Id!r} ({user.Id})"
            return _Names(projects, environments, who, grants, client.space_id)
    except OctopusError as exc:
        msg = f"cannot check names against Octopus at {server}: {exc}"
        raise CliError(msg) from exc


def _print_access(console: Console, config: CoordConfig, names: _Names) -> list[Missing]:
    """The API key's user and the permissions coord needs that it lacks; returns the required ones."""
    if names.grants is None:
        return []
    projects = {
        found.Id: found.Name
        for group in config.groups.values()
        for ref in group.projects
        if (found := lookup(ref, names.projects)) is not None
    }
    environments = {
        found.Id: found.Name
        for ref in _environment_refs(config)
        if (found := lookup(ref, names.environments))
    }
    missing = missing_permissions(
        names.grants,
        space_id=names.space_id,
        projects=projects,
        environments=environments,
        promotions=bool(config.promotions),
    )
    console.print("octopus", "bold")
    console.print(f"  api key  of {names.user}")
    if not missing:
        console.print(
            f"  permissions  all {len(NEEDS)} that coord needs ({', '.join(n.permission for n in NEEDS)})"
        )
    for item in missing:
        state = "missing" if item.required else "missing, needed only to promote"
        console.print(f"  {state}  {item}", "red" if item.required else "yellow")
    console.print()
    return [item for item in missing if item.required]


def _environment_refs(config: CoordConfig) -> list[str]:
    refs = [env for promotion in config.promotions for env in (promotion.source, promotion.target)]
    if config.notify is not None:
        refs += [env for rule in config.notify.all_deployed for env in rule.environments]
    return refs


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
    user: str = ""
    grants: Mapping[str, Sequence[Grant]] | None = None  # None: permissions not read
    space_id: str | None = None


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
