"""Scenarios: the demo and small worlds, scenario files, the large generator, the standalone runner."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.octosim import SimServer, Simulator, SimulatorError

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_world_has_the_shop_projects_a_tenant_and_history():
    sim = Simulator.from_scenario("demo")
    assert {p.name for p in sim.projects.values()} >= {
        "Identity",
        "Catalog",
        "Checkout",
        "Storefront",
        "Payments",
    }
    assert [e.name for e in sim.environments_in_order()] == ["Development", "Test", "Staging", "Production"]
    assert sim.project("Payments").tenanted_mode == "Tenanted"
    assert len(sim.tenants) == 2
    assert len(sim.deployments) > 20
    assert any(sim.tasks[d.task_id].state == "Failed" for d in sim.deployments.values())


def test_the_demo_lifecycle_blocks_reporting_from_production_until_test():
    sim = Simulator.from_scenario("demo")
    with pytest.raises(SimulatorError, match="Test"):
        sim.deploy("Reporting", "1.0.0", "Production")
    sim.deploy("Reporting", "1.0.0", "Test")
    sim.run_until_idle()
    sim.deploy("Reporting", "1.0.0", "Production")


def test_a_scenario_file_seeds_a_world(tmp_path):
    spec = {
        "start": "2026-03-01T00:00:00+00:00",
        "environments": ["Dev", "Prod"],
        "projects": [{"name": "Api"}],
        "history": [
            {"at": "-1h", "release": {"project": "Api", "version": "1.0.0"}},
            {
                "at": "-50m",
                "deploy": {"project": "Api", "version": "1.0.0", "environment": "Dev", "outcome": "Failed"},
            },
        ],
        "scripts": [{"project": "Api", "outcome": "TimedOut"}],
    }
    path = tmp_path / "world.json"
    path.write_text(json.dumps(spec))
    sim = Simulator.from_scenario(path)
    dep = next(iter(sim.deployments.values()))
    assert sim.tasks[dep.task_id].state == "Failed"
    assert sim.tasks[dep.task_id].completed_time.isoformat() == "2026-02-28T23:10:32+00:00"


def test_unknown_scenarios_are_named_in_the_error():
    with pytest.raises(SimulatorError, match="small"):
        Simulator.from_scenario("no-such-world")


def test_the_large_generator_builds_projects_by_environments_with_history():
    sim = Simulator.from_scenario("large:projects=200,environments=4,days=2")
    assert len(sim.projects) == 200
    assert len(sim.environments) == 4
    assert len(sim.deployments) >= 200 * 4 + 2 * 200 * 0.9
    oldest = min(e.occurred for e in sim.events)
    assert (sim.clock.now() - oldest).days >= 2


def test_the_large_world_serves_a_full_dashboard():
    with SimServer(Simulator.from_scenario("large:projects=100,days=1")) as server:
        dashboard = httpx.get(
            f"{server.url}/api/dashboard?showAll=true", headers={"X-Octopus-ApiKey": server.api_key}
        ).json()
    assert len(dashboard["Items"]) == 400


def test_the_fanout_world_deploys_one_release_to_every_tenant_at_once():
    sim = Simulator.from_scenario("fanout:projects=10,environments=2,days=1,tenants=40,fanouts=2")
    tenanted = sim.project("Tenanted Service")
    fanned = [d for d in sim.deployments.values() if d.project_id == tenanted.id]
    assert len(fanned) == 80
    assert len({d.tenant_id for d in fanned}) == 40
    first = sorted(d.created for d in fanned)[:40]
    assert first[-1] - first[0] < timedelta(seconds=1)


def test_the_standalone_runner_prints_its_url_and_key_and_serves():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.octosim", "--port", "0", "--scenario", "small"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        values = dict(line.strip().split("=", 1) for line in lines if "=" in line)
        response = httpx.get(
            f"{values['URL']}/api/projects/all", headers={"X-Octopus-ApiKey": values["API_KEY"]}
        )
        assert [p["Name"] for p in response.json()] == ["Catalog", "Checkout", "Identity", "Payments"]
    finally:
        process.terminate()
        process.wait(timeout=10)
