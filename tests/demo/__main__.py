"""The demo: a compressed day of deployments, promotions, emails and the report, on this machine.

    python3 scripts/dev.py demo          (installs what it needs, starts Azurite, runs this)

Starts the Octopus simulator (the demo world, on a clock this script moves) and a local
SMTP mail sink, then ticks coord through a day and the next morning, printing a timeline.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tests.demo.day import DemoDay

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "out" / "demo", help="where emails and the report go"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    storage = os.environ.get("COORD_STORAGE")
    if not storage:
        print("the demo needs COORD_STORAGE (run it with: python3 scripts/dev.py demo)", file=sys.stderr)
        return 2
    started = time.monotonic()
    with DemoDay(storage, args.out, echo=not args.quiet) as day:
        outcome = day.play()
    print(f"\nfinished in {time.monotonic() - started:.0f} s; everything it started has stopped.")
    return 0 if outcome else 1


if __name__ == "__main__":
    sys.exit(main())
