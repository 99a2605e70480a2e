"""Mail: a Message, the transports that send it (SMTP, ACS Email, a folder), and the outbox."""

from coord.mail.errors import MailError, MailPermanentError, MailSettingsError, MailTemporaryError
from coord.mail.message import Message
from coord.mail.outbox import DeliveryReport, Outbox, OutboxEntry
from coord.mail.policy import OutboxStatus, RetryPolicy
from coord.mail.transport import MailTransport, transport_from_env, transport_from_settings

__all__ = [
    "DeliveryReport",
    "MailError",
    "MailPermanentError",
    "MailSettingsError",
    "MailTemporaryError",
    "MailTransport",
    "Message",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "RetryPolicy",
    "transport_from_env",
    "transport_from_settings",
]
