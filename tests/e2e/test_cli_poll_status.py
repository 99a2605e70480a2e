"""`coord poll`, `coord status` and `coord tick` from a terminal, against the simulator and Azurite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from coord.settings import SETTING_NAMES
from tests.fixtures.coord import SMALL_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def run(
    octosim, connection: str, prefix: str, config: Path, *args: str, api_key: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in SETTING_NAMES}
    env |= {
        "OCTOPUS_SERVER_URL": octosim.url,
        "OCTOPUS_API_KEY": api_key or octosim.api_key,
        "COORD_STORAGE": connection,
        "COORD_TABLE_PREFIX": prefix,
        "COORD_CONFIG": str(config),
        "NO_COLOR": "1",
    }
    now = octosim.sim.clock.now().isoformat()
    return subprocess.run(
        [sys.executable, "-m", "coord", *args, "--now", now],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_poll_then_status_shows_the_worlds_latest_deployments(
    octosim, azurite_connection_string: str, table_prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "coord.yaml"
    config.write_text(SMALL_CONFIG, encoding="utf-8")
    polled = run(octosim, azurite_connection_string, table_prefix, config, "poll")
    assert polled.returncode == 0, polled.stderr
    assert "poll:" in polled.stdout and "records" in polled.stdout
    table = run(octosim, azurite_connection_string, table_prefix, config, "status")
    assert table.returncode == 0, table.stderr
    header = table.stdout.splitlines()[0].split()
    assert header == ["Project", "Development", "Staging", "Production"]
    identity = next(line for line in table.stdout.splitlines() if line.startswith("Identity"))
    assert "1.1.0 ok" in identity and "1.0.0 ok" in identity
    as_json = run(octosim, azurite_connection_string, table_prefix, config, "status", "--json")
    document = json.loads(as_json.stdout)
    identity_json = next(p for p in document["projects"] if p["name"] == "Identity")
    assert identity_json["environments"]["Staging"][0]["version"] == "1.1.0"
    assert identity_json["environments"]["Staging"][0]["state"] == "Success"
    everything = json.loads(
        run(octosim, azurite_connection_string, table_prefix, config, "status", "--all", "--json").stdout
    )
    assert {p["name"] for p in everything["projects"]} >= {"Identity", "Catalog", "Checkout", "Payments"}
    page = tmp_path / "status.html"
    written = run(octosim, azurite_connection_string, table_prefix, config, "status", "--html", str(page))
    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == f"wrote {page}"
    html = page.read_text(encoding="utf-8")
    assert "coord status" in html and "Octopus was last polled" in html and "No lock is held." in html
    assert "/app#/Spaces-1/projects/" in html  # each version links to its deployment in Octopus


def test_tick_polls_and_says_what_it_did(
    octosim, azurite_connection_string: str, table_prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "coord.yaml"
    config.write_text(SMALL_CONFIG, encoding="utf-8")
    result = run(octosim, azurite_connection_string, table_prefix, config, "tick")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tick: poll: ")


def test_poll_with_a_wrong_api_key_is_one_clear_line(
    octosim, azurite_connection_string: str, table_prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "coord.yaml"
    config.write_text(SMALL_CONFIG, encoding="utf-8")
    wrong = "API-WRONG0000000000000000000000"
    result = run(octosim, azurite_connection_string, table_prefix, config, "poll", api_key=wrong)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("coord: error:")]
    assert len(errors) == 1 and "401" in errors[0]
    assert "Traceback" not in result.stderr
    assert wrong not in result.stderr


def test_a_tick_whose_key_is_refused_does_what_it_can_then_exits_2(
    octosim, azurite_connection_string: str, table_prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "coord.yaml"
    config.write_text(SMALL_CONFIG, encoding="utf-8")
    assert run(octosim, azurite_connection_string, table_prefix, config, "tick").returncode == 0
    octosim.sim.access.revoke(octosim.api_key)  # someone deleted the key in Octopus
    result = run(octosim, azurite_connection_string, table_prefix, config, "tick")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.startswith("tick: ")  # the rest of the tick still ran and said so
    errors = [line for line in result.stderr.splitlines() if line.startswith("coord: error:")]
    assert errors and errors[0].startswith("coord: error: poll: Octopus: ") and "401" in errors[0]
    assert "Traceback" not in result.stderr
    assert octosim.api_key not in result.stdout + result.stderr
