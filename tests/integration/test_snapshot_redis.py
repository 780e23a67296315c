"""The snapshot writer and reader against a real redis-server, including an outage that ends."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from pydantic import SecretStr

from streams import devstack
from streams.settings import Settings
from streams.snapshot.connection import snapshot_reader_client, snapshot_writer_client
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.keys import SnapshotKeys
from streams.snapshot.reader import AvailabilityReader, RedisAvailabilityReader, SnapshotEntryUnreadable
from streams.snapshot.writer import FlushOutcome, SnapshotWriter
from tests.ids import unique
from tests.unit.snapshot.reader_contract import FLUSHED_AT_MS, ReaderContract, availability

pytestmark = pytest.mark.integration


def settings_for(url: str, prefix: str = "distflow:") -> Settings:
    return Settings(redis_url=SecretStr(url), redis_key_prefix=prefix, snapshot_redis_timeout_ms=500,
                    api_redis_timeout_ms=300)


def stored(client: redis.Redis, prefix: str, sku: str) -> AvailabilityEntry | None:
    raw = client.get(SnapshotKeys(prefix).availability(sku))
    return None if raw is None else AvailabilityEntry.from_json(raw)  # type: ignore[arg-type]


@pytest.fixture
def prefix() -> str:
    return unique("snap") + ":"


@pytest.fixture
def client(redis_server: devstack.RedisServer) -> Iterator[redis.Redis]:
    connection = snapshot_writer_client(settings_for(redis_server.url))
    yield connection
    connection.close()


class CountingConnection(redis.Connection):
    """A real connection that counts how many times it writes to the socket (one per round trip)."""

    sends = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sends += 1
        super().send_packed_command(command, check_health)


def test_a_late_or_replayed_write_never_overwrites_a_newer_entry(client: redis.Redis, prefix: str) -> None:
    writer = SnapshotWriter(client, prefix)

    writer.stage(availability("SKU-1", 2, east=5))
    first = writer.flush()
    writer.stage(availability("SKU-1", 1, east=9))  # a late decision, replayed after a restart
    late = writer.flush()
    writer.stage(availability("SKU-1", 2, east=5))  # the same version again: a redelivery
    replayed = writer.flush()

    assert (first.outcome, len(first.entries), first.kept_newer) == (FlushOutcome.FLUSHED, 1, 0)
    assert (late.outcome, late.entries, late.kept_newer) == (FlushOutcome.FLUSHED, (), 1)
    assert (replayed.entries, replayed.kept_newer) == ((), 1)
    kept = stored(client, prefix, "SKU-1")
    assert kept is not None and (kept.version, kept.locations["EAST"]) == (2, 5)


def test_the_same_version_with_other_figures_is_written_over(client: redis.Redis, prefix: str) -> None:
    """A batch's entries are written before its changelog is acknowledged: after a crash its facts are applied
    again, possibly interleaved otherwise with facts from other sources, and may reach the same version with other
    figures. What the state now says wins; the same figures again are left alone (no write, no invalidation)."""
    writer = SnapshotWriter(client, prefix)
    writer.stage(availability("SKU-1", 3, east=5, west=2))
    writer.flush(now_ms=1_000)
    writer.stage(availability("SKU-1", 3, east=5, west=2))
    same = writer.flush(now_ms=2_000)
    writer.stage(availability("SKU-1", 3, east=4, west=2))  # the same version, one EAST unit elsewhere
    other = writer.flush(now_ms=3_000)
    writer.stage(AvailabilityEntry("SKU-1", 3, as_of_ms=1, total_available=6, locations={"EAST": 4, "WEST": 2,
                                                                                          "NORTH": 0}))
    more_locations = writer.flush(now_ms=4_000)
    writer.stage(availability("SKU-1", 2, east=9, west=9))
    older = writer.flush(now_ms=5_000)

    assert (same.entries, same.kept_newer) == ((), 1)
    assert (len(other.entries), other.kept_newer) == (1, 0)
    assert (len(more_locations.entries), more_locations.kept_newer) == (1, 0)
    assert (older.entries, older.kept_newer) == ((), 1)
    kept = stored(client, prefix, "SKU-1")
    assert kept is not None and (kept.version, dict(kept.locations), kept.written_at_ms) == (
        3, {"EAST": 4, "WEST": 2, "NORTH": 0}, 4_000)


def test_thousands_of_entries_are_written_in_one_pipeline_round_trip(redis_server: devstack.RedisServer,
                                                                      prefix: str) -> None:
    pool = redis.ConnectionPool(connection_class=CountingConnection, host="127.0.0.1", port=redis_server.port)
    client = redis.Redis(connection_pool=pool)
    writer = SnapshotWriter(client, prefix)
    writer.stage(availability("WARM-UP", 1))
    writer.flush()  # connects and loads the script once
    for number in range(5_000):
        writer.stage(availability(f"SKU-{number:05d}", 1, east=number))
    before = CountingConnection.sends

    result = writer.flush()

    assert CountingConnection.sends - before == 1
    assert (result.outcome, len(result.entries), result.pending) == (FlushOutcome.FLUSHED, 5_000, 0)
    keys = [SnapshotKeys(prefix).availability(f"SKU-{n:05d}") for n in range(5_000)]
    assert sum(value is not None for value in client.mget(keys)) == 5_000
    client.close()


def test_a_flush_reloads_the_script_when_redis_has_forgotten_it(client: redis.Redis, prefix: str) -> None:
    writer = SnapshotWriter(client, prefix)
    writer.stage(availability("LAMP-1", 1))
    writer.flush()
    client.script_flush()

    writer.stage(availability("LAMP-1", 2))
    result = writer.flush()

    assert result.outcome is FlushOutcome.FLUSHED and len(result.entries) == 1
    kept = stored(client, prefix, "LAMP-1")
    assert kept is not None and kept.version == 2


def test_a_value_that_is_not_an_entry_is_replaced_by_the_next_write(client: redis.Redis, prefix: str) -> None:
    client.set(SnapshotKeys(prefix).availability("DESK-1"), "garbage")
    writer = SnapshotWriter(client, prefix)

    writer.stage(availability("DESK-1", 1))
    result = writer.flush()

    assert len(result.entries) == 1
    assert stored(client, prefix, "DESK-1") is not None


def test_written_entries_carry_their_flush_time_and_refresh_the_heartbeat(client: redis.Redis, prefix: str) -> None:
    writer = SnapshotWriter(client, prefix, clock_ms=lambda: FLUSHED_AT_MS)

    writer.stage(availability("SOFA-1", 1))
    result = writer.flush()

    assert [entry.written_at_ms for entry in result.entries] == [FLUSHED_AT_MS]
    assert int(client.get(SnapshotKeys(prefix).writer_heartbeat)) == FLUSHED_AT_MS  # type: ignore[arg-type]


def test_an_idle_writer_refreshes_its_heartbeat_once_per_interval(client: redis.Redis, prefix: str) -> None:
    now = [10_000]
    writer = SnapshotWriter(client, prefix, clock_ms=lambda: now[0], heartbeat_interval_ms=1_000)
    heartbeat = SnapshotKeys(prefix).writer_heartbeat

    writer.flush()
    now[0] += 500
    writer.flush()
    after_half_an_interval = client.get(heartbeat)
    now[0] += 500
    result = writer.flush()

    assert result.outcome is FlushOutcome.NOTHING_STAGED
    assert after_half_an_interval == b"10000"
    assert client.get(heartbeat) == b"11000"


def test_the_writer_keeps_its_entries_through_a_redis_outage_and_catches_up(service_logs: Path) -> None:
    server = devstack.start_redis(service_logs)
    prefix = unique("outage") + ":"
    client = snapshot_writer_client(settings_for(server.url))
    writer = SnapshotWriter(client, prefix)
    try:
        writer.stage(availability("SKU-A", 1))
        assert writer.flush().outcome is FlushOutcome.FLUSHED
        server.kill()

        writer.stage(availability("SKU-A", 2))
        writer.stage(availability("SKU-B", 1))
        during = writer.flush()
        writer.stage(availability("SKU-A", 3))  # the pipeline keeps deciding while Redis is away
        still_down = writer.flush()
        server.restart(service_logs)  # an empty Redis: it forgot the entries and the script
        after = writer.flush()

        assert (during.outcome, during.pending) == (FlushOutcome.REDIS_UNAVAILABLE, 2)
        assert (still_down.outcome, still_down.pending) == (FlushOutcome.REDIS_UNAVAILABLE, 2)
        assert (after.outcome, after.pending) == (FlushOutcome.FLUSHED, 0)
        assert sorted((e.sku, e.version) for e in after.entries) == [("SKU-A", 3), ("SKU-B", 1)]
        assert stored(client, prefix, "SKU-A").version == 3  # type: ignore[union-attr]
    finally:
        client.close()
        server.stop()


def test_a_redis_restarted_after_an_outage_leaves_no_data_directory_behind(service_logs: Path) -> None:
    server = devstack.start_redis(service_logs)
    server.kill()
    server.restart(service_logs)
    server.stop()

    assert not server.data_dir.exists()  # the test suites restart servers many times a run


class RedisSnapshot:
    def __init__(self, redis_server: devstack.RedisServer, prefix: str) -> None:
        self.settings = settings_for(redis_server.url, prefix)
        self.client = snapshot_writer_client(self.settings)

    def write(self, entry: AvailabilityEntry, at_ms: int = FLUSHED_AT_MS) -> None:
        writer = SnapshotWriter(self.client, self.settings.redis_key_prefix, clock_ms=lambda: at_ms)
        writer.stage(entry)
        assert writer.flush().outcome is FlushOutcome.FLUSHED

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AvailabilityReader]:
        client = snapshot_reader_client(self.settings)
        try:
            yield RedisAvailabilityReader(client, self.settings.redis_key_prefix)
        finally:
            await client.aclose()

    @asynccontextmanager
    async def unreachable_reader(self) -> AsyncIterator[AvailabilityReader]:
        nowhere = settings_for(f"redis://127.0.0.1:{devstack.free_port()}/0")
        client = snapshot_reader_client(nowhere)
        try:
            yield RedisAvailabilityReader(client, "distflow:")
        finally:
            await client.aclose()


class TestRedisAvailabilityReader(ReaderContract):
    @pytest.fixture
    def snapshot(self, redis_server: devstack.RedisServer, prefix: str) -> Iterator[RedisSnapshot]:
        under_test = RedisSnapshot(redis_server, prefix)
        yield under_test
        under_test.client.close()


def test_the_reader_reads_a_whole_batch_with_one_mget(redis_server: devstack.RedisServer, prefix: str) -> None:
    snapshot = RedisSnapshot(redis_server, prefix)
    for number in range(300):
        snapshot.write(availability(f"SKU-{number:03d}", 1))
    stats = snapshot.client.info("commandstats")
    mget_before = stats.get("cmdstat_mget", {}).get("calls", 0)

    async def scenario() -> int:
        async with snapshot.reader() as reader:
            found = await reader.get_many([f"SKU-{n:03d}" for n in range(300)])
            return sum(entry is not None for entry in found.values())

    assert asyncio.run(scenario()) == 300
    assert snapshot.client.info("commandstats")["cmdstat_mget"]["calls"] - mget_before == 1
    snapshot.client.close()


def test_the_stored_form_is_one_compact_json_string_per_sku(client: redis.Redis, prefix: str) -> None:
    writer = SnapshotWriter(client, prefix, clock_ms=lambda: FLUSHED_AT_MS)
    writer.stage(availability("SPOON-1", 4))
    writer.flush()

    raw = client.get(SnapshotKeys(prefix).availability("SPOON-1"))

    assert client.type(SnapshotKeys(prefix).availability("SPOON-1")) == b"string"
    assert json.loads(raw)["version"] == 4 and b" " not in raw  # type: ignore[arg-type,operator]


def test_the_caller_may_give_the_flush_time(client: redis.Redis, prefix: str) -> None:
    writer = SnapshotWriter(client, prefix)
    writer.stage(availability("CUP-1", 1))

    result = writer.flush(now_ms=FLUSHED_AT_MS + 1)

    assert [entry.written_at_ms for entry in result.entries] == [FLUSHED_AT_MS + 1]
    assert not result.redis_unavailable and result.ok


@pytest.mark.parametrize("stored_value", [b"garbage", b'{"sku":"OTHER-SKU","version":1,"as_of_ms":1,'
                                                      b'"written_at_ms":1,"total_available":1,"locations":{},'
                                                      b'"source_offsets":{}}'])
def test_a_value_that_is_not_this_skus_entry_is_reported_unreadable(client: redis.Redis, prefix: str,
                                                                    stored_value: bytes,
                                                                    redis_server: devstack.RedisServer) -> None:
    client.set(SnapshotKeys(prefix).availability("CUP-2"), stored_value)

    snapshot = RedisSnapshot(redis_server, prefix)

    async def scenario() -> None:
        async with snapshot.reader() as reader:
            await reader.get("CUP-2")

    with pytest.raises(SnapshotEntryUnreadable, match="CUP-2"):
        asyncio.run(scenario())
    snapshot.client.close()
