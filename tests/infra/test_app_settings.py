"""The Function App's settings against the settings coord reads (coord.settings.SETTING_NAMES)."""

from __future__ import annotations

import pytest

from coord.settings import SECRET_NAMES, load_settings
from tests.infra import rules
from tests.infra.rules import FUNCTION_APP, Infra


@pytest.fixture(scope="module")
def read() -> set[str]:
    return rules.code_settings()


def test_every_setting_coord_reads_is_an_app_setting_or_deliberately_left_out(
    infra: Infra, read: set[str]
) -> None:
    assert rules.missing_settings(infra, read) == []


def test_every_app_setting_is_read_by_coord_or_the_platform_and_none_is_local_only(
    infra: Infra, read: set[str]
) -> None:
    assert rules.unexpected_settings(infra, read) == []


def test_every_setting_left_out_of_azure_is_one_coord_reads(read: set[str]) -> None:
    assert rules.stale_exceptions(read) == []


def test_the_tick_timer_schedule_binding_resolves_to_an_app_setting(infra: Infra) -> None:
    bound = rules.host_bound_settings()
    assert "COORD_TICK_SCHEDULE" in bound
    assert bound <= set(rules.app_settings(infra))


def test_no_setting_or_property_flex_consumption_rejects(infra: Infra) -> None:
    assert rules.forbidden_settings(infra) == []


def test_secret_settings_are_key_vault_references(infra: Infra) -> None:
    assert rules.unprotected_secret_settings(infra, set(SECRET_NAMES)) == []


def test_deployment_defaults_are_the_code_defaults(infra: Infra) -> None:
    code = load_settings({})
    defaults = rules.parameter_defaults(infra)
    expected = {
        "tickSchedule": code.tick_schedule,
        "tablePrefix": code.table_prefix,
        "backfillDays": str(code.backfill_days),
    }
    for param, value in expected.items():
        assert defaults[param] == (value, value), param


def test_checker_reports_a_removed_setting_the_code_reads(infra: Infra, read: set[str]) -> None:
    broken = infra.edit(FUNCTION_APP, "  COORD_STORAGE: tableEndpoint\n", "")
    problems = rules.missing_settings(broken, read)
    assert [p.split(":")[0] for p in problems] == ["COORD_STORAGE"]


def test_checker_reports_functions_worker_runtime(infra: Infra) -> None:
    broken = infra.edit(
        FUNCTION_APP,
        "  COORD_TICK_SCHEDULE: tickSchedule\n",
        "  COORD_TICK_SCHEDULE: tickSchedule\n  FUNCTIONS_WORKER_RUNTIME: 'python'\n",
    )
    assert rules.forbidden_settings(broken) == [
        f"{FUNCTION_APP}: FUNCTIONS_WORKER_RUNTIME is not allowed on Flex Consumption"
    ]


def test_checker_reports_a_secret_setting_given_as_a_plain_value(infra: Infra) -> None:
    broken = infra.edit(
        FUNCTION_APP,
        "'@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${webhookSecretName})'",
        "webhookSecretName",
    )
    problems = rules.unprotected_secret_settings(broken, set(SECRET_NAMES))
    assert len(problems) == 1 and problems[0].startswith("COORD_WEBHOOK_SECRET: a secret")


@pytest.mark.parametrize(
    ("added", "reason"),
    [
        ("COORD_MAIL_DIR: '/tmp/mail'", "COORD_MAIL_DIR: must not be set in Azure"),
        (
            "AzureWebJobsStorage__queueServiceUri: 'q'",
            "AzureWebJobsStorage__queueServiceUri: left out on purpose",
        ),
    ],
    ids=["local-only setting", "queue endpoint the host does not need"],
)
def test_checker_reports_a_setting_azure_must_not_have(
    infra: Infra, read: set[str], added: str, reason: str
) -> None:
    broken = infra.edit(
        FUNCTION_APP, "  COORD_STORAGE: tableEndpoint\n", f"  COORD_STORAGE: tableEndpoint\n  {added}\n"
    )
    problems = rules.unexpected_settings(broken, read)
    assert len(problems) == 1 and problems[0].startswith(reason)
