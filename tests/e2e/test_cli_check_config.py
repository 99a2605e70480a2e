"""`check-config` against the Octopus simulator over HTTP: names resolve to ids, unknown ones are named."""

import os
import subprocess
import sys
from pathlib import Path

from coord.settings import SETTING_NAMES
from tests.octosim import SimServer

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """\
timezone: Europe/London
mail:
  from: coord@example.com
groups:
  shop:
    projects: [identity, Catalog, Projects-3, Payments]
    depends_on:
      Projects-3: [identity, "Catalog >= 2.0"]
promotions:
  - name: evening
    group: shop
    from: staging
    to: Production
    schedule: "30 18 * * 1-4"
notify:
  all_deployed:
    - {group: shop, environments: [Staging, Environments-3], to: [ops@example.com]}
"""


def check_config(
    server: SimServer, config: Path, *extra: str, api_key: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in SETTING_NAMES}
    env |= {"OCTOPUS_SERVER_URL": server.url, "OCTOPUS_API_KEY": api_key or server.api_key}
    return subprocess.run(
        [sys.executable, "-m", "coord", "check-config", "--config", str(config), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_name_resolves_and_the_summary_shows_ids(octosim: SimServer, tmp_path: Path) -> None:
    path = tmp_path / "coord.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    result = check_config(octosim, path, "--now", "2026-11-26T09:00:00Z")
    assert result.returncode == 0, result.stderr
    environments = {environment.name: environment.id for environment in octosim.sim.environments.values()}
    projects = {project.name: project.id for project in octosim.sim.projects.values()}
    assert f"Identity ({projects['Identity']})" in result.stdout
    assert f"Checkout ({projects['Checkout']})  after identity, Catalog >= 2.0" in result.stdout
    staging, production = environments["Staging"], environments["Production"]
    assert f"evening: shop from Staging ({staging}) to Production ({production})" in result.stdout
    assert "next Thu 2026-11-26 18:30 GMT" in result.stdout
    assert result.stdout.rstrip().endswith(f"{path}: OK (every name resolves)")
    assert "reading projects, environments and the API key's permissions from" in result.stderr
    assert "  api key  of 'api-user' (Users-1)" in result.stdout
    assert "permissions  all 8 that coord needs" in result.stdout


def test_unknown_projects_and_environments_fail_with_their_paths(octosim: SimServer, tmp_path: Path) -> None:
    path = tmp_path / "coord.yaml"
    path.write_text(
        CONFIG.replace("Payments]", "Paymnts]").replace("to: Production", "to: Prod"), encoding="utf-8"
    )
    result = check_config(octosim, path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[1:] == [
        f"coord: error: {path}: groups.shop.projects[3]: project 'Paymnts' does not exist in the space"
        " (did you mean 'Payments'?)",
        f"coord: error: {path}: promotions[0].to: environment 'Prod' does not exist in the space",
    ]
    assert result.stdout == ""


def test_a_rejected_api_key_is_one_line(octosim: SimServer, tmp_path: Path) -> None:
    path = tmp_path / "coord.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    result = check_config(octosim, path, api_key="API-WRONGKEY0000000000000000000")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("coord: error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"coord: error: cannot check names against Octopus at {octosim.url}")
    assert "API-WRONGKEY" not in result.stderr
    assert "Traceback" not in result.stderr


def test_each_permission_the_key_lacks_is_named_with_what_coord_needs_it_for(
    octosim: SimServer, tmp_path: Path
) -> None:
    path = tmp_path / "coord.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    key = octosim.sim.access.add_key(
        username="coord-prod", permissions=["ProjectView", "EnvironmentView", "TenantView", "ReleaseView",
                                            "DeploymentView", "TaskView"],
    )  # fmt: skip
    result = check_config(octosim, path, api_key=key)
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("coord: error:")]
    assert errors == [
        "coord: error: the API key's user 'coord-prod' (Users-2) lacks EventView: "
        "to read the events feed that polling follows",
        "coord: error: the API key's user 'coord-prod' (Users-2) lacks DeploymentCreate: "
        "to create the deployments of promotion runs",
    ]
    assert "OK" not in result.stdout


def test_without_promotions_a_missing_deployment_create_is_only_a_note(
    octosim: SimServer, tmp_path: Path
) -> None:
    path = tmp_path / "coord.yaml"
    before, _, _ = CONFIG.partition("promotions:")
    _, _, notify = CONFIG.partition("notify:")
    path.write_text(before + "notify:" + notify, encoding="utf-8")
    octosim.sim.access.deny(octosim.api_key, "DeploymentCreate")
    result = check_config(octosim, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "missing, needed only to promote  DeploymentCreate" in result.stdout
