"""The embedded SMTP server of a local run: every message lands as a file under var/mail/."""

from __future__ import annotations

import itertools
import logging
import socket
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """aiosmtpd cannot pick a port itself (port 0), so ask the OS for one."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class MaildirHandler:
    """Stores each accepted message as `<time>-<n>.eml`, one file per recipient set."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._counter = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{next(self._counter):05d}.eml"
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(data)
        temporary.rename(path)
        return "250 Message accepted for delivery"


class EmbeddedMailSink:
    """Runs aiosmtpd on a loopback port in its own thread, so the real SMTP path always runs."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.directory = directory
        self._controller = Controller(MaildirHandler(directory), hostname=host, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        self._controller.start()
        log.info("embedded SMTP server on %s, storing mail in %s", self.url, self.directory)

    def stop(self) -> None:
        self._controller.stop()
