"""Settings from the environment: defaults, every problem named by its variable, secrets kept secret."""

import re
from pathlib import Path

import pytest

from coord.settings import DEFAULT_CONFIG_PATH, SETTING_NAMES, SettingsError, load_settings

OCTOPUS = {"OCTOPUS_SERVER_URL": "https://octopus.example.com/", "OCTOPUS_API_KEY": "API-SECRET123"}


def test_defaults_follow_the_interface() -> None:
    settings = load_settings({})
    assert settings.config_path == DEFAULT_CONFIG_PATH
    assert DEFAULT_CONFIG_PATH.parent == Path(__file__).resolve().parents[2]  # beside function_app.py
    assert (settings.table_prefix, settings.backfill_days, settings.smtp_port) == ("coord", 7, 587)
    assert settings.smtp_security == "starttls"
    assert settings.tick_schedule == "0 * * * * *"
    assert settings.storage is None
    assert settings.mail_kind is None
    assert settings.webhook_secret is None


def test_every_problem_is_named_by_its_variable_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "COORD_BACKFILL_DAYS": "x",
                "SMTP_PORT": "99999",
                "SMTP_SECURITY": "ssl",
                "COORD_TABLE_PREFIX": "my-prefix",
                "OCTOPUS_SERVER_URL": "octopus.example.com",
                "COORD_TICK_SCHEDULE": "every minute",
            }
        )
    assert caught.value.problems == [
        "OCTOPUS_SERVER_URL: expected a URL starting with http:// or https://, got 'octopus.example.com'",
        "COORD_TABLE_PREFIX: expected letters and digits starting with a letter (at most 40), got 'my-prefix'",  # noqa: E501  (a message as users read it)
        "SMTP_PORT: expected a TCP port (1-65535), got '99999'",
        "SMTP_SECURITY: expected starttls, tls or none, got 'ssl'",
        "COORD_BACKFILL_DAYS: expected a whole number of days, got 'x'",
        "COORD_TICK_SCHEDULE: expected an NCRONTAB expression with 6 fields "
        "(second minute hour day month day-of-week), got 'every minute'",
    ]


def test_octopus_settings_are_required_only_when_asked_for() -> None:
    assert load_settings({}).octopus_server_url is None
    with pytest.raises(SettingsError) as caught:
        load_settings({}, need=["octopus"])
    assert [problem.split(":")[0] for problem in caught.value.problems] == [
        "OCTOPUS_SERVER_URL",
        "OCTOPUS_API_KEY",
    ]
    octopus = load_settings({**OCTOPUS, "OCTOPUS_SPACE": "Spaces-2"}).require_octopus()
    assert (octopus.server_url, octopus.space) == ("https://octopus.example.com", "Spaces-2")
    assert octopus.api_key.get_secret_value() == "API-SECRET123"


def test_a_malformed_setting_is_not_also_reported_missing() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"OCTOPUS_SERVER_URL": "nope", "OCTOPUS_API_KEY": "API-X"}, need=["octopus"])
    assert len(caught.value.problems) == 1


def test_empty_values_count_as_unset() -> None:
    settings = load_settings({"COORD_BACKFILL_DAYS": "", "OCTOPUS_API_KEY": "  ", "COORD_WEBHOOK_SECRET": ""})
    assert settings.backfill_days == 7
    assert settings.octopus_api_key is None
    assert settings.webhook_secret is None


def test_secrets_never_appear_in_repr_or_errors() -> None:
    environ = {
        **OCTOPUS,
        "SMTP_HOST": "smtp.example.com",
        "SMTP_USERNAME": "coord",
        "SMTP_PASSWORD": "hunter2-secret",
        "COORD_WEBHOOK_SECRET": "webhook-secret",
        "ACS_EMAIL_CONNECTION_STRING": "endpoint=https://x;accesskey=acs-secret",
        "COORD_STORAGE": "AccountName=acct;AccountKey=storage-secret;TableEndpoint=https://acct.table.core.windows.net",
    }
    settings = load_settings(environ)
    shown = repr(settings) + str(settings) + settings.describe_mail() + settings.require_storage().describe()
    for secret in ("API-SECRET123", "hunter2-secret", "webhook-secret", "acs-secret", "storage-secret"):
        assert secret not in shown
    with pytest.raises(SettingsError) as caught:
        load_settings({"COORD_STORAGE": "AccountKey=storage-secret;Nonsense"})
    assert "storage-secret" not in str(caught.value)
    assert str(caught.value).startswith("COORD_STORAGE: expected a storage connection string")


