"""Worker processes, a fast producer, and what the pipeline ended with (table, snapshot), for the fault tests.

Worker processes are real `distflow worker` subprocesses so that a SIGKILL is a real crash (no finally, no flush).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from streams.devstack import free_port
from streams.settings import Settings
from streams.snapshot.keys import SnapshotKeys
from streams.topic_names import DeployedCatalog
from tests.ids import unique
from tests.reliability.oracle import Key, Position
from tests.reliability.traffic import Sent
from topics import catalog
from topics.codec import AvroCodec
from topics.partitioning import partition_for
from topics.spec import TopicSpec


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        elif hasattr(value, "value"):
            value = value.value
        env[f"DISTFLOW_{name.upper()}"] = str(value)
    env.update(extra)
    return env


@dataclass
class WorkerProcess:
    """One `distflow worker` subprocess with its own probe port and state volume."""

    settings: Settings
    log_path: Path
    state_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_level: str = "INFO"  # WARNING for throughput: no per-event info lines (then wait_ready cannot be used)

    def start(self) -> "WorkerProcess":
        env = worker_env(self.settings, DISTFLOW_WORKER_METRICS_PORT=str(self.port),
                         DISTFLOW_STATE_DIR=str(self.state_dir), DISTFLOW_LOG_FORMAT="json",
                         DISTFLOW_LOG_LEVEL=self.log_level)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"], env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def assignments(self) -> list[dict[str, object]]:
        """The worker's "partitions assigned" log lines so far (each with restored_records), oldest first.

        The log, not /readyz: the probe is for Kubernetes and may be slow under load; the log line is written once
        the assigned partitions are restored, which is the moment that matters here."""
        found = []
        with open(self.log_path, "rb") as log:
            for line in log:
                if b'"partitions assigned"' in line:
                    try:
                        found.append(json.loads(line))
                    except ValueError:
                        continue
        return found

    def wait_ready(self, timeout_s: float = 120) -> dict[str, object]:
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            assert self.alive, f"the worker exited with {self.proc.returncode if self.proc else None}"
            assigned = self.assignments()
            if assigned:
                return assigned[-1]
            time.sleep(0.05)
        raise AssertionError("the worker was assigned no partitions")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no commit."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@contextmanager
def worker_processes() -> Iterator[list[WorkerProcess]]:
    """Every worker started into the list is stopped at the end, whatever failed."""
    started: list[WorkerProcess] = []
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()


def fast_producer(settings: Settings, **config: object) -> Producer:
    return Producer({"bootstrap.servers": settings.kafka_bootstrap_servers, "linger.ms": 20,
                     "batch.num.messages": 10_000, "queue.buffering.max.messages": 1_000_000,
                     "queue.buffering.max.kbytes": 1_048_576, "enable.idempotence": True, **config})


def produce_all(producer: Producer, codec: AvroCodec, names: DeployedCatalog, sent: Iterable[Sent],
                partitions: int, owner_partition_for_direct: bool = True) -> int:
    """Encode and send; distflow's own commands go to the SKU owner's partition (Java murmur2), source records
    by the producer's partitioner. Returns how many were sent."""
    count = 0
    for record in sent:
        topic = names[record.spec]
        value = codec.encode(topic, record.spec.value_schema or "", record.record)
        key = record.key.encode()
        if record.direct and owner_partition_for_direct:
            producer.produce(topic, value, key, partition=partition_for(key, partitions))
        else:
            producer.produce(topic, value, key)
        count += 1
        if count % 20_000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0, "records left unsent"
    return count


def input_topics(names: DeployedCatalog) -> list[str]:
    """What the worker consumes: the source topics and its own command topic."""
    specs = (catalog.INVENTORY_MOVEMENTS, catalog.ON_HAND_SNAPSHOTS, catalog.INCOMING_SUPPLY, catalog.PICKS,
             catalog.SHIPMENTS, catalog.RETURN_RECEIPTS, catalog.INVENTORY_COMMANDS, catalog.ORDERS,
             catalog.ORDER_DECISIONS, catalog.ORDER_CANCELLATIONS, catalog.ORDER_COMMANDS,
             catalog.RESERVATION_RESULTS)
    return [names[spec] for spec in specs]


