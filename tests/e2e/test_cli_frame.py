"""`python -m coord` as a user runs it: help, version, exit codes, one-line errors, colour, offline checks."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coord import __version__
from coord.entrypoints.cli.main import main
from coord.entrypoints.cli.output import Console
from coord.settings import SETTING_NAMES

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ["tick", "poll", "promote", "report", "status", "lock", "unlock", "check-config", "schema"]


def coord(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value for key, value in os.environ.items() if key not in SETTING_NAMES and key != "NO_COLOR"
    }
    return subprocess.run(
        [sys.executable, "-m", "coord", *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_version() -> None:
    result = coord("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"coord {__version__}")


def test_top_level_help_lists_every_command_and_the_exit_codes() -> None:
    result = coord("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout
    assert "exit status: 0 success, 1 the job itself failed" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples_and_takes_now(command: str) -> None:
    result = coord(command, "--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout
    assert f"python -m coord {command}" in result.stdout.split("examples:")[1]
    assert "--now ISO-8601" in result.stdout


def test_a_missing_command_is_a_usage_error() -> None:
    result = coord()
    assert result.returncode == 2
    assert "the following arguments are required: COMMAND" in result.stderr


def test_a_bad_now_is_a_usage_error() -> None:
    result = coord("tick", "--now", "tomorrow")
    assert result.returncode == 2
    assert "--now: expected an ISO-8601 time with a UTC offset" in result.stderr
    assert "Traceback" not in result.stderr


def test_promote_needs_its_environments() -> None:
    result = coord("promote", "shop")
    assert result.returncode == 2
    assert "the following arguments are required: --from, --to" in result.stderr


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "coord.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_config_offline_prints_a_summary_with_next_slots_in_the_zone(tmp_path: Path) -> None:
    config = ROOT / "coord.yaml.example"
    result = coord("check-config", "--offline", "--config", str(config), "--now", "2026-03-29T00:30:00Z")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "time zone   Europe/London (now Sun 2026-03-29 00:30 GMT)" in out
    assert "Storefront  after Catalog, Checkout >= 3.2" in out
    assert "schedule '30 18 * * 1-4', next Mon 2026-03-30 18:30 BST" in out
    assert "deny '0 0 24 12 *' for 72h, next opens Thu 2026-12-24 00:00 GMT" in out
    assert "daily report '0 7 * * *' (next Sun 2026-03-29 07:00 BST)" in out
    assert out.rstrip().endswith(f"{config}: OK (offline: names not checked against Octopus)")
    assert "\033[" not in out  # not a terminal: no colour


def test_check_config_reports_mail_transport_from_settings(tmp_path: Path) -> None:
    env = {"COORD_MAIL_DIR": str(tmp_path / "mail"), "COORD_CONFIG": str(ROOT / "coord.yaml.example")}
    result = coord("check-config", "--offline", env=env)
    assert result.returncode == 0, result.stderr
    assert f"sent by  .eml files in {tmp_path / 'mail'} (COORD_MAIL_DIR)" in result.stdout


def test_options_may_come_before_or_after_the_command(tmp_path: Path) -> None:
    config = str(ROOT / "coord.yaml.example")
    before = coord("--config", config, "--now", "2026-01-01T00:00:00Z", "check-config", "--offline")
    after = coord("check-config", "--offline", "--config", config, "--now", "2026-01-01T00:00:00Z")
    assert before.returncode == after.returncode == 0
    assert before.stdout == after.stdout


def test_check_config_lists_every_problem_with_its_path_and_exits_2(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "timezone: Europe/Lndon\npromotions:\n  - {name: p, group: shp, from: A, to: B, schedule: '61 * * * *'}\n",  # noqa: E501  (a message as users read it)
    )
    result = coord("check-config", "--offline", "--config", str(path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"coord: error: {path}: timezone: 'Europe/Lndon' is not a known IANA time zone (e.g. Europe/London, UTC)",  # noqa: E501  (a message as users read it)
        f"coord: error: {path}: promotions[0].schedule: '61 * * * *' is not a valid cron expression",
    ]
    assert result.stdout == ""


def test_debug_adds_the_traceback(tmp_path: Path) -> None:
    path = write_config(tmp_path, "timezone: Nowhere\n")
    result = coord("--debug", "check-config", "--offline", "--config", str(path))
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith(
        "timezone: 'Nowhere' is not a known IANA time zone (e.g. Europe/London, UTC)"
    )


def test_a_missing_config_file_is_one_line(tmp_path: Path) -> None:
    result = coord("check-config", "--offline", "--config", str(tmp_path / "nope.yaml"))
    assert (result.returncode, result.stderr) == (
        2,
        f"coord: error: {tmp_path / 'nope.yaml'}: file not found\n",
    )


def test_check_config_online_names_missing_octopus_settings() -> None:
    result = coord("check-config", "--config", str(ROOT / "coord.yaml.example"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "coord: error: OCTOPUS_SERVER_URL: required (the Octopus Server URL, e.g. https://octopus.example.com)",
        "coord: error: OCTOPUS_API_KEY: required (an Octopus API key, API-...)",
    ]


def test_malformed_settings_are_named_before_any_work() -> None:
    result = coord(
        "check-config", "--offline", env={"COORD_BACKFILL_DAYS": "x", "OCTOPUS_API_KEY": "API-TOPSECRET"}
    )
    assert result.returncode == 2
    assert result.stderr == "coord: error: COORD_BACKFILL_DAYS: expected a whole number of days, got 'x'\n"


def test_schema_command_prints_the_published_schema() -> None:
    result = coord("schema")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "schema" / "coord.schema.json").read_text(encoding="utf-8")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_in_process(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, *, no_color: str | None
) -> tuple[int, str, str]:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    out, err = Terminal(), Terminal()
    status = main(argv, Console(out, err))
    return status, out.getvalue(), err.getvalue()


def test_colour_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["check-config", "--offline", "--config", str(ROOT / "coord.yaml.example")]
    status, out, _ = run_in_process(argv, monkeypatch, no_color=None)
    assert status == 0
    assert "\033[1mgroups\033[0m" in out
    for name in ("COORD_STORAGE", "AzureWebJobsStorage"):
        monkeypatch.delenv(name, raising=False)
    status, _, err = run_in_process(
        ["status", "--config", str(ROOT / "coord.yaml.example")], monkeypatch, no_color=None
    )
    assert status == 2
    assert err.startswith("\033[31mcoord: error: ") and "COORD_STORAGE" in err


def test_no_color_turns_colour_off_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["check-config", "--offline", "--config", str(ROOT / "coord.yaml.example")]
    status, out, _ = run_in_process(argv, monkeypatch, no_color="1")
    assert status == 0
    assert "\033[" not in out
