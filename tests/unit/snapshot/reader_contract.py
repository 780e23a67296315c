"""One behaviour for every AvailabilityReader: subclass ReaderContract and provide the `snapshot` fixture.

Run against the in-memory reader (tests/unit/snapshot/test_memory_reader.py) and the Redis reader over a real
redis-server (tests/integration/test_snapshot_redis.py).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

import pytest

from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.keys import InvalidSku
from streams.snapshot.reader import AvailabilityReader, SnapshotUnavailable

T = TypeVar("T")
FLUSHED_AT_MS = 1_795_700_000_500


class SnapshotUnderTest(Protocol):
    def write(self, entry: AvailabilityEntry, at_ms: int = FLUSHED_AT_MS) -> None:
        """Through the implementation's own write path; stamps written_at_ms and the writer heartbeat."""

    def reader(self) -> AbstractAsyncContextManager[AvailabilityReader]: ...

    def unreachable_reader(self) -> AbstractAsyncContextManager[AvailabilityReader]: ...


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(scenario())  # type: ignore[arg-type]


def availability(sku: str, version: int, east: int = 5, west: int = 2) -> AvailabilityEntry:
    return AvailabilityEntry(sku, version, as_of_ms=1_795_700_000_000 + version, total_available=east + west,
                             locations={"EAST": east, "WEST": west}, source_offsets={"inventory-commands:3": 40})


class ReaderContract:
    @pytest.fixture
    def snapshot(self) -> SnapshotUnderTest:
        raise NotImplementedError("subclasses provide the snapshot under test")

    def test_an_unknown_sku_has_no_entry(self, snapshot: SnapshotUnderTest) -> None:
        async def scenario() -> AvailabilityEntry | None:
            async with snapshot.reader() as reader:
                return await reader.get("NEVER-STOCKED")

        assert run(scenario) is None

    def test_a_written_entry_reads_back_stamped_with_its_flush_time(self, snapshot: SnapshotUnderTest) -> None:
        written = availability("RETRO-CLOCK", 3)
        snapshot.write(written, at_ms=FLUSHED_AT_MS)

        async def scenario() -> AvailabilityEntry | None:
            async with snapshot.reader() as reader:
                return await reader.get("RETRO-CLOCK")

        read = run(scenario)

        assert read is not None
        assert read.written_at_ms == FLUSHED_AT_MS
        assert (read.sku, read.version, read.total_available, read.locations, read.source_offsets, read.as_of_ms) == (
            "RETRO-CLOCK", 3, 7, {"EAST": 5, "WEST": 2}, {"inventory-commands:3": 40}, written.as_of_ms)

    def test_a_batch_answers_every_sku_once_in_request_order(self, snapshot: SnapshotUnderTest) -> None:
        snapshot.write(availability("LAMP/2", 1))
        snapshot.write(availability("SPOON-1", 4))

        async def scenario() -> dict[str, AvailabilityEntry | None]:
            async with snapshot.reader() as reader:
                return await reader.get_many(["SPOON-1", "UNKNOWN-9", "LAMP/2", "SPOON-1"])

        found = run(scenario)

        assert list(found) == ["SPOON-1", "UNKNOWN-9", "LAMP/2"]
        assert found["UNKNOWN-9"] is None
        assert found["SPOON-1"] is not None and found["SPOON-1"].version == 4
        assert found["LAMP/2"] is not None and found["LAMP/2"].version == 1

    def test_an_empty_batch_answers_nothing(self, snapshot: SnapshotUnderTest) -> None:
        async def scenario() -> dict[str, AvailabilityEntry | None]:
            async with snapshot.reader() as reader:
                return await reader.get_many([])

        assert run(scenario) == {}

    def test_an_older_version_written_later_does_not_replace_the_newer(self, snapshot: SnapshotUnderTest) -> None:
        snapshot.write(availability("CHAIR-7", 5, east=1))
        snapshot.write(availability("CHAIR-7", 4, east=9))

        async def scenario() -> AvailabilityEntry | None:
            async with snapshot.reader() as reader:
                return await reader.get("CHAIR-7")

        read = run(scenario)

        assert read is not None and (read.version, read.locations["EAST"]) == (5, 1)

    def test_waiting_for_a_visible_version_answers_at_once(self, snapshot: SnapshotUnderTest) -> None:
        snapshot.write(availability("DESK-1", 8))

        async def scenario() -> tuple[AvailabilityEntry | None, float]:
            async with snapshot.reader() as reader:
                started = time.monotonic()
                entry = await reader.wait_for_version("DESK-1", 7, timeout_ms=2_000)
                return entry, time.monotonic() - started

        entry, seconds = run(scenario)

        assert entry is not None and entry.version == 8
        assert seconds < 0.5

    def test_waiting_for_a_version_answers_once_it_is_written(self, snapshot: SnapshotUnderTest) -> None:
        snapshot.write(availability("SOFA-2", 1))

        async def write_later() -> None:
            await asyncio.sleep(0.05)
            await asyncio.to_thread(snapshot.write, availability("SOFA-2", 2))

        async def scenario() -> AvailabilityEntry | None:
            async with snapshot.reader() as reader:
                writing = asyncio.create_task(write_later())
                entry = await reader.wait_for_version("SOFA-2", 2, timeout_ms=3_000)
                await writing
                return entry

        entry = run(scenario)

        assert entry is not None and entry.version == 2

    def test_waiting_too_long_answers_what_is_visible(self, snapshot: SnapshotUnderTest) -> None:
        snapshot.write(availability("BED-3", 1))

        async def scenario() -> tuple[AvailabilityEntry | None, float]:
            async with snapshot.reader() as reader:
                started = time.monotonic()
                entry = await reader.wait_for_version("BED-3", 2, timeout_ms=60)
                return entry, time.monotonic() - started

        entry, seconds = run(scenario)

        assert entry is not None and entry.version == 1
        assert 0.05 <= seconds < 1.0

    def test_the_writer_heartbeat_is_the_last_flush_time(self, snapshot: SnapshotUnderTest) -> None:
        async def heartbeat() -> int | None:
            async with snapshot.reader() as reader:
                return await reader.writer_heartbeat_ms()

        before = run(heartbeat)
        snapshot.write(availability("STOOL-4", 1), at_ms=FLUSHED_AT_MS + 7)

        assert before is None
        assert run(heartbeat) == FLUSHED_AT_MS + 7

    @pytest.mark.parametrize("sku", ["../../etc/passwd", "a b", "x\r\nSET k v", "", "/abs", "a//b", "a/../b"])
    def test_a_sku_outside_the_pattern_never_becomes_a_key(self, snapshot: SnapshotUnderTest, sku: str) -> None:
        async def scenario() -> None:
            async with snapshot.reader() as reader:
                await reader.get(sku)

        with pytest.raises(InvalidSku):
            run(scenario)

    def test_an_unreachable_snapshot_says_so(self, snapshot: SnapshotUnderTest) -> None:
        async def scenario(call: str) -> None:
            async with snapshot.unreachable_reader() as reader:
                if call == "get":
                    await reader.get("DESK-1")
                elif call == "get_many":
                    await reader.get_many(["DESK-1", "DESK-2"])
                elif call == "heartbeat":
                    await reader.writer_heartbeat_ms()
                else:
                    await reader.check_reachable()

        for call in ("get", "get_many", "heartbeat", "check"):
            with pytest.raises(SnapshotUnavailable):
                asyncio.run(scenario(call))
