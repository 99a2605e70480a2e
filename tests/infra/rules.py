"""The rules infra/ is held to, each a function from the deployment files to a list of problems.

The files are read as text into `Infra`; a test can change that text in memory (`Infra.edit`) and
show that a rule then reports the problem, so every rule is proven able to fail.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import textwrap
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

from coord.settings import SETTING_NAMES
from tests.infra.bicep import (
    BicepFile,
    Declaration,
    code_text,
    for_expressions,
    object_entries,
    object_literals,
    path,
    references,
    string_literals,
    strip_comments,
    unquote,
)

ROOT = Path(__file__).resolve().parents[2]
MAIN = "infra/main.bicep"
FUNCTION_APP = "infra/app/function-app.bicep"
RBAC = "infra/app/rbac.bicep"
PARAMETERS = "infra/main.parameters.json"
AZURE_YAML = "azure.yaml"
DEPLOY_DOC = "docs/deploy.md"
FUNCIGNORE = ".funcignore"
DEPLOYER_CONDITION = "infra/deployer-role-condition.txt"
GITIGNORE = ".gitignore"

# --- What the code reads, and what Azure provides -------------------------------------------------

# Settings coord reads that are deliberately not app settings in Azure, each with the reason.
NOT_SET_IN_AZURE = {
    "SMTP_HOST": "mail goes through Communication Services with the app's identity (ACS_EMAIL_ENDPOINT)",
    "SMTP_PORT": "SMTP is the local or self-hosted transport; Azure uses ACS_EMAIL_ENDPOINT",
    "SMTP_USERNAME": "SMTP is the local or self-hosted transport; Azure uses ACS_EMAIL_ENDPOINT",
    "SMTP_PASSWORD": "SMTP is the local or self-hosted transport; Azure uses ACS_EMAIL_ENDPOINT",
    "SMTP_SECURITY": "SMTP is the local or self-hosted transport; Azure uses ACS_EMAIL_ENDPOINT",
    "ACS_EMAIL_CONNECTION_STRING": "Communication Services has access keys disabled; the identity sends",
    "COORD_MAIL_DIR": "writes mail to files instead of sending it; set in Azure it would win over ACS",
    "COORD_CONFIG": "coord.yaml is deployed beside function_app.py, which is the default path",
    "AzureWebJobsStorage": "host storage uses the identity-based AzureWebJobsStorage__* settings",
    "AzureWebJobsStorage__accountName": "the explicit AzureWebJobsStorage__*ServiceUri settings are set",
    "COORD_PUBLIC_URL": "links default to the app's own host name, which Azure sets as WEBSITE_HOSTNAME",
}

# App settings that coord's own code does not read but the platform does, each with its reader.
PLATFORM_SETTINGS = {
    "AzureWebJobsStorage__credential": "Functions host: authenticate to host storage with a managed identity",
    "AzureWebJobsStorage__clientId": "Functions host: which user-assigned identity",
    "AzureWebJobsStorage__blobServiceUri": "Functions host: timer locks and schedule status",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "Functions host and worker: where telemetry goes",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Functions host: Entra auth for telemetry (no local auth)",
    "AZURE_CLIENT_ID": "azure-identity: DefaultAzureCredential picks the user-assigned identity",
}

# Platform settings left out on purpose, each with the reason; setting one is reported with it.
PLATFORM_SETTINGS_LEFT_OUT = {
    "AzureWebJobsStorage__queueServiceUri": "coord has only timer and HTTP triggers, which keep host state "
    "in blobs (includes/functions-azurewebjobsstorage-permissions.md); a queue URI would need a queue role",
}

# Secret settings whose Azure value is an endpoint URL, not a secret, each with the reason.
SECRET_NAMES_NOT_SECRET_IN_AZURE = {
    "COORD_STORAGE": "a table endpoint URL (authenticated with the identity), never a connection string",
}

# Deprecated or rejected on Flex Consumption (azure-ecosystem.md §0.11 and §3.3), as patterns: the
# runtime belongs in functionAppConfig.runtime and timers run in UTC.
FLEX_FORBIDDEN = (
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    r"WEBSITE_CONTENT\w*",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
    "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
    "WEBSITE_NODE_DEFAULT_VERSION",
    "WEBSITE_TIME_ZONE",
    "TZ",
    "linuxFxVersion",
)

KEY_VAULT_REFERENCE = re.compile(r"^'@Microsoft\.KeyVault\(VaultName=\$\{\w+\};SecretName=\$\{(\w+)\}\)'$")

# --- Roles -----------------------------------------------------------------------------------------

# Built-in role ids (azure-ecosystem.md §3.1, §3.5, §4.1); the same in every tenant.
KNOWN_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "09976791-48a7-449e-bb21-39d1a415f350": "Communication and Email Service Owner",
}
STORAGE = "Microsoft.Storage/storageAccounts"
INSIGHTS = "Microsoft.Insights/components"
VAULT = "Microsoft.KeyVault/vaults"
COMMUNICATION = "Microsoft.Communication/communicationServices"

# What each app setting (or the deployment source) needs the app's identity to hold, and where.
ROLES_NEEDED = {
    "AzureWebJobsStorage__blobServiceUri": ("Storage Blob Data Owner", STORAGE),
    "AzureWebJobsStorage__tableServiceUri": ("Storage Table Data Contributor", STORAGE),
    "COORD_STORAGE": ("Storage Table Data Contributor", STORAGE),
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": ("Monitoring Metrics Publisher", INSIGHTS),
    "OCTOPUS_API_KEY": ("Key Vault Secrets User", VAULT),
    "COORD_WEBHOOK_SECRET": ("Key Vault Secrets User", VAULT),
    "ACS_EMAIL_ENDPOINT": ("Communication and Email Service Owner", COMMUNICATION),
    "functionAppConfig.deployment": ("Storage Blob Data Owner", STORAGE),
}

# --- azd -------------------------------------------------------------------------------------------

# Variables azd sets itself in every environment (azd docs: "environment variables").
AZD_BUILTINS = {"AZURE_ENV_NAME", "AZURE_LOCATION", "AZURE_SUBSCRIPTION_ID", "AZURE_PRINCIPAL_ID"}

SECRET_TEXT = (
    re.compile(r"AccountKey=", re.IGNORECASE),
    re.compile(r"SharedAccessSignature=|[?&]sig=", re.IGNORECASE),
    re.compile(r"InstrumentationKey=", re.IGNORECASE),
    re.compile(r"accesskey=", re.IGNORECASE),
    re.compile(r"\bAPI-[A-Z0-9]{16,}\b"),  # an Octopus API key
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
)
# Base64 key material (storage and ACS keys are 88 characters): long, with digits and both cases.
KEY_MATERIAL = re.compile(r"(?<![\w/+])[A-Za-z0-9+/]{40,}={0,2}(?![\w/+])")


def _looks_like_key(text: str) -> bool:
    mixes = (r"\d", "[a-z]", "[A-Z]")
    return any(all(re.search(mix, m) for mix in mixes) for m in KEY_MATERIAL.findall(text))


@dataclass(frozen=True)
class Infra:
    """The deployment files as text, keyed by their path from the repository root."""

    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path = ROOT) -> Infra:
        paths = [*root.glob("infra/**/*.bicep"), root / PARAMETERS, root / AZURE_YAML, root / DEPLOY_DOC]
        paths += [*root.glob("infra/hooks/*"), *root.glob(".github/workflows/*.yml")]
        paths += [root / FUNCIGNORE, root / GITIGNORE, root / DEPLOYER_CONDITION]
        return cls({p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in paths})

    def edit(self, name: str, old: str, new: str) -> Infra:
        """A copy with one exact piece of text replaced (the piece must be there, once)."""
        text = self.files[name]
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
        return Infra({**self.files, name: text.replace(old, new)})

    def bicep(self, name: str) -> BicepFile:
        return BicepFile.parse(name, self.files[name])

    @property
    def bicep_files(self) -> list[BicepFile]:
        return [self.bicep(name) for name in sorted(self.files) if name.endswith(".bicep")]

    def module_file(self, declaration_source: str, relative_to: str) -> BicepFile:
        return self.bicep((Path(relative_to).parent / declaration_source).as_posix())


# --- App settings ----------------------------------------------------------------------------------


def app_settings(infra: Infra) -> dict[str, str]:
    """Every app setting the Function App gets: name -> Bicep expression."""
    app = infra.bicep(FUNCTION_APP)
    wired = path(_settings_config(app).value, "properties") or ""
    settings: dict[str, str] = {}
    for name, var in app.vars.items():
        if not references(wired, name):
            continue
        for literal in object_literals(var.value):
            settings.update(object_entries(literal))
    return settings


def _settings_config(app: BicepFile) -> Declaration:
    """The `Microsoft.Web/sites/config` resource named `appsettings`, the one writer of app settings."""
    configs = app.resources_of_type("Microsoft.Web/sites/config")
    named = [c for c in configs if unquote(object_entries(c.value).get("name", "")) == "appsettings"]
    return _one(named, "Microsoft.Web/sites/config named appsettings")


def code_settings() -> set[str]:
    """Every environment variable coord reads, plus the ones function_app.py binds with %NAME%."""
    return set(SETTING_NAMES) | host_bound_settings()


def host_bound_settings() -> set[str]:
    """App settings the Functions host resolves in function_app.py's bindings (`%NAME%`)."""
    text = (ROOT / "function_app.py").read_text(encoding="utf-8")
    return set(re.findall(r"%([A-Za-z_][A-Za-z0-9_]*)%", text))


