"""Sending with Azure Communication Services Email (azure-communication-email).

`begin_send` queues the message and returns a poller whose default polling interval is 30 s
without a Retry-After (azure-ecosystem.md gotcha 9). The transport polls every second for at
most a few seconds: a message ACS has accepted (202) counts as sent, and a final failure seen
within that wait is a permanent one.
"""

from __future__ import annotations

import logging
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
)

from coord.mail.errors import MailError, MailPermanentError, MailSettingsError, MailTemporaryError
from coord.mail.message import Message, bare_address, secret_text

log = logging.getLogger(__name__)
_FAILED = frozenset({"Failed", "Canceled"})


class AcsTransport:
    """Hands each message to ACS Email, by managed identity (endpoint) or connection string."""

    def __init__(
        self,
        endpoint: str | None = None,
        connection_string: Any = None,
        *,
        credential: Any = None,
        wait_seconds: float = 5.0,
        poll_interval: float = 1.0,
        client: Any = None,
    ) -> None:
        self.endpoint = endpoint
        self._wait = wait_seconds
        self._poll_interval = poll_interval
        self._client = client or _client(endpoint, connection_string, credential)

    def send(self, message: Message) -> None:
        """Queue the message with ACS and wait briefly for its outcome."""
        try:
            if self._wait <= 0:
                self._client.begin_send(acs_message(message), polling=False)
                return
            poller = self._client.begin_send(acs_message(message), polling_interval=self._poll_interval)
            poller.wait(timeout=self._wait)
            if not poller.done():
                log.info("email %s accepted by ACS, delivery still running", message.key)
                return
            result = poller.result() or {}
        except AzureError as exc:
            raise acs_error(exc) from exc
        if result.get("status") in _FAILED:
            error = result.get("error") or {}
            reason = f"{error.get('code')} {error.get('message')}"
            raise MailPermanentError(f"ACS did not send the email: {reason}")

    def __repr__(self) -> str:
        return f"AcsTransport(endpoint={self.endpoint!r})"


def acs_message(message: Message) -> dict[str, Any]:
    """The message as the ACS Email `begin_send` payload (azure-ecosystem.md §4.2)."""
    return {
        "senderAddress": bare_address(message.sender),
        "recipients": {"to": [{"address": bare_address(address)} for address in message.to]},
        "content": {"subject": message.subject, "plainText": message.text, "html": message.html},
        "headers": {**message.headers, "X-Coord-Message-Id": message.message_id},
        "userEngagementTrackingDisabled": True,
    }


def acs_error(exc: AzureError) -> MailError:
    """The MailError for an azure.core error from ACS: refused messages are permanent, the rest temporary."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
        return MailTemporaryError(
            "ACS refused the sign-in: check the identity's role on the Communication Service, "
            "or ACS_EMAIL_CONNECTION_STRING"
        )
    if isinstance(exc, HttpResponseError) and status is not None:
        # A failed operation surfaces with the poll's 2xx status; a 4xx is about this message.
        permanent = status < 300 or (400 <= status < 500 and status not in (408, 429))
        kind = MailPermanentError if permanent else MailTemporaryError
        return kind(f"ACS answered {status}: {getattr(exc, 'reason', '') or type(exc).__name__}")
    return MailTemporaryError(f"ACS unreachable or failing: {type(exc).__name__}")


def _client(endpoint: str | None, connection_string: Any, credential: Any) -> Any:
    from azure.communication.email import EmailClient  # noqa: PLC0415 (loaded only when ACS is used)

    if connection_string:
        try:
            return EmailClient.from_connection_string(secret_text(connection_string))
        except (ValueError, TypeError, KeyError, IndexError):
            msg = "ACS_EMAIL_CONNECTION_STRING is malformed (expected endpoint=https://...;accesskey=...)"
            raise MailSettingsError(msg) from None
    if not endpoint or not endpoint.startswith("https://"):
        msg = f"ACS_EMAIL_ENDPOINT must be https://<resource>.communication.azure.com, not {endpoint!r}"
        raise MailSettingsError(msg)
    if credential is None:
        from azure.identity import DefaultAzureCredential  # noqa: PLC0415

        credential = DefaultAzureCredential()
    return EmailClient(endpoint, credential)
