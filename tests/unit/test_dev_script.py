"""scripts/dev.py: what the `test` command needs before any test, and the Azurite that `func start` uses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dev  # scripts/dev.py, on the path through tests/conftest.py
import pytest
from azure.data.tables import TableServiceClient


@pytest.mark.parametrize(
    ("args", "needed"),
    [
        ([], True),
        (["-q", "-x"], True),
        (["-k", "poller"], True),
        (["."], True),
        (["tests"], True),
        (["tests/e2e/test_pages_browser.py::test_the_status_page_fits"], True),
        (["tests/e2e/test_demo.py"], True),
        (["tests/infra", "-q"], False),
        (["tests/unit/test_plan.py", "tests/integration"], False),
    ],
)
def test_the_browser_is_needed_only_when_a_browser_test_is_selected(args: list[str], needed: bool) -> None:
    assert dev.needs_browser(args) is needed


def test_without_chromium_or_the_right_to_install_it_the_run_stops_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dev, "find_chromium", lambda: None)
    monkeypatch.setattr(dev, "package_installer", lambda: None)
    with pytest.raises(SystemExit) as stopped:
        dev.ensure_chromium([])
    assert "sudo apt-get install -y chromium\n" in str(stopped.value.code)
    dev.ensure_chromium(["tests/infra"])  # nothing to install for tests that need no browser


def test_chromium_is_installed_with_apt_get_when_the_user_may(monkeypatch: pytest.MonkeyPatch) -> None:
    found = iter([None, "/usr/bin/chromium"])
    ran: list[list[str]] = []

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        ran.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(dev, "find_chromium", lambda: next(found))
    monkeypatch.setattr(dev, "package_installer", lambda: ["sudo", "-n", "apt-get"])
    monkeypatch.setattr(dev.subprocess, "run", run)
    dev.ensure_chromium([])
    assert ran == [
        ["sudo", "-n", "apt-get", "update", "-qq"],
        ["apt-cache", "show", "chromium"],
        ["sudo", "-n", "apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ]


def test_the_full_azurite_listens_where_use_development_storage_looks() -> None:
    tables = TableServiceClient.from_connection_string("UseDevelopmentStorage=true").url
    assert tables == f"http://127.0.0.1:{dev.AZURITE_PORTS['table']}/{dev.AZURITE_ACCOUNT}"
    # Azurite's documented defaults (Azure/Azurite README): blob 10000, queue 10001, table 10002.
    command = " ".join(dev.full_azurite_command(dev.AZURITE_PORTS, Path("out/azurite")))
    assert "--blobPort 10000" in command and "--queuePort 10001" in command and "--tablePort 10002" in command
    assert command.endswith("--location out/azurite")
