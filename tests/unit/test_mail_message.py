"""Message values and their MIME form (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coord.mail import Message
from coord.mail.folder import file_stem


def make(**changes: object) -> Message:
    fields: dict[str, object] = {
        "key": "mail:alldeployed:shop:Production:abc",
        "sender": "Coord <coord@example.com>",
        "to": ("ops@example.com",),
        "subject": "shop is deployed to Production",
        "html": "<p>shop</p>",
        "text": "shop",
    }
    return Message(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_mime_form_is_text_then_html_alternatives() -> None:
    mail = make().to_email_message()
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail["From"] == "Coord <coord@example.com>"
    assert mail["To"] == "ops@example.com"
    assert mail["Date"] is None


def test_the_message_id_depends_only_on_the_key_and_the_sender_domain() -> None:
    assert make().message_id == make(subject="other", html="x", text="y").message_id
    assert make().message_id != make(key="mail:other").message_id
    assert make().message_id.endswith(".coord@example.com>")


def test_a_date_is_written_when_given() -> None:
    mail = make(date=datetime(2026, 11, 26, 7, tzinfo=UTC)).to_email_message()
    assert mail["Date"] == "Thu, 26 Nov 2026 07:00:00 +0000"


def test_a_list_of_recipients_becomes_a_tuple() -> None:
    assert make(to=["a@example.com", "b@example.com"]).to == ("a@example.com", "b@example.com")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"to": ()}, "no recipients"),
        ({"to": ("not-an-address",)}, "to address 'not-an-address'"),
        ({"sender": "nobody"}, "sender address"),
        ({"subject": "two\nlines"}, "subject must be one line"),
        ({"to": ("a@example.com\r\nBcc: x@evil.example",)}, "one line"),
        ({"key": ""}, "needs a key"),
        ({"date": datetime(2026, 1, 1)}, "time zone"),  # noqa: DTZ001
    ],
)
def test_a_malformed_message_is_refused_saying_why(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        make(**changes)


@pytest.mark.parametrize(
    ("key", "stem"),
    [
        ("mail:report:2026-11-25", "mail%3Areport%3A2026-11-25"),
        ("a/b\\c", "a%2Fb%5Cc"),
        ("..", "%2E."),
    ],
)
def test_file_names_are_safe_on_any_file_system(key: str, stem: str) -> None:
    assert file_stem(key) == stem


def test_long_keys_get_short_distinct_file_names() -> None:
    a, b = file_stem("k" * 400 + "a"), file_stem("k" * 400 + "b")
    assert a != b
    assert len(a) <= 150


@pytest.mark.parametrize(
    ("key", "list_id"),
    [
        ("report:2026-11-26", "coord daily report <daily-report.coord.example.com>"),
        ("promotion:20261126T183000Z-1a2b3c4d", "coord promotion runs <promotions.coord.example.com>"),
        ("all-deployed:shop:Environments-3:abc", "coord all deployed <all-deployed.coord.example.com>"),
    ],
)
def test_each_kind_of_email_is_its_own_list_and_says_a_program_sent_it(key: str, list_id: str) -> None:
    mail = make(key=key).to_email_message()
    assert mail["List-Id"] == list_id
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["X-Coord-Key"] == key
