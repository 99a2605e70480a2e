"""Sending over SMTP: plain, STARTTLS or implicit TLS, with or without a login."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from typing import Any, Literal

from coord.mail.errors import MailError, MailPermanentError, MailSettingsError, MailTemporaryError
from coord.mail.message import Message, bare_address, secret_text

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "tls"]
SECURITY_CHOICES: tuple[Security, ...] = ("none", "starttls", "tls")


class SmtpTransport:
    """Hands each message to one SMTP server, on a new connection per message."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        security: Security = "starttls",
        username: str | None = None,
        password: Any = None,
        *,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in SECURITY_CHOICES:
            msg = f"SMTP_SECURITY must be one of {', '.join(SECURITY_CHOICES)}, not {security!r}"
            raise MailSettingsError(msg)
        if username and password is None:
            raise MailSettingsError("SMTP_USERNAME is set but SMTP_PASSWORD is not")
        self.host, self.port, self.security, self.username = host, port, security, username
        self._password = password
        self._timeout = timeout
        self._ssl_context = ssl_context

    def send(self, message: Message) -> None:
        """Send one message; MailTemporaryError or MailPermanentError when the server does not take it."""
        mail = message.to_email_message()
        sender, recipients = bare_address(message.sender), [bare_address(a) for a in message.to]
        try:
            with self._connect() as smtp:
                if self.security == "starttls":
                    smtp.starttls(context=self._context())
                if self.username:
                    smtp.login(self.username, secret_text(self._password))
                refused = smtp.send_message(mail, from_addr=sender, to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise smtp_error(exc) from exc
        if refused:
            # Some recipients took it: sending again would reach them twice, so it counts as sent.
            log.warning(
                "email %s was refused for %d of %d recipients: %s",
                message.key,
                len(refused),
                len(message.to),
                _describe(refused),
            )

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self._timeout, context=self._context())
        return smtplib.SMTP(self.host, self.port, timeout=self._timeout)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def __repr__(self) -> str:
        login = f", username={self.username!r}, password='***'" if self.username else ""
        return f"SmtpTransport(host={self.host!r}, port={self.port}, security={self.security!r}{login})"


def smtp_error(exc: BaseException) -> MailError:
    """The MailError for an smtplib or socket error: 5xx for the message is permanent, the rest temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        kind = MailPermanentError if codes and all(500 <= c < 600 for c in codes) else MailTemporaryError
        return kind(f"recipients refused: {_describe(exc.recipients)}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # Wrong credentials are a setting to fix, not a message to drop: retried until fixed or given up.
        code = exc.smtp_code
        return MailTemporaryError(f"SMTP login failed ({code}): check SMTP_USERNAME and SMTP_PASSWORD")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP server answered {exc.smtp_code} {_text(exc.smtp_error)}"
        return MailPermanentError(text) if 500 <= exc.smtp_code < 600 else MailTemporaryError(text)
    for kind_of_failure, what in _TEMPORARY:
        if isinstance(exc, kind_of_failure):
            return MailTemporaryError(f"{what}: {exc}")
    return MailTemporaryError(f"SMTP server unreachable or failing: {type(exc).__name__}: {exc}")


_TEMPORARY: tuple[tuple[type[BaseException], str], ...] = (
    (smtplib.SMTPNotSupportedError, "the SMTP server does not offer what SMTP_SECURITY needs"),
    (smtplib.SMTPServerDisconnected, "the SMTP server closed the connection"),
    (ssl.CertificateError, "the SMTP server's certificate was not accepted"),
    (ssl.SSLError, "TLS with the SMTP server failed"),
)


def _describe(refused: Mapping[str, tuple[int, bytes | str]]) -> str:
    return "; ".join(f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in refused.items())


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
