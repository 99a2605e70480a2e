"""Benchmark: what polling costs on a busy Octopus space, against the naive approach.

    python bench/poll/run.py [--projects 1000] [--environments 4] [--days 3] [--tenants 400]
                             [--fanouts 5] [--skip-naive]

Starts Azurite and the Octopus simulator (the generated `fanout` world, manual clock) in their
own processes, so the CPU time measured here is coord's alone. The world is 1,000 projects by
4 environments with three days of history, one of them tenanted with 400 tenants that a release
reaches at once five times: about 9,000 deployments and 27,000 events.

Cases, each with Octopus requests, Table Storage operations, coord's CPU time and wall time:

- catch-up: a new user's first poll and the polls after it, with the poller's defaults (a week of
  backfill), until one says it has caught up; whether the matrix already equals Octopus's
  dashboard after the first poll; CPU per recorded deployment;
- idle: nothing new since the last poll;
- fan-out: one release deployed to every tenant at once (1,200 events within two minutes), then
  20 new deployments while those 1,200 known events are still inside the overlap behind the cursor;
- 500 new deployments;
- naive: what Octopus's own code samples do (octopus-api.md §8: per project, environment and
  tenant, the newest deployment, then its task), once over the whole space;
- webhook: how long `POST /api/octopus/events` takes to record an event, and to answer when Octopus
  answers at once and when it hangs (Octopus sends again a reply slower than 10 s).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
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
from pydantic import SecretStr  # noqa: E402

from coord.bootstrap import Services  # noqa: E402
from coord.config import parse_config  # noqa: E402
from coord.entrypoints.http import feed as routes  # noqa: E402
from coord.entrypoints.http.messages import Request, serve  # noqa: E402
from coord.entrypoints.http.webhook import parse_webhook  # noqa: E402
from coord.feed import service as feed_service  # noqa: E402
from coord.feed.names import NameCatalogue  # noqa: E402
from coord.feed.poller import Poller, PollOptions  # noqa: E402
from coord.feed.repository import DeploymentRepository  # noqa: E402
from coord.octopus import OctopusClient  # noqa: E402
from coord.settings import Settings, StorageTarget  # noqa: E402
from coord.store import TableStore  # noqa: E402

API_KEY = "API-BENCHMARK0000000000000000000"
TENANTED = "Tenanted Service"


@dataclass
class Figures:
    case: str
    polls: int
    requests: int
    table_queries: int
    table_writes: int
    cpu_s: float
    wall_s: float
    deployments: int = 0

    @property
    def cpu_per_deployment_ms(self) -> str:
        return f"{self.cpu_s * 1000 / self.deployments:.2f}" if self.deployments else "-"


class Simulator:
    """The simulator in its own process, steered over its /_sim/ routes."""

    def __init__(self, scenario: str) -> None:
        args = ["--port", "0", "--scenario", scenario, "--manual-clock", "--api-key", API_KEY]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.octosim", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
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

    def now(self) -> datetime:
        return datetime.fromisoformat(self.call("GET", "/_sim/clock")["now"])

    def advance(self, seconds: float) -> None:
        self.call("POST", "/_sim/clock/advance", {"seconds": seconds})

    def deploy(self, project: str, version: str, environment: str, tenant: str | None = None) -> None:
        body = {"project": project, "version": version, "environment": environment, "duration": 30}
        if tenant is not None:
            body["tenant"] = tenant
        self.call("POST", "/_sim/deployments", body)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def measure(
    case: str, client: OctopusClient, store: TableStore, work: Callable[[], tuple[int, int]]
) -> Figures:
    """Run `work` (returning polls made and deployments recorded) and count what it cost."""
    requests_before = client.request_count
    store.operations.reset()
    cpu, wall = time.process_time(), time.perf_counter()
    polls, deployments = work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    ops = store.operations.snapshot()
    return Figures(
        case,
        polls,
        client.request_count - requests_before,
        ops.queries + ops.reads,
        ops.transactions + ops.writes,
        cpu,
        wall,
        deployments,
    )


def naive_poll(client: OctopusClient) -> tuple[int, int]:
    """Octopus's samples: the newest deployment per project, environment and tenant, then its task."""
    found = 0
    environments = client.environments()
    tenants = client.tenants()
    for project in client.projects():
        connected = [t for t in tenants if project.Id in t.ProjectEnvironments]
        for environment in environments:
            for tenant in connected or [None]:
                latest = next(
                    iter(
                        client.deployments(
                            projects=[project.Id],
                            environments=[environment.Id],
                            tenants=[tenant.Id] if tenant else None,
                            take=1,
                        )
                    ),
                    None,
                )
                if latest is not None and latest.TaskId:
                    client.task(latest.TaskId)
                    found += 1
    return 1, found


