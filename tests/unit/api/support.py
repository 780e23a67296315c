"""Building the real API around an in-memory snapshot, and talking to it (aiohttp's TestServer, no plugin)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from streams.api.app import build_api
from streams.settings import Settings
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.memory import DictAvailabilityReader

T = TypeVar("T")
STOREFRONT_KEY = "storefront-key-6f1c2a9b"  # availability:read
OPS_KEY = "ops-console-key-93be51d0"  # exceptions:read only
NOW_MS = 1_795_700_060_000
AS_OF_MS = 1_795_700_000_000


def api_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_keys": SecretStr(f"{STOREFRONT_KEY}=availability:read,orders:read;{OPS_KEY}=exceptions:read"),
        "api_rate_limit_per_s": 1_000.0, "api_rate_limit_burst": 1_000,
        "api_channels": "web=EAST,WEST;b2b-east=EAST", "api_read_your_writes_wait_ms": 150,
    }
    values.update(overrides)
    return Settings(**values)


def entry(sku: str = "SKU-1", version: int = 7, east: int = 10, west: int = 2, north: int = 0) -> AvailabilityEntry:
    locations = {"EAST": east, "WEST": west} | ({"NORTH": north} if north else {})
    return AvailabilityEntry(sku, version, AS_OF_MS, east + west + north, locations, {"inventory-commands:1": 41},
                             written_at_ms=AS_OF_MS + 20)


class RecordingReader(DictAvailabilityReader):
    """The in-memory snapshot, remembering which SKUs were asked of it."""

    def __init__(self, entries: Sequence[AvailabilityEntry] = ()) -> None:
        super().__init__(entries)
        self.asked: list[str] = []

    async def get_many(self, skus: Sequence[str]) -> dict[str, AvailabilityEntry | None]:
        self.asked.extend(skus)
        return await super().get_many(skus)


def bearer(key: str = STOREFRONT_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def served(reader: DictAvailabilityReader | None = None, settings: Settings | None = None,
                 registry: CollectorRegistry | None = None) -> AsyncIterator[TestClient]:
    app = build_api(settings or api_settings(), reader if reader is not None else RecordingReader([entry()]),
                    registry=registry, clock_ms=lambda: NOW_MS)
    async with TestClient(TestServer(app)) as client:
        yield client


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(scenario())  # type: ignore[arg-type]


async def raw_request(client: TestClient, request_line: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send a request line exactly as written (no client-side path normalisation), return status and body."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(f"{request_line} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{head}\r\n".encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]
