"""`python -m coord`: the command line (argparse); commands are looked up in `commands.COMMANDS`."""

from coord.entrypoints.cli.main import main

__all__ = ["main"]