def missing_settings(infra: Infra, read: set[str]) -> list[str]:
    """Settings the code reads that Azure neither provides nor deliberately leaves out."""
    provided = app_settings(infra)
    return [
        f"{name}: read by coord but not an app setting in {FUNCTION_APP} (nor listed in NOT_SET_IN_AZURE)"
        for name in sorted(read)
        if name not in provided and name not in NOT_SET_IN_AZURE
    ]


def unexpected_settings(infra: Infra, read: set[str]) -> list[str]:
    """App settings nothing reads (a typo, or a setting the code dropped), or that must stay local."""
    problems = []
    for name in sorted(app_settings(infra)):
        if name in NOT_SET_IN_AZURE:
            problems.append(f"{name}: must not be set in Azure: {NOT_SET_IN_AZURE[name]}")
        elif name in PLATFORM_SETTINGS_LEFT_OUT:
            problems.append(f"{name}: left out on purpose: {PLATFORM_SETTINGS_LEFT_OUT[name]}")
        elif name not in read and name not in PLATFORM_SETTINGS:
            problems.append(f"{name}: an app setting that neither coord nor the platform reads")
    return problems


def stale_exceptions(read: set[str]) -> list[str]:
    """Entries of NOT_SET_IN_AZURE for settings the code no longer reads."""
    return [
        f"{name}: in NOT_SET_IN_AZURE but coord does not read it"
        for name in NOT_SET_IN_AZURE
        if name not in read
    ]


def forbidden_settings(infra: Infra) -> list[str]:
    """Settings and site properties the Flex Consumption plan rejects, anywhere in the Bicep."""
    problems = []
    for bicep in infra.bicep_files:
        text = strip_comments(bicep.text)
        for pattern in FLEX_FORBIDDEN:
            for found in re.findall(rf"(?<!\w){pattern}(?!\w)", text):
                problems.append(f"{bicep.path}: {found} is not allowed on Flex Consumption")
    return problems


def unprotected_secret_settings(infra: Infra, secret_names: set[str]) -> list[str]:
    """Secret settings whose value is not a Key Vault reference to a secret the deployment names."""
    settings = app_settings(infra)
    main = infra.bicep(MAIN)
    function_app = main.modules["functionApp"]
    passed = object_entries(path(function_app.value, "params") or "{}")
    problems = []
    for name in sorted(secret_names & settings.keys()):
        if name in SECRET_NAMES_NOT_SECRET_IN_AZURE:
            if re.search(r"AccountKey|list\w*\(|ConnectionString", settings[name], re.IGNORECASE):
                problems.append(f"{name}: must be an endpoint URL, not a connection string")
            continue
        match = KEY_VAULT_REFERENCE.match(settings[name])
        if not match:
            problems.append(f"{name}: a secret, so it must be a Key Vault reference, got {settings[name]}")
            continue
        secret_param = match.group(1)
        source = passed.get(secret_param, "")
        if source not in main.vars or unquote(main.vars[source].value) is None:
            problems.append(f"{name}: the secret name {secret_param} is not one of main.bicep's secret names")
    return problems


# --- Roles -----------------------------------------------------------------------------------------


def role_ids(infra: Infra) -> dict[str, str]:
    """rbac.bicep's `roles` variable: symbol -> role id, checked against the built-in role names."""
    rbac = infra.bicep(RBAC)
    return {key: unquote(value) or value for key, value in object_entries(rbac.vars["roles"].value).items()}


