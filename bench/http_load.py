"""The API benchmarks' HTTP/1.1 client: keep-alive connections driven by callbacks, for the load generator.

The load generator shares the 2-core machine with the API processes and Redis, so its own CPU per request is
taken from what it measures. aiohttp's client spent ~250 µs per request (a task, a session request, a response
object and a read per request); this one writes a pre-framed request on an idle connection and calls back with
the status once the whole answer (its Content-Length) has arrived — no task, future or response object per
request. One request at a time per connection (no pipelining); the pool opens connections as the requests in
flight need them. It speaks only what the distflow API answers: HTTP/1.1 with a Content-Length; anything else
counts as a failed request (status 0), visible in the benchmark's errors.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlsplit

Done = Callable[[int], None]  # called with the answer's status, 0 when there was none


class UnsupportedAnswer(ValueError):
    """A response this client does not read (no Content-Length, chunked, malformed)."""


def parse_head(buffer: bytes | bytearray) -> tuple[int, int, int, bool] | None:
    """(status, body length, head length, connection closes) once the head is complete; None before."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    status_line, *headers = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
        raise UnsupportedAnswer(f"not an HTTP/1.x status line: {status_line!r}")
    length, closes = None, version == "HTTP/1.0"
    for header in headers:
        name, _, value = header.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and value != "identity":
            raise UnsupportedAnswer(f"transfer-encoding {value}")
        elif name == "connection":
            closes = value == "close" or (closes and value != "keep-alive")
    if length is None:
        raise UnsupportedAnswer("no Content-Length")
    return int(rest[:3]), length, end + 4, closes


def framed(method: str, host: str, path: str, headers: dict[str, str], body: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class _Connection(asyncio.Protocol):
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._head: tuple[int, int, int, bool] | None = None
        self._done: Done | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def send(self, request: bytes, done: Done) -> None:
        self._done = done
        self._transport.write(request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        try:
            if self._head is None:
                self._head = parse_head(self._buffer)
                if self._head is None:
                    return
        except (UnsupportedAnswer, ValueError):
            self._transport.close()  # type: ignore[union-attr]  # connection_lost reports the request as failed
            return
        status, length, head_size, closes = self._head
        if len(self._buffer) < head_size + length:
            return
        done, self._done, self._head = self._done, None, None
        del self._buffer[:]
        if closes:
            self._transport.close()  # type: ignore[union-attr]
        else:
            self._pool.idle.append(self)
        if done is not None:
            done(status)

    def connection_lost(self, exc: Exception | None) -> None:
        self._pool.lost(self)
        done, self._done = self._done, None
        if done is not None:
            done(0)


class ConnectionPool:
    """Keep-alive connections to one base URL (http://host:port)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.authority = f"{self.host}:{self.port}"
        self.idle: list[_Connection] = []
        self._open: set[_Connection] = set()
        self._opening: set[asyncio.Task[None]] = set()

    def send(self, request: bytes, done: Done) -> None:
        if self.idle:
            self.idle.pop().send(request, done)
            return
        task = asyncio.get_running_loop().create_task(self._open_and_send(request, done))
        self._opening.add(task)
        task.add_done_callback(self._opening.discard)

    async def _open_and_send(self, request: bytes, done: Done) -> None:
        try:
            _, connection = await asyncio.get_running_loop().create_connection(
                lambda: _Connection(self), self.host, self.port)
        except OSError:
            done(0)
            return
        self._open.add(connection)
        connection.send(request, done)

    def lost(self, connection: _Connection) -> None:
        self._open.discard(connection)
        if connection in self.idle:
            self.idle.remove(connection)

    def close(self) -> None:
        for connection in list(self._open):
            if connection._transport is not None:
                connection._transport.close()
        self.idle.clear()
