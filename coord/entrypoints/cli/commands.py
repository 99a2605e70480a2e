"""Which function runs each command: one table, name -> callable(args, context) -> exit status.

Targets are "module:function" strings imported on first use, so `--help` and a cold start load
only the command that runs.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from coord.entrypoints.cli.context import CliContext

Command = Callable[[argparse.Namespace, CliContext], int]


COMMANDS: dict[str, str | Command] = {
    "tick": "coord.entrypoints.cli.jobs:tick",
    "poll": "coord.entrypoints.cli.jobs:poll",
    "promote": "coord.entrypoints.cli.promote:run",
    "report": "coord.entrypoints.cli.report:run",
    "status": "coord.entrypoints.cli.jobs:status",
    "lock": "coord.entrypoints.cli.locks:lock",
    "unlock": "coord.entrypoints.cli.locks:unlock",
    "check-config": "coord.entrypoints.cli.check_config:run",
    "schema": "coord.entrypoints.cli.schema:run",
}


def resolve(name: str) -> Command:
    """The callable for a command name."""
    target = COMMANDS[name]
    if callable(target):
        return target
    module, _, function = target.partition(":")
    command: Command = getattr(importlib.import_module(module), function)
    return command
