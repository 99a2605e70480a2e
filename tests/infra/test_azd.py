"""azure.yaml, its hooks and main.parameters.json against main.bicep, and docs/deploy.md against both."""

from __future__ import annotations

import re

import pytest

from tests.infra import rules
from tests.infra.rules import AZURE_YAML, MAIN, PARAMETERS, ROOT, Infra


def test_azure_yaml_hooks_and_parameters_use_only_what_main_bicep_declares(infra: Infra) -> None:
    assert rules.azd_problems(infra) == []


def test_deploy_doc_mentions_every_output_azd_variable_and_secret_name(infra: Infra) -> None:
    assert rules.undocumented(infra) == []


def test_the_webhook_url_output_is_the_route_function_app_serves(infra: Infra) -> None:
    output = infra.bicep(MAIN).outputs["COORD_WEBHOOK_URL"].value
    route = re.search(r"/api/([\w/]+)'$", output)
    assert route, output
    function_app = (ROOT / "function_app.py").read_text(encoding="utf-8")
    served = re.search(rf"route\s*=\s*[\"']{route.group(1)}[\"'].*?\ndef (\w+)", function_app, re.DOTALL)
    assert served, f"function_app.py serves no route {route.group(1)}"
    # docs/deploy.md creates the webhook's function key by the function's name.
    assert f"--function-name {served.group(1)}" in infra.files["docs/deploy.md"]


def test_checker_reports_a_hook_reading_a_missing_output(infra: Infra) -> None:
    broken = infra.edit("infra/hooks/postprovision.sh", "${COORD_WEBHOOK_URL}", "${COORD_WEBHOOK_ADDRESS}")
    assert rules.azd_problems(broken) == [
        "infra/hooks/postprovision.sh: reads COORD_WEBHOOK_ADDRESS, "
        "neither a main.bicep output nor set by azd"
    ]


def test_checker_reports_a_missing_service_name_output(infra: Infra) -> None:
    broken = infra.edit(MAIN, "output SERVICE_API_NAME string = functionApp.outputs.name\n", "")
    assert rules.azd_problems(broken) == ["main.bicep: output SERVICE_API_NAME is missing for azd"]


def test_checker_reports_a_parameter_main_bicep_does_not_have(infra: Infra) -> None:
    broken = infra.edit(PARAMETERS, '"tablePrefix"', '"tableprefix"')
    assert rules.azd_problems(broken) == [f"{PARAMETERS}: tableprefix is not a parameter of main.bicep"]


def test_checker_reports_a_renamed_service(infra: Infra) -> None:
    broken = infra.edit(AZURE_YAML, "  api:\n", "  web:\n")
    assert rules.azd_problems(broken) == [
        "azure.yaml: service web has no site tagged azd-service-name 'web'",
        "main.bicep: output SERVICE_WEB_NAME is missing for azd",
    ]


def test_checker_reports_a_renamed_secret_that_the_docs_still_name(infra: Infra) -> None:
    broken = infra.edit(
        MAIN, "var webhookSecretName = 'coord-webhook-secret'", "var webhookSecretName = 'hook-token'"
    )
    assert rules.undocumented(broken) == ["docs/deploy.md: does not mention hook-token"]


def test_azure_yaml_keeps_to_the_azd_schema(infra: Infra) -> None:
    assert rules.azure_yaml_schema_problems(infra) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("remoteBuild: true", 'remoteBuild: "yes"', "remoteBuild is a boolean for host: function only"),
        (
            "shell: sh\n      run: infra/hooks/predeploy.sh",
            "shell: bash\n      run: infra/hooks/predeploy.sh",
            "not bash",
        ),
        ("  predeploy:\n", "  beforedeploy:\n", "beforedeploy is not an azd hook"),
        ("name: coord\n", "name: Coord\n", "name must be lowercase letters, digits and hyphens"),
    ],
    ids=["remoteBuild as text", "an unknown shell", "an unknown hook", "a capital in the name"],
)
def test_checker_reports_what_the_schema_rejects(infra: Infra, old: str, new: str, problem: str) -> None:
    problems = rules.azure_yaml_schema_problems(infra.edit(AZURE_YAML, old, new))
    assert len(problems) == 1 and problems[0].endswith(problem), problems