def role_id_problems(infra: Infra) -> list[str]:
    """Role ids that are not the built-in role their comment names."""
    problems = []
    text = infra.files[RBAC]
    for symbol, role_id in role_ids(infra).items():
        comment = re.search(rf"^\s*{symbol}:\s*'{re.escape(role_id)}'\s*//\s*(.+?)\s*$", text, re.MULTILINE)
        named = comment.group(1) if comment else None
        actual = KNOWN_ROLES.get(role_id, "no known role")
        if actual != named:
            problems.append(f"roles.{symbol}: {role_id} is {actual}, its comment says {named}")
    return problems


@dataclass(frozen=True)
class Grant:
    role: str  # role name
    scope_type: str  # resource type the assignment is scoped to
    principal: str  # expression of the principal id


def grants(infra: Infra) -> list[Grant]:
    """Role assignments in rbac.bicep, by role name, scope resource type and principal."""
    rbac = infra.bicep(RBAC)
    ids = role_ids(infra)
    found = []
    for assignment in rbac.resources_of_type("Microsoft.Authorization/roleAssignments"):
        scope = object_entries(assignment.value).get("scope", "")
        definition = path(assignment.value, "properties.roleDefinitionId") or ""
        symbol = re.search(r"roles\.(\w+)", definition)
        role_id = ids.get(symbol.group(1), "") if symbol else ""
        scope_type = rbac.resources[scope].type if scope in rbac.resources else f"unknown scope {scope!r}"
        principal = path(assignment.value, "properties.principalId") or ""
        found.append(Grant(KNOWN_ROLES.get(role_id, role_id), scope_type, principal))
    return found


def deployer_condition_problems(infra: Infra) -> list[str]:
    """The roles the deployer may assign (its condition) are exactly the roles rbac.bicep assigns."""
    assigned = set(role_ids(infra).values())
    listed = re.findall(r"GuidEquals \{([^}]*)\}", infra.files[DEPLOYER_CONDITION])
    problems = (
        [] if len(listed) == 2 else [f"{DEPLOYER_CONDITION}: expected the write and the delete condition"]
    )
    for guids in listed:
        given = {g.strip() for g in guids.split(",")}
        if given != assigned:
            names = sorted(KNOWN_ROLES.get(g, g) for g in given ^ assigned)
            problems.append(f"{DEPLOYER_CONDITION}: differs from the roles rbac.bicep assigns by {names}")
    return problems


def app_identity_wiring(infra: Infra) -> list[str]:
    """The roles go to the identity the Function App runs as."""
    main = infra.bicep(MAIN)
    rbac_params = object_entries(path(main.modules["rbac"].value, "params") or "{}")
    app_params = object_entries(path(main.modules["functionApp"].value, "params") or "{}")
    problems = []
    if rbac_params.get("appPrincipalId") != "identity.outputs.principalId":
        problems.append("rbac.appPrincipalId must be identity.outputs.principalId")
    if app_params.get("identityId") != "identity.outputs.id":
        problems.append("functionApp.identityId must be identity.outputs.id")
    if app_params.get("identityClientId") != "identity.outputs.clientId":
        problems.append("functionApp.identityClientId must be identity.outputs.clientId")
    return problems


def missing_roles(infra: Infra) -> list[str]:
    """Roles the app's settings need that its identity does not hold at the right resource."""
    held = {(g.role, g.scope_type) for g in grants(infra) if g.principal == "appPrincipalId"}
    needs = set(app_settings(infra))
    site = _one(infra.bicep(FUNCTION_APP).resources_of_type("Microsoft.Web/sites"), "Microsoft.Web/sites")
    if path(site.value, "properties.functionAppConfig.deployment"):
        needs.add("functionAppConfig.deployment")
    return [
        f"{need}: needs {role} on {scope} for the app's identity"
        for need, (role, scope) in sorted(ROLES_NEEDED.items())
        if need in needs and (role, scope) not in held
    ]


def excess_roles(infra: Infra) -> list[str]:
    """Roles the app's identity holds that no setting needs."""
    needs = set(app_settings(infra)) | {"functionAppConfig.deployment"}
    needed = {ROLES_NEEDED[n] for n in needs if n in ROLES_NEEDED}
    return [
        f"{g.role} on {g.scope_type}: held by the app's identity but needed by no setting"
        for g in grants(infra)
        if g.principal == "appPrincipalId" and (g.role, g.scope_type) not in needed
    ]


# --- Secrets ---------------------------------------------------------------------------------------


def secrets_in_outputs(infra: Infra) -> list[str]:
    """Outputs that could carry a secret into deployment history or azd's .env file.

    A superset of the Bicep linter's outputs-should-not-contain-secrets (Azure/bicep:
    src/Bicep.Core/Analyzers/Linter/Rules/OutputsShouldNotContainSecretsRule.cs): a name with
    "password" in it, a secure parameter, a list*() call; and also names like other secrets,
    connection strings and keys, and secure outputs passed on from a module.
    """
    problems = []
    for bicep in infra.bicep_files:
        secure = [name for name, p in bicep.params.items() if p.secure]
        for name, output in bicep.outputs.items():
            where = f"{bicep.path}: output {name}"
            if output.secure:
                problems.append(f"{where} is @secure")
            if re.search(r"password|secret|connection_?string|api_?key|access_?key", name, re.IGNORECASE):
                problems.append(f"{where} is named like a secret")
            if re.search(r"\blist\w*\(|ConnectionString|\.keys\b|primaryKey|secondaryKey", output.value):
                problems.append(f"{where} reads keys or a connection string")
            problems += [
                f"{where} uses the secure parameter {p}" for p in secure if references(output.value, p)
            ]
            for module in bicep.modules.values():
                target = infra.module_file(module.source, bicep.path)
                for out_name, out in target.outputs.items():
                    secrets = [p for p, d in target.params.items() if d.secure]
                    leaked = out.secure or any(references(out.value, p) for p in secrets)
                    if leaked and references(output.value, f"{module.name}.outputs.{out_name}"):
                        problems.append(f"{where} passes on a secret output of {target.path}")
    return problems


def secure_parameter_problems(infra: Infra) -> list[str]:
    """Secure parameters with a default value, or whose value flows anywhere but a Key Vault secret."""
    problems = []
    for bicep in infra.bicep_files:
        for name, param in bicep.params.items():
            if not param.secure:
                continue
            if param.value not in ("", "''", "newGuid()"):
                problems.append(f"{bicep.path}: secure parameter {name} has the default {param.value}")
            for declaration in bicep.declarations:
                if declaration is param or not references(declaration.text, name):
                    continue
                problems += _secure_use_problems(infra, bicep, declaration, name)
    return problems


