"""Choosing the transport from the settings, and the outbox's retry decisions (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from coord.mail import (
    MailSettingsError,
    OutboxStatus,
    RetryPolicy,
    transport_from_env,
    transport_from_settings,
)
from coord.mail.acs import AcsTransport
from coord.mail.folder import FolderTransport
from coord.mail.policy import Action, next_action, retry_at
from coord.mail.smtp import SmtpTransport

NOW = datetime(2026, 11, 26, 7, tzinfo=UTC)
SMTP = {"SMTP_HOST": "smtp.example.com"}


def test_no_mail_setting_means_mail_is_off() -> None:
    assert transport_from_env({}) is None


def test_the_folder_wins_over_acs_and_smtp(tmp_path: Path) -> None:
    env = {"COORD_MAIL_DIR": str(tmp_path), "ACS_EMAIL_ENDPOINT": "https://x.communication.azure.com", **SMTP}
    transport = transport_from_env(env)
    assert isinstance(transport, FolderTransport)
    assert transport.path == tmp_path


def test_acs_wins_over_smtp() -> None:
    assert isinstance(
        transport_from_env({"ACS_EMAIL_ENDPOINT": "https://x.communication.azure.com", **SMTP}), AcsTransport
    )


def test_smtp_defaults_to_port_587_with_starttls() -> None:
    transport = transport_from_env(SMTP)
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.security, transport.username) == (
        "smtp.example.com",
        587,
        "starttls",
        None,
    )


def test_smtp_settings_are_read_and_the_password_stays_hidden() -> None:
    env = {
        **SMTP,
        "SMTP_PORT": "465",
        "SMTP_SECURITY": "TLS",
        "SMTP_USERNAME": "coord",
        "SMTP_PASSWORD": "hunter2",
    }
    transport = transport_from_env(env)
    assert isinstance(transport, SmtpTransport)
    assert (transport.port, transport.security, transport.username) == (465, "tls", "coord")
    assert "hunter2" not in repr(transport)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({**SMTP, "SMTP_PORT": "smtp"}, "SMTP_PORT"),
        ({**SMTP, "SMTP_PORT": "70000"}, "SMTP_PORT"),
        ({**SMTP, "SMTP_SECURITY": "ssl"}, "SMTP_SECURITY"),
        ({**SMTP, "SMTP_USERNAME": "coord"}, "SMTP_PASSWORD"),
    ],
)
def test_malformed_smtp_settings_are_named(env: dict[str, str], name: str) -> None:
    with pytest.raises(MailSettingsError, match=name):
        transport_from_env(env)


def test_a_settings_object_with_secret_values_is_read_by_attribute() -> None:
    settings = SimpleNamespace(
        smtp_host="smtp.example.com",
        smtp_port=2525,
        smtp_security="none",
        smtp_username="coord",
        smtp_password=SecretStr("hunter2"),
    )
    transport = transport_from_settings(settings)
    assert isinstance(transport, SmtpTransport)
    assert (transport.port, transport.security) == (2525, "none")
    assert transport_from_settings(SimpleNamespace()) is None


POLICY = RetryPolicy()


@pytest.mark.parametrize(
    ("status", "next_at", "since", "action"),
    [
        (OutboxStatus.PENDING, NOW, None, Action.SEND),
        (OutboxStatus.PENDING, None, None, Action.SEND),
        (OutboxStatus.PENDING, NOW + timedelta(seconds=1), None, Action.WAIT),
        (OutboxStatus.SENDING, None, NOW - timedelta(minutes=9), Action.WAIT),
        (OutboxStatus.SENDING, None, NOW - timedelta(minutes=10), Action.RECOVER),
        (OutboxStatus.SENT, NOW, None, Action.NONE),
        (OutboxStatus.FAILED, NOW, None, Action.NONE),
    ],
)
def test_what_the_outbox_does_with_each_state(
    status: OutboxStatus, next_at: datetime | None, since: datetime | None, action: Action
) -> None:
    assert next_action(status, next_at, since, NOW, POLICY) is action


def test_retries_back_off_exponentially_up_to_the_cap_then_give_up() -> None:
    enqueued = NOW - timedelta(hours=1)
    delays = [retry_at(n, enqueued, NOW, POLICY) - NOW for n in range(1, 9)]  # type: ignore[operator]
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]
    assert retry_at(1000, enqueued, NOW, POLICY) == NOW + timedelta(hours=1)
    assert retry_at(3, NOW - timedelta(days=2), NOW, POLICY) is None
    assert OutboxStatus.SENT.is_final
    assert not OutboxStatus.SENDING.is_final
