"""Availability answers over the in-memory snapshot: scopes, staleness, read-your-writes, batches."""
from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp.test_utils import TestClient

from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.reader import SnapshotEntryUnreadable, SnapshotUnavailable, unavailable
from tests.unit.api.support import (AS_OF_MS, NOW_MS, RecordingReader, api_settings, bearer, entry, run,
                                    served)


async def get_json(client: TestClient, path: str, **params: str) -> tuple[int, Any]:
    response = await client.get(path, params=params, headers=bearer())
    return response.status, await response.json()


def test_one_sku_answers_total_per_location_version_and_staleness() -> None:
    async def scenario() -> tuple[int, Any]:
        async with served() as client:
            return await get_json(client, "/v1/availability/SKU-1")

    status, body = run(scenario)

    assert status == 200
    assert body == {"sku": "SKU-1", "available": 12, "locations": {"EAST": 10, "WEST": 2}, "version": 7,
                    "as_of": "2026-11-26T13:33:20.000Z", "as_of_ms": AS_OF_MS, "written_at": "2026-11-26T13:33:20.020Z",
                    "staleness_ms": NOW_MS - AS_OF_MS}


def test_a_location_counts_only_that_location() -> None:
    async def scenario() -> list[Any]:
        async with served() as client:
            return [await get_json(client, "/v1/availability/SKU-1", location=place) for place in ("WEST", "SOUTH")]

    (west_status, west), (south_status, south) = run(scenario)

    assert (west_status, west["available"], west["locations"]) == (200, 2, {"WEST": 2})
    assert (south_status, south["available"], south["locations"]) == (200, 0, {"SOUTH": 0})


def test_a_channel_counts_the_locations_that_sell_to_it() -> None:
    reader = RecordingReader([entry(east=10, west=2, north=40)])

    async def scenario() -> list[Any]:
        async with served(reader) as client:
            return [await get_json(client, "/v1/availability/SKU-1", channel=name) for name in ("web", "b2b-east")]

    (_, web), (_, b2b) = run(scenario)

    assert (web["available"], web["locations"]) == (12, {"EAST": 10, "WEST": 2})
    assert (b2b["available"], b2b["locations"]) == (10, {"EAST": 10})


def test_an_unknown_sku_is_404_with_a_reason() -> None:
    async def scenario() -> tuple[int, Any]:
        async with served() as client:
            return await get_json(client, "/v1/availability/NEVER-STOCKED")

    status, body = run(scenario)

    assert status == 404 and body["error"] == "unknown_sku" and "NEVER-STOCKED" in body["detail"]


def test_read_your_writes_answers_at_once_when_the_version_is_visible() -> None:
    async def scenario() -> tuple[int, Any]:
        async with served() as client:
            return await get_json(client, "/v1/availability/SKU-1", min_version="7")

    status, body = run(scenario)

    assert (status, body["version"]) == (200, 7)


def test_read_your_writes_waits_for_the_version_to_arrive() -> None:
    reader = RecordingReader([entry(version=7)])

    async def scenario() -> tuple[int, Any]:
        async with served(reader, api_settings(api_read_your_writes_wait_ms=2_000)) as client:
            async def arrives() -> None:
                await asyncio.sleep(0.05)
                reader.put(entry(version=8, east=3))
            arriving = asyncio.create_task(arrives())
            answer = await get_json(client, "/v1/availability/SKU-1", min_version="8")
            await arriving
            return answer

    status, body = run(scenario)

    assert (status, body["version"], body["available"]) == (200, 8, 5)


def test_read_your_writes_answers_409_when_the_version_is_still_not_visible() -> None:
    async def scenario() -> tuple[int, Any, str | None, float]:
        async with served(settings=api_settings(api_read_your_writes_wait_ms=100)) as client:
            started = time.monotonic()
            response = await client.get("/v1/availability/SKU-1", params={"min_version": "9"}, headers=bearer())
            return response.status, await response.json(), response.headers.get("Retry-After"), \
                time.monotonic() - started

    status, body, retry_after, seconds = run(scenario)

    assert status == 409 and retry_after == "1" and seconds >= 0.1
    assert (body["error"], body["min_version"], body["visible_version"]) == ("version_not_visible_yet", 9, 7)


def test_read_your_writes_of_a_sku_not_yet_in_the_snapshot_is_not_visible_yet() -> None:
    async def scenario() -> tuple[int, Any]:
        async with served(settings=api_settings(api_read_your_writes_wait_ms=20)) as client:
            return await get_json(client, "/v1/availability/NEW-SKU", min_version="1")

    status, body = run(scenario)

    assert (status, body["visible_version"]) == (409, None)


