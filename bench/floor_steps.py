"""What the library floors (bench/inventory_floor.py, bench/saga_floor.py) share: CPU per unit of one step with the
worker's GC settings, the worker's producer, reading a topic window to its real end, and the state and Redis steps.
"""
from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import PARTITIONS, batch_max_records, unique
from streams.engine.worker import WorkerConfig


def cpu_us_per(n: int, step: Callable[[], None]) -> float:
    """CPU per event of one step, with the worker's garbage-collector settings (WorkerConfig.gc_thresholds): what
    the steps before it left alive is frozen, as the worker freezes what start-up allocated."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*(WorkerConfig.gc_thresholds or thresholds))
    try:
        started = time.process_time()
        step()
        return (time.process_time() - started) / max(1, n) * 1e6
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def batches(items: Sequence[Any]) -> list[Sequence[Any]]:
    """In the workers' batch size (bench.common.batch_max_records): a flush, a write batch, per batch."""
    size = batch_max_records()
    return [items[start:start + size] for start in range(0, len(items), size)]


def worker_producer(settings: Any) -> Any:
    """A librdkafka producer with the worker's settings (streams/engine/worker.py)."""
    from confluent_kafka import Producer

    return Producer({**settings.kafka_client_config(), "linger.ms": 100, "acks": "all",
                     "partitioner": "murmur2_random", "batch.num.messages": 10_000,
                     "queue.buffering.max.messages": 1_000_000})


def raise_on_failure(error: Any, message: Any) -> None:
    if error is not None:
        raise RuntimeError(f"floor produce failed: {error}")


def scratch_topics(bootstrap: str, kinds: Sequence[str]) -> list[str]:
    """New topics of the run's partition count for a floor's outputs (never the worker's own)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    topics = [unique(f"floor-{kind}") for kind in kinds]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for created in admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics]).values():
        created.result(30)
    return topics


def end_offsets(bootstrap: str, topics: list[str]) -> dict[str, dict[int, int]]:
    """Each topic's end offset per partition (where the measured window starts), found by reading to the end: the
    embedded broker reports a high watermark short of the end when a partition's last batch holds many records."""
    consumer = _consumer(bootstrap)
    try:
        return {topic: {p: end for p, (end, _) in _to_end(consumer, topic, None).items()} for topic in topics}
    finally:
        consumer.close()


def window_records(bootstrap: str, topic: str, since: dict[int, int]) -> list[tuple[bytes, bytes]]:
    """(key, value) of every record of `topic` from `since` (offset per partition) to its end."""
    consumer = _consumer(bootstrap)
    try:
        return [record for _, records in _to_end(consumer, topic, since).values() for record in records]
    finally:
        consumer.close()


def _consumer(bootstrap: str) -> Any:
    from confluent_kafka import Consumer

    return Consumer({"bootstrap.servers": bootstrap, "group.id": unique("bench-floor"),
                     "enable.auto.commit": False, "enable.partition.eof": True, "fetch.max.bytes": 52_428_800,
                     "max.partition.fetch.bytes": 10_485_760})


def _to_end(consumer: Any, topic: str, since: dict[int, int] | None) -> dict[int, tuple[int, list[Any]]]:
    """Per partition: the offset after the last record (the end) and the (key, value) of every record from `since`
    (None: the reported high watermark) to the partition's end, which a partition EOF marks, not the watermark."""
    from confluent_kafka import KafkaError, TopicPartition

    if since is None:
        since = {p: int(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1])
                 for p in range(PARTITIONS)}
    found: dict[int, tuple[int, list[Any]]] = {p: (since.get(p, 0), []) for p in range(PARTITIONS)}
    consumer.assign([TopicPartition(topic, p, start) for p, (start, _) in found.items()])
    at_end: set[int] = set()
    deadline = time.monotonic() + 60
    while len(at_end) < PARTITIONS:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{topic}: partitions {sorted(set(found) - at_end)} did not reach their end")
        for message in consumer.consume(10_000, 1.0):
            error, partition = message.error(), message.partition()
            if error is None:
                found[partition] = (message.offset() + 1, found[partition][1])
                found[partition][1].append((message.key(), message.value()))
            elif error.code() == KafkaError._PARTITION_EOF:
                at_end.add(partition)
            else:
                raise RuntimeError(f"{topic}[{partition}]: {error}")
    consumer.unassign()
    return found


def state_write_cost(states: list[tuple[bytes, Any]], per: int, workdir: Path) -> float:
    """Each new state dumped to JSON and written to RocksDB, one write batch per batch; CPU per `per`. Reading the
    state back is not counted: a decoded-state cache (memory) can avoid it, so the floor stays a lower bound."""
    import orjson
    from rocksdict import Rdict, WriteBatch

    from streams.engine.state import rocksdb_options

    db = Rdict(tempfile.mkdtemp(dir=workdir, prefix="floor-state-"), rocksdb_options())

    def write() -> None:
        for batch in batches(states):
            write_batch = WriteBatch(raw_mode=True)
            for key, state in batch:
                write_batch.put(key, orjson.dumps(state))
            db.write(write_batch)
    try:
        return cpu_us_per(per, write)
    finally:
        db.close()


def redis_entries_cost(redis_url: str, availability: list[dict[str, Any]]) -> float:
    """The snapshot entries staged and flushed by the real SnapshotWriter (scratch key prefix), a flush per batch."""
    import redis

    from streams.snapshot.entry import AvailabilityEntry
    from streams.snapshot.writer import SnapshotWriter

    entries = [AvailabilityEntry.checked(r["sku"], r["version"], r["as_of"], r["total_available"],
                                         [(loc["location"], loc["available"]) for loc in r["locations"]],
                                         r["source_offsets"]) for r in availability]
    client = redis.Redis.from_url(redis_url)
    writer = SnapshotWriter(client, unique("floor:"))

    def write() -> None:
        for batch in batches(entries):
            for entry in batch:
                writer.stage(entry)
            writer.flush()
    try:
        return cpu_us_per(len(entries), write)
    finally:
        client.close()