def end_offsets(bootstrap: str, topics: list[str]) -> dict[tuple[str, int], int]:
    """The next offset of every partition, found by reading its last batch to the end.

    Not the broker's high watermark alone: Tansu answers ListOffsets(latest) with the last batch's base offset + 1,
    so a partition whose last batch holds several records would look drained too early."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("ends"), "enable.partition.eof": True,
                         "enable.auto.commit": False})
    try:
        ends: dict[tuple[str, int], int] = {}
        assignment = []
        for topic in topics:
            for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions:
                _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                ends[(topic, p)] = high
                assignment.append(TopicPartition(topic, p, max(0, high - 1)))
        consumer.assign(assignment)
        pending, deadline = {(tp.topic, tp.partition) for tp in assignment}, time.time() + 30
        while pending and time.time() < deadline:
            for message in consumer.consume(10_000, 0.2):
                where = (message.topic(), message.partition())
                if message.error():
                    if message.error().code() == KafkaError._PARTITION_EOF:
                        pending.discard(where)
                    continue
                ends[where] = max(ends[where], message.offset() + 1)
        assert not pending, f"could not find the end of {sorted(pending)}"
        return ends
    finally:
        consumer.close()


def group_lag(settings: Settings, topics: list[str]) -> int:
    """Records of `topics` not yet committed by the worker group (end offsets minus committed offsets)."""
    ends = end_offsets(settings.kafka_bootstrap_servers, topics)
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": settings.app_id,
                         "enable.auto.commit": False})
    try:
        committed = consumer.committed([TopicPartition(t, p) for t, p in ends], timeout=10)
        done = {(tp.topic, tp.partition): max(tp.offset, 0) for tp in committed}
        return sum(max(0, end - done.get(where, 0)) for where, end in ends.items())
    finally:
        consumer.close()


def committed_total(settings: Settings, topics: list[str]) -> int:
    """The sum of the worker group's committed offsets over `topics`: grows with every committed batch."""
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": settings.app_id,
                         "enable.auto.commit": False})
    try:
        partitions = [TopicPartition(topic, p) for topic in topics
                      for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions]
        return sum(max(tp.offset, 0) for tp in consumer.committed(partitions, timeout=10))
    finally:
        consumer.close()


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str, every_s: float = 0.25) -> None:
    deadline = time.time() + timeout_s
    while not condition():
        assert time.time() < deadline, f"not reached in {timeout_s}s: {what}"
        time.sleep(every_s)


def wait_drained(settings: Settings, names: DeployedCatalog, timeout_s: float = 180) -> None:
    """Every input record, including the commands intake emitted, processed and committed (twice in a row)."""
    topics = input_topics(names)
    wait_until(lambda: group_lag(settings, topics) == 0 and group_lag(settings, topics) == 0, timeout_s,
               "the worker group drained its inputs")


def latest_by_key(bootstrap: str, topic: str) -> dict[bytes, bytes | None]:
    """The last value of every key of a topic (a compacted topic's meaning), read from the beginning."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("reader"), "enable.partition.eof": True,
                         "enable.auto.commit": False, "fetch.max.bytes": 52_428_800})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    latest: dict[bytes, bytes | None] = {}
    ended: set[int] = set()
    deadline = time.time() + 120
    try:
        while len(ended) < len(partitions):
            assert time.time() < deadline, f"could not read {topic} to its end"
            for message in consumer.consume(10_000, 0.5):
                if message.error():
                    if message.error().code() == KafkaError._PARTITION_EOF:
                        ended.add(message.partition())
                    continue
                latest[message.key()] = message.value()
    finally:
        consumer.close()
    return latest


def table_positions(settings: Settings, names: DeployedCatalog) -> dict[Key, Position]:
    """The SKU owner's table as its changelog holds it: per SKU and location, the stock counts."""
    positions: dict[Key, Position] = {}
    for key, value in latest_by_key(settings.kafka_bootstrap_servers,
                                    names[catalog.INVENTORY_CHANGELOG]).items():
        if value is None:
            continue
        record = json.loads(value)
        for stock in record.get("locations", ()):
            incoming = sum(line.get("open_quantity", 0) for line in stock.get("incoming", ()))
            positions[(key.decode(), stock["location"])] = Position(
                on_hand=stock.get("on_hand", 0), reserved=stock.get("reserved", 0),
                allocated=stock.get("allocated", 0), quality_control=stock.get("quality_control", 0),
                incoming=incoming)
    return positions


def table_lines(settings: Settings, names: DeployedCatalog, skus: set[str]) -> dict[tuple[str, str, str],
                                                                                   tuple[int, int]]:
    """Per order line the SKU owners' table holds: (reserved, allocated) summed over locations."""
    lines: dict[tuple[str, str, str], tuple[int, int]] = {}
    for key, value in latest_by_key(settings.kafka_bootstrap_servers,
                                    names[catalog.INVENTORY_CHANGELOG]).items():
        if value is None or key.decode() not in skus:
            continue
        for claim in json.loads(value).get("claims", ()):
            reserved = sum(q for _, q in claim.get("reserved", ()))
            allocated = sum(q for _, q in claim.get("allocated", ()))
            if reserved or allocated:
                lines[(key.decode(), claim["order_id"], claim["line_id"])] = (reserved, allocated)
    return lines


