"""Staging in the writer (no Redis involved: nothing is flushed here)."""
from __future__ import annotations

import redis

from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.writer import SnapshotWriter


def entry(sku: str, version: int) -> AvailabilityEntry:
    return AvailabilityEntry(sku, version, 1_000 + version, version, {"EAST": version})


def unconnected_writer() -> SnapshotWriter:
    return SnapshotWriter(redis.Redis(port=1), "t:")  # never used: staging does no I/O


def test_staging_keeps_only_the_newest_version_of_each_sku() -> None:
    writer = unconnected_writer()

    for staged in (entry("SKU-1", 2), entry("SKU-1", 5), entry("SKU-1", 3), entry("SKU-2", 1)):
        writer.stage(staged)

    assert writer.pending == 2
    assert writer.staged_version("SKU-1") == 5
