"""The API process's metrics, declared once on an explicit registry (alerts and dashboards use these names)."""
from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

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
