"""What `az bicep build` would reject, found in the text: run-time values where Bicep needs them at the start.

The rules follow the compiler's own (Azure/bicep: src/Bicep.Core/TypeSystem/DeployTimeConstantValidator.cs):
a for-expression, an `if` condition and a resource's `name`, `scope` or `parent` must be computable when
the deployment starts. Each case below breaks the Bicep the way people do (Azure/bicep#12543,
MicrosoftDocs/azure-docs#100947) and shows that the rule says so.
"""

from __future__ import annotations

import warnings
from datetime import date

import pytest

from tests.infra import rules
from tests.infra.bicep import BicepFile
from tests.infra.rules import FUNCTION_APP, MAIN, RBAC, STORAGE_BICEP, Infra

LATE = "known only once the deployment runs"
USER_TABLE = "resource userTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = if ("

BROKEN = {
    "BCP178 app settings looped over a runtime value": (
        FUNCTION_APP,
        "      http20Enabled: true\n",
        "      http20Enabled: true\n"
        "      appSettings: [for setting in items(union(appSettings, optionalSettings)): {\n"
        "        name: setting.key\n        value: setting.value\n      }]\n",
        f"{FUNCTION_APP}: resource site: for-expression over `items(union(appSettings, optionalSettings))` "
        f"(BCP178) reads applicationInsights.properties (via appSettings), {LATE}",
    ),
    "BCP120 a module named after another module's output": (
        MAIN,
        "name: 'function-app'",
        "name: 'function-app-${identity.outputs.clientId}'",
        f"{MAIN}: module functionApp: name (BCP120) reads identity.outputs, {LATE}",
    ),
    "BCP177 a condition on a resource property": (
        RBAC,
        f"{USER_TABLE}!empty(userPrincipalId))",
        f"{USER_TABLE}!empty(storage.properties.primaryEndpoints.table))",
        f"{RBAC}: resource userTable: condition `!empty(storage.properties.primaryEndpoints.table)` (BCP177) "
        f"reads storage.properties, {LATE}",
    ),
    "BCP182 a runtime value in the body of a variable's loop": (
        FUNCTION_APP,
        "var optionalSettings",
        "var copies = [for i in range(0, 2): applicationInsights.properties.ConnectionString]\n"
        "var optionalSettings",
        f"{FUNCTION_APP}: var copies: for-body of variable copies (BCP182) "
        f"reads applicationInsights.properties, {LATE}",
    ),
}


def test_no_runtime_value_where_the_compiler_needs_one_at_the_start(infra: Infra) -> None:
    assert rules.runtime_value_problems(infra) == []


@pytest.mark.parametrize(("file", "old", "new", "problem"), BROKEN.values(), ids=BROKEN.keys())
def test_checker_reports(infra: Infra, file: str, old: str, new: str, problem: str) -> None:
    assert rules.runtime_value_problems(infra.edit(file, old, new)) == [problem]


def test_parameters_ids_names_and_interpolated_text_are_known_at_the_start() -> None:
    sample = BicepFile.parse(
        "sample.bicep",
        "param emails string\n"
        "resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = { name: 'kv' }\n"
        "var recipients = [for (address, i) in split(emails, ','): { name: 'r-${i}', to: trim(address) }]\n"
        "resource thing 'Microsoft.Example/things@2025-01-01' = [for r in recipients: if (!empty(r.name)) {\n"
        "  name: '${vault.name}-${r.name}'\n"
        "  parent: vault\n"
        "  properties: { uri: vault.properties.vaultUri }\n"
        "}]\n",
    )
    assert (sample.resources["thing"].loop, sample.resources["thing"].condition) == (
        "recipients",
        "!empty(r.name)",
    )
    assert rules.runtime_value_problems(Infra({"sample.bicep": sample.text})) == []


def test_every_existing_resource_is_looked_up_after_the_module_that_creates_it(infra: Infra) -> None:
    assert rules.early_existing_lookups(infra) == []


def test_checker_reports_an_existing_resource_named_without_waiting_for_its_creator(infra: Infra) -> None:
    broken = infra.edit(
        MAIN,
        "communicationServiceName: email.outputs.communicationServiceName",
        "communicationServiceName: '${abbrs.communicationServices}${resourceToken}'",
    )
    assert rules.early_existing_lookups(broken) == [
        f"{RBAC}: existing communicationService (Microsoft.Communication/communicationServices) "
        f"is looked up by communicationServiceName, which {MAIN} gives as "
        "'${abbrs.communicationServices}${resourceToken}': module rbac does not wait for email"
    ]


def test_api_versions_were_recent_when_they_were_chosen(infra: Infra) -> None:
    assert rules.stale_api_versions(infra, date(2026, 11, 30)) == []


def test_api_versions_that_have_grown_old_since_are_a_warning(infra: Infra) -> None:
    # Like the linter's rule: a reminder to move on, not a reason to stop a build.
    for problem in rules.stale_api_versions(infra, date.today()):  # noqa: DTZ011 (the rule is about today)
        warnings.warn(problem, stacklevel=1)


def test_checker_reports_an_old_api_version_and_a_preview_one(infra: Infra) -> None:
    broken = infra.edit(STORAGE_BICEP, "storageAccounts@2025-06-01'", "storageAccounts@2023-05-01'")
    broken = broken.edit(MAIN, "resourceGroups@2025-04-01'", "resourceGroups@2025-04-01-preview'")
    assert rules.stale_api_versions(broken, date(2026, 11, 30)) == [
        f"{STORAGE_BICEP}: Microsoft.Storage/storageAccounts@2023-05-01 is 1309 days old; "
        "use a stable version at most two years old",
        f"{MAIN}: Microsoft.Resources/resourceGroups@2025-04-01-preview is a preview version",
    ]
