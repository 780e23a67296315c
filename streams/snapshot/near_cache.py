"""A near cache of availability entries in the API process, kept fresh by Redis's invalidation messages.

Redis (≥ 6) tracks the key prefix `{prefix}availability:` for one dedicated connection (CLIENT TRACKING ON BCAST
PREFIX …, RESP2, REDIRECT to itself, then SUBSCRIBE `__redis__:invalidate`) and sends that connection the name of
every key of the prefix that changes (written, deleted, expired, evicted), or a null list when the database is
flushed. The cache holds decoded entries, so a hit costs no Redis round trip and no JSON parse.

Rules that keep it correct (docs/api.md, Freshness):
* An entry is served from the cache only while the tracking connection is up. When it drops, errors or stops
  answering PING, the cache is emptied and every read goes to Redis until tracking is established again; only
  reads that *started* after that are cached.
* A read whose key is invalidated while the read is in flight is answered but not cached: its value may predate the
  change (the reply and the invalidation come on different connections, in either order). Each invalidation
  advances a sequence number; a read remembers the number it started at and stores a key only if the key was not
  invalidated after that (NearCache.begin / finish).
* A flush (null key list) empties the cache and nothing read before it is stored.
* Bounded: at most max_entries entries, the longest stored evicted first (FIFO: a hit is one dict lookup and
  writes nothing; moving the entry to the end on every hit, as an LRU does, cost ~10 % of a 100-SKU request's CPU
  with 50,000 entries). A hot SKU that is evicted is read once from Redis and stored again as the newest.
* Refresh ahead (optional): a cached key that is invalidated is read again from Redis in the background (one MGET
  for all keys invalidated meanwhile) and stored by the same rules, so the next request for it is a hit instead of
  a Redis round trip. A request for many SKUs otherwise pays a round trip whenever any one of them was written
  since it was last read. Costs Redis one read per write of a cached key per API process.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.keys import SnapshotKeys
from streams.snapshot.reader import AvailabilityReader, SnapshotEntryUnreadable, SnapshotUnavailable

log = logging.getLogger("distflow.api.near_cache")

INVALIDATION_CHANNEL = b"__redis__:invalidate"
HEALTH_CHECK_INTERVAL_S = 1.0  # an idle tracking connection is PINGed this often
RECONNECT_FIRST_S = 0.05
RECONNECT_MAX_S = 2.0
REFRESH_BATCH = 1_000  # most keys one refresh-ahead MGET reads
# Refreshes are paced to at most this many keys a second per API process (~5 us of CPU each): a burst of writes (a
# bulk ERP sync) must not take the event loop from requests. Keys beyond it wait; a request reads them meanwhile.
REFRESH_MAX_PER_S = 5_000.0
RESET_CONNECTION_LOST = "connection_lost"
RESET_FLUSHED = "flushed"
_ABSENT = object()  # not in the cache (None in the cache: Redis has no entry for the SKU)


class NearCache:
    """The cache and its invalidation bookkeeping: pure and synchronous (one event loop drives it).

    A read does `token = begin()`, fetches from Redis, then `finish(token, fetched)`, also on failure
    (`finish(token, {})`). Invalidations (`invalidate`, `invalidate_all`) and tracking changes (`set_tracking`) may
    come in between, and then decide what finish stores.
    """

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("a near cache holds at least one entry (0 means: no near cache)")
        self.max_entries = max_entries
        self.tracking = False
        self._entries: OrderedDict[str, AvailabilityEntry | None] = OrderedDict()
        self._seq = 0  # advanced by every invalidation and every reset
        self._floor = 0  # reads that began before this sequence number store nothing
        self._invalidated_at: dict[str, int] = {}  # SKU → seq of its last invalidation while reads were in flight
        self._in_flight = 0
        self._stale: dict[str, None] = {}  # cached keys invalidated since, to read again ahead of requests
        self.refresh_ahead = False
        self.on_stale: Callable[[], None] | None = None  # called when a key becomes stale (the refresher's wake-up)
        # counters, read by the metrics collector (streams/api/metrics.py) at scrape time
        self.hits = 0
        self.misses = 0  # looked up while tracking, read from Redis
        self.bypassed = 0  # read from Redis because tracking is down
        self.invalidations = 0  # keys named by invalidation messages
        self.not_stored_in_flight = 0  # read from Redis but invalidated while the read was in flight
        self.refreshed = 0  # keys read again ahead of requests after their invalidation
        self.resets: dict[str, int] = {RESET_CONNECTION_LOST: 0, RESET_FLUSHED: 0}

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, skus: Sequence[str]) -> tuple[dict[str, AvailabilityEntry | None], list[str]]:
        """(the cached SKUs → entry or None, the SKUs to read from Redis). Counts hits, misses and bypasses."""
        if not self.tracking:
            self.bypassed += len(skus)
            return {}, list(skus)
        entries = self._entries
        found: dict[str, AvailabilityEntry | None] = {}
        missing: list[str] = []
        for sku in skus:
            entry = entries.get(sku, _ABSENT)
            if entry is _ABSENT:
                missing.append(sku)
            else:
                found[sku] = entry  # type: ignore[assignment]
        self.hits += len(found)
        self.misses += len(missing)
        return found, missing

    def begin(self) -> int:
        """Before a read goes to Redis: its token (the sequence number it started at)."""
        self._in_flight += 1
        return self._seq

    def finish(self, token: int, fetched: Mapping[str, AvailabilityEntry | None], *, refresh: bool = False) -> None:
        """After the read's reply (or failure: nothing fetched): store what is still known to be current. A refresh
        whose key was invalidated again while it was in flight marks the key stale again."""
        self._in_flight -= 1
        if fetched and self.tracking and token >= self._floor:
            invalidated_at = self._invalidated_at
            entries = self._entries
            for sku, entry in fetched.items():
                if invalidated_at.get(sku, -1) > token:
                    self.not_stored_in_flight += 1
                    if refresh:
                        self._mark_stale(sku)
                    continue
                entries[sku] = entry
                entries.move_to_end(sku)
            while len(entries) > self.max_entries:
                entries.popitem(last=False)
        if self._in_flight == 0 and self._invalidated_at:
            self._invalidated_at.clear()  # no read in flight can be affected by what it records

    def invalidate(self, skus: Iterable[str]) -> None:
        """These SKUs changed in Redis: forget them; reads of them in flight now will not be stored."""
        self._seq += 1
        seq = self._seq
        entries = self._entries
        remember = self._in_flight > 0
        refresh = self.refresh_ahead
        count = 0
        for sku in skus:
            count += 1
            if entries.pop(sku, _ABSENT) is not _ABSENT and refresh:
                self._mark_stale(sku)
            if remember:
                self._invalidated_at[sku] = seq
        self.invalidations += count
        if len(self._invalidated_at) > max(1_024, self.max_entries):
            # bounded bookkeeping: forget the per-key record and let no read in flight now store anything
            self._invalidated_at.clear()
            self._floor = seq + 1
            self._seq = seq + 1

    def _mark_stale(self, sku: str) -> None:
        stale = self._stale
        if not stale and self.on_stale is not None:
            self.on_stale()
        stale[sku] = None

    def take_stale(self, limit: int) -> list[str]:
        """Up to `limit` keys to read again (oldest invalidation first), no longer stale once taken; a key a
        request has read back into the cache meanwhile is dropped, not taken."""
        stale, entries = self._stale, self._entries
        taken: list[str] = []
        while stale and len(taken) < limit:
            sku = next(iter(stale))
            del stale[sku]
            if sku not in entries:
                taken.append(sku)
        return taken

    @property
    def stale(self) -> int:
        return len(self._stale)

    def invalidate_all(self) -> None:
        """The database was flushed: forget everything; no read in flight now will be stored."""
        self.resets[RESET_FLUSHED] += 1
        self._reset()

    def set_tracking(self, tracking: bool) -> None:
        """Tracking established (True) or lost (False): either way start empty; reads in flight store nothing.
        While False, lookup sends every read to Redis and finish stores nothing."""
        if self.tracking and not tracking:
            self.resets[RESET_CONNECTION_LOST] += 1
        self.tracking = tracking
        self._reset()

    def _reset(self) -> None:
        self._entries.clear()
        self._stale.clear()
        self._invalidated_at.clear()
        self._seq += 1
        self._floor = self._seq


class TrackingLost(ConnectionError):
    """The tracking connection stopped answering or answered something unexpected."""


class InvalidationListener:
    """Owns the tracking connection: establishes it, feeds its invalidation messages to the cache, PINGs it when
    idle, and on any failure empties the cache (bypass) and reconnects with a capped backoff.

    before_connect: awaited before every connection attempt but the first (tests hold reconnection with it).
    """

    def __init__(self, client: aioredis.Redis, key_prefix: str, cache: NearCache, *, answer_timeout_s: float,
                 health_check_interval_s: float = HEALTH_CHECK_INTERVAL_S,
                 before_connect: Callable[[], Awaitable[None]] | None = None) -> None:
        self._client = client
        self._prefix = SnapshotKeys(key_prefix).availability_prefix.encode()
        self._cache = cache
        self._answer_timeout_s = answer_timeout_s
        self._idle_s = health_check_interval_s
        self._before_connect = before_connect
        self.client_id: int | None = None  # the tracking connection's CLIENT ID while connected
        self.last_error = ""

    def _new_connection(self) -> Any:
        """A connection of its own with the data client's address, credentials and TLS, speaking RESP2 (so the
        invalidations arrive as pub/sub messages whatever the data client's protocol)."""
        pool = self._client.connection_pool
        options = dict(pool.connection_kwargs)
        options.pop("maint_notifications_pool_handler", None)  # bound to the pool's own connections
        options["protocol"] = 2
        return pool.connection_class(**options)

    async def run(self) -> None:
        """Until cancelled."""
        pause = RECONNECT_FIRST_S
        attempt = 0
        while True:
            if attempt and self._before_connect is not None:
                await self._before_connect()
            attempt += 1
            connection = self._new_connection()
            try:
                await self._establish(connection)
                self._cache.set_tracking(True)
                pause = RECONNECT_FIRST_S
                log.info("near cache: tracking %s* (client id %s)", self._prefix.decode(), self.client_id)
                await self._listen(connection)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 — any failure: bypass the cache, reconnect
                reason = f"{type(error).__name__}: {error}"
                if self._cache.tracking or reason != self.last_error:
                    log.warning("near cache: invalidation tracking down, reading Redis for every request until it "
                                "is back (%s)", reason)
                self.last_error = reason
            finally:
                self._cache.set_tracking(False)
                self.client_id = None
                try:
                    await connection.disconnect(nowait=True)
                except Exception:  # noqa: BLE001 — already broken; nothing to keep
                    pass
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECONNECT_MAX_S)

    async def _establish(self, connection: Any) -> None:
        timeout = self._answer_timeout_s
        await connection.connect()
        await connection.send_command("CLIENT", "ID")
        client_id = int(await connection.read_response(timeout=timeout) or 0)
        if not client_id:
            raise TrackingLost("no answer to CLIENT ID")
        await connection.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST",
                                      "PREFIX", self._prefix)
        answer = await connection.read_response(timeout=timeout)
        if answer not in (b"OK", "OK"):
            raise TrackingLost(f"CLIENT TRACKING answered {answer!r}")
        await connection.send_command("SUBSCRIBE", INVALIDATION_CHANNEL)
        answer = await connection.read_response(timeout=timeout)
        if not (isinstance(answer, list) and answer and _text(answer[0]) == "subscribe"):
            raise TrackingLost(f"SUBSCRIBE answered {answer!r}")
        self.client_id = client_id

    async def _listen(self, connection: Any) -> None:
        ping_sent = False
        while True:
            message = await connection.read_response(
                timeout=self._answer_timeout_s if ping_sent else self._idle_s)
            if message is None:  # nothing within the timeout
                if ping_sent:
                    raise TrackingLost("no answer to PING")
                await connection.send_command("PING")
                ping_sent = True
                continue
            kind = _text(message[0]) if isinstance(message, list) and message else ""
            if kind == "pong":
                ping_sent = False
            elif kind == "message" and len(message) == 3:
                self._invalidated(message[2])
            elif kind not in ("subscribe", "unsubscribe"):
                raise TrackingLost(f"unexpected message on the tracking connection: {message!r}")

    def _invalidated(self, keys: list[bytes] | None) -> None:
        if keys is None:
            self._cache.invalidate_all()
            return
        prefix, size = self._prefix, len(self._prefix)
        self._cache.invalidate(_sku(key, size) for key in keys if key.startswith(prefix))