def snapshot_available(settings: Settings, skus: Iterable[str]) -> dict[str, dict[str, int]]:
    """The storefront's read model in Redis: per SKU, available per location (missing SKU: absent)."""
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    keys = SnapshotKeys(settings.redis_key_prefix)
    skus = list(skus)
    found: dict[str, dict[str, int]] = {}
    for start in range(0, len(skus), 500):
        chunk = skus[start:start + 500]
        for sku, raw in zip(chunk, client.mget([keys.availability(sku) for sku in chunk])):
            if raw is not None:
                found[sku] = {loc: int(q) for loc, q in json.loads(raw)["locations"].items()}
    client.close()
    return found


def expected_snapshot(expected: dict[Key, Position]) -> dict[str, dict[str, int]]:
    by_sku: dict[str, dict[str, int]] = {}
    for (sku, location), position in expected.items():
        by_sku.setdefault(sku, {})[location] = position.available
    return by_sku


def differences(expected: dict[Key, Position], actual: dict[Key, Position]) -> list[str]:
    """Human-readable differences (first ones), treating a missing location as all zeros."""
    found = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key, Position()), actual.get(key, Position())
        if want != got:
            found.append(f"{key}: expected {want}, table has {got}")
    return found


def same_availability(expected: dict[str, dict[str, int]], actual: dict[str, dict[str, int]]) -> list[str]:
    found = []
    for sku in sorted(expected):
        want = {loc: q for loc, q in expected[sku].items() if q}
        got = {loc: q for loc, q in actual.get(sku, {}).items() if q}
        if want != got:
            found.append(f"{sku}: expected {want}, snapshot has {got}")
    return found


def topic_count(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("counter")})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        total = 0
        for p in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            total += high - low
        return total
    finally:
        consumer.close()


def spec_topic(names: DeployedCatalog, spec: TopicSpec) -> str:
    return names[spec]


def order_documents(settings: Settings, order_ids: Iterable[str]) -> dict[str, dict[str, object] | None]:
    """The order read model in Redis (what GET /v1/orders/{id} serves), by order id."""
    import redis

    ids = list(order_ids)
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    try:
        with client.pipeline(transaction=False) as pipe:
            for order_id in ids:
                pipe.hget(f"{settings.redis_key_prefix}order:{order_id}", "document")
            raw = pipe.execute()
    finally:
        client.close()
    return {order_id: None if value is None else json.loads(value) for order_id, value in zip(ids, raw)}


def order_differences(expected: dict[str, Any], documents: dict[str, dict[str, object] | None]) -> list[str]:
    """Per order: the final status and, per line, what it still holds (reserved, allocated)."""
    problems = []
    for order_id, outcome in expected.items():
        document = documents.get(order_id)
        if document is None:
            problems.append(f"{order_id}: no order document")
            continue
        lines = {str(l["line_id"]): (l["reserved"], l["allocated"]) for l in document["lines"]}  # type: ignore[union-attr, index]
        reserved, allocated = outcome.holds
        want = {line_id: (quantity if reserved else 0, quantity if allocated else 0)
                for line_id, _, quantity in outcome.lines}
        if document["status"] != outcome.status or lines != want:
            problems.append(f"{order_id}: {document['status']} {lines}, expected {outcome.status} {want}")
    return problems


def fulfilment_requests(settings: Settings, names: DeployedCatalog, codec: AvroCodec) -> dict[str, set[tuple[str, str, int]]]:
    """Distinct fulfilment REQUESTs per order (a redelivered batch may repeat a record, never a different one)."""
    topic = names[catalog.FULFILMENT_REQUESTS]
    found: dict[str, set[tuple[str, str, int]]] = {}
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": unique("fulfil"),
                         "enable.partition.eof": True, "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        ended, deadline = set(), time.time() + 60
        while len(ended) < len(partitions) and time.time() < deadline:
            for message in consumer.consume(10_000, 0.3):
                if message.error():
                    if message.error().code() == KafkaError._PARTITION_EOF:
                        ended.add(message.partition())
                    continue
                record = codec.decode(message.value(), catalog.FULFILMENT_REQUESTS.value_schema or "")
                if record["kind"] == "REQUEST":
                    found.setdefault(str(record["order_id"]), set()).update(
                        (str(record["fulfilment_id"]), str(l["sku"]), int(l["quantity"])) for l in record["lines"])
    finally:
        consumer.close()
    return found
