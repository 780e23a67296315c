"""The API's side of the snapshot: the reader port, its Redis adapter, and read-your-writes polling."""
from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from streams.snapshot.entry import AvailabilityEntry, UnreadableEntry
from streams.snapshot.keys import SnapshotKeys

POLL_FIRST_S = 0.005
POLL_MAX_S = 0.025
# Entries decoded by their stored bytes, as the checkout read model's items and prices are: the same bytes always
# decode to the same entry, and a rewritten entry is other bytes (the writer stamps written_at_ms), so a hit is
# never stale. A cart read takes its SKUs' entries straight from Redis in its one script call; without this each of
# them was parsed and checked again on every cart. Bounded like those (a few MB per API process).
DECODED_ENTRIES = 16_384


class SnapshotUnavailable(RuntimeError):
    """Redis cannot be reached, so no availability can be given.

    Operator action: check Redis (DISTFLOW_REDIS_URL, network, auth, memory); the API recovers by itself when
    Redis answers again, and the workers re-send every entry they could not write.
    """


class ApiAtCapacity(SnapshotUnavailable):
    """Redis is fine but every pooled connection stayed busy for the whole Redis timeout: this API process is
    overloaded (CPU-bound or too few replicas), so it sheds the request.

    Operator action: add API replicas or CPU (the API's CPU and request rate metrics show it); not a Redis problem.
    """


def unavailable(error: Exception, reading: str) -> SnapshotUnavailable:
    """The outage to raise for a Redis client error while reading `reading` (e.g. "the snapshot")."""
    if isinstance(error, RedisConnectionError) and str(error) == "No connection available.":
        return ApiAtCapacity(f"no pooled Redis connection came free within the Redis timeout reading {reading}: "
                             "this API process is at capacity")
    return SnapshotUnavailable(f"Redis unreachable reading {reading}: {type(error).__name__}")


class SnapshotEntryUnreadable(RuntimeError):
    """A SKU's value in Redis is not an entry this code wrote.

    Operator action: inspect the key; the next write of that SKU by a worker replaces it.
    """

    def __init__(self, sku: str, reason: str) -> None:
        super().__init__(f"snapshot entry of SKU {sku!r} is unreadable: {reason}")
        self.sku = sku


class AvailabilityReader(ABC):
    """Read access to the availability snapshot. Every implementation passes tests/unit/snapshot/reader_contract."""

    @abstractmethod
    async def get_many(self, skus: Sequence[str]) -> dict[str, AvailabilityEntry | None]:
        """Every requested SKU (once each, in request order) → its entry, or None if the snapshot has none."""

    @abstractmethod
    async def writer_heartbeat_ms(self) -> int | None:
        """Wall-clock ms of the last flush a writer completed, None if no writer ever flushed."""

    @abstractmethod
    async def check_reachable(self) -> None:
        """Return when the snapshot store answers; raise SnapshotUnavailable otherwise."""

    async def get(self, sku: str) -> AvailabilityEntry | None:
        return (await self.get_many([sku]))[sku]

    async def start(self) -> None:
        """Called once the API's event loop runs (e.g. the near cache starts listening for invalidations)."""

    async def stop(self) -> None:
        """Called when the API shuts down."""

    def near_cache_status(self) -> Any:
        """The near cache's state for /readyz (streams.snapshot.near_cache.NearCacheStatus), None without one."""
        return None

    async def wait_for_version(self, sku: str, min_version: int, timeout_ms: int) -> AvailabilityEntry | None:
        """The SKU's entry once its version is ≥ min_version, or — after timeout_ms — whatever is visible then."""
        deadline = time.monotonic() + timeout_ms / 1000
        pause = POLL_FIRST_S
        while True:
            entry = await self.get(sku)
            remaining = deadline - time.monotonic()
            if (entry is not None and entry.version >= min_version) or remaining <= 0:
                return entry
            await asyncio.sleep(min(pause, remaining))
            pause = min(pause * 2, POLL_MAX_S)


class RedisAvailabilityReader(AvailabilityReader):
    """One MGET per batch. Give the client short timeouts and few retries (streams.snapshot.connection)."""

    def __init__(self, client: aioredis.Redis, key_prefix: str) -> None:
        self._client = client
        self._keys = SnapshotKeys(key_prefix)

    async def get_many(self, skus: Sequence[str]) -> dict[str, AvailabilityEntry | None]:
        unique_skus = list(dict.fromkeys(skus))
        if not unique_skus:
            return {}
        keys = [self._keys.availability(sku) for sku in unique_skus]
        try:
            values = await self._client.mget(keys)
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise unavailable(error, "the snapshot") from error
        return {sku: decoded_entry(sku, raw) for sku, raw in zip(unique_skus, values)}

    async def writer_heartbeat_ms(self) -> int | None:
        try:
            raw = await self._client.get(self._keys.writer_heartbeat)
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise unavailable(error, "the heartbeat") from error
        try:
            return int(raw) if raw is not None else None
        except ValueError:
            return None

    async def check_reachable(self) -> None:
        try:
            await self._client.ping()
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise SnapshotUnavailable(f"Redis does not answer PING: {type(error).__name__}") from error


def decoded_entry(sku: str, raw: bytes | str | None) -> AvailabilityEntry | None:
    """The SKU's entry from its raw Redis value (None: no entry); SnapshotEntryUnreadable if it is not one."""
    if raw is None:
        return None
    try:
        entry = _entry_of(raw)
    except UnreadableEntry as error:
        raise SnapshotEntryUnreadable(sku, str(error)) from error
    if entry.sku != sku:
        raise SnapshotEntryUnreadable(sku, f"it holds SKU {entry.sku!r}")
    return entry


@lru_cache(maxsize=DECODED_ENTRIES)
def _entry_of(raw: bytes | str) -> AvailabilityEntry:
    return AvailabilityEntry.from_json(raw)
