"""Role assignments against what the app's settings need its identity to do."""

from __future__ import annotations

from tests.infra import rules
from tests.infra.rules import DEPLOYER_CONDITION, RBAC, Infra


def test_each_role_id_is_the_built_in_role_its_comment_names(infra: Infra) -> None:
    assert rules.role_id_problems(infra) == []


def test_the_app_identity_holds_every_role_its_settings_need(infra: Infra) -> None:
    assert rules.missing_roles(infra) == []


def test_the_app_identity_holds_no_role_beyond_what_its_settings_need(infra: Infra) -> None:
    assert rules.excess_roles(infra) == []


def test_the_roles_go_to_the_identity_the_function_app_runs_as(infra: Infra) -> None:
    assert rules.app_identity_wiring(infra) == []


def test_the_deploying_user_may_manage_secrets_only_when_azd_names_one(infra: Infra) -> None:
    rbac = infra.bicep(RBAC)
    user_grants = [g for g in rules.grants(infra) if g.principal == "userPrincipalId"]
    assert ("Key Vault Secrets Officer", "Microsoft.KeyVault/vaults") in {
        (g.role, g.scope_type) for g in user_grants
    }
    for name in ("userSecrets", "userTable"):
        assert rbac.resources[name].condition == "!empty(userPrincipalId)"


def test_checker_reports_a_removed_role_assignment(infra: Infra) -> None:
    text = infra.files[RBAC]
    start = text.index("resource appTable ")
    block = text[start : text.index("\n}\n", start) + 3]
    problems = rules.missing_roles(infra.edit(RBAC, block, ""))
    assert problems == [
        "AzureWebJobsStorage__tableServiceUri: needs Storage Table Data Contributor on "
        "Microsoft.Storage/storageAccounts for the app's identity",
        "COORD_STORAGE: needs Storage Table Data Contributor on "
        "Microsoft.Storage/storageAccounts for the app's identity",
    ]


def test_checker_reports_a_mistyped_role_id(infra: Infra) -> None:
    broken = infra.edit(
        RBAC, "'4633458b-17de-408a-b874-0445c86b69e6'", "'4633458b-17de-408a-b874-0445c86b69e7'"
    )
    assert len(rules.role_id_problems(broken)) == 1
    assert "OCTOPUS_API_KEY: needs Key Vault Secrets User" in " ".join(rules.missing_roles(broken))


def test_checker_reports_a_role_given_at_the_wrong_resource(infra: Infra) -> None:
    broken = infra.edit(RBAC, "scope: communicationService\n", "scope: storage\n")
    assert rules.missing_roles(broken) == [
        "ACS_EMAIL_ENDPOINT: needs Communication and Email Service Owner on "
        "Microsoft.Communication/communicationServices for the app's identity"
    ]


def test_the_deployer_may_assign_exactly_the_roles_the_template_assigns(infra: Infra) -> None:
    assert rules.deployer_condition_problems(infra) == []


def test_checker_reports_a_role_the_deployer_could_not_assign(infra: Infra) -> None:
    broken = infra.edit(
        DEPLOYER_CONDITION,
        "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
        "{b7e6dc6d-f1e8-4753-8033-0f276bb0955b, ",
        "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {",
    )
    assert rules.deployer_condition_problems(broken) == [
        f"{DEPLOYER_CONDITION}: differs from the roles rbac.bicep assigns by ['Storage Blob Data Owner']"
    ]
