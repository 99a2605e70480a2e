"""The argparse definition of `python -m coord`: every command, its options and examples."""

from __future__ import annotations

import argparse
import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from coord import __version__

PROG = "python -m coord"


def parse_now(text: str) -> datetime:
    """`--now`: an ISO-8601 time with a UTC offset (or Z)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        msg = f"expected an ISO-8601 time with a UTC offset, e.g. 2026-11-26T18:30:00Z, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return moment.astimezone(UTC)


def parse_date(text: str) -> date:
    """`--date`: a local day as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"expected a date as YYYY-MM-DD, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        msg = f"expected a whole number of at least 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def seconds(text: str) -> float:
    """A number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        msg = f"expected a number of seconds, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def duration(text: str) -> timedelta:
    """A duration as coord.yaml writes it: 30m, 6h, 1d or 1h30m."""
    from coord.config.fields import parse_duration  # noqa: PLC0415  (pydantic loads only when used)

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _common(suppress: bool) -> argparse.ArgumentParser:
    # The same options before and after the command; after it they must not overwrite what came
    # before with defaults, hence SUPPRESS there (argparse copies sub-parser defaults over the parent's).
    default = argparse.SUPPRESS if suppress else None
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--now",
        type=parse_now,
        metavar="ISO-8601",
        default=default,
        help="the time coord believes it is, for every decision (e.g. 2026-11-26T18:30:00Z)",
    )
    parent.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        default=default,
        help="coord.yaml to use (default: COORD_CONFIG, else coord.yaml beside function_app.py)",
    )
    parent.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="show tracebacks and debug logging",
    )
    return parent


_COMMANDS: list[tuple[str, str, str]] = [
    (
        "tick",
        "one heartbeat: poll Octopus, start what is due, advance runs, notify, send mail",
        """
        python -m coord tick
        python -m coord tick --now 2026-03-29T01:30:00Z   # as if it were that time
        python -m coord tick --follow                     # as the timer function runs it
        """,
    ),
    (
        "poll",
        "poll Octopus and update the stored state (and advance the promotion runs it brings news of)",
        """
        python -m coord poll
        """,
    ),
    (
        "promote",
        "start an ad-hoc promotion run of a group and print its id",
        """
        python -m coord promote shop --from Staging --to Production
        python -m coord promote shop --from Staging --to Production --dry-run
        python -m coord promote shop --from Staging --to Production --project Checkout --wait
        """,
    ),
    (
        "report",
        "build the daily report of a local day (default: yesterday)",
        """
        python -m coord report --out report.html
        python -m coord report --date 2026-11-25 --send
        """,
    ),
    (
        "status",
        "the current matrix: projects by environments, with the latest deployment's version and state",
        """
        python -m coord status
        python -m coord status --all --json
        python -m coord status --html status.html
        """,
    ),
    (
        "lock",
        "acquire a named cross-project lock and print its token",
        """
        python -m coord lock db-migrations --holder "release 3.2" --ttl 600 --wait 60
        """,
    ),
    (
        "unlock",
        "release a named lock",
        """
        python -m coord unlock db-migrations --token TOKEN
        """,
    ),
    (
        "check-config",
        "validate coord.yaml against the Octopus server and print a summary",
        """
        python -m coord check-config
        python -m coord check-config --config ./coord.yaml --offline
        """,
    ),
    (
        "schema",
        "print the JSON Schema of coord.yaml (for editors)",
        """
        python -m coord schema > schema/coord.schema.json
        """,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    """The parser for `python -m coord`."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Coordinate many Octopus Deploy projects: the Function App's jobs, from a terminal.",
        epilog=textwrap.dedent(
            """
            exit status: 0 success, 1 the job itself failed (e.g. a promotion run with a failed project),
            2 usage, configuration or connection errors, and a tick that could not reach Octopus or
            storage or whose API key was refused.
            Settings come from the environment (OCTOPUS_SERVER_URL, OCTOPUS_API_KEY, COORD_STORAGE, ...).
            Run '%(prog)s COMMAND --help' for a command's options and examples.
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"coord {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.required = True
    common = _common(suppress=True)
    sub = {}
    for name, summary, examples in _COMMANDS:
        sub[name] = commands.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog="examples:\n" + textwrap.indent(textwrap.dedent(examples).strip("\n"), "  "),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )

    sub["tick"].add_argument(
        "--follow",
        action="store_true",
        help="then follow runs with deployments in flight until shortly before the next tick of "
        "COORD_TICK_SCHEDULE, as the timer function does",
    )

    promote = sub["promote"]
    promote.add_argument("group", metavar="GROUP", help="a group under `groups` in coord.yaml")
    promote.add_argument(
        "--from", dest="source", required=True, metavar="ENV", help="environment to promote from"
    )
    promote.add_argument("--to", dest="target", required=True, metavar="ENV", help="environment to deploy to")
    promote.add_argument(
        "--project",
        dest="projects",
        action="append",
        default=[],
        metavar="NAME",
        help="only this project of the group (repeatable)",
    )
    promote.add_argument(
        "--on-failure",
        choices=["halt", "rollback"],
        help="default: that of the promotions entry with the same group, from and to, else halt",
    )
    promote.add_argument(
        "--timeout",
        type=duration,
        metavar="DURATION",
        help="end the run TimedOut if it is still going after this long, e.g. 90m or 6h "
        "(default: that of the promotions entry, else 6h)",
    )
    promote.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    promote.add_argument(
        "--wait", action="store_true", help="keep advancing the run until it ends, showing progress"
    )

    report = sub["report"]
    report.add_argument(
        "--date", type=parse_date, metavar="YYYY-MM-DD", help="local day (default: yesterday)"
    )
    report.add_argument("--out", type=Path, metavar="FILE", help="write the HTML here")
    report.add_argument("--send", action="store_true", help="mail it to report.to")

    status = sub["status"]
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    status.add_argument("--all", action="store_true", help="every project of the space, not only the groups'")
    status.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="write the status page (groups, running promotions, held locks, age of the data) here",
    )

    lock = sub["lock"]
    lock.add_argument("name", metavar="NAME", help="lock name")
    lock.add_argument("--holder", required=True, metavar="TEXT", help="who holds it, shown to others")
    lock.add_argument(
        "--ttl", type=positive_int, required=True, metavar="SECONDS", help="when it frees itself"
    )
    lock.add_argument("--wait", type=seconds, default=0.0, metavar="SECONDS", help="wait this long if held")

    unlock = sub["unlock"]
    unlock.add_argument("name", metavar="NAME", help="lock name")
    unlock.add_argument("--token", required=True, metavar="TOKEN", help="the token lock printed")

    check = sub["check-config"]
    check.add_argument(
        "--offline", action="store_true", help="check the file only; do not resolve names against Octopus"
    )
    return parser
