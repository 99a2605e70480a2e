"""FolderTransport on a real file system."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from coord.mail import MailTemporaryError, Message
from coord.mail.folder import FolderTransport

MESSAGE = Message(
    key="mail:report:2026-11-25",
    sender="coord@example.com",
    to=("ops@example.com",),
    subject="Report",
    html="<h1>Report</h1>",
    text="Report",
)


def test_a_message_is_written_as_a_whole_eml_file_with_both_parts(tmp_path: Path) -> None:
    folder = FolderTransport(tmp_path / "mail")
    folder.send(MESSAGE)
    path = folder.path_for(MESSAGE)
    assert path.name == "mail%3Areport%3A2026-11-25.eml"
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Report"
    assert parsed.get_body(("plain",)).get_content().strip() == "Report"  # type: ignore[union-attr]
    assert parsed.get_body(("html",)).get_content().strip() == "<h1>Report</h1>"  # type: ignore[union-attr]
    assert [p.name for p in (tmp_path / "mail").iterdir()] == [path.name]  # no temporary file left
    assert folder.was_delivered(MESSAGE)


def test_a_key_already_written_is_not_written_again(tmp_path: Path) -> None:
    folder = FolderTransport(tmp_path)
    folder.send(MESSAGE)
    before = folder.path_for(MESSAGE).stat().st_mtime_ns
    folder.send(MESSAGE)
    assert folder.path_for(MESSAGE).stat().st_mtime_ns == before


def test_an_unwritable_folder_is_a_temporary_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    folder = FolderTransport(blocker / "mail")
    with pytest.raises(MailTemporaryError, match="cannot write"):
        folder.send(MESSAGE)
    assert not folder.was_delivered(MESSAGE)