@pytest.mark.parametrize(
    ("environ", "connection", "endpoint", "source"),
    [
        (
            {"COORD_STORAGE": "UseDevelopmentStorage=true", "AzureWebJobsStorage": "AccountName=x"},
            True,
            None,
            "COORD_STORAGE",
        ),
        (
            {"COORD_STORAGE": "https://acct.table.core.windows.net/"},
            False,
            "https://acct.table.core.windows.net",
            "COORD_STORAGE",
        ),
        ({"AzureWebJobsStorage": "UseDevelopmentStorage=true"}, True, None, "AzureWebJobsStorage"),
        (
            {
                "AzureWebJobsStorage__tableServiceUri": "https://acct.table.core.windows.net",
                "AzureWebJobsStorage__accountName": "other",
            },
            False,
            "https://acct.table.core.windows.net",
            "AzureWebJobsStorage__tableServiceUri",
        ),
        (
            {"AzureWebJobsStorage__accountName": "acct"},
            False,
            "https://acct.table.core.windows.net",
            "AzureWebJobsStorage__accountName",
        ),
    ],
)
def test_storage_resolves_in_the_documented_order(
    environ: dict[str, str], connection: bool, endpoint: str | None, source: str
) -> None:
    target = load_settings(environ).require_storage()
    assert (target.connection_string is not None, target.table_endpoint, target.source) == (
        connection,
        endpoint,
        source,
    )


def test_missing_storage_is_reported_when_needed() -> None:
    with pytest.raises(SettingsError, match=r"^COORD_STORAGE: required"):
        load_settings({}, need=["storage"])


@pytest.mark.parametrize(
    ("environ", "kind"),
    [
        (
            {"SMTP_HOST": "mail", "ACS_EMAIL_ENDPOINT": "https://acs.example.com", "COORD_MAIL_DIR": "out"},
            "folder",
        ),
        ({"SMTP_HOST": "mail", "ACS_EMAIL_ENDPOINT": "https://acs.example.com"}, "acs"),
        ({"SMTP_HOST": "mail", "ACS_EMAIL_CONNECTION_STRING": "endpoint=https://x;accesskey=k"}, "acs"),
        ({"SMTP_HOST": "mail"}, "smtp"),
        ({}, None),
    ],
)
def test_mail_transport_prefers_folder_then_acs_then_smtp(environ: dict[str, str], kind: str | None) -> None:
    assert load_settings(environ).mail_kind == kind


def test_implicit_tls_defaults_to_port_465() -> None:
    assert load_settings({"SMTP_HOST": "mail", "SMTP_SECURITY": "tls"}).smtp_port == 465
    assert load_settings({"SMTP_HOST": "mail", "SMTP_SECURITY": "TLS", "SMTP_PORT": "2465"}).smtp_port == 2465


def test_smtp_username_needs_a_password() -> None:
    with pytest.raises(SettingsError, match="SMTP_PASSWORD: required when SMTP_USERNAME is set"):
        load_settings({"SMTP_HOST": "mail", "SMTP_USERNAME": "coord"})


def test_setting_names_cover_the_interface_table() -> None:
    documented = {
        "OCTOPUS_SERVER_URL", "OCTOPUS_API_KEY", "OCTOPUS_SPACE", "COORD_CONFIG", "COORD_STORAGE",
        "AzureWebJobsStorage", "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__tableServiceUri",
        "COORD_TABLE_PREFIX", "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_SECURITY",
        "ACS_EMAIL_ENDPOINT", "ACS_EMAIL_CONNECTION_STRING", "COORD_MAIL_DIR", "COORD_BACKFILL_DAYS",
        "COORD_WEBHOOK_SECRET", "COORD_TICK_SCHEDULE", "COORD_PUBLIC_URL",
    }  # fmt: skip
    assert set(SETTING_NAMES) == documented
    assert len(SETTING_NAMES) == len(documented)


def test_settings_read_only_the_names_they_declare() -> None:
    source = (Path(__file__).resolve().parents[2] / "coord" / "settings.py").read_text()
    read = set(re.findall(r'"((?:OCTOPUS|COORD|SMTP|ACS|AzureWebJobsStorage)[A-Za-z_]*)"', source))
    assert read <= set(SETTING_NAMES)
