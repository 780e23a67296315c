"""Keep the Redis snapshot complete for the SKU-owner partitions this worker owns, by itself.

The SKU owner writes an entry when a SKU's availability changes, so entries Redis loses (restarted without
persistence, a failover to a replica that was behind, FLUSHDB) would stay lost for quiet SKUs. Each partition has a
marker key in Redis, set once every SKU of the partition has been written. About once a second the owner looks at
the markers of its partitions; a missing one (the snapshot lost its data, the first start of a deployment, a new
partition) starts a republish of that partition: a chunk of SKUs staged after each batch's commit, written by the
ordinary version-guarded flush (an entry Redis holds at a newer version, or at the same one with the same figures,
is left alone), the marker set when the last chunk is written. The workers' own changes keep flowing meanwhile.

A worker that dies while Redis is down loses the entries it holds, and Redis still has its markers. So while the
sink holds entries it could not write, the owner keeps a key in each of its partitions' *table*
(VIEWS_PENDING_KEY, written to the changelog by a timer batch), and a batch whose entries could not be written has
its offsets committed only once that key is durable: a crash before redelivers the batch (whose duplicates stage
their entries again); after, whoever restores the partition finds the key and writes every SKU again. The owner
removes the key once its sink has written everything (or, after a restore, once it has republished).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

from processors import inventory as inv
from streams.engine.state import ChangelogTable

log = logging.getLogger(__name__)
CHECK_EVERY_S = 1.0
CHUNK = 2_000  # SKUs staged per batch: a few ms of reading and ~one more Lua call per 500 in the flush
CAUSED_BY = "snapshot-republish"
# Not a SKU (SKUs never contain NUL): "the Redis entries of this partition may be behind its state"
VIEWS_PENDING_KEY = b"\x00snapshot-views-pending"
VIEWS_PENDING = inv.to_record(inv.empty_inventory("\x00snapshot-views-pending"))  # no locations: never published


def published_availability_of(table: ChangelogTable[inv.SkuRecord], partition: int, keys: Iterable[bytes],
                              policy: inv.InventoryPolicy, caused_by: str) -> Iterator[inv.AvailabilityChanged]:
    """What the snapshot should show for each SKU among `keys` that has stock somewhere (never-stocked states and
    the views-pending record have none): the owner's republish and `distflow snapshot rebuild` alike."""
    for key in keys:
        record = table.get(partition, key)
        if record is not None and inv.is_stocked_record(record):
            yield inv.availability_of_record(record, policy, caused_by)


class PublishedMarkers(Protocol):
    @property
    def pending(self) -> int: ...
    def stage(self, decision: inv.AvailabilityChanged, source_offsets: dict[str, int]) -> None: ...
    def unpublished(self, partitions: Sequence[int]) -> list[int]: ...
    def mark_published(self, partitions: Sequence[int]) -> None: ...


