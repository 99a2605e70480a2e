"""Benchmark: what one poll costs on a large Octopus space, against the naive approach.

    python bench/poll/run.py [--projects 1000] [--environments 4] [--days 2]

Starts Azurite and the Octopus simulator (the generated `large` world, manual clock) in
their own processes, so the CPU time and memory measured here are coord's alone. For each
case it reports Octopus requests, Table Storage operations, CPU time and peak Python memory
of one poll:

- first poll: empty state, backfill of the history;
- idle: nothing new since the last poll;
- 20 new and 500 new deployments since the last poll;
- naive: what Octopus's own code samples do (octopus-api.md §8: per project and environment,
  the newest deployment, then its task), once over the whole space.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import dev  # noqa: E402

from coord.feed.names import NameCatalogue  # noqa: E402
from coord.feed.poller import Poller, PollOptions  # noqa: E402
from coord.feed.repository import DeploymentRepository  # noqa: E402
from coord.octopus import OctopusClient  # noqa: E402
from coord.store import TableStore  # noqa: E402

API_KEY = "API-BENCHMARK0000000000000000000"


@dataclass
class Figures:
    case: str
    requests: int
    table_reads: int
    table_queries: int
    table_writes: int
    cpu_ms: float
    peak_mib: float
    wall_s: float


class Simulator:
    """The simulator in its own process, steered over its /_sim/ routes."""

    def __init__(self, scenario: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.octosim",
                "--port",
                "0",
                "--scenario",
                scenario,
                "--manual-clock",
                "--api-key",
                API_KEY,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = ""
        for line in self.proc.stdout:
            if line.startswith("URL="):
                self.url = line.strip().removeprefix("URL=")
                break
        if not self.url:
            sys.exit("the simulator did not start")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read() or b"null")

    def now(self) -> str:
        return self.call("GET", "/_sim/clock")["now"]

    def advance(self, seconds: float) -> None:
        self.call("POST", "/_sim/clock/advance", {"seconds": seconds})

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def measure(case: str, client: OctopusClient, store: TableStore, work: Callable[[], object]) -> Figures:
    requests_before = client.request_count
    store.operations.reset()
    tracemalloc.start()
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ops = store.operations.snapshot()
    return Figures(
        case,
        client.request_count - requests_before,
        ops.reads,
        ops.queries,
        ops.transactions + ops.writes,
        cpu * 1000,
        peak / 2**20,
        wall,
    )


def naive_poll(client: OctopusClient) -> int:
    """The shape of Octopus's samples: newest deployment per project and environment, then its task."""
    found = 0
    environments = client.environments()
    for project in client.projects():
        for environment in environments:
            latest = next(
                iter(client.deployments(projects=[project.Id], environments=[environment.Id], take=1)), None
            )
            if latest is not None and latest.TaskId:
                client.task(latest.TaskId)
                found += 1
    return found


def deploy_new(sim: Simulator, count: int, tag: int) -> None:
    for i in range(count):
        project = f"Service {i:04d}"
        version = f"9.{tag}.{i}"
        sim.call("POST", "/_sim/releases", {"project": project, "version": version})
        sim.call(
            "POST",
            "/_sim/deployments",
            {"project": project, "version": version, "environment": "Development", "duration": 30},
        )
    sim.advance(120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--environments", type=int, default=4)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    scenario = f"large:projects={args.projects},environments={args.environments},days={args.days}"
    print(f"world: {scenario}", flush=True)
    results: list[Figures] = []
    with dev.azurite() as connection:
        sim = Simulator(scenario)
        try:
            client = OctopusClient(sim.url, API_KEY)
            store = TableStore.connect(connection, "bench" + str(int(time.time())))

            def now() -> datetime:
                return datetime.fromisoformat(sim.now())

            options = PollOptions(backfill=timedelta(days=args.days + 1), page_size=100, max_pages=10_000)
            poller = Poller(client, DeploymentRepository(store), NameCatalogue(store), options)
            results.append(measure("first poll (backfill)", client, store, lambda: poller.poll(now())))
            # Events the simulator writes late (as a real server may) are picked up by the next poll.
            sim.advance(60)
            results.append(measure("second poll", client, store, lambda: poller.poll(now())))
            sim.advance(60)
            results.append(measure("idle", client, store, lambda: poller.poll(now())))
            for count, tag in ((20, 1), (500, 2)):
                deploy_new(sim, count, tag)
                results.append(measure(f"{count} new deployments", client, store, lambda: poller.poll(now())))
            sim.advance(60)
            results.append(measure("idle again", client, store, lambda: poller.poll(now())))
            if not args.skip_naive:
                results.append(
                    measure("naive (per project x environment)", client, store, lambda: naive_poll(client))
                )
        finally:
            sim.stop()
    print()
    print(
        "| case | Octopus requests | table reads | table queries | table writes | CPU ms | peak MiB | wall s |"  # noqa: E501
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for f in results:
        print(
            f"| {f.case} | {f.requests} | {f.table_reads} | {f.table_queries} | {f.table_writes} | "
            f"{f.cpu_ms:.1f} | {f.peak_mib:.1f} | {f.wall_s:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
