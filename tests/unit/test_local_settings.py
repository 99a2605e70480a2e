"""local.settings.json.example works as shipped: `func start` against the README's Azurite and simulator."""

from __future__ import annotations

import json
import re
import shlex

from coord.settings import SETTING_NAMES, load_settings
from tests.infra.rules import MAIN, ROOT, Infra, host_bound_settings

EXAMPLE = json.loads((ROOT / "local.settings.json.example").read_text(encoding="utf-8"))
VALUES: dict[str, str] = EXAMPLE["Values"]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_example_names_only_settings_coord_the_host_or_core_tools_read() -> None:
    assert EXAMPLE["IsEncrypted"] is False
    # Core Tools picks the language worker by FUNCTIONS_WORKER_RUNTIME (Flex Consumption in Azure does not).
    assert VALUES["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert set(VALUES) - {"FUNCTIONS_WORKER_RUNTIME"} <= set(SETTING_NAMES) | host_bound_settings()


def test_the_example_settings_load_as_coord_reads_them() -> None:
    settings = load_settings(VALUES, need=("octopus", "storage"))
    assert settings.require_storage().describe() == "local development storage (from AzureWebJobsStorage)"
    assert settings.mail_kind == "folder"
    assert settings.webhook_secret is not None
    decorators = " ".join(Infra.load().bicep(MAIN).params["webhookSecret"].decorators)
    minimum = re.search(r"@minLength\((\d+)\)", decorators)  # what Azure requires of the same setting
    assert minimum and len(settings.webhook_secret.get_secret_value()) >= int(minimum.group(1))


def test_the_readme_runs_the_simulator_where_the_example_points() -> None:
    command = re.search(r"^\.venv/bin/python -m tests\.octosim (.+)$", README, re.MULTILINE)
    assert command, "README.md: no octosim command"
    words = shlex.split(command.group(1))
    option = dict(zip(words[::2], words[1::2], strict=True))
    assert VALUES["OCTOPUS_SERVER_URL"] == f"http://127.0.0.1:{option['--port']}"
    assert VALUES["OCTOPUS_API_KEY"] == option["--api-key"]