def test_a_batch_answers_known_skus_and_lists_unknown_ones() -> None:
    reader = RecordingReader([entry("SKU-1"), entry("SKU-2", version=3, east=1, west=0)])

    async def scenario() -> tuple[int, Any]:
        async with served(reader) as client:
            response = await client.post("/v1/availability/query", headers=bearer(),
                                         json={"skus": ["SKU-2", "GHOST", "SKU-1", "SKU-2"], "channel": "b2b-east"})
            return response.status, await response.json()

    status, body = run(scenario)

    assert status == 200
    assert [(r["sku"], r["available"], r["version"]) for r in body["results"]] == [("SKU-2", 1, 3), ("SKU-1", 10, 7)]
    assert all(set(r) >= {"as_of", "version", "staleness_ms"} for r in body["results"])
    assert body["not_found"] == ["GHOST"]
    assert reader.asked == ["SKU-2", "GHOST", "SKU-1"]


def test_a_batch_of_exactly_the_maximum_is_answered() -> None:
    async def scenario() -> tuple[int, Any]:
        async with served() as client:
            response = await client.post("/v1/availability/query", headers=bearer(),
                                         json={"skus": [f"SKU-{n}" for n in range(500)]})
            return response.status, await response.json()

    status, body = run(scenario)

    assert status == 200 and len(body["results"]) == 1 and len(body["not_found"]) == 499


def test_a_redis_outage_is_503_never_a_guessed_number() -> None:
    reader = RecordingReader([entry()])
    reader.reachable = False

    async def scenario() -> list[tuple[int, Any, str | None]]:
        async with served(reader) as client:
            answers = [await client.get("/v1/availability/SKU-1", headers=bearer()),
                       await client.post("/v1/availability/query", headers=bearer(), json={"skus": ["SKU-1"]}),
                       await client.get("/readyz"), await client.get("/healthz")]
            return [(r.status, await r.json(), r.headers.get("Retry-After")) for r in answers]

    one, batch, ready, alive = run(scenario)

    for status, body, retry_after in (one, batch, ready):
        assert (status, body["error"], retry_after) == (503, "snapshot_unavailable", "1")
        assert "available" not in body and "results" not in body
    assert alive[:2] == (200, {"status": "alive"})


def test_readiness_reports_the_writer_heartbeat_without_requiring_it() -> None:
    reader = RecordingReader([entry()])

    async def scenario() -> list[Any]:
        async with served(reader) as client:
            never = await (await client.get("/readyz")).json()
            reader.heartbeat_ms = NOW_MS - 1_500
            recent = await (await client.get("/readyz")).json()
            return [never, recent]

    never, recent = run(scenario)

    assert never == {"ready": True, "writer_last_flush_ms": None, "writer_heartbeat_age_ms": None}
    assert recent == {"ready": True, "writer_last_flush_ms": NOW_MS - 1_500, "writer_heartbeat_age_ms": 1_500}


class BrokenReader(RecordingReader):
    async def get_many(self, skus: Any) -> dict[str, AvailabilityEntry | None]:
        raise RuntimeError("a bug")


def test_an_unexpected_failure_is_a_500_json_body_without_internals() -> None:
    async def scenario() -> tuple[int, Any]:
        async with served(BrokenReader()) as client:
            return await get_json(client, "/v1/availability/SKU-1")

    status, body = run(scenario)

    assert status == 500 and body["error"] == "internal_error" and "a bug" not in body["detail"]


class CorruptSnapshot(RecordingReader):
    async def get_many(self, skus: Any) -> dict[str, AvailabilityEntry | None]:
        raise SnapshotEntryUnreadable("SKU-1", "not JSON")


def test_an_unreadable_entry_is_503_not_a_number() -> None:
    async def scenario() -> tuple[int, Any]:
        async with served(CorruptSnapshot()) as client:
            return await get_json(client, "/v1/availability/SKU-1")

    status, body = run(scenario)

    assert (status, body["error"]) == (503, "snapshot_entry_unreadable") and "available" not in body


class PoolExhausted(RecordingReader):
    """What redis-py's BlockingConnectionPool raises when no connection comes free within its timeout."""

    async def get_many(self, skus: Any) -> dict[str, AvailabilityEntry | None]:
        from redis.exceptions import ConnectionError as RedisConnectionError
        raise unavailable(RedisConnectionError("No connection available."), "the snapshot")


def test_an_overloaded_instance_sheds_with_503_at_capacity_not_a_redis_outage() -> None:
    async def scenario() -> tuple[int, Any, str | None]:
        async with served(PoolExhausted()) as client:
            response = await client.get("/v1/availability/SKU-1", headers=bearer())
            return response.status, await response.json(), response.headers.get("Retry-After")

    status, body, retry_after = run(scenario)

    assert (status, body["error"], retry_after) == (503, "at_capacity", "1") and "available" not in body
    outage = unavailable(ConnectionRefusedError(), "the snapshot")
    assert type(outage) is SnapshotUnavailable and "unreachable" in str(outage)
