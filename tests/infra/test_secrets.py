"""No secret in an output, a default, a literal or the shell: secrets live in Key Vault only."""

from __future__ import annotations

import json

from tests.infra import rules
from tests.infra.rules import KEY_VAULT_BICEP, MAIN, PARAMETERS, STORAGE_BICEP, Infra


def test_no_output_can_carry_a_secret(infra: Infra) -> None:
    assert rules.secrets_in_outputs(infra) == []


def test_secure_parameters_have_no_default_and_reach_only_key_vault_secrets(infra: Infra) -> None:
    assert rules.secure_parameter_problems(infra) == []


def test_no_deployment_file_holds_a_key_or_password(infra: Infra) -> None:
    assert rules.secret_literals(infra) == []


def test_the_webhook_secret_is_generated_in_the_deployment_once_per_vault(infra: Infra) -> None:
    assert rules.webhook_secret_problems(infra) == []


def test_checker_reports_a_secret_read_from_key_vault_before_provisioning(infra: Infra) -> None:
    broken = infra.edit(
        PARAMETERS,
        '"value": "${AZURE_KEY_VAULT_NAME=}"',
        '"value": "$(secretOrRandomPassword ${AZURE_KEY_VAULT_NAME} coord-webhook-secret)"',
    )
    assert rules.azd_problems(broken) == [
        f"{PARAMETERS}: provisionedKeyVaultName reads Key Vault before provisioning"
    ]
    renamed = broken.edit(PARAMETERS, '"provisionedKeyVaultName"', '"webhookSecret"')
    assert rules.azd_problems(renamed) == [
        f"{PARAMETERS}: secure parameter webhookSecret must not be given here",
        f"{PARAMETERS}: webhookSecret reads Key Vault before provisioning",
    ]


def test_checker_reports_a_webhook_secret_rewritten_on_every_provision(infra: Infra) -> None:
    broken = infra.edit(KEY_VAULT_BICEP, "@2025-05-01' = if (writeWebhookSecret) {", "@2025-05-01' = {")
    assert rules.webhook_secret_problems(broken) == [
        f"{KEY_VAULT_BICEP}: the webhook secret must be written only if (writeWebhookSecret)"
    ]


def test_the_octopus_api_key_is_never_taken_from_the_shell_environment(infra: Infra) -> None:
    # azd substitutes ${NAME} from the shell when its environment lacks NAME, and OCTOPUS_API_KEY is also
    # the name a local run uses: mapping it would upload whatever key the shell happens to hold.
    assert "octopusApiKey" not in json.loads(infra.files[PARAMETERS])["parameters"]
    assert "OCTOPUS_API_KEY" not in infra.files[PARAMETERS]


def test_checker_reports_a_secure_parameter_in_an_output(infra: Infra) -> None:
    broken = infra.edit(
        MAIN, "output AZURE_LOCATION string = location", "output AZURE_LOCATION string = webhookSecret"
    )
    assert rules.secrets_in_outputs(broken) == [
        f"{MAIN}: output AZURE_LOCATION uses the secure parameter webhookSecret"
    ]


def test_checker_reports_account_keys_in_an_output(infra: Infra) -> None:
    broken = infra.edit(
        STORAGE_BICEP,
        "output name string = storage.name",
        "output name string = storage.listKeys().keys[0].value",
    )
    assert rules.secrets_in_outputs(broken) == [
        f"{STORAGE_BICEP}: output name reads keys or a connection string"
    ]


def test_checker_reports_a_secret_passed_to_a_parameter_that_is_not_secure(infra: Infra) -> None:
    broken = infra.edit(
        KEY_VAULT_BICEP, "@secure()\nparam webhookSecret string", "param webhookSecret string"
    )
    assert rules.secure_parameter_problems(broken) == [
        f"{MAIN}: secure parameter webhookSecret used in module keyVault: passed to {KEY_VAULT_BICEP} "
        "parameter webhookSecret, which is not @secure"
    ]


def test_checker_reports_a_default_on_a_secure_parameter(infra: Infra) -> None:
    broken = infra.edit(
        MAIN, "param octopusApiKey string = ''", "param octopusApiKey string = 'API-0123456789ABCDEF0123'"
    )
    assert rules.secure_parameter_problems(broken) == [
        f"{MAIN}: secure parameter octopusApiKey has the default 'API-0123456789ABCDEF0123'"
    ]
    assert len(rules.secret_literals(broken)) == 1


def test_checker_reports_a_connection_string_literal(infra: Infra) -> None:
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    broken = infra.edit(
        MAIN,
        "var tags = { 'azd-env-name': environmentName }",
        f"var tags = {{ 'azd-env-name': environmentName, conn: 'AccountName=x;AccountKey={key}' }}",
    )
    assert len(rules.secret_literals(broken)) == 1


def test_checker_reports_an_output_named_like_a_password(infra: Infra) -> None:
    broken = infra.edit(MAIN, "output AZURE_TENANT_ID string", "output AZURE_TENANT_PASSWORD string")
    assert rules.secrets_in_outputs(broken) == [
        f"{MAIN}: output AZURE_TENANT_PASSWORD is named like a secret"
    ]


def test_checker_reports_a_secure_value_passed_on_from_a_module(infra: Infra) -> None:
    broken = infra.edit(
        KEY_VAULT_BICEP, "output name string = vault.name", "output name string = webhookSecret"
    )
    assert f"{MAIN}: output AZURE_KEY_VAULT_NAME passes on a secret output of {KEY_VAULT_BICEP}" in (
        rules.secrets_in_outputs(broken)
    )
