"""What the command line prints: results on stdout, progress and errors on stderr; colour on a terminal."""

from __future__ import annotations

import os
import sys
from typing import TextIO

_STYLES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def wants_colour(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org)."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Console:
    """Prints lines for people: `out` for results, `err` for progress and errors."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._colour_out = wants_colour(self.out)
        self._colour_err = wants_colour(self.err)

    @staticmethod
    def _paint(text: str, style: str | None, enabled: bool) -> str:
        if not style or not enabled:
            return text
        codes = ";".join(_STYLES[part] for part in style.split())
        return f"\033[{codes}m{text}\033[0m"

    def print(self, text: str = "", style: str | None = None) -> None:
        """A line of the command's result."""
        print(self._paint(text, style, self._colour_out), file=self.out)

    def progress(self, text: str) -> None:
        """A line saying what long work is doing now (stderr, so results stay pipeable)."""
        print(self._paint(text, "dim", self._colour_err), file=self.err, flush=True)

    def error(self, text: str) -> None:
        """One line `coord: error: ...` on stderr."""
        print(self._paint(f"coord: error: {text}", "red", self._colour_err), file=self.err)

    def warning(self, text: str) -> None:
        """One line `coord: warning: ...` on stderr."""
        print(self._paint(f"coord: warning: {text}", "yellow", self._colour_err), file=self.err)
