"""Every business and worker metric, declared once on an explicit registry (alerts and dashboards check this list).

API metrics are declared in streams/api (they live in the API process); both use the `distflow_` prefix.
"""
from __future__ import annotations

import logging
import math
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from itertools import accumulate

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

LAG_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
BATCH_BUCKETS = (1, 10, 50, 100, 500, 1000, 2000, 5000, 10000)
PHASE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
log = logging.getLogger(__name__)
LagSource = Callable[[], Mapping[tuple[str, int], int]]


class ConsumerLagCollector(Collector):
    """distflow_consumer_lag_records{topic, partition}: end offset minus committed offset, asked of the worker at
    each scrape (``bind`` it to ``BatchWorker.consumer_lag``). A partition the worker no longer owns simply has no
    series, so a rebalance leaves no stale lag behind."""

    name = "distflow_consumer_lag_records"
    documentation = "Records in the partition beyond the consumer group's committed offset (end - committed)"

    def __init__(self, registry: CollectorRegistry) -> None:
        self._source: LagSource = dict
        registry.register(self)

    def bind(self, source: LagSource) -> None:
        self._source = source

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.name, self.documentation, labels=["topic", "partition"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=["topic", "partition"])
        try:
            lags = self._source()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the consumer is closing
            log.warning("consumer lag unavailable for this scrape", exc_info=True)
            lags = {}
        for (topic, partition), lag in sorted(lags.items()):
            family.add_metric([topic, str(partition)], lag)
        yield family


class _Series:
    """One label set's observations: the count per bucket (not cumulative) and the sum."""

    __slots__ = ("counts", "total")

    def __init__(self, buckets: int) -> None:
        self.counts, self.total = [0] * buckets, 0.0


