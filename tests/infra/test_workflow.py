"""The CI workflow users get: it builds and lints the Bicep and runs the project's tests."""

from __future__ import annotations

import yaml

from tests.infra.rules import Infra

WORKFLOW = ".github/workflows/ci.yml"


def _steps() -> list[dict[str, object]]:
    workflow = yaml.safe_load(Infra.load().files[WORKFLOW])
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _runs() -> str:
    return "\n".join(str(step.get("run", "")) for step in _steps())


def test_ci_builds_and_lints_every_bicep_entry_point() -> None:
    runs = _runs()
    assert "az bicep build --file infra/main.bicep" in runs
    assert "for file in infra/main.bicep infra/app/*.bicep; do" in runs
    assert 'az bicep lint --file "$file"' in runs


def test_ci_runs_the_projects_test_command_on_the_supported_versions() -> None:
    assert "python3 scripts/dev.py test" in _runs()
    versions = {
        str(step.get("with", {}).get(key)) for step in _steps() for key in ("python-version", "node-version")
    }
    assert {"3.11", "20"} <= versions


def test_ci_needs_no_azure_credentials() -> None:
    assert not [step for step in _steps() if "azure/login" in str(step.get("uses", ""))]
