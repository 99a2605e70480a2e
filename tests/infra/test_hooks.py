"""The azd hooks: the same checks and words in sh and PowerShell, and the sh ones run for real."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_step_templates_powershell import syntax_errors
from tests.infra import rules
from tests.infra.rules import PREDEPLOY, ROOT, Infra

HOOKS = sorted((ROOT / "infra" / "hooks").iterdir())
SENDER = "DoNotReply@0f3c.azurecomm.net"


@pytest.mark.parametrize("hook", [h for h in HOOKS if h.suffix == ".sh"], ids=lambda h: h.name)
@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_each_sh_hook_parses(hook: Path, shell: str) -> None:
    assert subprocess.run([shell, "-n", str(hook)], check=False, capture_output=True, text=True).stderr == ""


@pytest.mark.parametrize("hook", [h for h in HOOKS if h.suffix == ".ps1"], ids=lambda h: h.name)
def test_each_powershell_hook_parses(hook: Path) -> None:
    assert syntax_errors(hook.read_bytes()) == []


def test_the_sh_and_powershell_predeploy_hooks_agree(infra: Infra) -> None:
    assert rules.predeploy_problems(infra) == []


def test_checker_reports_a_powershell_hook_that_searches_for_an_empty_sender(infra: Infra) -> None:
    text = infra.files[PREDEPLOY[1]]
    guard = text[text.index("if ([string]::IsNullOrEmpty") : text.index("if (-not (Test-Path")]
    problems = rules.predeploy_problems(infra.edit(PREDEPLOY[1], guard, ""))
    assert problems == [
        f"{PREDEPLOY[1]}: must test for an empty COORD_MAIL_FROM "
        "([string]::IsNullOrEmpty($env:COORD_MAIL_FROM)) before Select-String",
        f"{PREDEPLOY[0]} and {PREDEPLOY[1]} say different things: "
        "['COORD_MAIL_FROM is empty: run azd provision (or azd up) before azd deploy.']",
    ]


def run_predeploy(
    tmp_path: Path, mail_from: str | None, coord_yaml: str | None
) -> subprocess.CompletedProcess[str]:
    """The sh predeploy hook in a copy of the project holding only what it reads."""
    hook = tmp_path / PREDEPLOY[0]
    hook.parent.mkdir(parents=True)
    shutil.copy(ROOT / PREDEPLOY[0], hook)
    if coord_yaml is not None:
        (tmp_path / "coord.yaml").write_text(coord_yaml, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin"} | ({} if mail_from is None else {"COORD_MAIL_FROM": mail_from})
    # Run from elsewhere: the hook finds the project from its own path.
    return subprocess.run(["sh", str(hook)], check=False, cwd="/", env=env, capture_output=True, text=True)


@pytest.mark.parametrize("mail_from", [None, ""], ids=["unset", "empty"])
def test_predeploy_stops_before_provisioning_has_set_the_sender(
    tmp_path: Path, mail_from: str | None
) -> None:
    done = run_predeploy(tmp_path, mail_from, f"mail:\n  from: {SENDER}\n")
    assert (done.returncode, done.stderr) == (
        1,
        "COORD_MAIL_FROM is empty: run azd provision (or azd up) before azd deploy.\n",
    )


def test_predeploy_stops_without_coord_yaml(tmp_path: Path) -> None:
    done = run_predeploy(tmp_path, SENDER, None)
    assert done.returncode == 1 and done.stderr.startswith("coord.yaml is missing")


def test_predeploy_warns_when_mail_from_is_another_address(tmp_path: Path) -> None:
    done = run_predeploy(tmp_path, SENDER, "mail:\n  from: coord@example.com\n")
    assert done.returncode == 0 and done.stderr.startswith(
        f"warning: coord.yaml's mail.from is not {SENDER};"
    )


def test_predeploy_is_silent_when_mail_from_is_the_sender(tmp_path: Path) -> None:
    done = run_predeploy(tmp_path, SENDER, f"mail:\n  from: {SENDER}\n")
    assert (done.returncode, done.stderr) == (0, "")
