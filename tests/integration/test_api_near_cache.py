"""The API's near cache against a real redis-server: invalidation, the in-flight race, a dropped tracking
connection, a flush, an outage and the size bound (streams/snapshot/near_cache.py)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient, TestServer

from streams import devstack
from streams.api.app import availability_reader, build_api
from streams.settings import Settings
from streams.snapshot.connection import snapshot_reader_client, snapshot_writer_client
from streams.snapshot.near_cache import RESET_CONNECTION_LOST, RESET_FLUSHED, NearCachedAvailabilityReader
from streams.snapshot.reader import AvailabilityReader, RedisAvailabilityReader
from tests.ids import unique
from tests.integration.test_api_redis import AUTH, availability, settings_for, write
from tests.integration.test_snapshot_redis import RedisSnapshot
from tests.unit.snapshot.reader_contract import ReaderContract

pytestmark = pytest.mark.integration
POLL_LIMIT_S = 10.0  # a bound on waiting for Redis's messages, never a figure under test


async def until(condition: Callable[[], bool], what: str) -> None:
    """Poll (bounded) until the condition holds: invalidations and reconnections arrive asynchronously."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + POLL_LIMIT_S
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"still not {what} after {POLL_LIMIT_S} s")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def near_cached_reader(settings: Settings, *, max_entries: int = 1_000, wait_for_tracking: bool = True,
                             before_connect: Callable[[], Awaitable[None]] | None = None,
                             after_fetch: Callable[[Sequence[str]], Awaitable[None]] | None = None,
                             ) -> AsyncIterator[NearCachedAvailabilityReader]:
    client = snapshot_reader_client(settings)
    reader = NearCachedAvailabilityReader(RedisAvailabilityReader(client, settings.redis_key_prefix), client,
                                          settings.redis_key_prefix, max_entries,
                                          answer_timeout_s=settings.api_redis_timeout_ms / 1000,
                                          before_connect=before_connect, after_fetch=after_fetch)
    await reader.start()
    try:
        if wait_for_tracking:
            await until(lambda: reader.cache.tracking, "tracking")
        yield reader
    finally:
        await reader.stop()
        await client.aclose()


@asynccontextmanager
async def api_with_near_cache(settings: Settings) -> AsyncIterator[tuple[TestClient, Any]]:
    """The API as `distflow api` builds it, its near cache tracking: (test client, the cache)."""
    client = snapshot_reader_client(settings)
    reader = availability_reader(settings, client)
    assert isinstance(reader, NearCachedAvailabilityReader)
    try:
        async with TestClient(TestServer(build_api(settings, reader))) as api:
            await until(lambda: reader.cache.tracking, "tracking")
            yield api, reader.cache
    finally:
        await client.aclose()


class NearCachedRedisSnapshot(RedisSnapshot):
    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AvailabilityReader]:
        async with near_cached_reader(self.settings) as reader:
            yield reader

    @asynccontextmanager
    async def unreachable_reader(self) -> AsyncIterator[AvailabilityReader]:
        nowhere = settings_for(f"redis://127.0.0.1:{devstack.free_port()}/0", "distflow:")
        async with near_cached_reader(nowhere, wait_for_tracking=False) as reader:
            yield reader


class TestNearCachedReader(ReaderContract):
    """The same behaviour as the plain Redis reader (tests/unit/snapshot/reader_contract.py)."""

    @pytest.fixture
    def snapshot(self, redis_server: devstack.RedisServer) -> Iterator[NearCachedRedisSnapshot]:
        under_test = NearCachedRedisSnapshot(redis_server, unique("near") + ":")
        yield under_test
        under_test.client.close()


def version_of(entry: Any) -> int | None:
    return None if entry is None else entry.version


