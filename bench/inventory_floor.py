"""The inventory path's library floor: the CPU that the I/O and codec calls cost per event, with no distflow logic.

Called by bench.inventory_path on its own stack, on the same source records, after its decode baselines. Every
event of that benchmark changes a different SKU's published availability (one event per SKU per batch), so
whatever the worker's own logic costs, each event needs at least these library calls, in the worker's shapes:

* consume + decode: confluent-kafka ``consume`` of the source records and ``AvroCodec.decode_many`` (fastavro);
* encode: the availability record, encoded once for its two topics (``AvroCodec.encode_for``);
* produce: those two values and one changelog record (librdkafka, the worker's producer settings), a flush per
  batch that waits for the broker's acknowledgements;
* state: the SKU's new record dumped (orjson) and written to RocksDB, one write batch per batch (reading it back
  is not counted: a decoded-state cache could avoid it);
* Redis: the snapshot entry staged and flushed with the real ``SnapshotWriter`` (entry JSON + chunked
  ``EVALSHA``), one flush per batch.

CPU is ``time.process_time`` of this process (librdkafka's threads included), per event. The inputs of each step
are prepared before its clock starts (from the decoded events, as the worker would have them); the validation,
domain model, bookkeeping and metrics the worker adds are not in the floor. The sum bounds what one core can do on
this stack: 1e6 / floor events per second.
"""
from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import MOVEMENT_SCHEMA, PARTITIONS, unique
from streams.engine.worker import WorkerConfig

BATCH = 5_000


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
    return [items[start:start + BATCH] for start in range(0, len(items), BATCH)]


def _consumed_values(bootstrap: str, topic: str, n: int) -> Callable[[], list[bytes]]:
    def consume() -> list[bytes]:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("bench-floor"),
                             "enable.auto.commit": False, "fetch.max.bytes": 52_428_800,
                             "max.partition.fetch.bytes": 10_485_760})
        values: list[bytes] = []
        try:
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
            deadline = time.monotonic() + 120
            while len(values) < n and time.monotonic() < deadline:
                values.extend(m.value() for m in consumer.consume(10_000, 1.0) if m.error() is None)
        finally:
            consumer.close()
        return values
    return consume


def _stored_records(events: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each SKU's stored record as the SKU owner keeps it once both locations have stock (the model writes it)."""
    from processors import inventory as inv

    policy, records = inv.InventoryPolicy(), {}
    for event in events:
        sku = event["sku"]
        if sku not in records:
            facts = [inv.ReceiptConfirmed(f"{sku}-{location}", event["envelope"]["occurred_at"] - 1, sku, location, 20)
                     for location in ("EAST", "WEST")]
            state, _ = inv.apply_facts(inv.empty_inventory(sku), facts, policy)
            records[sku] = inv.to_record(state)
    return records


def _availability_records(events: Sequence[dict[str, Any]], records: dict[str, dict[str, Any]],
                          commands_topic: str) -> list[dict[str, Any]]:
    from processors import inventory as inv
    from streams.agents.inventory_outputs import availability_record

    policy, now = inv.InventoryPolicy(), int(time.time() * 1000)
    return [availability_record(inv.availability_of_record(records[e["sku"]], policy, e["envelope"]["event_id"]),
                                {f"{commands_topic}:0": i}, e["envelope"]["event_id"], now)
            for i, e in enumerate(events)]


def scratch_topics(bootstrap: str, kinds: Sequence[str]) -> tuple[list[str], str]:
    """Topics of the run's partition count for the floor's outputs: (the two availability topics, a changelog)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    topics = [unique(f"floor-{kind}") for kind in kinds]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for topic, created in admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics]).items():
        created.result(30)
    return topics[:-1], topics[-1]


def library_floor(bootstrap: str, redis_url: str, settings: Any, codec: Any, topic: str, n: int,
                  workdir: Path) -> dict[str, Any]:
    from streams.topic_names import DeployedCatalog
    from topics import catalog

    names = DeployedCatalog(settings)
    us: dict[str, float] = {}
    decoded: list[Any] = []
    us["consume + decode"] = cpu_us_per(n, lambda: decoded.extend(
        codec.decode_many(_consumed_values(bootstrap, topic, n)(), MOVEMENT_SCHEMA)))
    events = [e for e in decoded if isinstance(e, dict)]
    records = _stored_records(events)
    availability = _availability_records(events, records, names[catalog.INVENTORY_COMMANDS])
    # scratch topics: the worker that runs next restores its state from the real changelog
    out_topics, changelog = scratch_topics(bootstrap, ("availability-changes", "availability-snapshot", "changelog"))
    encoded: list[list[bytes]] = []
    schema = catalog.AVAILABILITY_CHANGES.value_schema or ""
    us["Avro encode (availability, once for 2 topics)"] = cpu_us_per(
        len(events), lambda: encoded.extend(codec.encode_for(out_topics, schema, record) for record in availability))
    us["produce 3 records + flush per batch"] = _produce_step(settings, events, encoded, out_topics, changelog,
                                                              records)
    us["state write: JSON dump + RocksDB write batch"] = _state_step(events, records, workdir)
    us["Redis: snapshot entry JSON + EVALSHA (SnapshotWriter)"] = redis_entries_cost(redis_url, availability)
    floor_us = sum(us.values())
    return {"events": len(events), "steps_us": us, "floor_us": floor_us, "max_events_per_s": 1e6 / floor_us}


def worker_producer(settings: Any) -> Any:
    """A librdkafka producer with the worker's settings (streams/engine/worker.py)."""
    from confluent_kafka import Producer

    return Producer({**settings.kafka_client_config(), "linger.ms": 100, "acks": "all",
                     "partitioner": "murmur2_random", "batch.num.messages": 10_000,
                     "queue.buffering.max.messages": 1_000_000})


def _produce_step(settings: Any, events: list[Any], encoded: list[list[bytes]], out_topics: list[str],
                  changelog: str, records: dict[str, dict[str, Any]]) -> float:
    """Per event the two availability values (with the correlation header) and the changelog record, a flush
    (waiting for the acknowledgements) per batch."""
    import orjson

    producer = worker_producer(settings)
    changelog_values = [orjson.dumps(records[e["sku"]]) for e in events]

    def produce() -> None:
        for batch in batches(range(len(events))):
            for i in batch:
                key = events[i]["sku"].encode()
                headers = [("correlation_id", events[i]["envelope"]["event_id"].encode())]
                for out_topic, value in zip(out_topics, encoded[i]):
                    producer.produce(out_topic, value, key, headers=headers, on_delivery=raise_on_failure)
                producer.produce(changelog, changelog_values[i], key, i % PARTITIONS, on_delivery=raise_on_failure)
            producer.flush(60)
    return cpu_us_per(len(events), produce)


def _state_step(events: list[Any], records: dict[str, dict[str, Any]], workdir: Path) -> float:
    return state_write_cost([(event["sku"].encode(), records[event["sku"]]) for event in events], len(events),
                            workdir)


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


def raise_on_failure(error: Any, message: Any) -> None:
    if error is not None:
        raise RuntimeError(f"floor produce failed: {error}")
