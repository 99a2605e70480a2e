"""A busy space with tenant fan-outs: the `large` world, and releases deployed to hundreds of tenants at once.

`fanout:projects=1000,environments=4,days=3,tenants=400,fanouts=5` builds `projects - 1` untenanted
projects as `large` does (one pipeline step a project a day) and one tenanted project, `Tenanted
Service`, connected to every tenant in every environment. `fanouts` times over the history a new
release of it is deployed to all its tenants in one environment within the same second, as a
person does with "deploy to all tenants": 400 tenants write 1,200 events within two minutes.
With the defaults that is 8,993 deployments and 26,979 events over three days.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.octosim.clock import ManualClock, RealClock
from tests.octosim.scenarios import generate_large
from tests.octosim.simulator import Simulator

TENANTED_PROJECT = "Tenanted Service"


def generate_fanout(
    *,
    projects: int = 1000,
    environments: int = 4,
    days: int = 3,
    tenants: int = 400,
    fanouts: int = 5,
    seed: int = 7,
    clock: ManualClock | RealClock | None = None,
    api_key: str | None = None,
    **large: Any,
) -> Simulator:
    """The `large` world with one tenanted project and `fanouts` deployments of it to every tenant."""
    sim = generate_large(
        projects=max(projects - 1, 0),
        environments=environments,
        days=days,
        seed=seed,
        clock=clock,
        api_key=api_key,
        **large,
    )
    now = sim.clock.now()
    env_names = [e.name for e in sim.environments_in_order()]
    project = sim.add_project(TENANTED_PROJECT, tenanted="Tenanted")
    tenant_names = [f"Customer {t:03d}" for t in range(tenants)]
    for name in tenant_names:
        sim.add_tenant(name, {project: env_names})
    span = timedelta(days=days)
    for n in range(fanouts):
        # Spread over the history, the last one well inside the final day.
        when = now - span + span * (n + 1) / (fanouts + 1)
        version = f"2.{n}.0"
        sim.create_release(project, version, assembled=when)
        environment = env_names[n % len(env_names)]
        for offset, tenant in enumerate(tenant_names):
            sim.deploy(
                project,
                version,
                environment,
                tenant=tenant,
                at=when + timedelta(milliseconds=offset),
                duration=timedelta(seconds=30 + offset % 60),
                check_lifecycle=False,
                user="alice",
            )
    sim.sync()
    sim.scenario = "fanout"
    return sim
