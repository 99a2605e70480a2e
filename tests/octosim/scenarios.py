"""Scenario files (YAML or JSON) that seed a world, and the generator for large worlds.

A scenario names environments, lifecycles, project groups, projects, tenants, subscriptions and
a `history` of releases and deployments at offsets from its start (`-3d`, `-2d4h`). The format is
described in tests/octosim/README.md.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tests.octosim.clock import ManualClock, RealClock
from tests.octosim.errors import SimulatorError
from tests.octosim.formats import parse_span, parse_time
from tests.octosim.simulator import DEFAULT_START, Simulator

SCENARIO_DIR = Path(__file__).parent / "scenarios"


def scenario_names() -> list[str]:
    """Built-in scenario names (files in scenarios/ plus the `large` generator)."""
    return sorted([p.stem for p in SCENARIO_DIR.glob("*.y*ml")] + ["large", "fanout"])


def load_scenario(
    name_or_path: str | Path, *, clock: ManualClock | RealClock | None = None, **options: Any
) -> Simulator:
    """Build a Simulator from `small`, `demo`, `large[:k=v,...]` or a YAML/JSON file path."""
    text = str(name_or_path)
    if text == "large" or text.startswith("large:"):
        params = dict(item.split("=", 1) for item in text[6:].split(",") if item) if ":" in text else {}
        merged = {k: int(v) for k, v in params.items()}
        merged.update(options)
        return generate_large(clock=clock, **merged)
    if text == "fanout" or text.startswith("fanout:"):
        from tests.octosim.fanout import generate_fanout  # noqa: PLC0415  (fanout builds on this module)

        return generate_fanout(clock=clock, **{**_parameters(text), **options})
    path = Path(text)
    if not path.exists():
        candidates = [
            SCENARIO_DIR / f"{text}.yaml",
            SCENARIO_DIR / f"{text}.yml",
            SCENARIO_DIR / f"{text}.json",
        ]
        path = next((c for c in candidates if c.exists()), path)
        if not path.exists():
            msg = f"no scenario {text!r}; built-in ones: {', '.join(scenario_names())}"
            raise SimulatorError(msg)
    raw = path.read_text()
    spec = json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
    sim = build(spec, clock=clock, **options)
    sim.scenario = text
    return sim


def _parameters(text: str) -> dict[str, int]:
    """`name:k=v,k=v` as {k: int(v)}."""
    _, _, rest = text.partition(":")
    return {k: int(v) for k, v in (item.split("=", 1) for item in rest.split(",") if item)}


def _when(base: datetime, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    text = str(value)
    if text[:1] in "+-" or text[-1:] in "dhms":
        return base + parse_span(text)
    return parse_time(text)


def build(
    spec: dict[str, Any],
    *,
    clock: ManualClock | RealClock | None = None,
    api_key: str | None = None,
    seed: int = 0,
) -> Simulator:
    """A Simulator from a parsed scenario document."""
    start = parse_time(str(spec["start"])) if spec.get("start") else DEFAULT_START
    sim = Simulator(clock=clock or ManualClock(start), api_key=api_key or spec.get("api_key"), seed=seed)
    base = sim.clock.now()
    defaults = spec.get("defaults") or {}
    if "duration" in defaults:
        sim.defaults.duration = parse_span(defaults["duration"])
    if "queue_delay" in defaults:
        sim.defaults.queue_delay = parse_span(defaults["queue_delay"])
    if "interrupt_after" in defaults:
        sim.defaults.interrupt_after = parse_span(defaults["interrupt_after"])
    for env in spec.get("environments") or []:
        env = {"name": env} if isinstance(env, str) else env  # noqa: PLW2901  (shorthand form)
        sim.add_environment(
            env["name"],
            sort_order=env.get("sort_order"),
            use_guided_failure=env.get("use_guided_failure", False),
        )
    for group in spec.get("project_groups") or []:
        sim.add_project_group(group if isinstance(group, str) else group["name"])
    for lifecycle in spec.get("lifecycles") or []:
        lifecycle = {"name": lifecycle} if isinstance(lifecycle, str) else lifecycle  # noqa: PLW2901  (shorthand form)
        sim.add_lifecycle(lifecycle["name"], lifecycle.get("phases") or [])
    for project in spec.get("projects") or []:
        project = {"name": project} if isinstance(project, str) else project  # noqa: PLW2901  (shorthand form)
        sim.add_project(
            project["name"],
            group=project.get("group"),
            lifecycle=project.get("lifecycle"),
            tenanted=project.get("tenanted", "Untenanted"),
            slug=project.get("slug"),
            description=project.get("description", ""),
        )
        for channel in project.get("channels") or []:
            sim.add_channel(project["name"], channel["name"], lifecycle=channel.get("lifecycle"))
    for tenant in spec.get("tenants") or []:
        sim.add_tenant(tenant["name"], tenant.get("projects") or {}, tags=tenant.get("tags") or [])
    for sub in spec.get("subscriptions") or []:
        sub = dict(sub)  # noqa: PLW2901  (a copy: the url is popped off)
        sim.add_subscription(sub.pop("url"), **sub)
    history = [(_when(base, item["at"]), index, item) for index, item in enumerate(spec.get("history") or [])]
    for when, _, item in sorted(history, key=lambda h: (h[0], h[1])):
        if when > base:
            msg = f"history entry {item!r} is in the future"
            raise SimulatorError(msg)
        if "release" in item:
            rel = item["release"]
            sim.create_release(
                rel["project"],
                str(rel["version"]),
                channel=rel.get("channel"),
                notes=rel.get("notes"),
                assembled=when,
            )
        elif "deploy" in item:
            dep = item["deploy"]
            sim.deploy(
                dep["project"],
                str(dep["version"]),
                dep["environment"],
                tenant=dep.get("tenant"),
                outcome=dep.get("outcome", "Success"),
                duration=dep.get("duration"),
                queue_delay=dep.get("queue_delay"),
                user=dep.get("user", "alice"),
                at=when,
                comments=dep.get("comments"),
                check_lifecycle=dep.get("check_lifecycle", True),
            )
        else:
            msg = f"history entry {item!r} needs a `release` or a `deploy`"
            raise SimulatorError(msg)
    for script in spec.get("scripts") or []:
        sim.script_outcome(**script)
    sim.sync()
    return sim


def generate_large(
    *,
    projects: int = 1000,
    environments: int = 4,
    days: int = 3,
    deployments_per_day: int | None = None,
    tenants: int = 0,
    seed: int = 7,
    clock: ManualClock | RealClock | None = None,
    api_key: str | None = None,
    failure_rate: float = 0.05,
) -> Simulator:
    """A benchmark world: `projects` x `environments` with `days` of deployment history.

    Every project starts with release 1.0.0 deployed everywhere; then each day a project moves its
    pipeline one step at a time (a new release into the first environment, or the current release
    one environment further), `deployments_per_day` steps a day (default: one per project).
    """
    rng = random.Random(seed)
    sim = Simulator(clock=clock or ManualClock(DEFAULT_START), api_key=api_key, seed=seed)
    now = sim.clock.now()
    names = ["Development", "Test", "Staging", "Production"] + [f"Env{i}" for i in range(5, environments + 1)]
    env_names = names[:environments]
    for name in env_names:
        sim.add_environment(name)
    sim.add_lifecycle("Default Lifecycle")
    groups = [sim.add_project_group(f"Group {g:02d}") for g in range(max(1, projects // 50))]
    project_ids = [
        sim.add_project(f"Service {p:04d}", group=groups[p % len(groups)]) for p in range(projects)
    ]
    for t in range(tenants):
        sim.add_tenant(f"Tenant {t:03d}")
    sim.defaults.queue_delay = timedelta(seconds=1)
    per_day = deployments_per_day if deployments_per_day is not None else projects
    begin = now - timedelta(days=days, hours=1)
    # Baseline: 1.0.0 everywhere, spread over the first hour.
    state: dict[str, tuple[int, int]] = {}
    for index, pid in enumerate(project_ids):
        when = begin + timedelta(seconds=index * 3600 / max(projects, 1))
        sim.create_release(pid, "1.0.0", assembled=when)
        for step, env in enumerate(env_names):
            sim.deploy(
                pid,
                "1.0.0",
                env,
                at=when + timedelta(seconds=step),
                duration=timedelta(seconds=20),
                check_lifecycle=False,
                user="seed",
            )
        state[pid] = (0, environments)
    for day in range(days):
        day_start = begin + timedelta(hours=1) + timedelta(days=day)
        offsets = sorted(rng.uniform(0, 86400 - 120) for _ in range(per_day))
        for offset in offsets:
            when = day_start + timedelta(seconds=offset)
            if when >= now:
                break
            pid = project_ids[rng.randrange(projects)]
            minor, reached = state[pid]
            if reached >= environments:
                minor += 1
                sim.create_release(pid, f"1.{minor}.0", assembled=when)
                reached = 0
            outcome = "Failed" if rng.random() < failure_rate else "Success"
            sim.deploy(
                pid,
                f"1.{minor}.0",
                env_names[reached],
                at=when + timedelta(seconds=1),
                outcome=outcome,
                duration=timedelta(seconds=rng.randint(15, 90)),
                check_lifecycle=False,
                user=rng.choice(["alice", "bob", "carol"]),
            )
            state[pid] = (minor, reached + 1 if outcome == "Success" else reached)
    sim.sync()
    sim.scenario = "large"
    return sim
