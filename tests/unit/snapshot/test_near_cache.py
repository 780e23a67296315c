"""The near cache's bookkeeping (streams/snapshot/near_cache.py) without Redis: what a read may store, when."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.memory import DictAvailabilityReader
from streams.snapshot.near_cache import RESET_CONNECTION_LOST, RESET_FLUSHED, NearCache, NearCachedAvailabilityReader
from tests.unit.snapshot.reader_contract import availability


def tracking_cache(max_entries: int = 100) -> NearCache:
    cache = NearCache(max_entries)
    cache.set_tracking(True)
    return cache


def read(cache: NearCache, *entries: AvailabilityEntry) -> None:
    """A whole read that misses and stores, with nothing in between."""
    token = cache.begin()
    cache.finish(token, {entry.sku: entry for entry in entries})


def cached(cache: NearCache, sku: str) -> AvailabilityEntry | None | str:
    found, missing = cache.lookup([sku])
    return "miss" if missing else found[sku]


def test_a_stored_read_is_a_hit_until_its_key_is_invalidated() -> None:
    cache = tracking_cache()
    read(cache, availability("LAMP-1", 3))

    first = cached(cache, "LAMP-1")
    cache.invalidate(["LAMP-1"])
    after = cached(cache, "LAMP-1")

    assert isinstance(first, AvailabilityEntry) and first.version == 3
    assert after == "miss"
    assert (cache.hits, cache.misses, cache.invalidations) == (1, 1, 1)


def test_a_sku_redis_has_no_entry_for_is_cached_as_none() -> None:
    cache = tracking_cache()
    token = cache.begin()
    cache.finish(token, {"GHOST": None})

    assert cached(cache, "GHOST") is None


def test_a_read_whose_key_is_invalidated_while_in_flight_is_not_stored() -> None:
    cache = tracking_cache()
    token = cache.begin()
    cache.invalidate(["LAMP-1"])  # the write's invalidation arrives before the (older) reply
    cache.finish(token, {"LAMP-1": availability("LAMP-1", 1), "DESK-2": availability("DESK-2", 1)})

    assert cached(cache, "LAMP-1") == "miss"
    assert isinstance(cached(cache, "DESK-2"), AvailabilityEntry)  # not invalidated: stored
    assert cache.not_stored_in_flight == 1


def test_of_two_overlapping_reads_only_the_one_started_after_the_invalidation_stores() -> None:
    cache = tracking_cache()
    before = cache.begin()
    cache.invalidate(["LAMP-1"])
    after = cache.begin()
    cache.finish(after, {"LAMP-1": availability("LAMP-1", 2)})
    cache.finish(before, {"LAMP-1": availability("LAMP-1", 1)})  # older value, replied last

    entry = cached(cache, "LAMP-1")
    assert isinstance(entry, AvailabilityEntry) and entry.version == 2


def test_an_invalidation_received_before_the_read_began_does_not_stop_storing() -> None:
    cache = tracking_cache()
    busy = cache.begin()  # another read in flight, so the invalidation is recorded
    cache.invalidate(["LAMP-1"])
    token = cache.begin()
    cache.finish(token, {"LAMP-1": availability("LAMP-1", 2)})
    cache.finish(busy, {})

    assert isinstance(cached(cache, "LAMP-1"), AvailabilityEntry)


def test_nothing_is_stored_or_served_while_tracking_is_down() -> None:
    cache = tracking_cache()
    read(cache, availability("LAMP-1", 1))
    in_flight = cache.begin()

    cache.set_tracking(False)
    cache.finish(in_flight, {"DESK-2": availability("DESK-2", 1)})
    read(cache, availability("STOOL-3", 1))
    down = cache.lookup(["LAMP-1", "DESK-2"])

    assert down == ({}, ["LAMP-1", "DESK-2"])
    assert (len(cache), cache.bypassed, cache.resets[RESET_CONNECTION_LOST]) == (0, 2, 1)


def test_a_read_begun_before_tracking_came_back_is_not_stored() -> None:
    cache = NearCache(100)
    before = cache.begin()  # while tracking was down: an invalidation may have been missed
    cache.set_tracking(True)
    cache.finish(before, {"LAMP-1": availability("LAMP-1", 1)})
    read(cache, availability("DESK-2", 1))

    assert cached(cache, "LAMP-1") == "miss"
    assert isinstance(cached(cache, "DESK-2"), AvailabilityEntry)


def test_a_flush_empties_the_cache_and_stops_reads_in_flight_from_storing() -> None:
    cache = tracking_cache()
    read(cache, availability("LAMP-1", 1), availability("DESK-2", 1))
    in_flight = cache.begin()

    cache.invalidate_all()
    cache.finish(in_flight, {"STOOL-3": availability("STOOL-3", 1)})

    assert len(cache) == 0
    assert cache.resets[RESET_FLUSHED] == 1 and cache.tracking


def test_the_cache_holds_at_most_max_entries_and_evicts_the_longest_stored_whatever_was_hit_since() -> None:
    cache = tracking_cache(max_entries=3)
    read(cache, *(availability(sku, 1) for sku in ("A-1", "B-1", "C-1")))
    cached(cache, "A-1")  # a hit does not reorder (FIFO)
    read(cache, availability("D-1", 1))

    assert len(cache) == 3
    assert cached(cache, "A-1") == "miss"
    assert all(isinstance(cached(cache, sku), AvailabilityEntry) for sku in ("B-1", "C-1", "D-1"))


def test_an_entry_stored_again_counts_as_the_newest() -> None:
    cache = tracking_cache(max_entries=3)
    read(cache, *(availability(sku, 1) for sku in ("A-1", "B-1", "C-1")))
    read(cache, availability("A-1", 2))  # read from Redis again (after an invalidation, or a refresh)
    read(cache, availability("D-1", 1))

    assert cached(cache, "B-1") == "miss"
    assert all(isinstance(cached(cache, sku), AvailabilityEntry) for sku in ("A-1", "C-1", "D-1"))


def test_the_per_key_invalidation_record_is_bounded_and_stays_correct() -> None:
    cache = tracking_cache(max_entries=10)
    in_flight = cache.begin()
    cache.invalidate([f"SKU-{n}" for n in range(5_000)])  # over the record's bound (1,024)

    cache.invalidate(["SKU-1"])
    assert len(cache._invalidated_at) <= 1_024
    cache.finish(in_flight, {"OTHER-1": availability("OTHER-1", 1)})  # may have missed anything: stores nothing
    read(cache, availability("SKU-1", 2))

    assert cached(cache, "OTHER-1") == "miss"
    assert isinstance(cached(cache, "SKU-1"), AvailabilityEntry)


def test_the_invalidation_record_is_forgotten_once_no_read_is_in_flight() -> None:
    cache = tracking_cache()
    token = cache.begin()
    cache.invalidate(["LAMP-1", "DESK-2"])
    assert len(cache._invalidated_at) == 2
    cache.finish(token, {})

    cache.invalidate(["STOOL-3"])  # nothing in flight: nothing to remember

    assert cache._invalidated_at == {}


class SlowDict(DictAvailabilityReader):
    """The in-memory snapshot whose reads can be held open, to interleave an invalidation."""

    def __init__(self, *entries: AvailabilityEntry) -> None:
        super().__init__(entries)
        self.reads: list[list[str]] = []

    async def get_many(self, skus: Sequence[str]) -> dict[str, AvailabilityEntry | None]:
        self.reads.append(list(skus))
        return await super().get_many(skus)


def near_cached(inner: DictAvailabilityReader, max_entries: int = 100) -> NearCachedAvailabilityReader:
    reader = NearCachedAvailabilityReader(inner, None, "t:", max_entries, answer_timeout_s=0.3)  # type: ignore[arg-type]
    reader.cache.set_tracking(True)  # as the (unstarted) listener would once tracking is established
    return reader


def test_a_batch_of_hits_and_misses_answers_in_request_order_and_reads_only_the_misses() -> None:
    inner = SlowDict(availability("A-1", 1), availability("B-1", 1), availability("C-1", 1))
    reader = near_cached(inner)

    async def scenario() -> list[list[str]]:
        await reader.get_many(["B-1"])
        answers = [list(await reader.get_many(["C-1", "B-1", "GHOST", "A-1", "B-1"]))]
        answers.append(list(await reader.get_many(["GHOST", "A-1"])))
        return answers

    answers = asyncio.run(scenario())

    assert answers == [["C-1", "B-1", "GHOST", "A-1"], ["GHOST", "A-1"]]
    assert inner.reads == [["B-1"], ["C-1", "GHOST", "A-1"]]  # the last batch was all hits


def test_read_your_writes_goes_to_the_store_when_the_cached_version_is_older() -> None:
    inner = SlowDict(availability("A-1", 1))
    reader = near_cached(inner)

    async def scenario() -> AvailabilityEntry | None:
        await reader.get("A-1")
        inner.put(availability("A-1", 2))  # the invalidation is still on its way
        return await reader.wait_for_version("A-1", 2, timeout_ms=50)

    entry = asyncio.run(scenario())

    assert entry is not None and entry.version == 2


def test_a_failed_read_stores_nothing_and_leaves_no_read_in_flight() -> None:
    inner = SlowDict(availability("A-1", 1))
    reader = near_cached(inner)
    inner.reachable = False

    async def scenario() -> None:
        try:
            await reader.get("A-1")
        except Exception:  # noqa: BLE001 — SnapshotUnavailable, as without the cache
            pass

    asyncio.run(scenario())

    assert len(reader.cache) == 0 and reader.cache._in_flight == 0


def refreshing_cache(max_entries: int = 100) -> NearCache:
    cache = tracking_cache(max_entries)
    cache.refresh_ahead = True
    return cache


def test_with_refresh_ahead_an_invalidated_cached_key_is_stale_and_an_uncached_one_is_not() -> None:
    cache = refreshing_cache()
    read(cache, availability("LAMP-1", 1))

    cache.invalidate(["LAMP-1", "NEVER-READ-2"])

    assert cached(cache, "LAMP-1") == "miss"
    assert cache.take_stale(10) == ["LAMP-1"] and cache.stale == 0


def test_without_refresh_ahead_nothing_becomes_stale() -> None:
    cache = tracking_cache()
    read(cache, availability("LAMP-1", 1))

    cache.invalidate(["LAMP-1"])

    assert cache.stale == 0


def test_stale_keys_are_taken_oldest_first_at_most_the_limit_at_a_time() -> None:
    cache = refreshing_cache()
    read(cache, *(availability(f"SKU-{n}", 1) for n in range(5)))
    cache.invalidate(["SKU-3", "SKU-1"])
    cache.invalidate(["SKU-4", "SKU-0"])

    assert cache.take_stale(3) == ["SKU-3", "SKU-1", "SKU-4"]
    assert cache.take_stale(3) == ["SKU-0"]


def test_a_refresh_invalidated_again_while_in_flight_is_not_stored_and_stays_stale() -> None:
    cache = refreshing_cache()
    read(cache, availability("LAMP-1", 1), availability("DESK-2", 1))
    cache.invalidate(["LAMP-1", "DESK-2"])
    token = cache.begin()
    skus = cache.take_stale(10)
    cache.invalidate(["LAMP-1"])  # written again while the refresh is in flight

    cache.finish(token, {sku: availability(sku, 2) for sku in skus}, refresh=True)

    assert cached(cache, "LAMP-1") == "miss" and cache.take_stale(10) == ["LAMP-1"]
    assert cached(cache, "DESK-2") == availability("DESK-2", 2)


def test_losing_tracking_or_a_flush_forgets_the_stale_keys() -> None:
    cache = refreshing_cache()
    read(cache, availability("LAMP-1", 1), availability("DESK-2", 1))
    cache.invalidate(["LAMP-1"])
    cache.invalidate_all()
    assert cache.stale == 0
    read(cache, availability("DESK-2", 1))
    cache.invalidate(["DESK-2"])
    cache.set_tracking(False)
    assert cache.stale == 0


def test_the_refresher_reads_invalidated_keys_again_so_the_next_request_is_a_hit() -> None:
    inner = SlowDict(availability("LAMP-1", 1), availability("DESK-2", 1))
    reader = near_cached(inner)

    async def scenario() -> AvailabilityEntry | None:
        refresher = asyncio.create_task(reader._refresh_ahead())
        try:
            await reader.get_many(["LAMP-1", "DESK-2"])
            inner.put(availability("LAMP-1", 2))
            reader.cache.invalidate(["LAMP-1"])  # as the listener does on Redis's message
            for _ in range(100):
                if reader.cache.refreshed:
                    break
                await asyncio.sleep(0)
            hits = reader.cache.hits
            entry = await reader.get("LAMP-1")
            assert reader.cache.hits == hits + 1
            return entry
        finally:
            refresher.cancel()

    entry = asyncio.run(scenario())

    assert entry == availability("LAMP-1", 2)
    assert inner.reads == [["LAMP-1", "DESK-2"], ["LAMP-1"]]  # one read of the misses, one refresh


def test_a_stale_key_a_request_has_read_back_meanwhile_is_not_refreshed_again() -> None:
    cache = refreshing_cache()
    read(cache, availability("LAMP-1", 1), availability("DESK-2", 1))
    cache.invalidate(["LAMP-1", "DESK-2"])
    read(cache, availability("LAMP-1", 2))  # a request missed it and stored the new entry

    assert cache.take_stale(10) == ["DESK-2"] and cache.stale == 0


def test_refreshes_are_paced_to_the_configured_keys_per_second() -> None:
    inner = SlowDict(*(availability(f"SKU-{n}", 1) for n in range(3)))
    reader = NearCachedAvailabilityReader(inner, None, "t:", 100, answer_timeout_s=0.3,  # type: ignore[arg-type]
                                          refresh_max_per_s=100.0)
    reader.cache.set_tracking(True)
    pauses: list[float] = []

    async def recorded_pause(seconds: float) -> None:
        pauses.append(seconds)

    reader._sleep = recorded_pause  # type: ignore[method-assign]

    async def scenario() -> None:
        refresher = asyncio.create_task(reader._refresh_ahead())
        try:
            await reader.get_many([f"SKU-{n}" for n in range(3)])
            reader.cache.invalidate([f"SKU-{n}" for n in range(3)])
            for _ in range(100):
                if pauses:
                    break
                await asyncio.sleep(0)
        finally:
            refresher.cancel()

    asyncio.run(scenario())

    assert reader.cache.refreshed == 3 and pauses == [0.03]  # 3 keys at 100 a second
