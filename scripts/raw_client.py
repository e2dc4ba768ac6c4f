"""A cheap HTTP/1.1 load client for the benchmarks: one keep-alive connection per simulated client, requests
encoded to bytes before the clock starts, responses read minimally (status line, ``Content-Length``, body).

httpx costs a load generator about twice the server's CPU per small request; on a machine whose cores the server
shares, that is the client's throughput being measured. This client does a few microseconds of work per
request, so the numbers are the server's. It speaks only what the Soi API answers on loopback: responses with a
``Content-Length`` (no chunked bodies), ``Connection: close`` honoured by reconnecting.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

MAX_HEAD_BYTES = 64 * 1024


class ResponseError(Exception):
    """The server's answer was not a response this client can read (no Content-Length, a malformed head)."""


def encode_post(path: str, payload: Any, *, host: str, headers: dict[str, str] | None = None) -> bytes:
    """A whole ``POST`` request with a JSON body, as bytes ready to write."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(frozen=True)
class RawResponse:
    """A response's status, its head (lower-cased, for header checks) and body."""

    status: int
    head: bytes
    body: bytes

    def has_header(self, name: bytes) -> bool:
        """Whether the response carries header ``name`` (lower case)."""
        return b"\r\n" + name + b":" in self.head


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server closes the connection, from a response head (lower case)."""
    if not head.startswith(b"http/1.1 ") or len(head) < 12 or not head[9:12].isdigit():
        raise ResponseError(f"not an HTTP/1.1 status line: {head[:40]!r}")
    start = head.find(b"\r\ncontent-length:")
    if start < 0:
        raise ResponseError("response without Content-Length")
    end = head.find(b"\r\n", start + 2)
    length = head[start + 17 : end if end >= 0 else len(head)].strip()
    if not length.isdigit():
        raise ResponseError(f"bad Content-Length {length[:20]!r}")
    return int(head[9:12]), int(length), b"\r\nconnection: close" in head


class KeepAliveConnection:
    """One client's connection, reopened when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, data: bytes) -> RawResponse:
        """Send one encoded request and read its response (any network error closes the connection and raises)."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port, limit=MAX_HEAD_BYTES)
        assert self._reader is not None
        try:
            self._writer.write(data)
            head = (await self._reader.readuntil(b"\r\n\r\n")).lower()
            status, length, closing = parse_head(head)
            body = await self._reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if closing:
            self.close()
        return RawResponse(status, head, body)

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
