"""Settings from the environment (the Function App's app settings), each error named by its variable.

interface.md ("Settings") is the list. Secrets are SecretStr and never appear in a repr, a message
or a log line; a malformed secret is reported by name only, never by value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr

from coord.schedules.cron import CronError, check_cron

# Where function_app.py lives: the package's parent folder, in Azure and in a checkout alike.
APP_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = APP_ROOT / "coord.yaml"

SETTING_NAMES: tuple[str, ...] = (
    "OCTOPUS_SERVER_URL",
    "OCTOPUS_API_KEY",
    "OCTOPUS_SPACE",
    "COORD_CONFIG",
    "COORD_STORAGE",
    "AzureWebJobsStorage",
    "AzureWebJobsStorage__tableServiceUri",
    "AzureWebJobsStorage__accountName",
    "COORD_TABLE_PREFIX",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_SECURITY",
    "ACS_EMAIL_ENDPOINT",
    "ACS_EMAIL_CONNECTION_STRING",
    "COORD_MAIL_DIR",
    "COORD_BACKFILL_DAYS",
    "COORD_WEBHOOK_SECRET",
    "COORD_TICK_SCHEDULE",
    "COORD_PUBLIC_URL",
)
SECRET_NAMES = frozenset(
    {"OCTOPUS_API_KEY", "SMTP_PASSWORD", "ACS_EMAIL_CONNECTION_STRING", "COORD_WEBHOOK_SECRET"}
    | {"COORD_STORAGE", "AzureWebJobsStorage"}  # connection strings may carry an AccountKey
)

SmtpSecurity = Literal["starttls", "tls", "none"]
MailKind = Literal["folder", "acs", "smtp"]
_SECURITIES: dict[str, SmtpSecurity] = {"starttls": "starttls", "tls": "tls", "none": "none"}


class SettingsError(ValueError):
    """Settings that are missing or malformed; `problems` holds one line per variable."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class StorageTarget:
    """Where the tables are: a connection string, or a table endpoint reached with Azure identity."""

    connection_string: SecretStr | None = None
    table_endpoint: str | None = None
    source: str = "COORD_STORAGE"

    def describe(self) -> str:
        """A line for check-config that shows where, never a key."""
        if self.table_endpoint:
            return f"{self.table_endpoint} (Azure identity, from {self.source})"
        secret = self.connection_string.get_secret_value() if self.connection_string else ""
        if "usedevelopmentstorage=true" in secret.casefold():
            return f"local development storage (from {self.source})"
        match = re.search(r"(?:^|;)\s*TableEndpoint\s*=\s*([^;]+)", secret, re.IGNORECASE)
        account = re.search(r"(?:^|;)\s*AccountName\s*=\s*([^;]+)", secret, re.IGNORECASE)
        where = match[1] if match else (f"account {account[1]}" if account else "a connection string")
        return f"{where} (connection string from {self.source})"


@dataclass(frozen=True)
class OctopusSettings:
    """What the Octopus client needs."""

    server_url: str
    api_key: SecretStr
    space: str | None = None


