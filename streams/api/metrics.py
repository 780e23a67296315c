"""The API process's metrics, declared once on an explicit registry (alerts and dashboards use these names)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from streams.snapshot.near_cache import NearCache

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
UNMATCHED_ROUTE = "unmatched"  # every path no route serves: one label value, whatever the path


@dataclass(frozen=True)
class ApiMetrics:
    requests: Counter
    request_seconds: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> "ApiMetrics":
        return cls(
            requests=Counter("distflow_api_requests", "API requests by route template, method and status",
                             ["route", "method", "status"], registry=registry),
            request_seconds=Histogram("distflow_api_request_seconds",
                                      "API request latency by route template, method and status",
                                      ["route", "method", "status"], buckets=LATENCY_BUCKETS, registry=registry),
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route, method, str(status)).observe(seconds)


class NearCacheCollector(Collector):
    """The near cache's counters (streams/snapshot/near_cache.py), read at scrape time: nothing per request.

    hits + misses + bypassed = SKUs looked up; hit rate = hits / that sum."""

    def __init__(self, cache: "NearCache") -> None:
        self._cache = cache

    def collect(self) -> Iterator[Metric]:
        cache = self._cache
        yield CounterMetricFamily("distflow_api_near_cache_hits", "SKUs answered from the near cache",
                                  value=cache.hits)
        yield CounterMetricFamily("distflow_api_near_cache_misses",
                                  "SKUs read from Redis while tracking (then cached)", value=cache.misses)
        yield CounterMetricFamily("distflow_api_near_cache_bypassed",
                                  "SKUs read from Redis because invalidation tracking was down", value=cache.bypassed)
        yield CounterMetricFamily("distflow_api_near_cache_invalidations",
                                  "availability keys named by Redis invalidation messages", value=cache.invalidations)
        yield CounterMetricFamily("distflow_api_near_cache_not_stored",
                                  "SKUs read from Redis but not cached: invalidated while the read was in flight",
                                  value=cache.not_stored_in_flight)
        yield CounterMetricFamily("distflow_api_near_cache_refreshed",
                                  "SKUs read again from Redis ahead of requests after their invalidation",
                                  value=cache.refreshed)
        resets = CounterMetricFamily("distflow_api_near_cache_resets",
                                     "near cache emptied: tracking connection lost, or the database flushed",
                                     labels=["reason"])
        for reason, count in sorted(cache.resets.items()):
            resets.add_metric([reason], count)
        yield resets
        yield GaugeMetricFamily("distflow_api_near_cache_entries", "entries in the near cache", value=len(cache))
        yield GaugeMetricFamily("distflow_api_near_cache_tracking",
                                "1 while Redis invalidation tracking is up (the near cache serves), else 0",
                                value=1 if cache.tracking else 0)
