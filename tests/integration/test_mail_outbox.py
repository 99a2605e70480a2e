"""The outbox on Azurite, delivering through a real SMTP server and a folder."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coord.clock import FixedClock
from coord.mail import Message, Outbox, OutboxStatus, RetryPolicy
from coord.mail.folder import FolderTransport
from coord.mail.smtp import SmtpTransport
from coord.store import TableStore
from tests.fixtures.smtp import DROP, SmtpServer

START = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def email(key: str = "mail:report:2026-11-25", html: str = "<p>All deployed</p>") -> Message:
    return Message(
        key=key,
        sender="coord@example.com",
        to=("ops@example.com",),
        subject=f"About {key}",
        html=html,
        text="All deployed",
    )


def smtp(server: SmtpServer) -> SmtpTransport:
    return SmtpTransport(server.host, server.port, "none", timeout=5)


class DiesAfterSending:
    """A transport whose process dies right after handing the message over (a BaseException)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def send(self, message: Message) -> None:
        self.inner.send(message)  # type: ignore[attr-defined]
        raise SystemExit("worker killed")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def test_a_key_is_enqueued_once(table_store: TableStore, smtp_server: SmtpServer, clock: FixedClock) -> None:
    outbox = Outbox(table_store.table("outbox"), smtp(smtp_server), clock)
    assert outbox.enqueue(email()) is True
    assert outbox.enqueue(email(html="<p>changed</p>")) is False
    assert outbox.deliver_pending().sent == 1
    assert smtp_server.messages[0].get_body(("html",)).get_content().strip() == "<p>All deployed</p>"


def test_a_sent_message_is_never_sent_again(
    table_store: TableStore, smtp_server: SmtpServer, clock: FixedClock
) -> None:
    outbox = Outbox(table_store.table("outbox"), smtp(smtp_server), clock)
    outbox.enqueue(email())
    report = outbox.deliver_pending()
    assert (report.sent, report.failed, report.pending) == (1, 0, 0)
    clock.advance(timedelta(days=3))
    assert outbox.enqueue(email()) is False
    assert outbox.deliver_pending().sent == 0
    assert len(smtp_server.messages) == 1
    entry = outbox.entry(email().key)
    assert entry is not None
    assert (entry.status, entry.attempts, entry.sent_at) == (OutboxStatus.SENT, 1, START)


@pytest.mark.parametrize("fault", ["451 4.3.0 Try again later", DROP])
def test_a_temporary_failure_is_retried_on_a_later_call_after_a_backoff(
    table_store: TableStore, smtp_server: SmtpServer, clock: FixedClock, fault: str
) -> None:
    outbox = Outbox(table_store.table("outbox"), smtp(smtp_server), clock)
    outbox.enqueue(email())
    smtp_server.fail_next("DATA", fault)
    assert outbox.deliver_pending().pending == 1
    entry = outbox.entry(email().key)
    assert entry is not None
    assert (entry.status, entry.attempts, entry.next_attempt_at) == (
        OutboxStatus.PENDING,
        1,
        START + timedelta(minutes=1),
    )
    assert entry.last_error
    clock.advance(timedelta(seconds=59))
    assert outbox.deliver_pending().sent == 0
    clock.advance(timedelta(seconds=1))
    assert outbox.deliver_pending().sent == 1
    assert len(smtp_server.messages) == 1


def test_backoff_doubles_and_the_outbox_gives_up_in_the_end(
    table_store: TableStore, smtp_server: SmtpServer, clock: FixedClock
) -> None:
    policy = RetryPolicy(
        first_delay=timedelta(minutes=1), max_delay=timedelta(minutes=4), give_up_after=timedelta(minutes=10)
    )
    outbox = Outbox(table_store.table("outbox"), smtp(smtp_server), clock, policy=policy)
    outbox.enqueue(email())
    smtp_server.fail_next("MAIL", "421 4.7.0 Busy", times=100)
    waits = []
    while (entry := outbox.entry(email().key)) and entry.status is OutboxStatus.PENDING:
        outbox.deliver_pending()
        entry = outbox.entry(email().key)
        assert entry is not None
        if entry.next_attempt_at and entry.status is OutboxStatus.PENDING:
            waits.append(entry.next_attempt_at - clock.now())
            clock.set(entry.next_attempt_at)
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 4)]
    assert entry is not None
    assert entry.status is OutboxStatus.FAILED
    assert "421" in (entry.last_error or "")
    assert smtp_server.messages == []


def test_a_permanent_failure_is_recorded_and_not_retried(
    table_store: TableStore, smtp_server: SmtpServer, clock: FixedClock
) -> None:
    outbox = Outbox(table_store.table("outbox"), smtp(smtp_server), clock)
    outbox.enqueue(email())
    smtp_server.fail_next("RCPT", "550 5.1.1 No such mailbox")
    assert outbox.deliver_pending().failed == 1
    clock.advance(timedelta(hours=5))
    assert outbox.deliver_pending() == type(outbox.deliver_pending())(0, 0, 0)
    entry = outbox.entry(email().key)
    assert entry is not None
    assert entry.status is OutboxStatus.FAILED
    assert "550" in (entry.last_error or "")
    assert smtp_server.messages == []


