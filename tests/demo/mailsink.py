"""A local SMTP server that keeps every message it receives as an .eml file."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        message = message_from_bytes(envelope.content, policy=policy.default)
        title = str(message["Subject"] or "message")
        slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:60].lower()
        (self.folder / f"{self.count:02d}-{slug}.eml").write_bytes(envelope.content)
        return "250 Message accepted for delivery"


class MailSink:
    """aiosmtpd on 127.0.0.1 and a free port; `.port` once started."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._controller = Controller(_SaveToFolder(folder), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
