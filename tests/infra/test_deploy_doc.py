"""docs/deploy.md's commands run as written: shell syntax, azd commands, variables, outputs, secrets."""

from __future__ import annotations

import pytest

from tests.infra import rules
from tests.infra.rules import DEPLOY_DOC, Infra


def test_every_command_on_the_page_would_run(infra: Infra) -> None:
    assert len(rules.shell_blocks(infra.files[DEPLOY_DOC])) >= 15
    assert rules.deploy_doc_command_problems(infra) == []


BROKEN = {
    "a shell syntax error": ("unset OCTOPUS_KEY\n", "unset OCTOPUS_KEY\nfi\n", "shell syntax"),
    "a variable the parameters do not read": (
        "azd env set ALERT_EMAILS ops@example.com",
        "azd env set ALERT_EMAIL ops@example.com",
        "azd env set ALERT_EMAIL: main.parameters.json reads no such variable",
    ),
    "an output main.bicep does not have": (
        "azd env get-value COORD_MAIL_FROM          #",
        "azd env get-value COORD_SENDER          #",
        "azd env get-value COORD_SENDER: main.bicep has no such output",
    ),
    "a secret name main.bicep does not use": (
        "--name octopus-api-key --value",
        "--name octopus-key --value",
        "Key Vault secret octopus-key is not one main.bicep names",
    ),
    "a route the app does not serve": (
        '"$(azd env get-value AZURE_FUNCTION_URL)/api/status"',
        '"$(azd env get-value AZURE_FUNCTION_URL)/api/health"',
        "/api/health is not a route function_app.py serves",
    ),
    "an azd command that does not exist": ("   azd provision\n", "   azd infra create\n", "`azd infra`"),
}


@pytest.mark.parametrize(("old", "new", "problem"), BROKEN.values(), ids=BROKEN.keys())
def test_checker_reports(infra: Infra, old: str, new: str, problem: str) -> None:
    problems = rules.deploy_doc_command_problems(infra.edit(DEPLOY_DOC, old, new))
    assert len(problems) == 1 and problem in problems[0], problems
