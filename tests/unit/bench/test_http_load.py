"""The API benchmarks' HTTP/1.1 client: it must count an answer only once all of it has arrived, and report a
request it could not get an answer for as failed (status 0), never as answered."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bench.http_load import ConnectionPool, UnsupportedAnswer, framed, parse_head


def test_the_head_gives_status_body_length_and_whether_the_connection_closes() -> None:
    head = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\ncontent-length: 17\r\n\r\n{"

    assert parse_head(head[:20]) is None  # not complete yet
    assert parse_head(head) == (503, 17, len(head) - 1, False)
    assert parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n") == (200, 0, 57, True)
    assert parse_head(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") == (200, 0, 38, True)


@pytest.mark.parametrize("head", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                                  b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
                                  b"SSH-2.0-OpenSSH\r\n\r\n"])
def test_an_answer_it_cannot_read_is_refused(head: bytes) -> None:
    with pytest.raises(UnsupportedAnswer):
        parse_head(head)


def test_requests_on_kept_alive_connections_get_their_own_whole_answers() -> None:
    async def scenario() -> tuple[list[tuple[int, int]], int, int, list[int]]:
        async def echo(request: web.Request) -> web.Response:
            body = await request.read()
            size = int(request.query.get("size", "0"))
            return web.Response(status=201 if body else 200, body=b"x" * size)

        async def drop(request: web.Request) -> web.Response:
            request.transport.close()  # type: ignore[union-attr]
            await asyncio.sleep(0.05)
            return web.Response()

        app = web.Application()
        app.router.add_route("*", "/echo", echo)
        app.router.add_get("/drop", drop)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        pool = ConnectionPool(f"http://127.0.0.1:{port}")
        answers: list[tuple[int, int]] = []
        dropped: list[int] = []
        try:
            for n, size in enumerate([0, 70_000, 5, 300_000, 1, 0, 0, 0, 0, 2]):  # large ones span many reads
                body = b'{"n": 1}' if n % 3 == 0 else None
                pool.send(framed("POST" if body else "GET", pool.authority, f"/echo?size={size}", {}, body),
                          lambda status, size=size: answers.append((status, size)))
            while len(answers) < 10:
                await asyncio.sleep(0.005)
            connections = len(pool.idle)
            for n, size in enumerate([300_000, 3, 120_000, 0]):  # one after another: on the same connection
                body = b'{"n": 1}' if n % 2 else None
                before = len(answers)
                pool.send(framed("POST" if body else "GET", pool.authority, f"/echo?size={size}", {}, body),
                          lambda status, size=size: answers.append((status, size)))
                while len(answers) == before:
                    await asyncio.sleep(0.002)
            reused = len(pool.idle)
            pool.send(framed("GET", pool.authority, "/drop", {}, None), dropped.append)
            while not dropped:
                await asyncio.sleep(0.005)
        finally:
            pool.close()
            await runner.cleanup()
        return answers, connections, reused, dropped

    answers, connections, reused, dropped = asyncio.run(scenario())

    assert sorted(answers[:10]) == sorted([(201, 0), (200, 70_000), (200, 5), (201, 300_000), (200, 1), (200, 0),
                                           (201, 0), (200, 0), (200, 0), (201, 2)])
    assert answers[10:] == [(200, 300_000), (201, 3), (200, 120_000), (201, 0)]  # each its own answer
    assert 1 <= connections <= 10 and reused == connections  # kept alive and used again, none opened
    assert dropped == [0]  # no answer: failed, not counted as answered
