"""The plan, transport security, public access and local-auth switches of every resource."""

from __future__ import annotations

import re
import tomllib

from tests.infra import rules
from tests.infra.bicep import references
from tests.infra.rules import EMAIL_BICEP, FUNCTION_APP, MAIN, ROOT, Infra


def test_every_resource_keeps_its_required_security_and_plan_properties(infra: Infra) -> None:
    assert rules.property_problems(infra) == []


def test_the_function_app_runs_the_python_version_the_project_requires(infra: Infra) -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={rules.runtime_version(infra)}"


def test_main_deploys_at_subscription_scope_into_its_own_resource_group(infra: Infra) -> None:
    main = infra.bicep(MAIN)
    assert re.search(r"^targetScope = 'subscription'$", infra.files[MAIN], re.MULTILINE)
    assert len(main.resources_of_type("Microsoft.Resources/resourceGroups")) == 1
    assert all(rules.path(module.value, "scope") == "rg" for module in main.modules.values())


def test_checker_reports_https_only_turned_off(infra: Infra) -> None:
    broken = infra.edit(FUNCTION_APP, "httpsOnly: true", "httpsOnly: false")
    assert rules.property_problems(broken) == [
        f"{FUNCTION_APP}: Microsoft.Web/sites properties.httpsOnly must be true, is false"
    ]


def test_checker_reports_basic_auth_publishing_turned_back_on(infra: Infra) -> None:
    text = infra.files[FUNCTION_APP]
    start = text.index("name: 'scm'")
    broken = infra.edit(
        FUNCTION_APP,
        text[start : text.index("}", start)],
        "name: 'scm'\n  properties: {\n    allow: true\n  ",
    )
    assert rules.property_problems(broken) == [
        f"{FUNCTION_APP}: basic-auth publishing must be off for ftp and scm, "
        "is {'ftp': 'false', 'scm': 'true'}"
    ]


def test_checker_reports_app_settings_written_on_the_site_as_well(infra: Infra) -> None:
    broken = infra.edit(
        FUNCTION_APP, "      http20Enabled: true\n", "      http20Enabled: true\n      appSettings: []\n"
    )
    assert rules.property_problems(broken) == [
        f"{FUNCTION_APP}: siteConfig.appSettings must be absent; the appsettings config has them"
    ]


def test_the_sender_address_is_on_the_domain_recipients_see(infra: Infra) -> None:
    # COORD_MAIL_FROM, which coord.yaml's mail.from must equal, comes from this output.
    output = infra.bicep(EMAIL_BICEP).outputs["senderAddress"].value
    assert references(output, "domain.properties.fromSenderDomain")
    assert not references(output, "domain.properties.mailFromSenderDomain")
