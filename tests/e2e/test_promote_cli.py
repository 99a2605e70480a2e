"""`python -m coord promote` from a terminal, against a simulator whose clock runs 600 times faster."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coord.settings import SETTING_NAMES
from tests.integration.test_promotion_world import PROMOTION_CONFIG
from tests.octosim import RealClock

ROOT = Path(__file__).resolve().parents[2]


def settle(sim, deployment_id: str) -> None:
    """Wait (briefly, the clock is fast) until a deployment's task has ended."""
    deadline = time.monotonic() + 10
    while sim.task_state(deployment_id) in ("Queued", "Executing", "Cancelling"):
        assert time.monotonic() < deadline, "the simulator did not finish a deployment"
        time.sleep(0.02)


@pytest.fixture
def fast_world(octosim_factory):
    server = octosim_factory("small", clock=RealClock(speed=600))
    sim = server.sim
    sim.create_release("Catalog", "2.4.0")
    settle(sim, sim.deploy("Catalog", "2.4.0", "Development"))
    settle(sim, sim.deploy("Catalog", "2.4.0", "Staging"))
    sim.create_release("Checkout", "3.2.0")
    settle(sim, sim.deploy("Checkout", "3.2.0", "Staging"))
    return server


def promote(
    server, connection: str, prefix: str, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "coord.yaml"
    config.write_text(PROMOTION_CONFIG.replace("{on_failure}", "halt"), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key not in SETTING_NAMES}
    env |= {
        "OCTOPUS_SERVER_URL": server.url,
        "OCTOPUS_API_KEY": server.api_key,
        "COORD_STORAGE": connection,
        "COORD_TABLE_PREFIX": prefix,
        "COORD_CONFIG": str(config),
        "COORD_MAIL_DIR": str(tmp_path / "mail"),
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "coord", "promote", "shop", "--from", "Staging", "--to", "Production", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dry_run_prints_the_plan_and_deploys_nothing(
    fast_world, azurite_connection_string: str, table_prefix: str, tmp_path: Path
) -> None:
    before = len(fast_world.sim.deployments)
    result = promote(fast_world, azurite_connection_string, table_prefix, tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Project", "Release", "In", "Production", "Action"]
    identity = next(line for line in lines if line.startswith("Identity"))
    assert "1.1.0" in identity and "deploy in wave 1" in identity
    payments = [line for line in lines if line.startswith("Payments")]
    assert payments and all("nothing" in line for line in payments)
    assert len(fast_world.sim.deployments) == before


def test_wait_shows_progress_ends_the_run_and_sends_its_email(
    fast_world, azurite_connection_string: str, table_prefix: str, tmp_path: Path
) -> None:
    result = promote(fast_world, azurite_connection_string, table_prefix, tmp_path, "--wait")
    # Payments has nothing in Staging to promote, so the run succeeds for the other three.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Identity: running" in result.stderr
    assert "Checkout: succeeded" in result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("Succeeded:")
    mails = list((tmp_path / "mail").glob("*.eml"))
    assert len(mails) == 1
    assert "Promotion shop Staging" in mails[0].read_text(encoding="utf-8")


def test_a_failed_project_makes_the_exit_status_1(
    fast_world, azurite_connection_string: str, table_prefix: str, tmp_path: Path
) -> None:
    fast_world.sim.script_outcome(project="Identity", environment="Production", outcome="Failed")
    result = promote(fast_world, azurite_connection_string, table_prefix, tmp_path, "--wait")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed:" in result.stdout
    identity = next(line for line in result.stdout.splitlines() if line.startswith("Identity"))
    assert "failed" in identity


def test_an_unknown_group_is_a_usage_error(
    fast_world, azurite_connection_string: str, table_prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "coord.yaml"
    result = promote(fast_world, azurite_connection_string, table_prefix, tmp_path, "--project", "Ledger")
    assert config.exists()
    assert result.returncode == 2
    assert "Ledger" in result.stderr


def test_a_key_refused_deployment_create_ends_wait_with_the_reason_and_its_email(
    fast_world, azurite_connection_string: str, table_prefix: str, tmp_path: Path
) -> None:
    fast_world.sim.access.deny(fast_world.api_key, "DeploymentCreate")
    started = time.monotonic()
    result = promote(fast_world, azurite_connection_string, table_prefix, tmp_path, "--wait")
    assert result.returncode == 1, result.stdout + result.stderr
    assert time.monotonic() - started < 60  # it ends; it does not post again every tick
    assert result.stdout.strip().splitlines()[-1].startswith("Failed:")
    identity = next(line for line in result.stdout.splitlines() if line.startswith("Identity"))
    assert "Missing permission: DeploymentCreate" in identity
    (mail,) = (tmp_path / "mail").glob("*.eml")
    assert "Missing permission: DeploymentCreate" in mail.read_text(encoding="utf-8")
    again = promote(fast_world, azurite_connection_string, table_prefix, tmp_path)
    assert again.returncode == 0, again.stderr  # the group is not locked against the next run