@pytest.mark.parametrize("refresh_ahead", [False, True])
def test_a_write_after_a_cached_read_is_seen_by_the_next_read_through_the_api(
        redis_server: devstack.RedisServer, refresh_ahead: bool) -> None:
    settings = settings_for(redis_server.url, unique("near") + ":", api_near_cache_entries=1_000,
                            api_near_cache_refresh_ahead=refresh_ahead)
    write(settings, availability("LAMP-1", 1, east=5))

    async def scenario() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with api_with_near_cache(settings) as (api, cache):
            async def get(path: str) -> tuple[int, Any]:
                response = await api.get(path, headers=AUTH)
                return response.status, await response.json()

            seen["first"] = await get("/v1/availability/LAMP-1")
            seen["ghost"] = await get("/v1/availability/GHOST-9")
            hits = cache.hits
            seen["cached"] = await get("/v1/availability/LAMP-1")
            seen["ghost_cached"] = await get("/v1/availability/GHOST-9")
            seen["hits"] = cache.hits - hits
            invalidations = cache.invalidations
            await asyncio.to_thread(write, settings, availability("LAMP-1", 2, east=1),
                                    availability("GHOST-9", 1, east=7))
            await until(lambda: cache.invalidations >= invalidations + 2, "invalidated")
            if refresh_ahead:  # both were cached, so both are read again without being asked for
                await until(lambda: cache.refreshed >= 2, "refreshed")
            hits = cache.hits
            seen["after_write"] = await get("/v1/availability/LAMP-1")
            seen["ghost_after_write"] = await get("/v1/availability/GHOST-9")
            seen["hits_after_write"] = cache.hits - hits
            seen["ready"] = await (await api.get("/readyz")).json()
            seen["metrics"] = await (await api.get("/metrics")).text()
        return seen

    seen = asyncio.run(scenario())

    assert (seen["first"][0], seen["first"][1]["version"], seen["first"][1]["available"]) == (200, 1, 5)
    assert seen["ghost"][0] == 404 and seen["ghost_cached"][0] == 404
    assert (seen["cached"][0], seen["cached"][1]["version"]) == (200, 1)
    assert seen["hits"] == 2  # both answered from the cache
    assert (seen["after_write"][0], seen["after_write"][1]["version"], seen["after_write"][1]["available"]) == (
        200, 2, 1)
    assert (seen["ghost_after_write"][0], seen["ghost_after_write"][1]["available"]) == (200, 7)
    assert seen["hits_after_write"] == (2 if refresh_ahead else 0)  # else: read from Redis, then cached
    assert seen["ready"]["near_cache"] == {"enabled": True, "tracking": True, "entries": 2, "max_entries": 1_000}
    metrics = seen["metrics"]
    assert f"distflow_api_near_cache_hits_total {2 + seen['hits_after_write']}.0" in metrics
    assert f"distflow_api_near_cache_refreshed_total {2.0 if refresh_ahead else 0.0}" in metrics
    assert "distflow_api_near_cache_tracking 1.0" in metrics
    assert 'distflow_api_near_cache_resets_total{reason="connection_lost"} 0.0' in metrics


def test_a_read_whose_key_is_invalidated_while_it_is_in_flight_is_answered_but_not_cached(
        redis_server: devstack.RedisServer) -> None:
    settings = settings_for(redis_server.url, unique("race") + ":")
    write(settings, availability("DESK-1", 1, east=5))
    holder: dict[str, NearCachedAvailabilityReader] = {}
    raced = asyncio.Event()

    async def write_while_in_flight(skus: Sequence[str]) -> None:
        """Between the MGET's reply (version 1) and its storing: version 2 is written and its invalidation is
        received, as when the invalidation overtakes the reply."""
        if raced.is_set() or "DESK-1" not in skus:
            return
        raced.set()
        cache = holder["reader"].cache
        invalidations = cache.invalidations
        await asyncio.to_thread(write, settings, availability("DESK-1", 2, east=3))
        await until(lambda: cache.invalidations > invalidations, "invalidated")

    async def scenario() -> tuple[Any, Any, Any, int, int]:
        async with near_cached_reader(settings, after_fetch=write_while_in_flight) as reader:
            holder["reader"] = reader
            in_flight = await reader.get("DESK-1")
            misses = reader.cache.misses
            next_read = await reader.get("DESK-1")  # not from the cache: version 1 was never stored
            again = await reader.get("DESK-1")  # now cached
            return (in_flight, next_read, again, reader.cache.misses - misses, reader.cache.not_stored_in_flight)

    in_flight, next_read, again, misses, not_stored = asyncio.run(scenario())

    assert version_of(in_flight) == 1  # answered: it was current when Redis read it
    assert version_of(next_read) == 2 and version_of(again) == 2
    assert (misses, not_stored) == (1, 1)


