"""SmtpTransport against real SMTP servers (aiosmtpd): accepted, refused, dropped, login, TLS."""

from __future__ import annotations

import smtplib
import socket
import ssl
from datetime import UTC, datetime

import pytest

from coord.mail import MailPermanentError, MailTemporaryError, Message
from coord.mail.smtp import SmtpTransport
from tests.fixtures.smtp import DROP, SMTP_PASSWORD, SMTP_USER, SmtpServer

# The login servers run without TLS on purpose, to test login on its own.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def report(key: str = "mail:report:2026-11-25") -> Message:
    return Message(
        key=key,
        sender="Coord <coord@example.com>",
        to=("ops@example.com", "Lead <lead@example.com>"),
        subject="Deployments on 25 November — 12 succeeded",
        html="<html><body><h1>Report</h1><p>Checkout 3.2.1 → Production</p></body></html>",
        text="Report\nCheckout 3.2.1 -> Production\n",
        date=datetime(2026, 11, 26, 7, 0, tzinfo=UTC),
    )


def plain(server: SmtpServer) -> SmtpTransport:
    """A transport without TLS or login, that gives up quickly."""
    return SmtpTransport(server.host, server.port, "none", timeout=5)


def test_a_message_arrives_with_both_parts_and_its_headers(smtp_server: SmtpServer) -> None:
    message = report()
    plain(smtp_server).send(message)
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    assert got["Subject"] == message.subject
    assert got["Message-ID"] == message.message_id
    assert got["X-Coord-Key"] == message.key
    assert got["Date"] == "Thu, 26 Nov 2026 07:00:00 +0000"
    assert got.get_content_type() == "multipart/alternative"
    parts = [(part.get_content_type(), part.get_content().replace("\r\n", "\n")) for part in got.iter_parts()]
    assert parts == [("text/plain", message.text), ("text/html", message.html + "\n")]
    assert smtp_server.envelopes == [("coord@example.com", ["ops@example.com", "lead@example.com"])]


def test_sending_the_same_key_twice_carries_the_same_message_id(smtp_server: SmtpServer) -> None:
    transport = plain(smtp_server)
    transport.send(report())
    transport.send(report())
    assert smtp_server.messages[0]["Message-ID"] == smtp_server.messages[1]["Message-ID"]


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
def test_a_4xx_reply_is_a_temporary_failure_and_a_later_send_succeeds(
    smtp_server: SmtpServer, stage: str
) -> None:
    smtp_server.fail_next(stage, "451 4.3.0 Try again later", times=2 if stage == "RCPT" else 1)
    with pytest.raises(MailTemporaryError, match="451"):
        plain(smtp_server).send(report())
    assert smtp_server.messages == []
    plain(smtp_server).send(report())
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
def test_a_5xx_reply_is_a_permanent_failure(smtp_server: SmtpServer, stage: str) -> None:
    smtp_server.fail_next(stage, "550 5.1.1 No such mailbox", times=2)
    with pytest.raises(MailPermanentError, match="550"):
        plain(smtp_server).send(report())
    assert smtp_server.messages == []


def test_a_message_refused_for_only_some_recipients_counts_as_sent(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.fail_next("RCPT", "550 5.1.1 No such mailbox")
    plain(smtp_server).send(report())
    assert smtp_server.envelopes == [("coord@example.com", ["lead@example.com"])]
    assert "refused for 1 of 2 recipients" in caplog.text


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
def test_a_dropped_connection_is_a_temporary_failure(smtp_server: SmtpServer, stage: str) -> None:
    smtp_server.fail_next(stage, DROP)
    with pytest.raises(MailTemporaryError):
        plain(smtp_server).send(report())
    plain(smtp_server).send(report())
    assert len(smtp_server.messages) == 1


def test_a_server_that_is_not_there_is_a_temporary_failure() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(MailTemporaryError, match="unreachable"):
        SmtpTransport("127.0.0.1", port, "none", timeout=2).send(report())


def test_login_with_the_right_password_sends(smtp_auth_server: SmtpServer) -> None:
    SmtpTransport(smtp_auth_server.host, smtp_auth_server.port, "none", SMTP_USER, SMTP_PASSWORD).send(
        report()
    )
    assert len(smtp_auth_server.messages) == 1


def test_a_wrong_password_is_temporary_and_never_shown(smtp_auth_server: SmtpServer) -> None:
    transport = SmtpTransport(
        smtp_auth_server.host, smtp_auth_server.port, "none", SMTP_USER, "wrong-secret", timeout=5
    )
    with pytest.raises(MailTemporaryError, match="SMTP_PASSWORD") as raised:
        transport.send(report())
    assert "wrong-secret" not in str(raised.value)
    assert "wrong-secret" not in repr(transport)
    assert smtp_auth_server.messages == []


def test_a_server_that_requires_login_refuses_a_send_without_one(smtp_auth_server: SmtpServer) -> None:
    with pytest.raises(MailPermanentError, match="530"):
        plain(smtp_auth_server).send(report())


def test_starttls_then_login_sends(smtp_starttls_server: SmtpServer) -> None:
    server = smtp_starttls_server
    transport = SmtpTransport(
        server.host, server.port, "starttls", SMTP_USER, SMTP_PASSWORD, ssl_context=server.client_context
    )
    transport.send(report())
    assert len(server.messages) == 1


def test_starttls_with_an_untrusted_certificate_is_a_temporary_failure(
    smtp_starttls_server: SmtpServer,
) -> None:
    server = smtp_starttls_server
    transport = SmtpTransport(server.host, server.port, "starttls", SMTP_USER, SMTP_PASSWORD, timeout=5)
    with pytest.raises(MailTemporaryError, match="certificate"):
        transport.send(report())
    assert server.messages == []


def test_implicit_tls_sends(smtp_tls_server: SmtpServer) -> None:
    server = smtp_tls_server
    SmtpTransport(server.host, server.port, "tls", ssl_context=server.client_context).send(report())
    assert len(server.messages) == 1


def test_starttls_against_a_server_without_it_is_a_temporary_failure(smtp_server: SmtpServer) -> None:
    with pytest.raises(MailTemporaryError, match="SMTP_SECURITY"):
        SmtpTransport(smtp_server.host, smtp_server.port, "starttls", timeout=5).send(report())


def test_the_client_context_really_verifies(smtp_tls_server: SmtpServer) -> None:
    # Guards the TLS tests above: without the test CA, the same server is refused.
    with pytest.raises(ssl.SSLCertVerificationError):
        smtplib.SMTP_SSL(
            smtp_tls_server.host, smtp_tls_server.port, context=ssl.create_default_context(), timeout=5
        )
