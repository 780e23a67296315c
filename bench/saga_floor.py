"""The order saga's library floor: the CPU that the run's own records cost in library calls, per order, with no
distflow logic.

Called by bench.order_saga after its measured one-worker pass, on the same stack. Every record the worker read or
wrote while the orders went through (from each topic's end offsets when the clock started to its end once the worker
stopped) is read back, and the library work it stood for is timed on those very records, in the worker's shapes
(bench/floor_steps.py):

* read by the worker (the orders, and whatever it consumed from its internal and exception topics: order commands,
  reservation results; the RESERVEs handed over in process were never on a topic): consume + Avro decode;
* written by the worker (its internal and derived topics): Avro encode (the availability record once for its two
  topics, as the worker does), then produce, a flush per 5,000 records;
* changelog records (SKU, order, ERP outbox state): produce, and the state write each stands for (JSON dump,
  RocksDB, a write batch per 5,000; reading the state back is not counted: a decoded-state cache can avoid it);
* one availability snapshot entry per availability change: the real SnapshotWriter.

Not counted, so the floor is a lower bound: the Redis order view, and everything distflow's own code does.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import PARTITIONS
from bench.floor_steps import (batches, cpu_us_per, raise_on_failure, redis_entries_cost, scratch_topics,
                               state_write_cost, window_records, worker_producer)


def saga_library_floor(bootstrap: str, redis_url: str, settings: Any, codec: Any, names: Any, orders: int,
                       started_at: dict[str, dict[int, int]], workdir: Path) -> dict[str, Any]:
    from topics import catalog

    read_by_worker = [catalog.ORDERS, catalog.INVENTORY_COMMANDS, catalog.ORDER_COMMANDS,
                      catalog.RESERVATION_RESULTS, catalog.OPERATOR_ACTIONS, catalog.EXCEPTIONS, catalog.DEAD_LETTERS]
    written = [*catalog.INTERNAL_TOPICS, *catalog.DERIVED_TOPICS]
    window = {spec: window_records(bootstrap, names[spec], started_at[names[spec]])
              for spec in {*read_by_worker, *written}}
    us: dict[str, float] = {}
    counts = {names[spec]: len(window[spec]) for spec in window if window[spec]}

    consumed = [spec for spec in read_by_worker if window[spec]]
    us["consume + Avro decode of what the worker read"] = sum(
        _consume_decode_cost(bootstrap, codec, names[spec], spec.value_schema, started_at[names[spec]], orders)
        for spec in consumed)
    # the availability record is encoded once for its two topics (AvroCodec.encode_for): one encode counted
    avro_written = [spec for spec in written
                    if spec.value_schema and window[spec] and spec is not catalog.AVAILABILITY_SNAPSHOT]
    us["Avro encode of what the worker wrote"] = sum(
        _encode_cost(codec, names[spec], spec.value_schema, window[spec], orders) for spec in avro_written)
    produced = [record for spec in written for record in window[spec]]
    us["produce (a flush per 5,000 records)"] = _produce_cost(bootstrap, settings, produced, orders)
    changelog = [value for spec in written if spec.value_schema is None for _, value in window[spec] if value]
    us["state write: JSON dump + RocksDB write batch"] = _state_cost(changelog, orders, workdir)
    availability = [codec.decode(value, catalog.AVAILABILITY_CHANGES.value_schema or "")
                    for _, value in window[catalog.AVAILABILITY_CHANGES]]
    us["Redis: availability snapshot entries (SnapshotWriter)"] = (
        redis_entries_cost(redis_url, availability) * len(availability) / orders if availability else 0.0)
    floor_us = sum(us.values())
    return {"orders": orders, "steps_us": us, "floor_us": floor_us, "max_orders_per_s": 1e6 / floor_us,
            "records_per_order": {topic: count / orders for topic, count in sorted(counts.items())}}


def _consume_decode_cost(bootstrap: str, codec: Any, topic: str, schema: str | None, since: dict[int, int],
                         orders: int) -> float:
    def consume_and_decode() -> None:
        codec.decode_many([value for _, value in window_records(bootstrap, topic, since)], schema or "")
    return cpu_us_per(orders, consume_and_decode)


def _encode_cost(codec: Any, topic: str, schema: str, records: list[tuple[bytes, bytes]], orders: int) -> float:
    decoded = [codec.decode(value, schema) for _, value in records]

    def encode() -> None:
        for record in decoded:
            codec.encode(topic, schema, record)
    return cpu_us_per(orders, encode)


def _produce_cost(bootstrap: str, settings: Any, records: list[tuple[bytes, bytes]], orders: int) -> float:
    [topic] = scratch_topics(bootstrap, ("saga",))
    producer = worker_producer(settings)

    def produce() -> None:
        for batch in batches(records):
            for index, (key, value) in enumerate(batch):
                producer.produce(topic, value, key, index % PARTITIONS, on_delivery=raise_on_failure)
            producer.flush(60)
    return cpu_us_per(orders, produce)


def _state_cost(values: list[bytes], orders: int, workdir: Path) -> float:
    import orjson

    return state_write_cost([(f"k{index}".encode(), orjson.loads(value)) for index, value in enumerate(values)],
                            orders, workdir)
