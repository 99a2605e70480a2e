"""The mail transport port, and the choice of transport from the settings.

Choice (interface.md, Settings): COORD_MAIL_DIR, else ACS_EMAIL_ENDPOINT or
ACS_EMAIL_CONNECTION_STRING, else SMTP_HOST; with none of them, mail is off (None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from coord.mail.errors import MailSettingsError
from coord.mail.message import Message
from coord.mail.smtp import SECURITY_CHOICES

# Settings attributes read by transport_from_settings, by environment variable.
SETTING_ATTRIBUTES = {
    "COORD_MAIL_DIR": "mail_dir",
    "ACS_EMAIL_ENDPOINT": "acs_email_endpoint",
    "ACS_EMAIL_CONNECTION_STRING": "acs_email_connection_string",
    "SMTP_HOST": "smtp_host",
    "SMTP_PORT": "smtp_port",
    "SMTP_USERNAME": "smtp_username",
    "SMTP_PASSWORD": "smtp_password",
    "SMTP_SECURITY": "smtp_security",
}


class MailTransport(Protocol):
    """Hands a finished Message to a mail service; raises MailTemporaryError or MailPermanentError."""

    def send(self, message: Message) -> None: ...


@runtime_checkable
class DeliveryCheck(Protocol):
    """A transport that can tell afterwards whether a message was delivered (the folder can)."""

    def was_delivered(self, message: Message) -> bool: ...


def transport_from_settings(settings: object) -> MailTransport | None:
    """The transport the settings choose, reading the attributes in SETTING_ATTRIBUTES (absent = unset)."""
    values = {name: getattr(settings, attribute, None) for name, attribute in SETTING_ATTRIBUTES.items()}
    return transport_from_values(values)


def transport_from_env(environ: Mapping[str, str]) -> MailTransport | None:
    """The transport that environment variables (interface.md names) choose."""
    return transport_from_values({name: environ.get(name) or None for name in SETTING_ATTRIBUTES})


def transport_from_values(values: Mapping[str, Any]) -> MailTransport | None:
    """The transport for settings keyed by environment variable name; None when mail is off."""
    if values.get("COORD_MAIL_DIR"):
        from coord.mail.folder import FolderTransport  # noqa: PLC0415 (each transport loads on use)

        return FolderTransport(str(values["COORD_MAIL_DIR"]))
    if values.get("ACS_EMAIL_ENDPOINT") or values.get("ACS_EMAIL_CONNECTION_STRING"):
        from coord.mail.acs import AcsTransport  # noqa: PLC0415

        return AcsTransport(
            endpoint=values.get("ACS_EMAIL_ENDPOINT") or None,
            connection_string=values.get("ACS_EMAIL_CONNECTION_STRING") or None,
        )
    if values.get("SMTP_HOST"):
        from coord.mail.smtp import SmtpTransport  # noqa: PLC0415

        return SmtpTransport(
            str(values["SMTP_HOST"]),
            _port(values.get("SMTP_PORT")),
            _security(values.get("SMTP_SECURITY")),
            values.get("SMTP_USERNAME") or None,
            values.get("SMTP_PASSWORD"),
        )
    return None


def _port(value: Any) -> int:
    if value in (None, ""):
        return 587
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise MailSettingsError(f"SMTP_PORT must be a port number (1-65535), not {value!r}")
    return port


def _security(value: Any) -> Any:
    text = str(getattr(value, "value", value) or "starttls").lower()
    if text not in SECURITY_CHOICES:
        raise MailSettingsError(f"SMTP_SECURITY must be one of {', '.join(SECURITY_CHOICES)}, not {value!r}")
    return text
