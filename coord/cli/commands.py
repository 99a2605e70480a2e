"""Which function runs each command: one table, name -> callable(args, context) -> exit status.

Targets are "module:function" strings imported on first use, so `--help` and a cold start load
only the command that runs.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from coord.cli.context import CliContext

Command = Callable[[argparse.Namespace, CliContext], int]


COMMANDS: dict[str, str | Command] = {
    "tick": "coord.cli.jobs:tick",
    "poll": "coord.cli.jobs:poll",
    "promote": "coord.cli.promote:run",
    "report": "coord.cli.report:run",
    "status": "coord.cli.jobs:status",
    "lock": "coord.cli.locks:lock",
    "unlock": "coord.cli.locks:unlock",
    "check-config": "coord.cli.check_config:run",
    "schema": "coord.cli.schema:run",
}


def resolve(name: str) -> Command:
    """The callable for a command name."""
    target = COMMANDS[name]
    if callable(target):
        return target
    module, _, function = target.partition(":")
    command: Command = getattr(importlib.import_module(module), function)
    return command
