"""uvicorn's h11 protocol with a deadline for each request's headers.

uvicorn has no header timeout: its keep-alive timer starts only after a response and
any byte received cancels it, so a client that sends one byte every few seconds holds
a connection (and its memory) open for ever. Here each request's headers must be
complete within `header_timeout` seconds of the connection opening or of the previous
response; otherwise the connection is closed, with a 408 if part of a request came.
The request body has its own deadline in the application (http_guards).
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_ATTRIBUTE = "header_timeout"
DEFAULT_HEADER_TIMEOUT = 10.0
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 34\r\n"
    b"connection: close\r\n\r\n"
    b"The request headers took too long."
)


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol that closes connections whose request headers do not arrive in time.

    The deadline travels on uvicorn's Config (`header_timeout`, set by `deadline_on`):
    a module-level class and an attribute of the Config both survive the pickling that
    hands the Config to worker processes (`carepath serve --workers N`).
    """

    @property
    def header_timeout(self) -> float:
        return float(getattr(self.config, HEADER_TIMEOUT_ATTRIBUTE, DEFAULT_HEADER_TIMEOUT))

    _header_deadline: asyncio.TimerHandle | None = None
    _partial: bool = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        self._partial = True
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # headers complete (or upgraded)
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            self._disarm()
        elif self.conn.their_state is h11.IDLE:  # waiting for the next request
            self._partial = bool(self.conn.trailing_data[0])
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _expire(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self._partial:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()


def deadline_on(config: Config, seconds: float) -> Config:
    """uvicorn's Config, serving HTTP/1.1 with this header deadline."""
    config.http = HeaderDeadlineProtocol
    setattr(config, HEADER_TIMEOUT_ATTRIBUTE, seconds)
    return config
