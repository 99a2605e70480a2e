"""Writing each message as an .eml file into a folder: local runs, demos and tests."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from email import policy
from pathlib import Path
from urllib.parse import quote

from coord.mail.errors import MailTemporaryError
from coord.mail.message import Message

_MAX_NAME = 150


class FolderTransport:
    """Writes `<key>.eml` files; a key already written is not written again."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def path_for(self, message: Message) -> Path:
        """The file that holds (or will hold) this message."""
        return self.path / f"{file_stem(message.key)}.eml"

    def send(self, message: Message) -> None:
        """Write the message atomically: a crash leaves either the whole file or none."""
        target = self.path_for(message)
        if target.exists():
            return
        data = message.to_email_message().as_bytes(policy=policy.SMTP)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
        except OSError as exc:
            raise MailTemporaryError(f"cannot write {target}: {exc.strerror or exc}") from exc

    def was_delivered(self, message: Message) -> bool:
        """Whether the file of this message exists (rename is atomic, so it is whole)."""
        return self.path_for(message).exists()

    def __repr__(self) -> str:
        return f"FolderTransport({str(self.path)!r})"


def file_stem(key: str) -> str:
    """A file name for `key` on any file system: URL-style escapes, long keys shortened with a hash."""
    stem = quote(key, safe="-_.@+=,")
    if stem.startswith("."):
        stem = "%2E" + stem[1:]
    if len(stem) > _MAX_NAME:
        stem = stem[: _MAX_NAME - 17] + "-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return stem
