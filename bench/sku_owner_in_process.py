"""The SKU owner's CPU per event, in process: a low-noise figure to compare two trees by (not a target benchmark).

    python -m bench.sku_owner_in_process   (BENCH_SKU_OWNER_EVENTS, BENCH_SKU_OWNER_SKUS, BENCH_SKU_OWNER_REPEATS,
                                            BENCH_BATCH_MAX_RECORDS)

End to end (`bench.inventory_path`) one run differs from the next by ±5 µs per event on these machines, more than a
step of a few µs is worth. Here the real `InventoryStage` gets receipt commands as intake hands them over (one
batch of BENCH_BATCH_MAX_RECORDS at a time, each SKU's owner partition), with the worker's GC settings, and runs a
batch as the engine does: process, the early snapshot write (a real redis-server, the real SnapshotWriter), the
changelog encoding and the RocksDB write batch, after_commit. The producer has no broker: its produce calls queue
locally and are purged after each batch, so its acknowledgement waits (not CPU of this thread) are left out. Each
repeat starts from empty state under a fresh Redis key prefix; the partitions' snapshot markers are set first, so
no republish runs. Printed: µs of process CPU per event for each repeat, the best and the mean.

To compare two trees, alternate them: `git worktree add /tmp/base <rev>`, then run this module with
`PYTHONPATH=/tmp/base` and without, several times each (docs/performance.md quotes such pairs).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import batch_max_records, env_int, heading, movement, now_ms, stack
from bench.in_process import cpu_of_batches, report, scratch_settings

PARTITIONS = 4


def receipts(events: int, skus: int, at: int) -> list[tuple[str, dict[str, Any]]]:
    """(SKU, command) per WMS receipt, as intake translates it (streams.translate.inventory)."""
    from streams.translate.inventory import inventory_movement

    commands = []
    for i in range(events):
        sku, location = f"SKU-{i % skus:06d}", "EAST" if i % 2 else "WEST"
        (command,) = inventory_movement(movement(f"mv-{i}", sku, location, "RECEIVED", 1, at + i), at + events)
        commands.append((command.sku, command.record))
    return commands


def one_repeat(redis_url: str, workdir: Path, events: int, skus: int, batch: int) -> float:
    from prometheus_client import CollectorRegistry

    from streams.agents.inventory import InventoryStage
    from streams.app import inventory_policy
    from streams.engine.records import InputRecord
    from streams.metrics import WorkerMetrics
    from streams.snapshot_sink import build_snapshot_sink
    from streams.topic_names import DeployedCatalog
    from topics.codec import build_codec
    from topics.partitioning import partition_for

    prefix, settings = scratch_settings(redis_url)
    metrics = WorkerMetrics.create(CollectorRegistry())
    sink = build_snapshot_sink(settings, metrics)
    stage = InventoryStage(build_codec(settings), DeployedCatalog(settings), inventory_policy(settings), metrics,
                           sink, workdir / prefix)
    stage.on_partition_count(PARTITIONS)
    for partition in range(PARTITIONS):
        stage.table.open(partition)
    sink.mark_published(list(range(PARTITIONS)))
    commands, at = receipts(events, skus, now_ms()), now_ms()
    batches = []
    for start in range(0, events, batch):
        records = []
        for i, (sku, command) in enumerate(commands[start:start + batch], start):
            key = sku.encode()
            source = InputRecord("wms.inventory-movements", 0, i, key, b"", (), at)
            records.append(InputRecord(stage.topic, partition_for(key, PARTITIONS), -1, key, None, (), at, command,
                                       source))
        batches.append(records)
    spent = cpu_of_batches(stage, batches, PARTITIONS)
    return spent / events * 1e6


def run() -> dict[str, Any]:
    events = env_int("BENCH_SKU_OWNER_EVENTS", 100_000)
    skus = env_int("BENCH_SKU_OWNER_SKUS", 50_000)
    repeats = env_int("BENCH_SKU_OWNER_REPEATS", 5)
    batch = batch_max_records()
    heading(f"SKU owner in process: {events:,} receipts over {skus:,} SKUs, batches of {batch:,}, {repeats} repeats")
    with stack("sku-owner", broker=False) as st:
        figures = [one_repeat(st.redis_url, st.workdir, events, skus, batch) for _ in range(repeats)]
    return report(figures, "event", 1)


if __name__ == "__main__":
    run()
