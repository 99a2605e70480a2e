"""Octopus's own npm client (@octopusdeploy/api-client 3.11.0) works against the simulator unchanged."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.octosim import RealClock, SimServer, Simulator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_the_npm_client_lists_creates_deploys_and_waits_for_tasks():
    node = shutil.which("node")
    assert node, "node is part of the development toolchain (package.json)"
    # A real clock at 120x so the client's wall-clock polling sees tasks finish within a second.
    sim = Simulator.from_scenario("small", clock=RealClock(speed=120))
    with SimServer(sim) as server:
        result = subprocess.run(
            [node, str(HERE / "npm_client.js"), server.url, server.api_key],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["spaces"] == ["Default"]
    assert seen["projects"] == ["Catalog", "Checkout", "Identity", "Payments"]
    assert seen["environments"] == ["Development", "Staging", "Production"]
    assert seen["tenants"] == ["Acme", "Globex"]
    assert seen["release"]["ReleaseVersion"] == "2.9.0"
    assert seen["catalogReleases"][0] == "2.9.0"
    assert [t["State"] for t in seen["tasks"]] == ["Success", "Success"]
    assert all(t["IsCompleted"] for t in seen["tasks"])
    assert seen["deployment"]["TaskId"] in {t["Id"] for t in seen["tasks"]}
    assert seen["deploymentsListed"] == 5
    assert seen["blocked"]["statusCode"] == 400
    assert "Production" in seen["blocked"]["message"]
    routes = sim.observations.snapshot()["by_route"]
    assert routes["POST /deployments/create/untenanted/v1"] == 2
    assert routes["GET /tasks"] >= 1
