"""What the in-process diagnostics share (bench.sku_owner_in_process, bench.order_owner_in_process): batches run
through one stage as the engine runs them, with no broker, and the figures they print."""
from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from bench.common import unique


def engine_gc_thresholds() -> tuple[int, int, int]:
    from streams.engine.worker import WorkerConfig

    default = next(field.default for field in fields(WorkerConfig) if field.name == "gc_thresholds")
    return default  # type: ignore[return-value]


def scratch_settings(redis_url: str) -> tuple[str, Any]:
    """Settings with a fresh topic and Redis key prefix (a repeat starts from nothing); the prefix names its state."""
    from streams.settings import Settings

    prefix = unique("own")
    return prefix, Settings(topic_prefix=f"{prefix}.", redis_url=redis_url,  # type: ignore[arg-type]
                            redis_key_prefix=f"{prefix}:")


def cpu_of_batches(stage: Any, batches: Sequence[Sequence[Any]], partitions: int) -> float:
    """Process CPU seconds to run `batches` through `stage` as the engine runs a batch: process, the early views
    (Stage.before_acknowledgements), each table's changelog encoding and RocksDB write batch, after_commit. The
    producer has no broker: produce calls queue locally and are purged after each batch (no acknowledgement is
    waited for). The worker's GC settings while it runs; the stage's tables are closed after."""
    from confluent_kafka import Producer

    from streams.engine.emitter import Emitter

    producer = Producer({"bootstrap.servers": "127.0.0.1:9", "log_level": 0, "linger.ms": 100,
                         "queue.buffering.max.messages": 2_000_000, "queue.buffering.max.kbytes": 2_000_000})
    out = Emitter(producer)
    early = getattr(stage, "before_acknowledgements", None)
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*engine_gc_thresholds())
    started = time.process_time()
    try:
        for offset, records in enumerate(batches):
            stage.process(records, out)
            if early is not None:
                early()
            for table in stage.tables:
                table.encode_batch()
                table.persist({partition: offset for partition in range(partitions)})
            stage.after_commit()
            out.reset()
            producer.purge()
            producer.poll(0)
        return time.process_time() - started
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        for table in stage.tables:
            table.close_all()


def report(figures: Sequence[float], unit: str, digits: int) -> dict[str, Any]:
    print("  per repeat      " + " ".join(f"{figure:.{digits}f}" for figure in figures) + f" µs of CPU per {unit}")
    print(f"  best / mean     {min(figures):.{digits}f} / {statistics.mean(figures):.{digits}f} µs of CPU per {unit}")
    return {f"us_per_{unit}": list(figures), "best": min(figures), "mean": statistics.mean(figures)}
