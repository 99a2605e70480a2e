"""An email as coord sends it: one value, the same for every transport (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

# A Message-ID derived from the once-only key: a duplicate send of the same key carries the
# same Message-ID, so mail systems (and people) can tell it is one email.
_ID_DOMAIN_FALLBACK = "coord.invalid"
# One mailing list per kind of email (the once-key's prefix), so mail rules can file them by
# List-Id (RFC 2919): (description, list label).
_LISTS = {
    "report": ("coord daily report", "daily-report"),
    "promotion": ("coord promotion runs", "promotions"),
    "all-deployed": ("coord all deployed", "all-deployed"),
}


@dataclass(frozen=True, slots=True)
class Message:
    """One email: its once-only key, sender, recipients, subject, HTML and plain-text bodies."""

    key: str
    sender: str
    to: tuple[str, ...]
    subject: str
    html: str
    text: str
    date: datetime | None = None

    def __post_init__(self) -> None:
        if isinstance(self.to, str):
            object.__setattr__(self, "to", (self.to,))
        else:
            object.__setattr__(self, "to", tuple(self.to))
        if not self.key:
            raise ValueError("an email needs a key")
        if not self.to:
            raise ValueError(f"email {self.key!r} has no recipients")
        for field, value in (("sender", self.sender), *(("to", a) for a in self.to)):
            _check_address(self.key, field, value)
        if "\r" in self.subject or "\n" in self.subject:
            raise ValueError(f"email {self.key!r}: the subject must be one line")
        if self.date is not None and self.date.tzinfo is None:
            raise ValueError(f"email {self.key!r}: the date must carry its time zone")

    @property
    def message_id(self) -> str:
        """The Message-ID header, derived from the key and the sender's domain."""
        digest = hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:32]
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or _ID_DOMAIN_FALLBACK
        return f"<{digest}.coord@{domain}>"

    @property
    def list_id(self) -> str:
        """`coord daily report <daily-report.coord.example.com>`: the List-Id of this kind of email."""
        kind = self.key.partition(":")[0]
        description, label = _LISTS.get(kind, ("coord", "".join(c if c.isalnum() else "-" for c in kind)))
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or _ID_DOMAIN_FALLBACK
        return f"{description} <{label or 'mail'}.coord.{domain}>"

    @property
    def headers(self) -> dict[str, str]:
        """The headers every transport sends besides From, To, Subject and the bodies."""
        return {
            "List-Id": self.list_id,
            # Sent by a program, not a person (RFC 3834): auto-responders stay quiet; Exchange and
            # Outlook read X-Auto-Response-Suppress for the same.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-Coord-Key": self.key,
        }

    def to_email_message(self) -> EmailMessage:
        """A MIME message: multipart/alternative with the plain text first, then the HTML."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.to)
        mail["Subject"] = self.subject
        mail["Message-ID"] = self.message_id
        for name, value in self.headers.items():
            mail[name] = value
        if self.date is not None:
            mail["Date"] = format_datetime(self.date)
        mail.set_content(self.text)
        mail.add_alternative(self.html, subtype="html")
        return mail


def _check_address(key: str, field: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"email {key!r}: {field} address must be one line")
    address = parseaddr(value)[1]
    if "@" not in address:
        raise ValueError(f"email {key!r}: {field} address {value!r} is not an email address")
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"email {key!r}: {field} address {value!r} is not valid") from exc


def bare_address(address: str) -> str:
    """`someone@example.com` from `Someone <someone@example.com>`."""
    return parseaddr(address)[1]


def secret_text(value: object) -> str:
    """The text of a setting that may be a pydantic SecretStr."""
    reveal = getattr(value, "get_secret_value", None)
    return str(reveal() if callable(reveal) else value)