class BatchHistogram(Collector):
    """A histogram fed a batch's observations at once, for values the worker has per record or per SKU (sync lag,
    snapshot entry age): a bisect per value and one locked update per batch, where prometheus_client's Histogram
    takes a lock and scans its buckets for every observation (~1 µs each, three per inventory event: ~3 % of the
    worker's CPU). Exposed as that Histogram exposes the same observations (cumulative buckets up to +Inf, _count,
    _sum; tests/unit/streams/test_batch_histogram.py), without the _created series."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str], buckets: Sequence[float],
                 registry: CollectorRegistry) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self._bounds = (*sorted(float(bound) for bound in buckets if bound != math.inf), math.inf)
        # as with Histogram, an unlabelled one is exposed from the start and a labelled series from its first batch
        # (an empty one too, as Histogram.labels(...) creates its child)
        self._series: dict[tuple[str, ...], _Series] = {}
        if not self.labelnames:
            self._series[()] = _Series(len(self._bounds))
        self._lock = threading.Lock()
        registry.register(self)

    def observe_many(self, values: Iterable[float], *labels: str) -> None:
        if len(labels) != len(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}, got {labels}")
        bounds = self._bounds
        with self._lock:  # one per batch; a scrape waits for the batch's update, never sees half of it
            series = self._series.get(labels)
            if series is None:
                series = self._series[labels] = _Series(len(bounds))
            counts, total = series.counts, series.total
            for value in values:
                counts[bisect_left(bounds, value)] += 1  # the first bucket whose bound is >= value, as Histogram's
                total += value
            series.total = total

    def describe(self) -> Iterator[HistogramMetricFamily]:
        yield HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        with self._lock:
            taken = [(labels, list(series.counts), series.total) for labels, series in self._series.items()]
        for labels, counts, total in taken:  # in the order the series appeared, as Histogram lists its children
            cumulative = zip((floatToGoString(bound) for bound in self._bounds), accumulate(counts))
            family.add_metric(list(labels), list(cumulative), sum_value=total)
        yield family


@dataclass(frozen=True)
class WorkerMetrics:
    events_in: Counter
    events_out: Counter
    batch_records: Histogram
    batch_seconds: Histogram
    batch_phase_seconds: Histogram
    sync_lag_applied: BatchHistogram
    sync_lag_visible: BatchHistogram
    consumer_lag: ConsumerLagCollector
    duplicates_dropped: Counter
    sku_updates: Counter
    dead_letters: Counter
    exceptions_raised: Counter
    snapshot_flush_entries: Histogram
    snapshot_pending_entries: Gauge
    snapshot_redis_failures: Counter
    snapshot_republished_entries: Counter
    snapshot_entry_age: BatchHistogram
    restore_records: Counter
    restore_seconds: Histogram
    restore_partitions_remaining: Gauge
    restore_offsets_remaining: Gauge
    worker_ready: Gauge
    order_backlog: Gauge
    erp_command_queue_depth: Gauge
    erp_commands_throttled: Counter
    erp_commands_sent: Counter
    sla_breaches: Counter
    order_status_changes: Counter
    return_authorisations: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> "WorkerMetrics":
        p = "distflow_"
        return cls(
            events_in=Counter(f"{p}events_in", "Records consumed, by topic and event type",
                              ["topic", "event_type"], registry=registry),
            events_out=Counter(f"{p}events_out", "Records produced, by topic", ["topic"], registry=registry),
            batch_records=Histogram(f"{p}batch_records", "Records per processed batch", buckets=BATCH_BUCKETS,
                                    registry=registry),
            batch_seconds=Histogram(f"{p}batch_seconds", "Time to process and commit one batch",
                                    buckets=LAG_BUCKETS, registry=registry),
            batch_phase_seconds=Histogram(
                f"{p}batch_phase_seconds", "A batch's time by phase: process (the stages' work), "
                "early_views_written (the availability snapshot, Redis), outputs_acknowledged, "
                "changelog_acknowledged (broker round trips), state_persisted (RocksDB), views_written (the other "
                "Redis views)", ["phase"], buckets=PHASE_BUCKETS, registry=registry),
            sync_lag_applied=BatchHistogram(f"{p}sync_lag_applied_seconds",
                                            "Source event time to applied in the tables, by source system",
                                            ["source_system"], LAG_BUCKETS, registry),
            sync_lag_visible=BatchHistogram(f"{p}sync_lag_visible_seconds",
                                            "Source event time to visible in the storefront snapshot, by source system",
                                            ["source_system"], LAG_BUCKETS, registry),
            consumer_lag=ConsumerLagCollector(registry),
            duplicates_dropped=Counter(f"{p}duplicates_dropped", "Events ignored as already applied",
                                       ["stage"], registry=registry),
            sku_updates=Counter(f"{p}sku_updates", "SKU states changed (one per SKU per batch), by path: "
                                "stored_record (plain movements and reservations met from stock, applied to the stored "
                                "record) or model (the domain model)", ["path"], registry=registry),
            dead_letters=Counter(f"{p}dead_letters", "Records sent to the dead-letter topic",
                                 ["source_topic", "reason_code"], registry=registry),
            exceptions_raised=Counter(f"{p}exceptions_raised", "Business exceptions raised",
                                      ["exception_type", "owner_team"], registry=registry),
            snapshot_flush_entries=Histogram(f"{p}snapshot_flush_entries", "Entries per Redis snapshot flush",
                                             buckets=BATCH_BUCKETS, registry=registry),
            snapshot_pending_entries=Gauge(f"{p}snapshot_pending_entries",
                                           "Snapshot entries waiting for Redis (grows during an outage)",
                                           registry=registry),
            snapshot_redis_failures=Counter(f"{p}snapshot_redis_failures", "Snapshot flushes Redis refused",
                                            registry=registry),
            snapshot_republished_entries=Counter(
                f"{p}snapshot_republished_entries", "Entries written again because Redis lost them (a partition's "
                "published marker missing, or restored with entries its previous owner could not write)",
                registry=registry),
            snapshot_entry_age=BatchHistogram(f"{p}snapshot_entry_age_seconds",
                                              "Age of an entry's newest fact when written to Redis", (), LAG_BUCKETS,
                                              registry),
            restore_records=Counter(f"{p}restore_records", "Changelog records restored into tables",
                                    registry=registry),
            restore_seconds=Histogram(f"{p}restore_seconds", "Time to restore assigned partitions",
                                      buckets=LAG_BUCKETS, registry=registry),
            restore_partitions_remaining=Gauge(f"{p}restore_partitions_remaining",
                                               "Table partitions still restoring from their changelog (0: none)",
                                               registry=registry),
            restore_offsets_remaining=Gauge(f"{p}restore_offsets_remaining",
                                            "Changelog offsets still to read by the running restore (an upper bound "
                                            "on records: compaction leaves gaps; 0 when no restore runs)",
                                            registry=registry),
            worker_ready=Gauge(f"{p}worker_ready", "1 when partitions are assigned and restored",
                               registry=registry),
            order_backlog=Gauge(f"{p}order_backlog", "Open orders by integration state", ["state"],
                                registry=registry),
            erp_command_queue_depth=Gauge(f"{p}erp_command_queue_depth", "ERP commands waiting for the rate limit",
                                          ["priority"], registry=registry),
            erp_commands_throttled=Counter(f"{p}erp_commands_throttled", "ERP commands delayed by the rate limit",
                                           registry=registry),
            erp_commands_sent=Counter(f"{p}erp_commands_sent", "ERP commands sent through the rate limit",
                                      ["command", "priority"], registry=registry),
            sla_breaches=Counter(f"{p}sla_breaches", "Business SLAs breached (each order and SLA once)", ["sla"],
                                 registry=registry),
            order_status_changes=Counter(f"{p}order_status_changes", "Order status transitions, by new status",
                                         ["status"], registry=registry),
            return_authorisations=Counter(f"{p}return_authorisations",
                                          "ERP answers to return (RMA) requests, by outcome: authorised or refused",
                                          ["outcome"], registry=registry),
        )


def metric_names(metrics: object) -> set[str]:
    """Every exposed sample family name, e.g. for checking alert rules against the declarations."""
    names: set[str] = set()
    for item in fields(metrics):  # type: ignore[arg-type]
        collector = getattr(metrics, item.name)
        for family in collector.describe():
            names.add(family.name)
    return names
