"""What the ACS transport sends and how it reads ACS failures (no network: the payload and the mapping)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
)

from coord.mail import MailPermanentError, MailSettingsError, MailTemporaryError, Message
from coord.mail.acs import AcsTransport, acs_error, acs_message


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.reason = "Reason"
        self.headers: dict[str, str] = {}
        self.request = None

    def text(self) -> str:
        return ""


MESSAGE = Message(
    key="mail:run:r-1",
    sender="Coord <DoNotReply@abc.azurecomm.net>",
    to=("Ops <ops@example.com>", "dev@example.com"),
    subject="Run r-1 succeeded",
    html="<p>ok</p>",
    text="ok",
)


def test_the_payload_has_the_shape_begin_send_takes() -> None:
    assert acs_message(MESSAGE) == {
        "senderAddress": "DoNotReply@abc.azurecomm.net",
        "recipients": {"to": [{"address": "ops@example.com"}, {"address": "dev@example.com"}]},
        "content": {"subject": "Run r-1 succeeded", "plainText": "ok", "html": "<p>ok</p>"},
        "headers": {
            "List-Id": "coord <mail.coord.abc.azurecomm.net>",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-Coord-Key": "mail:run:r-1",
            "X-Coord-Message-Id": MESSAGE.message_id,
        },
        "userEngagementTrackingDisabled": True,
    }


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (HttpResponseError(response=FakeResponse(400)), MailPermanentError),
        (HttpResponseError(response=FakeResponse(200)), MailPermanentError),  # the operation ended Failed
        (HttpResponseError(response=FakeResponse(429)), MailTemporaryError),
        (HttpResponseError(response=FakeResponse(503)), MailTemporaryError),
        (HttpResponseError(response=FakeResponse(401)), MailTemporaryError),
        (HttpResponseError(response=FakeResponse(403)), MailTemporaryError),
        (ClientAuthenticationError("no managed identity"), MailTemporaryError),
        (ServiceRequestError("connection refused"), MailTemporaryError),
        (AzureError("odd"), MailTemporaryError),
    ],
    ids=lambda v: getattr(getattr(v, "response", None), "status_code", None) or type(v).__name__,
)
def test_acs_errors_map_to_temporary_or_permanent(error: AzureError, expected: type[Exception]) -> None:
    assert type(acs_error(error)) is expected


def test_an_endpoint_uses_a_token_credential_without_sending_anything() -> None:
    transport = AcsTransport(endpoint="https://coord.communication.azure.com")
    assert repr(transport) == "AcsTransport(endpoint='https://coord.communication.azure.com')"


def test_a_connection_string_secret_never_shows() -> None:
    transport = AcsTransport(
        connection_string="endpoint=https://coord.communication.azure.com/;accesskey=c2VjcmV0"
    )
    assert "c2VjcmV0" not in repr(transport)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"endpoint": "http://coord.communication.azure.com"}, "ACS_EMAIL_ENDPOINT"),
        ({"connection_string": "accesskey=c2VjcmV0"}, "ACS_EMAIL_CONNECTION_STRING"),
    ],
)
def test_malformed_acs_settings_are_named(kwargs: dict[str, str], name: str) -> None:
    with pytest.raises(MailSettingsError, match=name) as raised:
        AcsTransport(**kwargs)
    assert "c2VjcmV0" not in str(raised.value)
