"""Keep the Redis snapshot complete for the SKU-owner partitions this worker owns, by itself.

The SKU owner writes an entry when a SKU's availability changes, so entries Redis loses (restarted without
persistence, a failover to a replica that was behind, FLUSHDB) would stay lost for quiet SKUs. Each partition has a
marker key in Redis, set once every SKU of the partition has been written. About once a second the owner looks at
the markers of its partitions; a missing one (the snapshot lost its data, the first start of a deployment, a new
partition) starts a republish of that partition: a chunk of SKUs staged after each batch's commit, written by the
ordinary version-guarded flush (an entry Redis holds at the same or a newer version is left alone), the marker set
when the last chunk is written. The workers' own changes keep flowing meanwhile.

A worker that died while Redis was down loses the entries it held without Redis losing a marker: that case is for
`distflow snapshot rebuild` (docs/operations.md).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from processors import inventory as inv
from processors.inventory.availability import availability_changed
from streams.engine.state import ChangelogTable

log = logging.getLogger(__name__)
CHECK_EVERY_S = 1.0
CHUNK = 2_000  # SKUs staged per batch: a few ms of reading and ~one more Lua call per 500 in the flush
CAUSED_BY = "snapshot-republish"


class PublishedMarkers(Protocol):
    @property
    def pending(self) -> int: ...
    def stage(self, decision: inv.AvailabilityChanged, source_offsets: dict[str, int]) -> None: ...
    def unpublished(self, partitions: Sequence[int]) -> list[int]: ...
    def mark_published(self, partitions: Sequence[int]) -> None: ...


class SnapshotRepublisher:
    def __init__(self, table: ChangelogTable[inv.SkuInventory], policy: inv.InventoryPolicy, sink: PublishedMarkers,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.table, self.policy, self.sink, self.clock = table, policy, sink, clock
        self._position: dict[int, bytes | None] = {}  # partition being republished -> last key staged
        self._staged_all: set[int] = set()  # every SKU staged; the marker follows once they are written
        self._check_at = 0.0
        self.republished = 0  # entries staged by republishing (tests, /readyz)

    @property
    def running(self) -> list[int]:
        return sorted(self._position)

    def step(self) -> None:
        """After a batch's flush (or when idle): set the markers whose entries are all written, look for missing
        markers (at most once per CHECK_EVERY_S), stage the next chunk."""
        owned = set(self.table.owned_partitions)
        for partition in [p for p in self._position if p not in owned]:
            del self._position[partition]  # revoked: its new owner finds the marker missing and starts again
        self._staged_all &= owned
        if self._staged_all and self.sink.pending == 0:  # the last flush wrote everything staged
            self.sink.mark_published(sorted(self._staged_all))
            log.info("snapshot republished", extra={"partitions": sorted(self._staged_all)})
            self._staged_all.clear()
        now = self.clock()
        if now >= self._check_at:
            self._check_at = now + CHECK_EVERY_S
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
        budget = CHUNK
        for partition in sorted(self._position):
            keys = self.table.open(partition).keys_after(self._position[partition], budget)
            for key in keys:
                state = self.table.get(partition, key)
                if state is not None and inv.is_known(state):
                    self.sink.stage(availability_changed(state, self.policy, CAUSED_BY), {})
                    self.republished += 1
            budget -= len(keys)
            if budget > 0:  # the partition ran out of keys: all staged
                del self._position[partition]
                self._staged_all.add(partition)
            else:
                self._position[partition] = keys[-1]
                return