def _sku(key: bytes | str, prefix_size: int) -> str:
    rest = key[prefix_size:]
    return rest.decode() if isinstance(rest, bytes) else rest


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class NearCacheStatus:
    enabled: bool
    tracking: bool
    entries: int
    max_entries: int

    def as_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "tracking": self.tracking, "entries": self.entries,
                "max_entries": self.max_entries}


class NearCachedAvailabilityReader(AvailabilityReader):
    """Availability from the near cache, Redis for what it does not hold (one MGET of the misses)."""

    def __init__(self, inner: AvailabilityReader, client: aioredis.Redis, key_prefix: str, max_entries: int, *,
                 answer_timeout_s: float, health_check_interval_s: float = HEALTH_CHECK_INTERVAL_S,
                 refresh_ahead: bool = True, refresh_max_per_s: float = REFRESH_MAX_PER_S,
                 before_connect: Callable[[], Awaitable[None]] | None = None,
                 after_fetch: Callable[[Sequence[str]], Awaitable[None]] | None = None) -> None:
        """after_fetch: a test hook awaited between a read's Redis reply and its storing in the cache."""
        self._inner = inner
        self.cache = NearCache(max_entries)
        self.cache.refresh_ahead = refresh_ahead
        self.cache.on_stale = self._stale_keys_waiting
        self.listener = InvalidationListener(client, key_prefix, self.cache, answer_timeout_s=answer_timeout_s,
                                             health_check_interval_s=health_check_interval_s,
                                             before_connect=before_connect)
        self._after_fetch = after_fetch
        self._tasks: list[asyncio.Task[None]] = []
        self._stale_waiting = asyncio.Event()
        self._refresh_max_per_s = refresh_max_per_s
        self._sleep = asyncio.sleep  # tests pace without waiting

    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self.listener.run(), name="near-cache-invalidations")]
            if self.cache.refresh_ahead:
                self._tasks.append(asyncio.create_task(self._refresh_ahead(), name="near-cache-refresh-ahead"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass

    def _stale_keys_waiting(self) -> None:
        self._stale_waiting.set()

    async def _refresh_ahead(self) -> None:
        """Read invalidated keys again, one MGET of up to REFRESH_BATCH at a time, until none is stale; paced to
        refresh_max_per_s keys a second."""
        cache = self.cache
        while True:
            await self._stale_waiting.wait()
            self._stale_waiting.clear()
            while cache.stale:
                skus = cache.take_stale(REFRESH_BATCH)
                if not skus:  # every stale key was read back by a request meanwhile
                    break
                token = cache.begin()
                fetched: dict[str, AvailabilityEntry | None] = {}
                try:
                    fetched = await self._inner.get_many(skus)
                except (SnapshotUnavailable, SnapshotEntryUnreadable) as error:
                    # not fatal: those keys are read by the next request for them, which reports the problem
                    log.debug("near cache: refresh ahead of %d key(s) failed: %s", len(skus), error)
                finally:
                    cache.finish(token, fetched, refresh=True)
                cache.refreshed += len(fetched)
                await self._sleep(len(skus) / self._refresh_max_per_s)

    async def get_many(self, skus: Sequence[str]) -> dict[str, AvailabilityEntry | None]:
        unique_skus = list(dict.fromkeys(skus))
        cache = self.cache
        found, missing = cache.lookup(unique_skus)
        if not missing:
            return found
        token = cache.begin()
        fetched: dict[str, AvailabilityEntry | None] = {}
        try:
            fetched = await self._inner.get_many(missing)
            if self._after_fetch is not None:
                await self._after_fetch(missing)
        finally:
            cache.finish(token, fetched)
        if not found:
            return fetched
        return {sku: found[sku] if sku in found else fetched[sku] for sku in unique_skus}

    async def wait_for_version(self, sku: str, min_version: int, timeout_ms: int) -> AvailabilityEntry | None:
        """A cached entry older than the caller's version goes to Redis: the caller knows of a write whose
        invalidation may still be on its way."""
        entry = await self.get(sku)
        if entry is not None and entry.version >= min_version:
            return entry
        return await self._inner.wait_for_version(sku, min_version, timeout_ms)

    async def writer_heartbeat_ms(self) -> int | None:
        return await self._inner.writer_heartbeat_ms()

    async def check_reachable(self) -> None:
        await self._inner.check_reachable()

    def near_cache_status(self) -> NearCacheStatus:
        return NearCacheStatus(True, self.cache.tracking, len(self.cache), self.cache.max_entries)
