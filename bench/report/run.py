"""Benchmark: build and render the daily report of a large day, in memory.

    python bench/report/run.py [--deployments 20000] [--projects 1000] [--environments 4]

A synthetic day (generated, seeded): deployments spread over the local day across projects,
environments and tenants, about 4% failed, some canceled, timed out or still running, a
matrix of every project by environment with some drift. No storage is involved: this measures
the pure model (`build_report`) and the rendering (Jinja2 + css-inline) that every report
pays for. Peak memory is Python's (tracemalloc) during build and render, and the process's
maximum resident set (ru_maxrss) at the end.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from coord.domain.catalogue import Catalogue, EnvironmentInfo, ProjectInfo, TenantInfo
from coord.domain.links import Links
from coord.domain.records import DeploymentRecord, MatrixCell, TaskState
from coord.report.build import build_report
from coord.report.model import day_bounds
from coord.report.render import render_report

DAY = date(2026, 11, 26)
GENERATED = datetime(2026, 11, 27, 7, tzinfo=UTC)
# An installation's links: every deployment, release and task links into Octopus, as in production.
LINKS = Links("https://octopus.example.com", "Spaces-1", "https://coord.example.com")
ZONE = ZoneInfo("Europe/London")
OUTCOMES = [
    (TaskState.SUCCESS, 0.93),
    (TaskState.FAILED, 0.035),
    (TaskState.TIMED_OUT, 0.005),
    (TaskState.CANCELED, 0.02),
    (TaskState.EXECUTING, 0.01),
]


def synthetic_day(
    deployments: int, projects: int, environments: int, seed: int = 7
) -> tuple[list[DeploymentRecord], list[MatrixCell], Catalogue]:
    """A day of deployments, the matrix they leave, and the names of the space."""
    rng = random.Random(seed)
    envs = {
        f"Environments-{i}": EnvironmentInfo(f"Environments-{i}", name, i)
        for i, name in enumerate(
            ["Development", "Test", "Staging", "Production", "DR", "Perf"][:environments]
        )
    }
    tenanted = {f"Projects-{i}" for i in range(1, projects + 1) if i % 10 == 0}
    catalogue = Catalogue(
        projects={
            f"Projects-{i}": ProjectInfo(
                f"Projects-{i}",
                f"Service {i:04d} {rng.choice(['api', 'worker', 'web', 'jobs'])}",
                tenanted_mode="Tenanted" if f"Projects-{i}" in tenanted else "Untenanted",
            )
            for i in range(1, projects + 1)
        },
        environments=envs,
        tenants={
            f"Tenants-{t}": TenantInfo(
                f"Tenants-{t}", f"Customer {t}", {p: tuple(envs) for p in sorted(tenanted)}
            )
            for t in range(1, 4)
        },
    )
    start, end = day_bounds(DAY, ZONE)
    seconds = int((end - start).total_seconds())
    states, weights = zip(*OUTCOMES, strict=True)
    records = []
    project_ids = list(catalogue.projects)
    env_ids = list(envs)
    for n in range(deployments):
        project = rng.choice(project_ids)
        env = rng.choice(env_ids)
        tenant = f"Tenants-{rng.randint(1, 3)}" if project in tenanted else None
        state = rng.choices(states, weights)[0]
        queued = start + timedelta(seconds=rng.randrange(seconds)) - timedelta(minutes=5)
        began = queued + timedelta(seconds=rng.randint(1, 30))
        finished = began + timedelta(seconds=rng.randint(20, 900)) if state.is_completed else None
        if finished is not None and finished >= end:
            finished = end - timedelta(seconds=1)
        minor = rng.randint(0, 40)
        records.append(
            DeploymentRecord(
                deployment_id=f"Deployments-{n + 1}",
                project_id=project,
                environment_id=env,
                tenant_id=tenant,
                release_id=f"Releases-{project}-{minor}",
                release_version=f"2026.11.{minor}",
                channel_id=None,
                task_id=f"ServerTasks-{n + 1}",
                state=state,
                created=queued,
                queue_time=queued,
                start_time=began,
                completed_time=finished,
                deployed_by=rng.choice(["alice", "bob", "octopus-ci", "carol"]),
                error_message=(
                    "The step failed: Activity Deploy on worker-3 failed with error 'exit code 1'."
                    if state in (TaskState.FAILED, TaskState.TIMED_OUT)
                    else ""
                ),
                release_assembled=queued - timedelta(hours=rng.randint(1, 96)),
            )
        )
    matrix = []
    for project in project_ids:
        base = rng.randint(0, 40)
        for i, env in enumerate(env_ids):
            tenants = [f"Tenants-{t}" for t in range(1, 4)] if project in tenanted else [None]
            for tenant in tenants:
                drift = rng.random() < 0.15 and i > 0
                version = f"2026.11.{base - 1 if drift else base}"
                record = DeploymentRecord(
                    f"Deployments-m{project}{env}{tenant}",
                    project,
                    env,
                    tenant,
                    "Releases-x",
                    version,
                    None,
                    None,
                    TaskState.SUCCESS,
                    start,
                )
                matrix.append(MatrixCell(project, env, tenant, record, record))
    return records, matrix, catalogue


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deployments", type=int, default=20_000)
    parser.add_argument("--projects", type=int, default=1_000)
    parser.add_argument("--environments", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is shown")
    parser.add_argument("--out", type=Path, help="also write the HTML here")
    args = parser.parse_args()

    records, matrix, catalogue = synthetic_day(args.deployments, args.projects, args.environments)
    groups = {"all": list(catalogue.projects)}
    # Load and compile the templates first: a warm Function instance has them.
    render_report(
        build_report(DAY, ZONE, records[:10], matrix[:10], catalogue, [], [], generated_at=GENERATED)
    )

    rss_before = _rss_mib()
    timings = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        model = build_report(
            DAY, ZONE, records, matrix, catalogue, [], [], generated_at=GENERATED, groups=groups
        )
        built = time.perf_counter()
        subject, html, text = render_report(model, LINKS)
        rendered = time.perf_counter()
        timings.append((built - began, rendered - built))
    build_s = min(t[0] for t in timings)
    render_s = min(t[1] for t in timings)
    # Memory in a separate pass: tracemalloc slows Python down several times.
    del model, html, text
    tracemalloc.start()
    model = build_report(DAY, ZONE, records, matrix, catalogue, [], [], generated_at=GENERATED, groups=groups)
    subject, html, text = render_report(model, LINKS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = _rss_mib()

    if args.out:
        args.out.write_text(html, encoding="utf-8")
    rows = [
        ("deployments in the day", f"{model.totals.total:,}"),
        ("projects x environments", f"{args.projects:,} x {args.environments}"),
        (f"build (model) s, best of {args.repeat}", f"{build_s:.3f}"),
        (f"render (HTML + text + inline CSS) s, best of {args.repeat}", f"{render_s:.3f}"),
        ("build + render s", f"{build_s + render_s:.3f}"),
        ("peak Python memory of build + render (tracemalloc) MiB", f"{peak / 2**20:.1f}"),
        ("process max RSS before build, input in memory MiB", f"{rss_before:.1f}"),
        ("process max RSS after build + render MiB", f"{rss:.1f}"),
        ("HTML size KiB", f"{len(html.encode()) / 1024:,.0f}"),
        ("text size KiB", f"{len(text.encode()) / 1024:,.0f}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"subject: {subject}")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value:>12}")


if __name__ == "__main__":
    main()