def test_concurrent_deliveries_send_each_key_once(
    table_store: TableStore, smtp_server: SmtpServer, clock: FixedClock
) -> None:
    table = table_store.table("outbox")
    keys = [f"mail:alldeployed:shop:{n}" for n in range(6)]
    for key in keys:
        Outbox(table, smtp(smtp_server), clock).enqueue(email(key))
    barrier = threading.Barrier(5)
    sent: list[int] = []

    def tick() -> None:
        outbox = Outbox(table, smtp(smtp_server), clock)
        barrier.wait(30)
        sent.append(outbox.deliver_pending().sent)

    threads = [threading.Thread(target=tick) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(sent) == len(keys)
    assert sorted(m["X-Coord-Key"] for m in smtp_server.messages) == sorted(keys)


def test_limit_bounds_one_call_and_the_rest_waits(
    table_store: TableStore, tmp_path: Path, clock: FixedClock
) -> None:
    outbox = Outbox(table_store.table("outbox"), FolderTransport(tmp_path), clock)
    for n in range(3):
        outbox.enqueue(email(f"k{n}"))
    assert outbox.deliver_pending(limit=2) == type(outbox.deliver_pending(limit=0))(2, 0, 1)
    assert outbox.deliver_pending(limit=2).sent == 1


def test_a_large_html_body_is_stored_compactly_and_sent_whole(
    table_store: TableStore, smtp_server: SmtpServer, clock: FixedClock
) -> None:
    rows = "".join(f"<tr><td>Project {n}</td><td>1.{n}.0</td><td>Success</td></tr>\n" for n in range(12000))
    html = f"<html><body><table>{rows}</table></body></html>"
    assert len(html) > 500_000
    outbox = Outbox(table_store.table("outbox"), smtp(smtp_server), clock)
    outbox.enqueue(email(html=html))
    assert outbox.deliver_pending().sent == 1
    got = smtp_server.messages[0].get_body(("html",)).get_content().replace("\r\n", "\n")
    assert got.rstrip("\n") == html.rstrip("\n")


def test_a_send_in_progress_is_left_to_its_worker(
    table_store: TableStore, tmp_path: Path, clock: FixedClock
) -> None:
    table = table_store.table("outbox")
    outbox = Outbox(table, DiesAfterSending(FolderTransport(tmp_path / "a")), clock)  # type: ignore[arg-type]
    outbox.enqueue(email())
    with pytest.raises(SystemExit):
        outbox.deliver_pending()
    clock.advance(timedelta(minutes=9))
    other = Outbox(table, FolderTransport(tmp_path / "b"), clock)
    assert other.deliver_pending() == type(other.deliver_pending())(0, 0, 1)
    assert not (tmp_path / "b").exists()


def test_an_interrupted_send_the_folder_shows_delivered_is_marked_sent_without_a_second_copy(
    table_store: TableStore, tmp_path: Path, clock: FixedClock
) -> None:
    table = table_store.table("outbox")
    folder = FolderTransport(tmp_path)
    Outbox(table, folder, clock).enqueue(email())
    with pytest.raises(SystemExit):
        Outbox(table, DiesAfterSending(folder), clock).deliver_pending()  # type: ignore[arg-type]
    written = folder.path_for(email()).stat().st_mtime_ns
    clock.advance(timedelta(minutes=10))
    assert Outbox(table, folder, clock).deliver_pending().sent == 1
    assert folder.path_for(email()).stat().st_mtime_ns == written
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_an_interrupted_send_the_folder_shows_undelivered_is_sent_again(
    table_store: TableStore, tmp_path: Path, clock: FixedClock
) -> None:
    table = table_store.table("outbox")
    folder = FolderTransport(tmp_path)
    outbox = Outbox(table, DiesAfterSending(FolderTransport(tmp_path / "lost")), clock)  # type: ignore[arg-type]
    outbox.enqueue(email())
    with pytest.raises(SystemExit):
        outbox.deliver_pending()
    clock.advance(timedelta(minutes=10))
    assert Outbox(table, folder, clock).deliver_pending().sent == 1
    assert folder.path_for(email()).exists()


def test_an_interrupted_smtp_send_is_not_resent_by_default(
    table_store: TableStore, smtp_server: SmtpServer, clock: FixedClock
) -> None:
    table = table_store.table("outbox")
    Outbox(table, smtp(smtp_server), clock).enqueue(email())
    with pytest.raises(SystemExit):
        Outbox(table, DiesAfterSending(smtp(smtp_server)), clock).deliver_pending()  # type: ignore[arg-type]
    clock.advance(timedelta(minutes=10))
    outbox = Outbox(table, smtp(smtp_server), clock)
    assert outbox.deliver_pending().failed == 1
    entry = outbox.entry(email().key)
    assert entry is not None
    assert entry.status is OutboxStatus.FAILED
    assert "never send twice" in (entry.last_error or "")
    assert len(smtp_server.messages) == 1


def test_an_interrupted_smtp_send_is_resent_when_the_policy_prefers_at_least_once(
    table_store: TableStore, smtp_server: SmtpServer, clock: FixedClock
) -> None:
    table = table_store.table("outbox")
    Outbox(table, smtp(smtp_server), clock).enqueue(email())
    with pytest.raises(SystemExit):
        Outbox(table, DiesAfterSending(smtp(smtp_server)), clock).deliver_pending()  # type: ignore[arg-type]
    clock.advance(timedelta(minutes=10))
    outbox = Outbox(table, smtp(smtp_server), clock, policy=RetryPolicy(resend_unconfirmed=True))
    assert outbox.deliver_pending().sent == 1
    assert [m["Message-ID"] for m in smtp_server.messages] == [email().message_id] * 2
