"""Entry point: parse, run the command, and turn errors into one line and an exit status."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence

from coord.config import ConfigError
from coord.entrypoints.cli.commands import resolve
from coord.entrypoints.cli.context import CliContext
from coord.entrypoints.cli.errors import EXIT_JOB_FAILED, EXIT_USAGE, CliError
from coord.entrypoints.cli.output import Console
from coord.entrypoints.cli.parser import build_parser
from coord.settings import SettingsError


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run `python -m coord` with these arguments and return the exit status."""
    console = console or Console()
    args = build_parser().parse_args(argv)  # exits 2 with argparse's own message on bad usage
    debug = bool(getattr(args, "debug", False))
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="coord: %(levelname)s: %(name)s: %(message)s",
        stream=console.err,
    )
    if not debug:
        # Retries are progress, not problems; the command says what failed once they run out.
        logging.getLogger("stamina").setLevel(logging.ERROR)
    context = CliContext(
        console=console,
        now_override=getattr(args, "now", None),
        config_override=getattr(args, "config", None),
        debug=debug,
    )
    try:
        return resolve(args.command)(args, context)
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001  (the one place every error becomes a line and a status)
        status, lines = describe_error(exc, debug=debug)
        if debug:
            traceback.print_exc(file=console.err)
        for line in lines:
            console.error(line)
        return status


def describe_error(exc: BaseException, *, debug: bool = False) -> tuple[int, list[str]]:
    """Exit status and the lines to print for an error; no secrets, no traceback."""
    if isinstance(exc, CliError):
        return exc.status, [str(exc)]
    if isinstance(exc, SettingsError):
        return EXIT_USAGE, exc.problems
    if isinstance(exc, ConfigError):
        return EXIT_USAGE, [f"{exc.source}: {problem}" for problem in exc.problems]
    unreachable = _connection_error(exc)
    if unreachable is not None:
        return EXIT_USAGE, [unreachable]
    detail = str(exc).splitlines()[0] if str(exc) else ""
    hint = "" if debug else " (run with --debug for the traceback)"
    return EXIT_JOB_FAILED, [f"unexpected {type(exc).__name__}: {detail}{hint}"]


def _connection_error(exc: BaseException) -> str | None:
    """A line for errors from the Octopus client or the store that mean "cannot reach or use it"."""
    for module, names, what in (
        ("coord.octopus.errors", ("OctopusError",), "Octopus"),
        ("coord.store", ("StoreError",), "Table Storage"),
    ):
        loaded = sys.modules.get(module)
        for name in names:
            kind = getattr(loaded, name, None) if loaded else None
            if isinstance(kind, type) and isinstance(exc, kind):
                return f"{what}: {exc}"
    return None
