"""The inventory path's library floor: the CPU that the I/O and codec calls cost per event, with no distflow logic.

Called by bench.inventory_path on its own stack, on the same source records, after its decode baselines. Every
event of that benchmark changes its SKU's published availability, and a batch keeps one output per SKU, so
whatever the worker's own logic costs, each event needs a consume and decode, and each SKU of each batch (the
records as read, partition by partition, cut in batches of the workers' size — as a backlog reaches the worker)
these library calls, in the worker's shapes:

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

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import MOVEMENT_SCHEMA, PARTITIONS
from bench.floor_steps import (batches, cpu_us_per, raise_on_failure, redis_entries_cost, scratch_topics,
                               state_write_cost, window_records, worker_producer)


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


def library_floor(bootstrap: str, redis_url: str, settings: Any, codec: Any, topic: str, n: int,
                  workdir: Path) -> dict[str, Any]:
    from streams.topic_names import DeployedCatalog
    from topics import catalog

    names = DeployedCatalog(settings)
    us: dict[str, float] = {}
    decoded: list[Any] = []
    from_start = {partition: 0 for partition in range(PARTITIONS)}
    us["consume + decode"] = cpu_us_per(n, lambda: decoded.extend(codec.decode_many(
        [value for _, value in window_records(bootstrap, topic, from_start)], MOVEMENT_SCHEMA)))
    all_events = [e for e in decoded if isinstance(e, dict)]
    records = _stored_records(all_events)
    per_batch = _last_per_sku(all_events)
    events = [event for batch in per_batch for event in batch]  # the ones whose outputs a batch keeps
    availability = _availability_records(events, records, names[catalog.INVENTORY_COMMANDS])
    # scratch topics: the worker that runs next restores its state from the real changelog
    *out_topics, changelog = scratch_topics(bootstrap, ("availability-changes", "availability-snapshot", "changelog"))
    encoded: list[list[bytes]] = []
    schema = catalog.AVAILABILITY_CHANGES.value_schema or ""
    n_events = len(all_events)
    us["Avro encode (availability, once for 2 topics)"] = cpu_us_per(
        n_events, lambda: encoded.extend(codec.encode_for(out_topics, schema, record) for record in availability))
    us["produce 3 records + flush per batch"] = _produce_step(settings, events, [len(b) for b in per_batch], encoded,
                                                              out_topics, changelog, records, n_events)
    us["state write: JSON dump + RocksDB write batch"] = _state_step(events, records, workdir, n_events)
    us["Redis: snapshot entry JSON + EVALSHA (SnapshotWriter)"] = redis_entries_cost(
        redis_url, availability) * len(availability) / n_events
    floor_us = sum(us.values())
    return {"events": n_events, "outputs": len(events), "steps_us": us, "floor_us": floor_us,
            "max_events_per_s": 1e6 / floor_us}


def _last_per_sku(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Per batch of the workers' size, the last event of each SKU in it (the outputs that batch keeps)."""
    kept = []
    for batch in batches(events):
        last = {event["sku"]: event for event in batch}
        kept.append(list(last.values()))
    return kept


def _produce_step(settings: Any, events: list[Any], batch_sizes: list[int], encoded: list[list[bytes]],
                  out_topics: list[str], changelog: str, records: dict[str, dict[str, Any]], per: int) -> float:
    """Per kept event the two availability values (with the correlation header) and the changelog record, a flush
    (waiting for the acknowledgements) per batch; CPU per `per` events."""
    import orjson

    producer = worker_producer(settings)
    changelog_values = [orjson.dumps(records[e["sku"]]) for e in events]

    def produce() -> None:
        end = 0
        for size in batch_sizes:
            start, end = end, end + size
            for i in range(start, end):
                key = events[i]["sku"].encode()
                headers = [("correlation_id", events[i]["envelope"]["event_id"].encode())]
                for out_topic, value in zip(out_topics, encoded[i]):
                    producer.produce(out_topic, value, key, headers=headers, on_delivery=raise_on_failure)
                producer.produce(changelog, changelog_values[i], key, i % PARTITIONS, on_delivery=raise_on_failure)
            producer.flush(60)
    return cpu_us_per(per, produce)


def _state_step(events: list[Any], records: dict[str, dict[str, Any]], workdir: Path, per: int) -> float:
    return state_write_cost([(event["sku"].encode(), records[event["sku"]]) for event in events], per, workdir)


