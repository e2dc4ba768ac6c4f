"""The HTTP protocol uvicorn serves Soi with: uvicorn's h11 protocol plus a deadline for a request's line and
headers.

uvicorn closes idle keep-alive connections (``SOI_KEEP_ALIVE_S``) but gives a client all the time it wants to
send a request's head: a "slowloris" client that opens connections and trickles a header byte now and then holds
them (and a file descriptor each) for ever. Here the line and headers of a request must be complete within
``SOI_HEADER_TIMEOUT_S`` of the connection opening or of the request's first byte; otherwise the connection is
closed. h11 refuses a head larger than ``SOI_MAX_HEADER_BYTES`` (``h11_max_incomplete_event_size``) with a 400.
A body's size is capped by ``SOI_MAX_BODY_BYTES`` (``serving.middleware``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("soi.serving")


class HeaderTimeoutProtocol(H11Protocol):
    """h11 with a deadline on each request's line and headers (built with ``header_timeout_s``)."""

    def __init__(self, *args: Any, header_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = header_timeout_s
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # still waiting for a whole request line and headers
            if self._head_deadline is None:
                self._arm()
        else:  # the head is in: the request is the application's now
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_deadline = self.loop.call_later(self.header_timeout_s, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.info("closed a connection that sent no complete request head within %.1f s", self.header_timeout_s)
            self.transport.close()
