"""The outbox: each email recorded once under its key, sent, then marked sent, in Table Storage.

enqueue() inserts the message (insert-only, so a key is recorded once however many ticks try).
deliver_pending() moves each due message pending -> sending with its ETag, so of concurrent
ticks exactly one sends it; then sends, then marks it sent (or pending again with a backoff,
or failed) with the ETag of its own "sending" write.

A worker that dies between sending and marking leaves the message "sending". Once that is
older than `RetryPolicy.sending_timeout`, a transport that can check (the folder) decides:
delivered -> sent, not delivered -> sent again. SMTP and ACS cannot check, so by default the
message is marked failed rather than risk a second copy: at most once per key.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from coord.clock import Clock
from coord.mail.errors import MailPermanentError, MailTemporaryError
from coord.mail.message import Message
from coord.mail.policy import Action, OutboxStatus, RetryPolicy, next_action, retry_at
from coord.mail.transport import DeliveryCheck, MailTransport
from coord.store import AlreadyExists, Entity, StaleState, Table, pack_text, unpack_text

log = logging.getLogger(__name__)

OUTBOX_PARTITION = "outbox"
_MAX_ERROR = 1000
_UNCONFIRMED = "sending was interrupted and delivery cannot be confirmed; not resent, to never send twice"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one deliver_pending call did: messages sent and failed now, and those still waiting."""

    sent: int = 0
    failed: int = 0
    pending: int = 0


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A message's state in the outbox."""

    key: str
    status: OutboxStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None


class Outbox:
    """Once-per-key email delivery over a table and a transport."""

    def __init__(
        self, table: Table, transport: MailTransport, clock: Clock, *, policy: RetryPolicy | None = None
    ) -> None:
        self._table = table
        self._transport = transport
        self._clock = clock
        self._policy = policy or RetryPolicy()

    def enqueue(self, message: Message) -> bool:
        """Record the message under its key; False if that key was recorded before (nothing changes)."""
        now = self._clock.now()
        if message.date is None:
            message = replace(message, date=now)
        try:
            self._table.insert(_entity(message, now))
        except AlreadyExists:
            return False
        return True

    def entry(self, key: str) -> OutboxEntry | None:
        """Where the message with this key stands, or None if it was never enqueued."""
        row = self._table.get(OUTBOX_PARTITION, key)
        if row is None:
            return None
        return OutboxEntry(
            key=key,
            status=OutboxStatus(row["Status"]),
            attempts=int(row.get("Attempts", 0)),
            last_error=row.get("LastError"),
            next_attempt_at=row.get("NextAttemptAt"),
            sent_at=row.get("SentAt"),
        )

    def deliver_pending(self, *, limit: int = 50) -> DeliveryReport:
        """Send what is due, at most `limit` messages; the rest waits for a later call."""
        open_states = {"pending": str(OutboxStatus.PENDING), "sending": str(OutboxStatus.SENDING)}
        rows = self._table.query(
            "PartitionKey eq @pk and (Status eq @pending or Status eq @sending)",
            {"pk": OUTBOX_PARTITION, **open_states},
        )
        waiting = sorted(rows, key=lambda row: row["EnqueuedAt"])
        sent = failed = attempted = 0
        for row in waiting:
            now = self._clock.now()
            status = OutboxStatus(row["Status"])
            action = next_action(status, row.get("NextAttemptAt"), row.get("SendingSince"), now, self._policy)
            if action in (Action.WAIT, Action.NONE) or attempted >= limit:
                continue
            attempted += 1
            outcome = self._recover(row, now) if action is Action.RECOVER else self._send(row, row.etag, now)
            sent += outcome is OutboxStatus.SENT
            failed += outcome is OutboxStatus.FAILED
        return DeliveryReport(sent=sent, failed=failed, pending=len(waiting) - sent - failed)

    def _send(self, row: Entity, etag: str, now: datetime) -> OutboxStatus | None:
        """pending -> sending -> sent / pending / failed; None if another worker took it first."""
        attempts = int(row.get("Attempts", 0)) + 1
        try:
            sending = {"Status": OutboxStatus.SENDING, "SendingSince": now, "Attempts": attempts}
            etag = self._table.merge({**_keys(row), **sending}, etag=etag)
        except StaleState:
            return None
        message = _message(row)
        try:
            self._transport.send(message)
        except MailTemporaryError as exc:
            again = retry_at(attempts, row["EnqueuedAt"], self._clock.now(), self._policy)
            if again is not None:
                log.warning("email %s not sent (try %d), next at %s: %s", message.key, attempts, again, exc)
                return self._mark(row, etag, OutboxStatus.PENDING, NextAttemptAt=again, LastError=_short(exc))
            log.error("email %s not sent after %d attempts, giving up: %s", message.key, attempts, exc)
            return self._mark(row, etag, OutboxStatus.FAILED, LastError=_short(exc))
        except MailPermanentError as exc:
            log.error("email %s refused: %s", message.key, exc)
            return self._mark(row, etag, OutboxStatus.FAILED, LastError=_short(exc))
        log.info("email %s sent to %d recipients", message.key, len(message.to))
        return self._mark(row, etag, OutboxStatus.SENT, SentAt=self._clock.now())

    def _recover(self, row: Entity, now: datetime) -> OutboxStatus | None:
        """A message left "sending" by a worker that died: ask the transport, else apply the policy."""
        message = _message(row)
        check = self._transport if isinstance(self._transport, DeliveryCheck) else None
        delivered = check.was_delivered(message) if check else None
        if delivered:
            return self._mark(row, row.etag, OutboxStatus.SENT, SentAt=now)
        if delivered is False or self._policy.resend_unconfirmed:
            return self._send(row, row.etag, now)
        log.error("email %s: %s", message.key, _UNCONFIRMED)
        return self._mark(row, row.etag, OutboxStatus.FAILED, LastError=_UNCONFIRMED)

    def _mark(self, row: Entity, etag: str, status: OutboxStatus, **fields: object) -> OutboxStatus | None:
        try:
            self._table.merge({**_keys(row), "Status": status.value, **fields}, etag=etag)
        except StaleState:
            # Only a worker that judged this send abandoned writes meanwhile; its decision stands.
            log.warning("email %s changed while being sent; the other worker's state stands", row["RowKey"])
            return None
        return status


def _entity(message: Message, now: datetime) -> dict[str, object]:
    return {
        "PartitionKey": OUTBOX_PARTITION,
        "RowKey": message.key,
        "Status": OutboxStatus.PENDING.value,
        "Attempts": 0,
        "EnqueuedAt": now,
        "NextAttemptAt": now,
        "Sender": message.sender,
        "To": json.dumps(list(message.to)),
        "Subject": message.subject,
        "Date": message.date,
        "MessageId": message.message_id,
        **pack_text("Html", message.html),
        **pack_text("Text", message.text),
    }


def _message(row: Entity) -> Message:
    return Message(
        key=row["RowKey"],
        sender=row["Sender"],
        to=tuple(json.loads(row["To"])),
        subject=row["Subject"],
        html=unpack_text(row, "Html") or "",
        text=unpack_text(row, "Text") or "",
        date=row.get("Date"),
    )


def _keys(row: Entity) -> dict[str, object]:
    return {"PartitionKey": row["PartitionKey"], "RowKey": row["RowKey"]}


def _short(exc: Exception) -> str:
    return str(exc)[:_MAX_ERROR]
