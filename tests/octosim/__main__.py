"""Run the simulator standalone: python -m tests.octosim --port PORT --scenario NAME_OR_FILE."""

from __future__ import annotations

import argparse
import sys

from tests.octosim.clock import ManualClock, RealClock
from tests.octosim.scenarios import load_scenario, scenario_names
from tests.octosim.server import SimServer
from tests.octosim.simulator import DEFAULT_START


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, seed the world, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.octosim", description=__doc__)
    parser.add_argument("--port", type=int, default=8065, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--scenario", default="demo", help=f"one of {', '.join(scenario_names())} or a file")
    parser.add_argument("--api-key", help="accept this API key instead of a random one")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="real clock speed-up (60 = a minute a second)"
    )
    parser.add_argument(
        "--manual-clock",
        action="store_true",
        help="freeze time at the scenario start; move it with POST /_sim/clock/advance",
    )
    args = parser.parse_args(argv)
    clock = ManualClock(DEFAULT_START) if args.manual_clock else RealClock(speed=args.speed)
    options = {"api_key": args.api_key} if args.api_key else {}
    sim = load_scenario(args.scenario, clock=None if args.manual_clock else clock, **options)
    server = SimServer(sim, port=args.port).start()
    print(f"octosim serving scenario {args.scenario!r} at {server.url}", flush=True)
    print(f"URL={server.url}", flush=True)
    print(f"API_KEY={server.api_key}", flush=True)
    try:
        server.wait_closed(float("inf"))
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
