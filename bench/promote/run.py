"""Benchmark: how close a promotion run comes to the critical path of its dependency graph, driven each way.

    python bench/promote/run.py [--projects 200] [--levels 5] [--task-minutes 5] [--queue-delay-seconds 2]
                                [--baseline-projects 20] [--wait-projects 6] [--wait-levels 3]
                                [--wait-task-seconds 1.5] [--template-latency-ms 50] [--seed 7]

The world (bench/promote/world.py): `--projects` projects in `--levels` dependency levels, each
project above the first needing 1 to 3 of the level below; 1.0.0 in Staging, nothing in
Production; each deployment takes T (`--task-minutes`) after the simulator's queue delay. The
critical path is levels x T: no run can be shorter. One run of this script drives the whole group
from Staging to Production in each of these ways, on the simulator's manual clock:

- tick only, every minute: the timer and nothing else (how runs advanced before);
- tick + follow, every minute and every 5 minutes: polling only; each tick follows the run's
  tasks until shortly before the next tick;
- tick + webhook, every minute and every 5 minutes: Octopus's subscription webhook reaches coord's
  route over HTTP (delivered within a second of each event);
- one at a time: `max_parallel: 1` on `--baseline-projects` projects, with the webhook;

and on a real clock, `promote --wait` on a small group (`--wait-projects` in `--wait-levels`
levels, each deployment taking `--wait-task-seconds` from creation to end), beside the loop it
replaced. Last, a start's template reads: one by one against six at a time, with
`--template-latency-ms` added to each, and how many a second start of a group already promoted
reads.

Targets (the exit status is 1 when one is missed or a correctness check fails): with the webhook,
makespan <= 1.05 x critical path + 5 s per level whatever the tick; polling only with a 1-minute
tick, <= 1.1 x; --wait, a run spans <= 1.15 x its critical path.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dev  # noqa: E402
from drive import (  # noqa: E402
    Outcome,
    Scenario,
    WaitOutcome,
    drive_timer,
    drive_wait,
)
from starts import StartFigures, measure_starts  # noqa: E402
from world import make_world  # noqa: E402

MINUTE = timedelta(minutes=1)
SCENARIOS = (
    Scenario("tick only, 1 min", MINUTE),
    Scenario("tick + follow, 1 min", MINUTE, follow=True),
    Scenario("tick + follow, 5 min", 5 * MINUTE, follow=True),
    Scenario("tick + webhook, 1 min", MINUTE, follow=True, webhooks=True),
    Scenario("tick + webhook, 5 min", 5 * MINUTE, follow=True, webhooks=True),
)
ONE_AT_A_TIME = Scenario(
    "one at a time (max_parallel 1), webhook", MINUTE, follow=True, webhooks=True, max_parallel=1
)


def minutes(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 120:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s"


def spread(values: Sequence[float]) -> str:
    if not values:
        return "-"
    median = statistics.median(values)
    return f"{min(values):.0f} / {median:.0f} / {max(values):.0f}"


def target_of(scenario: Scenario, critical: timedelta, levels: int) -> tuple[str, timedelta | None]:
    if scenario.webhooks:
        return "1.05 x + 5 s/level", 1.05 * critical + levels * timedelta(seconds=5)
    if scenario.follow and scenario.tick == MINUTE:
        return "1.1 x", 1.1 * critical
    return "-", None


def timer_table(outcomes: list[Outcome], *, task: timedelta, levels: int) -> bool:
    critical = levels * task
    ok = True
    print(f"\ncritical path: {levels} levels x T = {minutes(critical)}\n")
    print(
        "| driven by | makespan | / critical path | target | advances (that started deployments) "
        "| per advance: Octopus requests, table reads, table writes (median) | webhooks answered "
        "| Octopus requests in all | table writes in all | duplicates / order violations |"
    )
    print("|---|---:|---:|---|---:|---|---:|---:|---:|---:|")
    for outcome, scenario in zip(outcomes, SCENARIOS, strict=True):
        name, bound = target_of(scenario, critical, levels)
        met = bound is None or outcome.makespan <= bound
        ok = ok and met and outcome.correctness.sound and outcome.correctness.deployments == outcome.projects
        starting = sum(1 for a in outcome.advances if a.started)
        per_advance = (
            f"{statistics.median(a.requests for a in outcome.advances):.0f}, "
            f"{statistics.median(a.reads for a in outcome.advances):.0f}, "
            f"{statistics.median(a.writes for a in outcome.advances):.0f}"
            if outcome.advances
            else "-"
        )
        verdict = f"{name} ({minutes(bound)}): {'met' if met else 'NOT met'}" if bound is not None else "-"
        ratio = outcome.makespan / critical
        print(
            f"| {outcome.label} | {minutes(outcome.makespan)} | {ratio:.3f} | {verdict} "
            f"| {len(outcome.advances)} ({starting}) | {per_advance} | {len(outcome.webhooks)} "
            f"| {outcome.requests} | {outcome.writes} "
            f"| {outcome.correctness.duplicates} / {outcome.correctness.order_violations} |"
        )
    return ok


def level_table(outcomes: list[Outcome]) -> None:
    print("\nlevels: first deployment created / last deployment succeeded, after the start request\n")
    print("| level | " + " | ".join(o.label for o in outcomes) + " |")
    print("|---:|" + "---:|" * len(outcomes))
    for number in range(max(len(o.correctness.level_spans) for o in outcomes)):
        cells = []
        for outcome in outcomes:
            spans = outcome.correctness.level_spans
            cells.append(
                f"+{minutes(spans[number][0])} / +{minutes(spans[number][1])}" if number < len(spans) else "-"
            )
        print(f"| {number + 1} | " + " | ".join(cells) + " |")


def costs_table(outcomes: list[Outcome]) -> None:
    print("\nwhat each trigger cost (min / median / max)\n")
    print(
        "| driven by | Octopus requests per tick | table writes per tick "
        "| per webhook: requests | per webhook: table writes |"
    )
    print("|---|---:|---:|---:|---:|")
    for outcome in outcomes:
        hooks = [h for h in outcome.webhooks if h.status == 202]
        print(
            f"| {outcome.label} | {spread([t.requests for t in outcome.ticks])} "
            f"| {spread([t.writes for t in outcome.ticks])} "
            f"| {spread([h.requests for h in hooks])} | {spread([h.writes for h in hooks])} |"
        )


def one_at_a_time_line(outcome: Outcome, projects: int, task: timedelta) -> bool:
    per_project = outcome.makespan / outcome.projects
    checks = outcome.correctness
    print(
        f"\none at a time (max_parallel 1, {outcome.projects} projects, webhook): "
        f"{minutes(outcome.makespan)}, {minutes(per_project)} per project against T = {minutes(task)}; "
        f"for {projects} projects {minutes(per_project * projects)} "
        f"(computed: {projects} x T = {minutes(projects * task)}); "
        f"duplicates / order violations {checks.duplicates} / {checks.order_violations}"
    )
    return outcome.correctness.sound


def wait_table(outcomes: list[WaitOutcome]) -> bool:
    critical = outcomes[0].critical_path
    print(f"\n--wait on a real clock: critical path {critical.total_seconds():.2f} s\n")
    print(
        "| follower | run span | / critical path | target 1.15 x | Octopus requests | table reads "
        "| table writes | advances |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    ok = True
    for outcome in outcomes:
        ratio = outcome.span / critical
        met = ratio <= 1.15
        if outcome.label.startswith("promote --wait"):
            ok = ok and met
        ok = ok and outcome.correctness.sound
        span = outcome.span.total_seconds()
        print(
            f"| {outcome.label} | {span:.2f} s | {ratio:.3f} | {'met' if met else 'not met'} "
            f"| {outcome.requests} | {outcome.reads} | {outcome.writes} | {outcome.advances or '-'} |"
        )
    return ok


def start_table(figures: StartFigures) -> None:
    print(
        f"\nstarting a run of {figures.projects} projects "
        f"({figures.latency_ms} ms added to each template read)\n"
    )
    print("| | value |")
    print("|---|---|")
    print(f"| templates read one by one | {figures.sequential_s:.2f} s |")
    print(f"| templates read six at a time | {figures.parallel_s:.2f} s |")
    print(
        f"| start request: Octopus requests (templates) "
        f"| {figures.start_requests} ({figures.start_templates}) |"
    )
    print(
        f"| start request: wall time, first wave of {figures.first_wave} started in it "
        f"| {figures.start_s:.2f} s |"
    )
    print(f"| a second start of the group, everything current: templates read | {figures.again_templates} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--levels", type=int, default=5)
    parser.add_argument("--task-minutes", type=float, default=5.0, help="T: duration of each deployment")
    parser.add_argument("--queue-delay-seconds", type=float, default=2.0, help="simulator's task queue delay")
    parser.add_argument("--baseline-projects", type=int, default=20, help="projects of the one-at-a-time run")
    parser.add_argument("--wait-projects", type=int, default=6)
    parser.add_argument("--wait-levels", type=int, default=3)
    parser.add_argument(
        "--wait-task-seconds", type=float, default=1.5, help="creation to end, queue included"
    )
    parser.add_argument("--template-latency-ms", type=int, default=50)
    parser.add_argument("--only", choices=["timer", "wait", "start"], help="run one part")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    task = timedelta(minutes=args.task_minutes)
    queue_delay = timedelta(seconds=args.queue_delay_seconds)
    world = make_world(args.projects, args.levels, args.seed)
    edges = sum(len(needs) for needs in world.depends_on.values())
    print(f"world: {len(world.projects)} projects, {args.levels} levels, {edges} dependencies", flush=True)
    ok = True
    began = time.perf_counter()
    with dev.azurite() as connection:
        if args.only in (None, "timer"):
            outcomes = []
            for scenario in SCENARIOS:
                outcome = drive_timer(scenario, world, connection, task=task, queue_delay=queue_delay)
                print(
                    f"{scenario.label}: {minutes(outcome.makespan)} ({outcome.wall_s:.0f} s wall)", flush=True
                )
                outcomes.append(outcome)
            small = make_world(args.baseline_projects, args.levels, args.seed)
            baseline = drive_timer(ONE_AT_A_TIME, small, connection, task=task, queue_delay=queue_delay)
            ok = timer_table(outcomes, task=task, levels=args.levels) and ok
            level_table(outcomes)
            costs_table(outcomes)
            ok = one_at_a_time_line(baseline, args.projects, task) and ok
        if args.only in (None, "wait"):
            wait_world = make_world(args.wait_projects, args.wait_levels, args.seed)
            total = timedelta(seconds=args.wait_task_seconds)
            # A deployment leaves Octopus's queue after a third of its time and runs the rest.
            wait_task, wait_queue = total * 2 / 3, total / 3
            waits = [
                drive_wait("promote --wait (follows the run's tasks)", wait_world, connection,
                           task=wait_task, queue_delay=wait_queue, naive=False),
                drive_wait("the loop it replaced (sleep 0.5 s doubling to 5 s, poll, advance)", wait_world,
                           connection, task=wait_task, queue_delay=wait_queue, naive=True),
            ]  # fmt: skip
            ok = wait_table(waits) and ok
        if args.only in (None, "start"):
            start_table(
                measure_starts(
                    world, connection, queue_delay=queue_delay, latency_ms=args.template_latency_ms
                )
            )
    print(f"\nbenchmark wall time: {time.perf_counter() - began:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