def _secure_use_problems(infra: Infra, bicep: BicepFile, declaration: Declaration, name: str) -> list[str]:
    where = f"{bicep.path}: secure parameter {name} used in {declaration.kind} {declaration.name}"
    if declaration.kind == "resource" and declaration.type == "Microsoft.KeyVault/vaults/secrets":
        value = path(declaration.value, "properties.value")
        uses_elsewhere = references(declaration.value.replace(f"value: {name}", ""), name)
        return [] if value == name and not uses_elsewhere else [f"{where} outside properties.value"]
    if declaration.kind == "module":
        target = infra.module_file(declaration.source, bicep.path)
        params = object_entries(path(declaration.value, "params") or "{}")
        passed_to = [key for key, value in params.items() if references(value, name)]
        insecure = [key for key in passed_to if key not in target.params or not target.params[key].secure]
        return [f"{where}: passed to {target.path} parameter {key}, which is not @secure" for key in insecure]
    return [where]


def secret_literals(infra: Infra) -> list[str]:
    """String literals, parameter values or hook text that look like keys, passwords or tokens."""
    problems = []
    for name, text in sorted(infra.files.items()):
        if name.endswith(".md"):
            continue
        pieces = string_literals(text) if name.endswith(".bicep") else text.splitlines()
        for piece in pieces:
            if any(pattern.search(piece) for pattern in SECRET_TEXT) or _looks_like_key(piece):
                problems.append(f"{name}: {piece.strip()[:60]!r} looks like a secret")
    return problems


# --- azd -------------------------------------------------------------------------------------------


def environment_references(text: str) -> set[str]:
    """Environment variables a hook or parameter file reads: ${NAME}, ${NAME=x}, ${NAME:-x}, $env:NAME."""
    braced = re.findall(r"\$\{([A-Z][A-Z0-9_]*)(?::?[-=][^}]*)?\}", text)
    return set(braced) | set(re.findall(r"\$env:([A-Z][A-Z0-9_]*)", text))


def azd_problems(infra: Infra) -> list[str]:
    """azure.yaml, its hooks and main.parameters.json against main.bicep's parameters and outputs."""
    problems = []
    main = infra.bicep(MAIN)
    outputs = set(main.outputs)
    project = yaml.safe_load(infra.files[AZURE_YAML])
    infra_cfg = project.get("infra", {})
    if f"{infra_cfg.get('path')}/{infra_cfg.get('module')}.bicep" != MAIN:
        problems.append(f"azure.yaml: infra must point at {MAIN}, got {infra_cfg}")
    site = _one(infra.bicep(FUNCTION_APP).resources_of_type("Microsoft.Web/sites"), "Microsoft.Web/sites")
    tag = re.search(r"'azd-service-name':\s*'([^']+)'", site.value)
    for service_name, service in project.get("services", {}).items():
        kind = (service.get("host"), service.get("language"), service.get("project"))
        if kind != ("function", "python", "."):
            problems.append(f"azure.yaml: service {service_name} must be a python function deployed from '.'")
        if not tag or tag.group(1) != service_name:
            problems.append(
                f"azure.yaml: service {service_name} has no site tagged azd-service-name '{service_name}'"
            )
        if f"SERVICE_{service_name.upper()}_NAME" not in outputs:
            problems.append(f"main.bicep: output SERVICE_{service_name.upper()}_NAME is missing for azd")
    for hook_name, hook in project.get("hooks", {}).items():
        for platform, spec in hook.items():
            script = spec.get("run", "")
            if script not in infra.files:
                problems.append(f"azure.yaml: hook {hook_name}.{platform} runs {script}, which is missing")
                continue
            for variable in sorted(environment_references(infra.files[script]) - outputs - AZD_BUILTINS):
                problems.append(f"{script}: reads {variable}, neither a main.bicep output nor set by azd")
    problems += _parameter_file_problems(infra, main, outputs)
    return problems


def _parameter_file_problems(infra: Infra, main: BicepFile, outputs: set[str]) -> list[str]:
    problems = []
    given = json.loads(infra.files[PARAMETERS])["parameters"]
    for name in sorted(set(given) - set(main.params)):
        problems.append(f"{PARAMETERS}: {name} is not a parameter of main.bicep")
    for name, param in sorted(main.params.items()):
        if not param.value and name not in given:
            problems.append(f"{PARAMETERS}: main.bicep's required parameter {name} has no value")
    for name, entry in sorted(given.items()):
        value = str(entry.get("value", ""))
        if name in main.params and main.params[name].secure:
            # azd would keep the value in .azure/<env>/.env, or read it from Key Vault before provisioning.
            problems.append(f"{PARAMETERS}: secure parameter {name} must not be given here")
        if re.search(r"secretOrRandomPassword|akvs://|@Microsoft\.KeyVault", value, re.IGNORECASE):
            # azd resolves these before the deployment: a deployer without a Key Vault data role gets 403,
            # and the role that would fix it is granted by the deployment that never starts.
            problems.append(f"{PARAMETERS}: {name} reads Key Vault before provisioning")
    return problems


def webhook_secret_problems(infra: Infra) -> list[str]:
    """The webhook secret is generated in the deployment and written once per vault, then kept."""
    main = infra.bicep(MAIN)
    vault = infra.bicep(KEY_VAULT_BICEP)
    problems = []
    if main.params["webhookSecret"].value != "newGuid()":
        problems.append(f"{MAIN}: webhookSecret must default to newGuid()")
    args = object_entries(path(main.modules["keyVault"].value, "params") or "{}")
    if (
        args.get("name") != "keyVaultName"
        or main.outputs["AZURE_KEY_VAULT_NAME"].value != "keyVault.outputs.name"
    ):
        problems.append(
            f"{MAIN}: the vault must be named keyVaultName and be the AZURE_KEY_VAULT_NAME output"
        )
    if args.get("writeWebhookSecret") != "provisionedKeyVaultName != keyVaultName":
        problems.append(f"{MAIN}: writeWebhookSecret must be provisionedKeyVaultName != keyVaultName")
    given = json.loads(infra.files[PARAMETERS])["parameters"].get("provisionedKeyVaultName", {})
    if given.get("value") != "${AZURE_KEY_VAULT_NAME=}":
        problems.append(f"{PARAMETERS}: provisionedKeyVaultName must be ${{AZURE_KEY_VAULT_NAME=}}")
    writes = vault.resources_of_type("Microsoft.KeyVault/vaults/secrets")
    if [w.condition for w in writes if references(w.value, "webhookSecretName")] != ["writeWebhookSecret"]:
        problems.append(f"{KEY_VAULT_BICEP}: the webhook secret must be written only if (writeWebhookSecret)")
    return problems


