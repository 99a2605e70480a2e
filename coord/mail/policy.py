"""When the outbox sends, retries, gives up or recovers a message (pure).

States: pending -> sending -> sent, or -> failed. A temporary failure goes back to pending
with a later NextAttemptAt; a permanent one, or one past `give_up_after`, is failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class OutboxStatus(StrEnum):
    """Where a message stands in the outbox."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """Sent and failed messages are never attempted again."""
        return self in (OutboxStatus.SENT, OutboxStatus.FAILED)


class Action(StrEnum):
    """What the outbox does with a message now."""

    SEND = "send"
    WAIT = "wait"
    RECOVER = "recover"  # left in "sending" by a worker that died: find out, then decide
    NONE = "none"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff between attempts, when to give up, and when a send in progress counts as abandoned.

    `sending_timeout` must exceed the longest a transport can take (SMTP timeout 30 s, ACS wait 5 s).
    `resend_unconfirmed` chooses at-least-once for transports that cannot tell whether an
    interrupted send went out (SMTP, ACS); the default, False, never risks sending twice.
    """

    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(days=2)
    sending_timeout: timedelta = timedelta(minutes=10)
    resend_unconfirmed: bool = False


def next_action(
    status: OutboxStatus,
    next_attempt_at: datetime | None,
    sending_since: datetime | None,
    now: datetime,
    policy: RetryPolicy,
) -> Action:
    """What to do with a message in `status` at `now`."""
    if status is OutboxStatus.PENDING:
        return Action.SEND if next_attempt_at is None or next_attempt_at <= now else Action.WAIT
    if status is OutboxStatus.SENDING:
        # Another worker may be sending it right now; only a send older than the timeout is abandoned.
        if sending_since is None or sending_since + policy.sending_timeout <= now:
            return Action.RECOVER
        return Action.WAIT
    return Action.NONE


def retry_at(attempts: int, enqueued_at: datetime, now: datetime, policy: RetryPolicy) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None to give up."""
    if now - enqueued_at >= policy.give_up_after:
        return None
    delay: timedelta = policy.first_delay * (2 ** min(max(attempts - 1, 0), 20))
    return now + min(delay, policy.max_delay)