class SnapshotRepublisher:
    def __init__(self, table: ChangelogTable[inv.SkuRecord], policy: inv.InventoryPolicy, sink: PublishedMarkers,
                 clock: Callable[[], float] = time.monotonic,
                 count_staged: Callable[[int], None] = lambda entries: None) -> None:
        self.table, self.policy, self.sink, self.clock = table, policy, sink, clock
        self._count_staged = count_staged  # the metric distflow_snapshot_republished_entries
        self._position: dict[int, bytes | None] = {}  # partition being republished -> last key staged
        self._staged_all: set[int] = set()  # every SKU staged; the marker follows once they are written
        self._check_at = 0.0
        self.republished = 0  # entries staged by republishing (tests, /readyz)
        self._pending_put: set[int] = set()  # partitions whose views-pending key this process wrote
        self._pending_durable: set[int] = set()  # ... and whose key is in the changelog by now

    @property
    def running(self) -> list[int]:
        return sorted(self._position)

    # -- entries held across a crash: the views-pending key -----------------------------------------------------
    @property
    def offsets_committable(self) -> bool:
        """False while the sink holds entries and a partition's views-pending key is not yet in its changelog."""
        if self.sink.pending == 0:
            return True
        return set(self.table.owned_partitions) <= self._pending_durable

    def views_pending_writes(self) -> bool:
        """A views-pending key to write (entries held) or to remove (all written): a timer batch is due."""
        owned = set(self.table.owned_partitions)
        if self.sink.pending:
            return bool(owned - self._pending_put)
        return bool(self._pending_put & owned)

    def write_views_pending(self) -> None:
        """Inside a batch (the engine's timer batch): the keys go to the changelog with it."""
        owned = set(self.table.owned_partitions)
        if self.sink.pending:
            for partition in sorted(owned - self._pending_put):
                self.table.put(partition, VIEWS_PENDING_KEY, VIEWS_PENDING)
                self._pending_put.add(partition)
        else:  # everything held was written: the views are whole again
            for partition in sorted(self._pending_put & owned):
                self.table.put(partition, VIEWS_PENDING_KEY, None)
            self._pending_put.clear()
            self._pending_durable.clear()

    def _found_pending(self, owned: set[int]) -> list[int]:
        """Partitions restored with a views-pending key this process did not write: a previous owner died with
        entries held. Looked at only while the sink is healthy (republishing into an outage would pile up)."""
        if self.sink.pending:
            return []
        return [p for p in sorted(owned - set(self._position) - self._staged_all - self._pending_put)
                if self.table.get(p, VIEWS_PENDING_KEY) is not None]

    # -- the loop ---------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """After a batch's flush (or when idle): set the markers whose entries are all written, look for missing
        markers (at most once per CHECK_EVERY_S), stage the next chunk."""
        owned = set(self.table.owned_partitions)
        self._pending_durable = (self._pending_durable | self._pending_put) & owned  # committed with the batch
        self._pending_put &= owned
        for partition in [p for p in self._position if p not in owned]:
            del self._position[partition]  # revoked: its new owner finds the marker missing and starts again
        self._staged_all &= owned
        if self._staged_all and self.sink.pending == 0:  # the last flush wrote everything staged
            self.sink.mark_published(sorted(self._staged_all))
            for partition in self._staged_all:
                if self.table.get(partition, VIEWS_PENDING_KEY) is not None:
                    self._pending_put.add(partition)  # removed by the next timer batch (all written now)
            log.info("snapshot republished", extra={"partitions": sorted(self._staged_all)})
            self._staged_all.clear()
        now = self.clock()
        if now >= self._check_at:
            self._check_at = now + CHECK_EVERY_S
            for partition in self._found_pending(owned):
                log.warning("partition %d was restored with snapshot entries its previous owner could not write "
                            "(it died during a Redis outage): writing every SKU of the partition again", partition)
                self._position[partition] = None
            self._start(sorted(owned - set(self._position) - self._staged_all))
        if self._position:
            self._stage_chunk()

    def _start(self, partitions: list[int]) -> None:
        if not partitions:
            return
        for partition in self.sink.unpublished(partitions):
            log.warning("snapshot marker of partition %d missing (Redis lost its data, or a first start): "
                        "writing every SKU of the partition again", partition)
            self._position[partition] = None

    def _stage_chunk(self) -> None:
        budget, staged = CHUNK, 0
        for partition in sorted(self._position):
            keys = self.table.open(partition).keys_after(self._position[partition], budget)
            for decision in published_availability_of(self.table, partition, keys, self.policy, CAUSED_BY):
                self.sink.stage(decision, {})
                staged += 1
            budget -= len(keys)
            if budget > 0:  # the partition ran out of keys: all staged
                del self._position[partition]
                self._staged_all.add(partition)
            else:
                self._position[partition] = keys[-1]
                break
        self.republished += staged
        if staged:
            self._count_staged(staged)