def undocumented(infra: Infra) -> list[str]:
    """Outputs, azd environment variables and Key Vault secret names that docs/deploy.md does not mention."""
    doc = infra.files[DEPLOY_DOC]
    main = infra.bicep(MAIN)
    user_variables = environment_references(infra.files[PARAMETERS]) - AZD_BUILTINS - set(main.outputs)
    secret_names = {
        unquote(v.value) or v.value for name, v in main.vars.items() if name.endswith("SecretName")
    }
    names = set(main.outputs) | user_variables | secret_names
    return [f"{DEPLOY_DOC}: does not mention {name}" for name in sorted(names) if name not in doc]


# --- Helpers ---------------------------------------------------------------------------------------


def _one(items: list[Declaration], what: str) -> Declaration:
    assert len(items) == 1, f"expected one {what}, found {len(items)}"
    return items[0]


# --- Hardening ---------------------------------------------------------------------------------------

STORAGE_BICEP = "infra/app/storage.bicep"
KEY_VAULT_BICEP = "infra/app/keyvault.bicep"
MONITORING_BICEP = "infra/app/monitoring.bicep"
EMAIL_BICEP = "infra/app/email.bicep"

# (file, resource type, property path, required value as Bicep text)
REQUIRED_PROPERTIES = (
    (FUNCTION_APP, "Microsoft.Web/serverfarms", "sku.name", "'FC1'"),
    (FUNCTION_APP, "Microsoft.Web/serverfarms", "sku.tier", "'FlexConsumption'"),
    (FUNCTION_APP, "Microsoft.Web/sites", "identity.type", "'UserAssigned'"),
    (FUNCTION_APP, "Microsoft.Web/sites", "properties.httpsOnly", "true"),
    (FUNCTION_APP, "Microsoft.Web/sites", "properties.keyVaultReferenceIdentity", "identityId"),
    (FUNCTION_APP, "Microsoft.Web/sites", "properties.siteConfig.minTlsVersion", "'1.2'"),
    (FUNCTION_APP, "Microsoft.Web/sites", "properties.siteConfig.scmMinTlsVersion", "'1.2'"),
    (FUNCTION_APP, "Microsoft.Web/sites", "properties.siteConfig.ftpsState", "'Disabled'"),
    (FUNCTION_APP, "Microsoft.Web/sites", "properties.functionAppConfig.runtime.name", "'python'"),
    (
        FUNCTION_APP,
        "Microsoft.Web/sites",
        "properties.functionAppConfig.deployment.storage.authentication.type",
        "'UserAssignedIdentity'",
    ),
    (STORAGE_BICEP, STORAGE, "properties.allowSharedKeyAccess", "false"),
    (STORAGE_BICEP, STORAGE, "properties.allowBlobPublicAccess", "false"),
    (STORAGE_BICEP, STORAGE, "properties.minimumTlsVersion", "'TLS1_2'"),
    (STORAGE_BICEP, STORAGE, "properties.supportsHttpsTrafficOnly", "true"),
    (STORAGE_BICEP, f"{STORAGE}/blobServices/containers", "properties.publicAccess", "'None'"),
    (KEY_VAULT_BICEP, VAULT, "properties.enableRbacAuthorization", "true"),
    (KEY_VAULT_BICEP, VAULT, "properties.enableSoftDelete", "true"),
    (MONITORING_BICEP, INSIGHTS, "properties.DisableLocalAuth", "true"),
    (MONITORING_BICEP, INSIGHTS, "properties.WorkspaceResourceId", "logAnalytics.id"),
    (
        EMAIL_BICEP,
        "Microsoft.Communication/emailServices/domains",
        "properties.domainManagement",
        "'AzureManaged'",
    ),
    (EMAIL_BICEP, COMMUNICATION, "properties.disableLocalAuth", "true"),
    (EMAIL_BICEP, COMMUNICATION, "properties.linkedDomains", "[ domain.id ]"),
)


