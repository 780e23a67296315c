"""Adapter from the SKU owner's availability decisions to the Redis snapshot writer (batched, never older over newer)."""
from __future__ import annotations

from streams.metrics import WorkerMetrics
from streams.settings import Settings


def build_snapshot_sink(settings: Settings, metrics: WorkerMetrics):  # type: ignore[no-untyped-def]
    return None
