"""Benchmark: cold start, the cost of importing the Function App, lazy against eager.

    python bench/coldstart/run.py [--runs 15]

The Functions worker imports function_app.py before the first invocation (and on every
scale-out). coord's bindings import the coord package on first use; "eager" imports
everything a tick needs up front, as a function_app.py with top-level imports would.
Each figure is the median of fresh interpreter runs (wall time and peak RSS).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "python alone": "pass",
    "function_app (lazy, as shipped)": "import function_app",
    "function_app + everything a tick uses (eager)": (
        "import function_app, coord.heartbeat, coord.feed.poller, coord.store, coord.mail,"
        " coord.octopus, coord.config"
    ),
}


def measure(code: str, runs: int) -> tuple[float, float]:
    times, memory = [], []
    for _ in range(runs):
        probe = (
            f"import resource, time; t=time.perf_counter(); {code}; "
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
        )
        times.append(time.perf_counter() - start)
        memory.append(float(out.stdout.split()[1]) / 1024)
    return statistics.median(times), statistics.median(memory)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print("| import | median wall s (process) | peak RSS MiB |")
    print("|---|---:|---:|")
    for name, code in CASES.items():
        wall, rss = measure(code, args.runs)
        print(f"| {name} | {wall:.3f} | {rss:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
