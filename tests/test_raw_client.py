"""The load client of ``make bench-load`` (``scripts/raw_client.py``) reads what a server answers honestly: status,
headers and body of each response on one keep-alive connection, a reconnection after ``Connection: close``, and
an error (never a success) for an answer it cannot read."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from raw_client import KeepAliveConnection, ResponseError, encode_post, parse_head


def test_encode_post_is_a_whole_request() -> None:
    data = encode_post("/v1/score", {"title": "Áo thun"}, host="127.0.0.1:8000", headers={"Authorization": "Bearer k"})
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n")
    assert b"\r\nAuthorization: Bearer k" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body) == {"title": "Áo thun"}


def test_parse_head() -> None:
    assert parse_head(b"http/1.1 503 service unavailable\r\ncontent-length: 12\r\nretry-after: 1\r\n\r\n") == (
        503,
        12,
        False,
    )
    assert parse_head(b"http/1.1 200 ok\r\nconnection: close\r\ncontent-length: 0\r\n\r\n") == (200, 0, True)
    for head in (b"http/1.1 200 ok\r\ntransfer-encoding: chunked\r\n\r\n", b"garbage\r\n\r\n"):
        with pytest.raises(ResponseError):
            parse_head(head)
    with pytest.raises(ResponseError):
        parse_head(b"http/1.1 200 ok\r\ncontent-length: -1\r\n\r\n")


async def _exchange(answers: list[bytes]) -> tuple[list[object], int]:
    """Requests through one client against a server answering ``answers`` in turn; returns outcomes and how many
    connections the server saw."""
    queue = list(answers)
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while queue:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            answer = queue.pop(0)
            writer.write(answer)
            await writer.drain()
            if b"Connection: close" in answer or b"chunked" in answer:  # the client drops the connection after these
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = KeepAliveConnection("127.0.0.1", port)
    request = encode_post("/v1/score", {"id": "1"}, host="x")
    outcomes: list[object] = []
    for _ in answers:
        try:
            outcomes.append(await client.request(request))
        except (ResponseError, EOFError, OSError) as exc:
            outcomes.append(type(exc).__name__)
    client.close()
    server.close()
    await server.wait_closed()
    return outcomes, connections


def test_keep_alive_reconnect_and_errors() -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Soi-Listing-Id: 7\r\n\r\n{}"
    closing = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    outcomes, connections = asyncio.run(_exchange([ok, ok, closing, ok, chunked, ok]))
    first, second, refused, after_close, unreadable, last = outcomes
    assert [first.status, second.status, refused.status, after_close.status] == [200, 200, 503, 200]  # type: ignore[union-attr]
    assert first.body == b"{}" and first.has_header(b"x-soi-listing-id")  # type: ignore[union-attr]
    assert not refused.has_header(b"x-soi-listing-id")  # type: ignore[union-attr]
    assert unreadable == "ResponseError"  # counted as an error, and the connection is dropped
    assert last.status == 200  # type: ignore[union-attr]
    assert connections == 3  # the first two on one connection; reopened after `close` and after the bad answer