@dataclass(frozen=True)
class Settings:
    """Every setting coord reads, validated; see interface.md for what each means."""

    octopus_server_url: str | None = None
    octopus_api_key: SecretStr | None = None
    octopus_space: str | None = None
    config_path: Path = DEFAULT_CONFIG_PATH
    storage: StorageTarget | None = None
    table_prefix: str = "coord"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: SmtpSecurity = "starttls"
    acs_email_endpoint: str | None = None
    acs_email_connection_string: SecretStr | None = None
    mail_dir: Path | None = None
    backfill_days: int = 7
    webhook_secret: SecretStr | None = None
    tick_schedule: str = "0 * * * * *"
    # Where readers reach coord's HTTP functions, for links in emails and pages; None: no such links.
    public_url: str | None = None
    # App Service authentication is on (WEBSITE_AUTH_ENABLED=True, as Microsoft.Identity.Web reads it): only
    # then is X-MS-CLIENT-PRINCIPAL-NAME set by the platform rather than by whoever sent the request.
    caller_identity: bool = False

    @property
    def mail_kind(self) -> MailKind | None:
        """How mail leaves: a folder of .eml files, ACS, SMTP, in that order of preference; None = off."""
        if self.mail_dir is not None:
            return "folder"
        if self.acs_email_endpoint or self.acs_email_connection_string:
            return "acs"
        if self.smtp_host:
            return "smtp"
        return None

    def describe_mail(self) -> str:
        """A line for check-config saying how mail is sent, without secrets."""
        kind = self.mail_kind
        if kind == "folder":
            return f".eml files in {self.mail_dir} (COORD_MAIL_DIR)"
        if kind == "acs":
            if self.acs_email_endpoint:
                return f"Azure Communication Services at {self.acs_email_endpoint} (managed identity)"
            return "Azure Communication Services (ACS_EMAIL_CONNECTION_STRING)"
        if kind == "smtp":
            login = f", as {self.smtp_username}" if self.smtp_username else ""
            return f"SMTP {self.smtp_host}:{self.smtp_port} ({self.smtp_security}{login})"
        return "disabled (set COORD_MAIL_DIR, ACS_EMAIL_ENDPOINT or SMTP_HOST to send mail)"

    def require_octopus(self) -> OctopusSettings:
        """The Octopus settings, or SettingsError naming each one that is missing."""
        problems = []
        if not self.octopus_server_url:
            problems.append(
                "OCTOPUS_SERVER_URL: required (the Octopus Server URL, e.g. https://octopus.example.com)"
            )
        if self.octopus_api_key is None:
            problems.append("OCTOPUS_API_KEY: required (an Octopus API key, API-...)")
        if problems:
            raise SettingsError(problems)
        assert self.octopus_server_url is not None and self.octopus_api_key is not None
        return OctopusSettings(self.octopus_server_url, self.octopus_api_key, self.octopus_space)

    def require_storage(self) -> StorageTarget:
        """The storage target, or SettingsError naming the variables that would give one."""
        if self.storage is None:
            msg = (
                "COORD_STORAGE: required (a storage connection string or https://ACCOUNT.table.core.windows.net;"
                " or set AzureWebJobsStorage)"
            )
            raise SettingsError([msg])
        return self.storage


Need = Literal["octopus", "storage"]


def load_settings(environ: Mapping[str, str] | None = None, *, need: Iterable[Need] = ()) -> Settings:
    """Read and check every setting; raise SettingsError listing each problem by variable name."""
    env = {name: value.strip() for name, value in (os.environ if environ is None else environ).items()}
    # An app setting that exists but is empty means "not set" (the portal keeps empty values).
    env = {name: value for name, value in env.items() if value}
    reader = _Reader(env)
    settings = Settings(
        octopus_server_url=reader.url("OCTOPUS_SERVER_URL"),
        octopus_api_key=reader.secret("OCTOPUS_API_KEY"),
        octopus_space=env.get("OCTOPUS_SPACE"),
        config_path=Path(env["COORD_CONFIG"]) if "COORD_CONFIG" in env else DEFAULT_CONFIG_PATH,
        storage=reader.storage(),
        table_prefix=reader.table_prefix(),
        smtp_host=env.get("SMTP_HOST"),
        smtp_port=reader.integer("SMTP_PORT", _default_smtp_port(env), 1, 65535, "a TCP port (1-65535)"),
        smtp_username=env.get("SMTP_USERNAME"),
        smtp_password=reader.secret("SMTP_PASSWORD"),
        smtp_security=reader.smtp_security(),
        acs_email_endpoint=reader.url("ACS_EMAIL_ENDPOINT", https_only=True),
        acs_email_connection_string=reader.secret("ACS_EMAIL_CONNECTION_STRING"),
        mail_dir=Path(env["COORD_MAIL_DIR"]) if "COORD_MAIL_DIR" in env else None,
        backfill_days=reader.integer("COORD_BACKFILL_DAYS", 7, 0, 3650, "a whole number of days"),
        webhook_secret=reader.secret("COORD_WEBHOOK_SECRET"),
        tick_schedule=reader.tick_schedule(),
        public_url=reader.public_url(),
        caller_identity=env.get("WEBSITE_AUTH_ENABLED", "").casefold() == "true",
    )
    if "SMTP_USERNAME" in env and "SMTP_PASSWORD" not in env:
        reader.problems.append("SMTP_PASSWORD: required when SMTP_USERNAME is set")
    for wanted in need:
        try:
            settings.require_octopus() if wanted == "octopus" else settings.require_storage()
        except SettingsError as exc:
            # A variable that is set but malformed is already reported; do not call it missing too.
            reported = {problem.partition(":")[0] for problem in reader.problems}
            reader.problems += [p for p in exc.problems if p.partition(":")[0] not in reported]
    if reader.problems:
        raise SettingsError(reader.problems)
    return settings


def _default_smtp_port(env: Mapping[str, str]) -> int:
    # Implicit TLS listens on 465 (RFC 8314 §3.3); submission with STARTTLS, and plain, on 587.
    return 465 if env.get("SMTP_SECURITY", "").casefold() == "tls" else 587


