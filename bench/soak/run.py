"""The full soak: a week of deployments across 50 projects and 4 environments, under faults.

    .venv/bin/python bench/soak/run.py [--days 7] [--projects 50] [--tick-minutes 15] [--seed N] [-v]

Needs only what the tests need (`python3 scripts/dev.py setup`): it starts its own Azurite with
data on disk (stopped and restarted during the run), an SMTP server and the Octopus simulator on
a manual clock, then ticks coord through the days while Octopus answers 5xx, 429 and nothing at
all, the SMTP server refuses mail, tick processes are killed and ticks run two at once (see
tests/soak/harness.py). It prints the invariants as a table and exits 1 if any is broken.
The short form runs in CI as tests/soak/test_soak.py.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.soak.harness import Soak, SoakOptions  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    defaults = SoakOptions()
    parser = argparse.ArgumentParser(prog="bench/soak/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=defaults.days)
    parser.add_argument("--projects", type=int, default=defaults.projects)
    parser.add_argument("--tick-minutes", type=int, default=defaults.tick_minutes)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("-v", "--verbose", action="store_true", help="narrate the days as they pass")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # coord's warnings under faults are expected here
    options = SoakOptions(
        days=args.days, projects=args.projects, tick_minutes=args.tick_minutes, seed=args.seed
    )
    with Soak(options, echo=args.verbose) as soak:
        figures = soak.run()
    print(figures.table())
    broken = figures.violations()
    for problem in broken:
        print(f"BROKEN: {problem}")
    print("all invariants hold" if not broken else f"{len(broken)} invariant(s) broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
