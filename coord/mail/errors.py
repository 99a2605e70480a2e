"""The mail errors every transport raises, and nothing else.

MailError
 ├── MailTemporaryError   try again later: connection lost, 4xx, throttled, sign-in failed
 └── MailPermanentError   this message will never be accepted as it is: 5xx for it, refused by the service
"""

from __future__ import annotations


class MailError(Exception):
    """A message could not be handed to the mail service."""


class MailTemporaryError(MailError):
    """Sending failed for now; the same message may be sent again later."""


class MailPermanentError(MailError):
    """The service refused this message for good; sending it again would fail the same way."""


class MailSettingsError(ValueError):
    """A mail setting is malformed; the message names the environment variable."""
