"""Exit statuses of `python -m coord` (interface.md, "Command line") and the error that carries one."""

from __future__ import annotations

EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A failure the user can fix, said in one line, with its exit status (usage by default)."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status
