"""The API over a real redis-server fed by the real writer: answers, read-your-writes, an outage and recovery."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from streams import devstack
from streams.api.app import build_api
from streams.settings import Settings
from streams.snapshot.connection import snapshot_reader_client, snapshot_writer_client
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.reader import RedisAvailabilityReader
from streams.snapshot.writer import FlushOutcome, SnapshotWriter
from tests.ids import unique

pytestmark = pytest.mark.integration
API_KEY = "storefront-integration-key-1"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def settings_for(url: str, prefix: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": SecretStr(url), "redis_key_prefix": prefix, "api_keys": SecretStr(f"{API_KEY}=availability:read"),
        "api_channels": "web=EAST,WEST", "api_redis_timeout_ms": 300, "snapshot_redis_timeout_ms": 300,
        "api_read_your_writes_wait_ms": 2_000}
    values.update(overrides)
    return Settings(**values)


def availability(sku: str, version: int, east: int, west: int = 0) -> AvailabilityEntry:
    return AvailabilityEntry(sku, version, int(time.time() * 1000) - 250, east + west, {"EAST": east, "WEST": west},
                             {"inventory-commands:0": version})


def write(settings: Settings, *entries: AvailabilityEntry) -> None:
    client = snapshot_writer_client(settings)
    writer = SnapshotWriter(client, settings.redis_key_prefix)
    for entry in entries:
        writer.stage(entry)
    assert writer.flush().outcome is FlushOutcome.FLUSHED
    client.close()


@asynccontextmanager
async def api_over_redis(settings: Settings) -> AsyncIterator[TestClient]:
    redis_client = snapshot_reader_client(settings)
    app = build_api(settings, RedisAvailabilityReader(redis_client, settings.redis_key_prefix))
    try:
        async with TestClient(TestServer(app)) as client:
            yield client
    finally:
        await redis_client.aclose()


async def answer(client: TestClient, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    response = await client.request(method, path, json=body, headers=AUTH)
    return response.status, await response.json()


def test_the_api_answers_what_the_writer_wrote(redis_server: devstack.RedisServer) -> None:
    settings = settings_for(redis_server.url, unique("api") + ":")
    write(settings, availability("RETRO-CLOCK", 4, east=3, west=2), availability("vendor:7/blue", 1, east=9))

    async def scenario() -> list[tuple[int, Any]]:
        async with api_over_redis(settings) as client:
            return [await answer(client, "GET", "/v1/availability/RETRO-CLOCK"),
                    await answer(client, "GET", "/v1/availability/vendor:7/blue?channel=web"),
                    await answer(client, "POST", "/v1/availability/query",
                                 {"skus": ["RETRO-CLOCK", "GHOST", "vendor:7/blue"], "location": "EAST"}),
                    await answer(client, "GET", "/v1/availability/GHOST")]

    (one_status, one), (slash_status, slash), (batch_status, batch), (ghost_status, _) = asyncio.run(scenario())

    assert (one_status, one["available"], one["version"], one["locations"]) == (200, 5, 4, {"EAST": 3, "WEST": 2})
    assert 250 <= one["staleness_ms"] < 60_000
    assert (slash_status, slash["sku"], slash["available"]) == (200, "vendor:7/blue", 9)
    assert batch_status == 200 and batch["not_found"] == ["GHOST"]
    assert [(r["sku"], r["available"]) for r in batch["results"]] == [("RETRO-CLOCK", 3), ("vendor:7/blue", 9)]
    assert ghost_status == 404


def test_read_your_writes_waits_for_the_writer_then_answers(redis_server: devstack.RedisServer) -> None:
    settings = settings_for(redis_server.url, unique("ryw") + ":")
    write(settings, availability("DESK-1", 1, east=5))

    async def scenario() -> tuple[int, Any, float]:
        async with api_over_redis(settings) as client:
            async def flush_later() -> None:
                await asyncio.sleep(0.15)
                await asyncio.to_thread(write, settings, availability("DESK-1", 2, east=4))
            flushing = asyncio.create_task(flush_later())
            started = time.monotonic()
            status, body = await answer(client, "GET", "/v1/availability/DESK-1?min_version=2")
            await flushing
            return status, body, time.monotonic() - started

    status, body, seconds = asyncio.run(scenario())

    assert (status, body["version"], body["available"]) == (200, 2, 4)
    assert 0.15 <= seconds < 2.0


def test_a_redis_outage_is_503_and_the_api_and_writer_recover_after_restart(service_logs: Path) -> None:
    server = devstack.start_redis(service_logs)
    settings = settings_for(server.url, unique("outage") + ":")
    writer_client = snapshot_writer_client(settings)
    writer = SnapshotWriter(writer_client, settings.redis_key_prefix)
    try:
        writer.stage(availability("SKU-A", 1, east=5))
        assert writer.flush().outcome is FlushOutcome.FLUSHED

        async def scenario() -> dict[str, Any]:
            seen: dict[str, Any] = {}
            async with api_over_redis(settings) as client:
                seen["before"] = await answer(client, "GET", "/v1/availability/SKU-A")
                server.kill()
                seen["down"] = await answer(client, "GET", "/v1/availability/SKU-A")
                seen["down_batch"] = await answer(client, "POST", "/v1/availability/query", {"skus": ["SKU-A"]})
                seen["down_ready"] = (await client.get("/readyz")).status
                writer.stage(availability("SKU-A", 2, east=1))
                seen["flush_down"] = writer.flush()
                server.restart(service_logs)
                seen["flush_after"] = writer.flush()
                seen["after"] = await answer(client, "GET", "/v1/availability/SKU-A")
                seen["after_ready"] = (await client.get("/readyz")).status
            return seen

        seen = asyncio.run(scenario())

        assert seen["before"][0] == 200 and seen["before"][1]["available"] == 5
        for status, body in (seen["down"], seen["down_batch"]):
            assert (status, body["error"]) == (503, "snapshot_unavailable")
            assert "available" not in body
        assert seen["down_ready"] == 503
        assert seen["flush_down"].outcome is FlushOutcome.REDIS_UNAVAILABLE and seen["flush_down"].pending == 1
        assert seen["flush_after"].outcome is FlushOutcome.FLUSHED and seen["flush_after"].pending == 0
        assert seen["after"][0] == 200 and (seen["after"][1]["version"], seen["after"][1]["available"]) == (2, 1)
        assert seen["after_ready"] == 200
    finally:
        writer_client.close()
        server.stop()


def test_the_distflow_api_command_serves_from_redis(redis_server: devstack.RedisServer, tmp_path: Path) -> None:
    prefix, port = unique("cli") + ":", devstack.free_port()
    write(settings_for(redis_server.url, prefix), availability("LAMP-9", 3, east=6))
    env = {**os.environ, "DISTFLOW_REDIS_URL": redis_server.url, "DISTFLOW_REDIS_KEY_PREFIX": prefix,
           "DISTFLOW_API_KEYS": f"{API_KEY}=availability:read", "DISTFLOW_API_PORT": str(port)}
    log = open(tmp_path / "api.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "streams.cli", "api"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_ready(base, process)
        request = urllib.request.Request(f"{base}/v1/availability/LAMP-9", headers=AUTH)
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())

        assert (body["sku"], body["version"], body["available"]) == ("LAMP-9", 3, 6)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
        log.close()
    assert API_KEY not in (tmp_path / "api.log").read_text()


def _wait_until_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "the API process exited"
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError("the API did not become ready within 20 s")