def matrix_matches_dashboard(client: OctopusClient, repo: DeploymentRepository) -> tuple[int, int]:
    """(cells whose latest deployment is the dashboard's, dashboard cells)."""
    stored = {(c.project_id, c.environment_id, c.tenant_id): c.latest.deployment_id for c in repo.matrix()}
    items = client.dashboard(show_all=True).Items
    agree = sum(1 for i in items if stored.get((i.ProjectId, i.EnvironmentId, i.TenantId)) == i.DeploymentId)
    return agree, len(items)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--environments", type=int, default=4)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--tenants", type=int, default=400)
    parser.add_argument("--fanouts", type=int, default=5)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    scenario = (
        f"fanout:projects={args.projects},environments={args.environments},days={args.days},"
        f"tenants={args.tenants},fanouts={args.fanouts}"
    )
    print(f"world: {scenario}", flush=True)
    results: list[Figures] = []
    notes: list[str] = []
    with dev.azurite() as connection:
        sim = Simulator(scenario)
        try:
            client = OctopusClient(sim.url, API_KEY)
            store = TableStore.connect(connection, "bench" + str(int(time.time())))
            repo = DeploymentRepository(store)
            # The defaults a deployed coord polls with; only the backfill follows COORD_BACKFILL_DAYS (7).
            poller = Poller(client, repo, NameCatalogue(store), PollOptions(backfill=timedelta(days=7)))

            def catch_up() -> tuple[int, int]:
                polls = fetched = 0
                while True:
                    polls += 1
                    report = poller.poll(sim.now())
                    fetched += report.deployments_seen
                    if polls == 1:
                        agree, cells = matrix_matches_dashboard(client, repo)
                        notes.append(
                            f"after the first poll, {agree} of {cells} matrix cells equal the dashboard"
                        )
                    if report.caught_up or polls >= 50:
                        notes.append(f"deployments fetched from Octopus during the catch-up: {fetched}")
                        return polls, 0

            results.append(measure("first poll and catch-up", client, store, catch_up))
            now = sim.now()
            results[-1].deployments = len(repo.records_between(now - timedelta(days=8), now))
            sim.advance(60)
            results.append(measure("next poll", client, store, lambda: one_poll(poller, sim)))
            sim.advance(60)
            results.append(measure("idle", client, store, lambda: one_poll(poller, sim)))
            for n in range(args.tenants):
                sim.deploy(TENANTED, "2.0.0", "Development", tenant=f"Customer {n:03d}")
            sim.advance(100)
            results.append(
                measure(f"fan-out to {args.tenants} tenants", client, store, lambda: one_poll(poller, sim))
            )
            for count, tag in ((20, 1), (500, 2)):
                deploy_new(sim, count, tag)
                results.append(
                    measure(f"{count} new deployments", client, store, lambda: one_poll(poller, sim))
                )
            sim.advance(60)
            results.append(measure("idle again", client, store, lambda: one_poll(poller, sim)))
            notes += webhook_timings(sim, client, connection)
            if not args.skip_naive:
                results.append(
                    measure(
                        "naive (per project x environment x tenant)",
                        client,
                        store,
                        lambda: naive_poll(client),
                    )
                )
        finally:
            sim.stop()
    print()
    print(
        "| case | polls | Octopus requests | table reads | table writes | CPU s | CPU ms / deployment | wall s |"  # noqa: E501
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for f in results:
        print(
            f"| {f.case} | {f.polls} | {f.requests} | {f.table_queries} | {f.table_writes} | "
            f"{f.cpu_s:.2f} | {f.cpu_per_deployment_ms} | {f.wall_s:.2f} |"
        )
    print()
    for note in notes:
        print(f"- {note}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"- peak RSS of coord's process: {peak:.0f} MiB")
    return 0


def webhook_timings(sim: Simulator, client: OctopusClient, connection: str) -> list[str]:
    """Time the webhook: recording alone, the whole answer, and the answer while Octopus hangs."""
    settings = Settings(
        octopus_server_url=sim.url,
        octopus_api_key=SecretStr(API_KEY),
        storage=StorageTarget(connection_string=SecretStr(connection)),
        table_prefix="hook" + str(int(time.time())),
        webhook_secret=SecretStr("s3cret"),
    )
    config = parse_config("timezone: UTC\ngroups:\n  fleet:\n    projects: [Service 0000]\n", "bench")
    services = Services(settings=settings, config=config)
    sim.call("POST", "/_sim/releases", {"project": "Service 0001", "version": "9.9.9"})
    sim.deploy("Service 0001", "9.9.9", "Development")
    sim.advance(60)
    events = list(
        client.events(categories=["DeploymentQueued", "DeploymentStarted", "DeploymentSucceeded"], take=3)
    )
    payloads = [
        {
            "EventType": "SubscriptionPayload",
            "Payload": {
                "Event": e.model_dump(
                    mode="json", include={"Id", "Category", "Occurred", "RelatedDocumentIds"}
                )
            },
        }
        for e in events[:3]
    ]

    def answer(payload: dict[str, Any]) -> tuple[float, str]:
        started = time.perf_counter()
        request = Request("POST", headers={"X-Coord-Secret": "s3cret"}, body=json.dumps(payload).encode())
        response = serve(lambda r: routes.octopus_events(r, services), request)
        return time.perf_counter() - started, json.loads(response.body)["detail"]

    services.store.table("inbox")  # tables created before timing, as on a warm instance
    event = parse_webhook(payloads[0])
    assert event is not None
    started = time.perf_counter()
    feed_service.record_webhook_event(services, event)
    recorded = time.perf_counter() - started
    quick, quick_detail = answer(payloads[1])
    sim.call("POST", "/_sim/faults", {"route": "GET /deployments", "timeout": 15, "count": 1})
    hung, hung_detail = answer(payloads[2])
    services.close()
    return [
        f"webhook: recording an event (claim and pending row) took {recorded * 1000:.0f} ms",
        f"webhook: answered in {quick:.2f} s when Octopus answers at once ({quick_detail})",
        f"webhook: answered in {hung:.2f} s when Octopus hangs for 15 s ({hung_detail})",
    ]


def one_poll(poller: Poller, sim: Simulator) -> tuple[int, int]:
    report = poller.poll(sim.now())
    return 1, report.records_written


def deploy_new(sim: Simulator, count: int, tag: int) -> None:
    for i in range(count):
        project = f"Service {i:04d}"
        version = f"9.{tag}.{i}"
        sim.call("POST", "/_sim/releases", {"project": project, "version": version})
        sim.deploy(project, version, "Development")
    sim.advance(120)


if __name__ == "__main__":
    sys.exit(main())
