"""The reader contract against the in-memory snapshot (the unit-test and benchmark stand-in for Redis)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest

from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.memory import DictAvailabilityReader
from streams.snapshot.reader import AvailabilityReader
from tests.unit.snapshot.reader_contract import FLUSHED_AT_MS, ReaderContract


class InMemorySnapshot:
    def __init__(self) -> None:
        self.store = DictAvailabilityReader()

    def write(self, entry: AvailabilityEntry, at_ms: int = FLUSHED_AT_MS) -> None:
        self.store.put(replace(entry, written_at_ms=at_ms))
        self.store.heartbeat_ms = at_ms

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AvailabilityReader]:
        yield self.store

    @asynccontextmanager
    async def unreachable_reader(self) -> AsyncIterator[AvailabilityReader]:
        down = DictAvailabilityReader()
        down.reachable = False
        yield down


class TestDictAvailabilityReader(ReaderContract):
    @pytest.fixture
    def snapshot(self) -> InMemorySnapshot:
        return InMemorySnapshot()
