"""Adapter from the SKU owner's availability decisions to the Redis snapshot writer, with its metrics."""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from processors.inventory import AvailabilityChanged
from streams.metrics import WorkerMetrics
from streams.settings import Settings
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.writer import SnapshotWriter

log = logging.getLogger(__name__)


class RedisAvailabilitySink:
    RETRY_AFTER_FAILURE_S = 0.5  # a Redis outage must not slow every batch by a connect timeout

    def __init__(self, writer: SnapshotWriter, metrics: WorkerMetrics) -> None:
        self.writer, self.metrics = writer, metrics
        self._outage_logged = False
        self._retry_at = 0.0
        metrics.sync_lag_visible.observe_many((), "distflow")  # the series is there from the start, at 0

    @property
    def pending(self) -> int:
        return self.writer.pending

    def stage(self, decision: AvailabilityChanged, source_offsets: dict[str, int]) -> None:
        self.writer.stage(snapshot_entry(decision, source_offsets))

    def unpublished(self, partitions: Sequence[int]) -> list[int]:
        if time.monotonic() < self._retry_at:  # Redis is failing: the flushes report it; look again later
            return []
        return self.writer.unpublished(partitions)

    def mark_published(self, partitions: Sequence[int]) -> None:
        self.writer.mark_published(partitions)

    def flush(self) -> None:
        if time.monotonic() < self._retry_at:
            self.metrics.snapshot_pending_entries.set(self.writer.pending)
            return
        now_ms = int(time.time() * 1000)
        result = self.writer.flush(now_ms)
        self.metrics.snapshot_pending_entries.set(result.pending)
        if result.redis_unavailable:
            self._retry_at = time.monotonic() + self.RETRY_AFTER_FAILURE_S
            self.metrics.snapshot_redis_failures.inc()
            if not self._outage_logged:
                log.error("Redis unavailable: %d snapshot entries held, retrying each batch", result.pending)
                self._outage_logged = True
            return
        if self._outage_logged:
            log.warning("Redis is back: the snapshot caught up")
            self._outage_logged = False
        if result.entries:  # only what this flush wrote
            self.metrics.snapshot_flush_entries.observe(len(result.entries))
        ages = [max(0.0, (now_ms - entry.as_of_ms) / 1000) for entry in result.entries]
        self.metrics.snapshot_entry_age.observe_many(ages)
        self.metrics.sync_lag_visible.observe_many(ages, "distflow")


def snapshot_entry(decision: AvailabilityChanged, source_offsets: dict[str, int]) -> AvailabilityEntry:
    """The entry storefronts read for a SKU owner's availability decision."""
    return AvailabilityEntry.checked(
        decision.sku, decision.version, decision.as_of, decision.total, decision.locations, source_offsets)


def build_snapshot_sink(settings: Settings, metrics: WorkerMetrics) -> RedisAvailabilitySink:
    from streams.snapshot.connection import snapshot_writer_client

    writer = SnapshotWriter(snapshot_writer_client(settings), settings.redis_key_prefix,
                            heartbeat_interval_ms=settings.snapshot_heartbeat_interval_ms)
    return RedisAvailabilitySink(writer, metrics)