class _Reader:
    """Reads typed values out of the environment, collecting every problem instead of stopping."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def secret(self, name: str) -> SecretStr | None:
        return SecretStr(self.env[name]) if name in self.env else None

    def url(self, name: str, *, https_only: bool = False) -> str | None:
        value = self.env.get(name)
        if value is None:
            return None
        parts = urlsplit(value)
        schemes = ("https",) if https_only else ("http", "https")
        if parts.scheme not in schemes or not parts.netloc:
            shown = " or ".join(f"{scheme}://" for scheme in schemes)
            self.problems.append(f"{name}: expected a URL starting with {shown}, got {value!r}")
            return None
        return value.rstrip("/")

    def integer(self, name: str, default: int, low: int, high: int, what: str) -> int:
        value = self.env.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.problems.append(f"{name}: expected {what}, got {value!r}")
            return default
        return number

    def public_url(self) -> str | None:
        # App Service sets WEBSITE_HOSTNAME to the app's default host name (Microsoft Learn, "Environment
        # variables and app settings reference"); COORD_PUBLIC_URL wins, for a custom domain or a gateway.
        explicit = self.url("COORD_PUBLIC_URL")
        if explicit is not None or "COORD_PUBLIC_URL" in self.env:
            return explicit
        host = self.env.get("WEBSITE_HOSTNAME")
        return f"https://{host}" if host and re.fullmatch(r"[A-Za-z0-9.-]+(:\d+)?", host) else None

    def table_prefix(self) -> str:
        value = self.env.get("COORD_TABLE_PREFIX", "coord")
        # Table names are 3-63 letters and digits starting with a letter; leave room for our own names.
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,39}", value):
            message = "expected letters and digits starting with a letter (at most 40)"
            self.problems.append(f"COORD_TABLE_PREFIX: {message}, got {value!r}")
            return "coord"
        return value

    def smtp_security(self) -> SmtpSecurity:
        value = self.env.get("SMTP_SECURITY", "starttls").casefold()
        if value in _SECURITIES:
            return _SECURITIES[value]
        self.problems.append(
            f"SMTP_SECURITY: expected starttls, tls or none, got {self.env['SMTP_SECURITY']!r}"
        )
        return "starttls"

    def tick_schedule(self) -> str:
        value = self.env.get("COORD_TICK_SCHEDULE", "0 * * * * *")
        fields = value.split()
        # The Functions host reads this (NCRONTAB, seconds first); a 5-field form is accepted too.
        try:
            if len(fields) not in (5, 6):
                raise CronError(value)
            check_cron(" ".join(fields[1:] if len(fields) == 6 else fields))
        except CronError:
            expected = "an NCRONTAB expression with 6 fields (second minute hour day month day-of-week)"
            self.problems.append(f"COORD_TICK_SCHEDULE: expected {expected}, got {value!r}")
        return value

    def storage(self) -> StorageTarget | None:
        for name in ("COORD_STORAGE", "AzureWebJobsStorage"):
            if name in self.env:
                return self._storage_from(name, self.env[name])
        uri = self.url("AzureWebJobsStorage__tableServiceUri", https_only=False)
        if uri is not None:
            return StorageTarget(table_endpoint=uri, source="AzureWebJobsStorage__tableServiceUri")
        account = self.env.get("AzureWebJobsStorage__accountName")
        if account is not None:
            if not re.fullmatch(r"[a-z0-9]{3,24}", account):
                message = "expected a storage account name (3-24 lowercase letters and digits)"
                self.problems.append(f"AzureWebJobsStorage__accountName: {message}, got {account!r}")
                return None
            endpoint = f"https://{account}.table.core.windows.net"
            return StorageTarget(table_endpoint=endpoint, source="AzureWebJobsStorage__accountName")
        return None

    def _storage_from(self, name: str, value: str) -> StorageTarget | None:
        if value.casefold().startswith(("https://", "http://")):
            endpoint = self.url(name)
            return StorageTarget(table_endpoint=endpoint, source=name) if endpoint else None
        pairs = [part.partition("=") for part in value.split(";") if part.strip()]
        keys = {key.strip().casefold() for key, sep, _ in pairs if sep}
        usable = {"usedevelopmentstorage", "accountname", "tableendpoint", "sharedaccesssignature"}
        if len(keys) != len(pairs) or not keys & usable:
            # Never echo the value: it may hold an account key.
            message = (
                "expected a storage connection string (AccountName=...;AccountKey=...;...) or a table "
                "endpoint URL https://ACCOUNT.table.core.windows.net"
            )
            self.problems.append(f"{name}: {message}")
            return None
        return StorageTarget(connection_string=SecretStr(value), source=name)