def test_a_dropped_tracking_connection_empties_and_bypasses_the_cache_until_tracking_is_back(
        redis_server: devstack.RedisServer) -> None:
    settings = settings_for(redis_server.url, unique("drop") + ":")
    write(settings, availability("STOOL-1", 1, east=5))
    admin = redis.Redis.from_url(redis_server.url)
    reconnect = asyncio.Event()

    async def held() -> None:
        await reconnect.wait()

    async def scenario() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with near_cached_reader(settings, before_connect=held) as reader:
            cache = reader.cache
            await reader.get("STOOL-1")
            seen["cached"] = (len(cache), version_of(await reader.get("STOOL-1")), cache.hits)
            killed = await asyncio.to_thread(admin.client_kill_filter, _id=reader.listener.client_id)
            await until(lambda: not cache.tracking, "tracking lost")
            seen["killed"] = killed
            seen["down"] = (len(cache), cache.resets[RESET_CONNECTION_LOST])
            # no invalidation can arrive now: a write is seen because every read goes to Redis
            await asyncio.to_thread(write, settings, availability("STOOL-1", 2, east=4))
            bypassed = cache.bypassed
            seen["bypassed_read"] = (version_of(await reader.get("STOOL-1")), version_of(await reader.get("STOOL-1")),
                                     cache.bypassed - bypassed, len(cache))
            reconnect.set()
            await until(lambda: cache.tracking, "tracking back")
            hits = cache.hits
            await reader.get("STOOL-1")
            seen["back"] = (version_of(await reader.get("STOOL-1")), cache.hits - hits)
            invalidations = cache.invalidations
            await asyncio.to_thread(write, settings, availability("STOOL-1", 3, east=2))
            await until(lambda: cache.invalidations > invalidations, "invalidated")
            seen["invalidated_again"] = version_of(await reader.get("STOOL-1"))
        return seen

    try:
        seen = asyncio.run(scenario())
    finally:
        admin.close()

    assert seen["cached"] == (1, 1, 1)
    assert seen["killed"] == 1
    assert seen["down"] == (0, 1)
    assert seen["bypassed_read"] == (2, 2, 2, 0)
    assert seen["back"] == (2, 1)
    assert seen["invalidated_again"] == 3


def test_a_flush_empties_the_cache_and_a_redis_outage_is_503_once_noticed(service_logs: Path) -> None:
    server = devstack.start_redis(service_logs)  # its own server: FLUSHDB and a kill touch no other test
    settings = settings_for(server.url, unique("flush") + ":")
    try:
        write(settings, availability("VASE-1", 1, east=5))
        admin = redis.Redis.from_url(server.url)

        async def scenario() -> dict[str, Any]:
            seen: dict[str, Any] = {}
            async with api_with_near_cache(settings) as (api, cache):
                await api.get("/v1/availability/VASE-1", headers=AUTH)
                seen["before"] = (await api.get("/v1/availability/VASE-1", headers=AUTH)).status, len(cache)
                await asyncio.to_thread(admin.flushdb)
                await until(lambda: cache.resets[RESET_FLUSHED] == 1, "flushed")
                seen["flushed"] = (await api.get("/v1/availability/VASE-1", headers=AUTH)).status, cache.tracking
                await asyncio.to_thread(write, settings, availability("VASE-1", 2, east=1))
                await api.get("/v1/availability/VASE-1", headers=AUTH)  # cached again
                server.kill()
                await until(lambda: not cache.tracking, "tracking lost")
                down = await api.get("/v1/availability/VASE-1", headers=AUTH)
                seen["down"] = down.status, (await down.json())["error"], len(cache)
                ready = await api.get("/readyz")
                seen["down_ready"] = ready.status
            return seen

        seen = asyncio.run(scenario())
        admin.close()
    finally:
        server.stop()

    assert seen["before"] == (200, 1)
    assert seen["flushed"] == (404, True)
    assert seen["down"] == (503, "snapshot_unavailable", 0)
    assert seen["down_ready"] == 503


def test_the_cache_never_holds_more_than_its_bound(redis_server: devstack.RedisServer) -> None:
    settings = settings_for(redis_server.url, unique("bound") + ":")
    skus = [f"ITEM-{n}" for n in range(40)]
    write(settings, *(availability(sku, 1, east=n) for n, sku in enumerate(skus)))

    async def scenario() -> tuple[int, list[int], int]:
        async with near_cached_reader(settings, max_entries=8) as reader:
            sizes = []
            answers = await reader.get_many(skus[:20])
            sizes.append(len(reader.cache))
            for sku in skus:
                await reader.get(sku)
                sizes.append(len(reader.cache))
            hits = reader.cache.hits
            await reader.get_many(skus[-8:])  # the 8 most recently read
            return sum(entry.total_available for entry in answers.values() if entry), sizes, reader.cache.hits - hits

    total, sizes, hits = asyncio.run(scenario())

    assert total == sum(range(20))  # every answer right, though most were evicted
    assert max(sizes) == 8
    assert hits == 8