def property_problems(infra: Infra) -> list[str]:
    """Security and plan properties that are missing or differ from what coord's deployment requires."""
    problems = []
    for file, type_, dotted, required in REQUIRED_PROPERTIES:
        resources = [r for r in infra.bicep(file).resources_of_type(type_) if not r.existing]
        if len(resources) != 1:
            problems.append(f"{file}: expected one {type_}, found {len(resources)}")
            continue
        actual = path(resources[0].value, dotted)
        if _normalise(actual) != _normalise(required):
            problems.append(f"{file}: {type_} {dotted} must be {required}, is {actual}")
    app = infra.bicep(FUNCTION_APP)
    site = _one(app.resources_of_type("Microsoft.Web/sites"), "Microsoft.Web/sites")
    if path(site.value, "properties.siteConfig.appSettings") is not None:
        # Two writers of the same settings: each provision would leave whichever ran last.
        problems.append(
            f"{FUNCTION_APP}: siteConfig.appSettings must be absent; the appsettings config has them"
        )
    policies = app.resources_of_type("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    allowed = {unquote(object_entries(p.value)["name"]): path(p.value, "properties.allow") for p in policies}
    if allowed != {"ftp": "false", "scm": "false"}:
        problems.append(f"{FUNCTION_APP}: basic-auth publishing must be off for ftp and scm, is {allowed}")
    return problems


def _normalise(value: str | None) -> str | None:
    return None if value is None else re.sub(r"\s+", " ", value).strip()


def runtime_version(infra: Infra) -> str | None:
    """The Python version the Function App runs."""
    site = _one(infra.bicep(FUNCTION_APP).resources_of_type("Microsoft.Web/sites"), "Microsoft.Web/sites")
    return unquote(path(site.value, "properties.functionAppConfig.runtime.version") or "")


def parameter_defaults(infra: Infra) -> dict[str, tuple[str | None, str | None]]:
    """For each main.bicep parameter: its Bicep default and its main.parameters.json `${VAR=default}`."""
    main = infra.bicep(MAIN)
    given = json.loads(infra.files[PARAMETERS])["parameters"]
    found = {}
    for name, param in main.params.items():
        bicep_default = unquote(param.value) if param.value.startswith("'") else (param.value or None)
        file_default = re.fullmatch(r"\$\{\w+=(.*)\}", str(given.get(name, {}).get("value", "")))
        found[name] = (bicep_default, file_default.group(1) if file_default else None)
    return found


# --- What the Bicep compiler rejects --------------------------------------------------------------
#
# Some places need a value known when the deployment starts: a for-expression's iterable (and the
# body too when the loop is a variable's value), an `if` condition, and the `name`, `scope` and
# `parent` of a resource or module. Bicep collects them in DeployTimeConstantContainerVisitor and
# DeployTimeConstantValidator (Azure/bicep: src/Bicep.Core/TypeSystem/) and rejects a run-time value
# there with BCP120 (property), BCP177 (if), BCP178 (for) or BCP182 (for-body of a variable). Only
# `id`, `name`, `type` and `apiVersion` of a resource, and the `name` of a module, are known at the
# start; properties, module outputs and reference()/list*() calls are not. Existing resources are
# not containers themselves (the visitor skips them).

DEPLOY_TIME_MEMBERS = {"resource": {"id", "name", "type", "apiVersion"}, "module": {"name"}}
RUNTIME_FUNCTIONS = re.compile(r"(?<![\w.])(reference|list\w*)\s*\(")
_SYMBOL = re.compile(r"(?<![\w.$])([A-Za-z_]\w*)(\s*\.\s*[A-Za-z_]\w*)?")
_KEY = re.compile(r"(?:^|[{,\n])\s*$")


def runtime_reads(bicep: BicepFile, expression: str, *, symbol_allowed: bool = False) -> list[str]:
    """What an expression reads that is known only once the deployment runs, with the variables on the way.

    `symbol_allowed`: a bare resource or module symbol is fine (as for `scope: rg` or `parent: site`).
    """
    return _runtime_reads(bicep, expression, symbol_allowed, ())


def _runtime_reads(
    bicep: BicepFile, expression: str, symbol_allowed: bool, via: tuple[str, ...]
) -> list[str]:
    code = code_text(expression)
    suffix = f" (via {' -> '.join(via)})" if via else ""
    found = [f"{m.group(1)}(){suffix}" for m in RUNTIME_FUNCTIONS.finditer(code)]
    for match in _SYMBOL.finditer(code):
        name, member = match.group(1), (match.group(2) or "").replace(" ", "").lstrip(".")
        if re.match(r"\s*:(?!:)", code[match.end() :]) and _KEY.search(code[: match.start()]):
            continue  # an object key, not a read
        declaration = next((d for d in bicep.declarations if d.name == name and d.kind != "output"), None)
        if declaration is None:
            continue
        if declaration.kind == "var" and name not in via:
            found += _runtime_reads(bicep, declaration.value, symbol_allowed, (*via, name))
        elif declaration.kind in DEPLOY_TIME_MEMBERS:
            if not member and not symbol_allowed:
                found.append(f"the whole {declaration.kind} {name}{suffix}")
            elif member and member not in DEPLOY_TIME_MEMBERS[declaration.kind]:
                found.append(f"{name}.{member}{suffix}")
    return sorted(set(found))


def runtime_value_problems(infra: Infra) -> list[str]:
    """Run-time values where Bicep needs one known at the start (BCP120, BCP177, BCP178, BCP182)."""
    problems = []
    for bicep in infra.bicep_files:
        for declaration in bicep.declarations:
            where = f"{bicep.path}: {declaration.kind} {declaration.name}"
            checks: list[tuple[str, str, bool]] = []
            for loop in for_expressions(declaration.text):
                checks.append((f"for-expression over `{loop.iterable}` (BCP178)", loop.iterable, False))
                if loop.condition:
                    checks.append((f"loop condition `{loop.condition}` (BCP177)", loop.condition, False))
                if declaration.kind == "var":
                    checks.append((f"for-body of variable {declaration.name} (BCP182)", loop.body, False))
            if declaration.condition:
                checks.append((f"condition `{declaration.condition}` (BCP177)", declaration.condition, False))
            if declaration.kind in ("resource", "module") and not declaration.existing:
                entries = object_entries(declaration.value)
                for key in ("name", "scope", "parent"):
                    if key in entries:
                        checks.append((f"{key} (BCP120)", entries[key], key != "name"))
            for what, expression, symbol_allowed in checks:
                for read in runtime_reads(bicep, expression, symbol_allowed=symbol_allowed):
                    problems.append(f"{where}: {what} reads {read}, known only once the deployment runs")
    return sorted(set(problems))


# An `existing` resource is looked up when its module runs. When another module of the same deployment
# creates it, nothing orders the two unless the lookup's name comes from that module's outputs (or the
# module waits for it with dependsOn); otherwise the lookup can run first and fail with ResourceNotFound
# on a fresh deployment only (Azure/bicep#9579, #9901, #16664).


def early_existing_lookups(infra: Infra) -> list[str]:
    """`existing` resources a module may look up before the module that creates them has run."""
    main = infra.bicep(MAIN)
    files = {name: infra.module_file(m.source, MAIN) for name, m in main.modules.items()}
    creators: dict[str, list[str]] = {}
    for name, target in files.items():
        for resource in target.resources.values():
            if not resource.existing:
                creators.setdefault(resource.type.lower(), []).append(name)
    problems = []
    for name, module in main.modules.items():
        target = files[name]
        args = object_entries(path(module.value, "params") or "{}")
        waits_for = path(module.value, "dependsOn") or ""
        for resource in (r for r in target.resources.values() if r.existing):
            param = path(resource.value, "name") or ""
            makers = [m for m in creators.get(resource.type.lower(), []) if m != name]
            if param not in target.params or not makers:
                continue
            given = args.get(param, "")
            if not any(references(given, f"{m}.outputs") or references(waits_for, m) for m in makers):
                problems.append(
                    f"{target.path}: existing {resource.name} ({resource.type}) is looked up by {param}, "
                    f"which {MAIN} gives as {given}: module {name} does not wait for {' or '.join(makers)}"
                )
    return problems


# The linter's use-recent-api-versions (a warning; Azure/bicep:
# src/Bicep.Core/Analyzers/Linter/Rules/UseRecentApiVersionRule.cs) accepts a stable version up to two
# years old, and an older one only while it is the newest stable version of its type. These are those
# types, with the versions listed in Azure/bicep-types-az (generated/, commit 1f896de, 2026-08-20).
MAX_API_AGE = timedelta(days=730)
NEWEST_STABLE = {
    "Microsoft.Authorization/roleAssignments": "2022-04-01",
    "Microsoft.Insights/actionGroups": "2023-01-01",
    "Microsoft.Insights/components": "2020-02-02",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "2024-11-30",
}


def stale_api_versions(infra: Infra, today: date) -> list[str]:
    """Preview API versions, and stable ones more than two years old that have a newer stable version."""
    problems = []
    for bicep in infra.bicep_files:
        for resource in bicep.resources.values():
            version = resource.api_version
            where = f"{bicep.path}: {resource.type}@{version}"
            if version[10:]:
                problems.append(f"{where} is a preview version")
                continue
            age = today - date.fromisoformat(version)
            if age > MAX_API_AGE and NEWEST_STABLE.get(resource.type) != version:
                problems.append(f"{where} is {age.days} days old; use a stable version at most two years old")
    return sorted(set(problems))


# --- The deployment package ---------------------------------------------------------------------------
#
# azd zips the service folder minus `.funcignore`. Once that file exists azd applies only it, not its
# own defaults for Python (`__pycache__`, `.venv`): MicrosoftDocs/azure-dev-docs:
# articles/azure-developer-cli/service-packaging-ignore-files.md. So the file must carry them.

AZD_PYTHON_DEFAULTS = ("__pycache__", ".venv")


def ignore_patterns(text: str) -> list[str]:
    """The patterns of a .gitignore-style file (no comments or blank lines)."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def ignored(patterns: list[str], relative: str) -> bool:
    """Whether a path is ignored: a pattern without an inner `/` matches any segment, else from the root."""
    parts = relative.split("/")
    for pattern in patterns:
        bare = pattern.strip("/")
        if "/" in bare:
            if any(fnmatch.fnmatchcase("/".join(parts[: i + 1]), bare) for i in range(len(parts))):
                return True
        elif any(fnmatch.fnmatchcase(part, bare) for part in parts):
            return True
    return False


def package_problems(infra: Infra, app_files: list[str]) -> list[str]:
    """What the package would carry that it must not, or lack that the app needs."""
    patterns = ignore_patterns(infra.files[FUNCIGNORE])
    problems = [
        f"{FUNCIGNORE}: add {name} (azd's default, dropped once the file exists)"
        for name in AZD_PYTHON_DEFAULTS
        if not ignored(patterns, name)
    ]
    for pattern in ignore_patterns(infra.files[GITIGNORE]):
        example = pattern.strip("/").replace("*", "x")
        if not ignored(patterns, example):
            problems.append(f"{FUNCIGNORE}: {example} is ignored by git but would be deployed")
    problems += [
        f"{FUNCIGNORE}: ignores {name}, which the app needs" for name in app_files if ignored(patterns, name)
    ]
    return problems


# --- Hooks -------------------------------------------------------------------------------------------

PREDEPLOY = ("infra/hooks/predeploy.sh", "infra/hooks/predeploy.ps1")
_SAID = re.compile(r"""(?:echo|Write-Error|Write-Warning)\s+(["'])(.*?)\1""")
_VARIABLE = re.compile(r"\$\(\$env:(\w+)\)|\$env:(\w+)|\$\{(\w+)(?::-[^}]*)?\}|\$(\w+)")
# Where each shell searches for COORD_MAIL_FROM, and the test for an empty value that must come first:
# PowerShell's Select-String refuses an empty pattern, and `grep -F ""` matches every file.
_MAIL_FROM_GUARDS = {
    ".sh": ('[ -z "${COORD_MAIL_FROM:-}" ]', "grep "),
    ".ps1": ("[string]::IsNullOrEmpty($env:COORD_MAIL_FROM)", "Select-String"),
}


def hook_messages(text: str) -> set[str]:
    """What a hook tells the user, with variables named alike in sh and PowerShell."""
    said = set()
    for _, message in _SAID.findall(text):
        named = _VARIABLE.sub(lambda m: next(g for g in m.groups() if g), message)
        said.add(named.removeprefix("warning: "))
    return said


def predeploy_problems(infra: Infra) -> list[str]:
    """The sh and PowerShell predeploy hooks say the same and treat an empty COORD_MAIL_FROM alike."""
    problems = []
    for script in PREDEPLOY:
        guard, search = _MAIL_FROM_GUARDS[Path(script).suffix]
        text = infra.files[script]
        if guard not in text or search not in text or text.index(guard) > text.index(search):
            problems.append(
                f"{script}: must test for an empty COORD_MAIL_FROM ({guard}) before {search.strip()}"
            )
    sh, pwsh = (hook_messages(infra.files[script]) for script in PREDEPLOY)
    if sh != pwsh:
        problems.append(f"{PREDEPLOY[0]} and {PREDEPLOY[1]} say different things: {sorted(sh ^ pwsh)}")
    return problems


# --- Alerts ----------------------------------------------------------------------------------------

ALERTS_BICEP = "infra/app/alerts.bicep"


def tick_interval_minutes(schedule: str) -> int | None:
    """Minutes between ticks of a six-field NCRONTAB schedule, for the plain `every N` forms; else None."""
    fields = schedule.split()
    if len(fields) != 6 or fields[3:] != ["*", "*", "*"] or not fields[0].isdigit():
        return None
    minute, hour = fields[1], fields[2]
    if hour == "*" and (step := re.fullmatch(r"\*(?:/(\d+))?", minute)):
        return int(step.group(1) or 1)
    if minute.isdigit() and (step := re.fullmatch(r"\*(?:/(\d+))?", hour)):
        return 60 * int(step.group(1) or 1)
    return None


def timer_functions() -> list[str]:
    """The timer-triggered functions of function_app.py."""
    text = (ROOT / "function_app.py").read_text(encoding="utf-8")
    return re.findall(r"@app\.timer_trigger\(.*?\)\s*\ndef (\w+)", text, re.DOTALL)


def alert_problems(infra: Infra, tick_schedule: str) -> list[str]:
    """The alerts watch the real timer function, over at least three tick intervals, and email someone."""
    main = infra.bicep(MAIN)
    args = object_entries(path(main.modules["alerts"].value, "params") or "{}")
    problems = []
    if unquote(args.get("functionName", "")) not in timer_functions():
        problems.append(f"{MAIN}: alerts watch {args.get('functionName')}, not a timer of function_app.py")
    if args.get("alertEmails") != "alertEmails" or main.params["alertEmails"].value:
        problems.append(f"{MAIN}: alertEmails must be a required parameter passed to the alerts")
    given = json.loads(infra.files[PARAMETERS])["parameters"].get("alertEmails", {}).get("value")
    if given != "${ALERT_EMAILS}":
        problems.append(f"{PARAMETERS}: alertEmails must be ${{ALERT_EMAILS}}, which azd asks for when unset")
    window = int(main.params["alertAfterMinutes"].value)
    interval = tick_interval_minutes(tick_schedule)
    if interval is None or window < 3 * interval:
        problems.append(
            f"{MAIN}: alertAfterMinutes defaults to {window}, less than three ticks of {tick_schedule!r}"
        )
    alerts = infra.bicep(ALERTS_BICEP)
    queries = " ".join(unquote(v) or v for v in re.findall(r"query: ('[^'\n]*')", alerts.vars["rules"].value))
    if queries.count('where name == "${functionName}"') != 2:
        problems.append(f"{ALERTS_BICEP}: each rule must query the requests of functionName")
    return problems


# --- docs/deploy.md's commands -----------------------------------------------------------------------

# The azd commands the page may use (Azure/azure-dev: cli/azd/cmd), and the variables azd itself reads.
AZD_COMMANDS = {
    "auth login",
    "env new",
    "env set",
    "env get-value",
    "env get-values",
    "env refresh",
    "provision",
    "deploy",
    "up",
    "down",
    "version",
}
AZD_INPUTS = {"AZURE_LOCATION", "AZURE_SUBSCRIPTION_ID"}
_SH_BLOCK = re.compile(r"^( *)```sh\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def shell_blocks(markdown: str) -> list[str]:
    """The ```sh blocks of a page, dedented (blocks inside list items are indented)."""
    return [
        textwrap.dedent("".join(f"{line}\n" for line in body.splitlines()))
        for _, body in _SH_BLOCK.findall(markdown)
    ]


def served_routes() -> set[str]:
    """The routes function_app.py serves, as `/api/...`."""
    text = (ROOT / "function_app.py").read_text(encoding="utf-8")
    return {f"/api/{route}" for route in re.findall(r'route="([^"]+)"', text)}


def deploy_doc_command_problems(infra: Infra) -> list[str]:
    """Commands on docs/deploy.md that would not run: shell syntax, azd commands, names the files lack."""
    doc = infra.files[DEPLOY_DOC]
    blocks = shell_blocks(doc)
    problems = []
    for block in blocks:
        checked = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True, check=False)
        if checked.returncode:
            problems.append(f"{DEPLOY_DOC}: shell syntax: {checked.stderr.strip()}")
    commands = "\n".join(blocks)
    main = infra.bicep(MAIN)
    settable = environment_references(infra.files[PARAMETERS]) | AZD_INPUTS
    secrets = {unquote(v.value) for name, v in main.vars.items() if name.endswith("SecretName")}
    for used in sorted(
        set(re.findall(r"\bazd ([a-z]+(?: (?:login|new|set|get-values?|refresh))?)\b", commands))
    ):
        if used not in AZD_COMMANDS:
            problems.append(f"{DEPLOY_DOC}: `azd {used}` is not an azd command this project uses")
    for name in sorted(set(re.findall(r"azd env set (\w+)", doc)) - settable - {"NAME"}):
        problems.append(f"{DEPLOY_DOC}: azd env set {name}: main.parameters.json reads no such variable")
    for name in sorted(set(re.findall(r"azd env get-value (\w+)", doc)) - set(main.outputs)):
        problems.append(f"{DEPLOY_DOC}: azd env get-value {name}: main.bicep has no such output")
    for name in sorted(
        set(re.findall(r"keyvault secret \w+ [^\n]*?--name ([\w-]+)", doc.replace("\\\n", " ")))
    ):
        if name not in secrets:
            problems.append(f"{DEPLOY_DOC}: Key Vault secret {name} is not one main.bicep names")
    routes = served_routes()
    for route in sorted(set(re.findall(r"(/api/[\w/]+)", doc))):
        if route not in routes:
            problems.append(f"{DEPLOY_DOC}: {route} is not a route function_app.py serves")
    for name in sorted(set(re.findall(r"@(infra/[\w./-]+)", commands))):
        if not (ROOT / name).is_file():
            problems.append(f"{DEPLOY_DOC}: {name} does not exist")
    return problems


# --- azure.yaml against azd's schema -------------------------------------------------------------------
#
# The part of Azure/azure-dev's schemas/v1.0/azure.yaml.json (commit 00cddf7) this project uses: the
# name pattern, infra, a function service (remoteBuild only for `host: function`), and command hooks
# whose `posix`/`windows` variants leave `run` and `shell` off the hook itself.

AZD_TOP_LEVEL = {
    "name",
    "resourceGroup",
    "metadata",
    "infra",
    "services",
    "resources",
    "pipeline",
    "hooks",
    "requiredVersions",
    "state",
    "platform",
    "workflows",
    "cloud",
}
AZD_HOOK_EVENTS = {
    f"{when}{what}"
    for when in ("pre", "post")
    for what in (
        "provision",
        "infracreate",
        "infradelete",
        "down",
        "up",
        "package",
        "publish",
        "deploy",
        "restore",
    )
}
AZD_HOOK_KEYS = {
    "shell",
    "kind",
    "dir",
    "run",
    "continueOnError",
    "interactive",
    "windows",
    "posix",
    "secrets",
    "config",
}


def _hook_problems(where: str, hook: object) -> list[str]:
    if not isinstance(hook, dict):
        return [f"{where}: a hook is a mapping"]
    problems = [f"{where}: unknown key {key}" for key in sorted(set(hook) - AZD_HOOK_KEYS)]
    if hook.get("shell", "sh") not in ("sh", "pwsh"):
        problems.append(f"{where}: shell must be sh or pwsh, not {hook['shell']}")
    if "posix" in hook and "windows" in hook and {"run", "shell"} & set(hook):
        problems.append(f"{where}: with posix and windows, run and shell belong to those")
    for variant in ("posix", "windows"):
        if variant in hook:
            problems += _hook_problems(f"{where}.{variant}", hook[variant])
    if "run" not in hook and not {"posix", "windows"} & set(hook):
        problems.append(f"{where}: run is required")
    return problems


def azure_yaml_schema_problems(infra: Infra) -> list[str]:
    """What azd's schema for azure.yaml rejects, in the parts this project uses."""
    project = yaml.safe_load(infra.files[AZURE_YAML])
    problems = [f"{AZURE_YAML}: unknown top-level key {key}" for key in sorted(set(project) - AZD_TOP_LEVEL)]
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", str(project.get("name", ""))):
        problems.append(f"{AZURE_YAML}: name must be lowercase letters, digits and hyphens")
    for name, service in (project.get("services") or {}).items():
        if "host" not in service:
            problems.append(f"{AZURE_YAML}: service {name} needs a host")
        if "remoteBuild" in service and (
            service.get("host") != "function" or not isinstance(service["remoteBuild"], bool)
        ):
            problems.append(f"{AZURE_YAML}: service {name}: remoteBuild is a boolean for host: function only")
    for event, hook in (project.get("hooks") or {}).items():
        if event not in AZD_HOOK_EVENTS:
            problems.append(f"{AZURE_YAML}: {event} is not an azd hook")
        problems += _hook_problems(f"{AZURE_YAML}: hooks.{event}", hook)
    return problems
