"""Consumer lag per partition (end − committed) as the worker reports it, against a real Tansu broker.

The figure must equal what the broker itself says: records produced into each partition minus the offset the
group committed there. A stage holds the third batch, so the worker stops part-way with records fetched but not
committed (the figure is the one measured after the second batch's commit: lag_interval_s=0 measures after every
loop); then it is released and the lag must fall to zero on every partition.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from prometheus_client import CollectorRegistry

from streams.devstack import Broker
from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord
from streams.engine.worker import BatchWorker, WorkerConfig
from streams.metrics import WorkerMetrics
from tests.ids import unique
from tests.integration.engine_fixtures import TotalsStage, create_topics

pytestmark = pytest.mark.integration
PARTITIONS = 4
PRODUCED = {partition: 100 * (partition + 1) for partition in range(PARTITIONS)}  # 100, 200, 300, 400
LAG_METRIC = "distflow_consumer_lag_records"


class HeldTotals(TotalsStage):
    """Totals that stop the worker inside one batch (before its commit) until the test releases it."""

    def __init__(self, *args: object, hold_batch: int) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.batches, self.hold_batch = 0, hold_batch
        self.holding, self.release = threading.Event(), threading.Event()

    def process(self, records: Sequence[InputRecord], out: Emitter) -> None:
        self.batches += 1
        if self.batches == self.hold_batch:
            self.holding.set()
            assert self.release.wait(60), "the test never released the held batch"
        super().process(records, out)


def produce_per_partition(bootstrap: str, topic: str) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for partition, count in PRODUCED.items():
        for index in range(count):
            producer.produce(topic, key=f"SKU-{partition}-{index % 7}".encode(),
                             value=f'{{"id": "p{partition}-{index}", "qty": 1}}'.encode(), partition=partition)
    assert producer.flush(30) == 0


def committed_by_broker(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offsets as the broker stores them (a consumer that never joins the group)."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        found = reader.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
    finally:
        reader.close()
    return {tp.partition: max(tp.offset, 0) for tp in found}


def gauge(registry: CollectorRegistry, topic: str) -> dict[int, float]:
    values = {}
    for partition in range(PARTITIONS):
        value = registry.get_sample_value(LAG_METRIC, {"topic": topic, "partition": str(partition)})
        if value is not None:
            values[partition] = value
    return values


def wait_for(condition, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_consumer_lag_per_partition_is_end_minus_committed_part_way_and_zero_when_caught_up(
        broker: Broker, tmp_path: Path) -> None:
    source, changelog, output, group = unique("lag-src"), unique("lag-changelog"), unique("lag-out"), unique("lag")
    create_topics(broker.bootstrap, {source: {}, output: {}, changelog: {"cleanup.policy": "compact"}}, PARTITIONS)
    produce_per_partition(broker.bootstrap, source)
    stage = HeldTotals(source, changelog, output, tmp_path / "state", hold_batch=3)
    worker = BatchWorker(WorkerConfig(group, {"bootstrap.servers": broker.bootstrap}, batch_max_records=100,
                                      session_timeout_ms=6000, heartbeat_interval_ms=500, lag_interval_s=0),
                         [stage])
    registry = CollectorRegistry()
    WorkerMetrics.create(registry).consumer_lag.bind(worker.consumer_lag)  # as streams.app wires it
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="lag-worker")
    thread.start()
    try:
        assert stage.holding.wait(60), "the worker never reached its third batch"
        committed = committed_by_broker(broker.bootstrap, group, source)
        expected = {p: PRODUCED[p] - committed[p] for p in range(PARTITIONS)}
        wait_for(lambda: len(worker.consumer_lag()) == PARTITIONS)

        part_way = {partition: lag for (topic, partition), lag in worker.consumer_lag().items()}
        scraped = gauge(registry, source)

        assert 0 < worker.status.records_in <= 200  # two batches of at most 100 committed, the third held
        assert part_way == expected
        assert sum(part_way.values()) == sum(PRODUCED.values()) - worker.status.records_in
        assert scraped == {p: float(lag) for p, lag in expected.items()}

        stage.release.set()
        wait_for(lambda: worker.status.records_in == sum(PRODUCED.values()))
        wait_for(lambda: set(gauge(registry, source).values()) == {0.0})

        assert worker.status.records_in == sum(PRODUCED.values())
        assert gauge(registry, source) == {p: 0.0 for p in range(PARTITIONS)}
        assert committed_by_broker(broker.bootstrap, group, source) == PRODUCED
    finally:
        stage.release.set()
        stop.set()
        thread.join(30)

    assert worker.consumer_lag() == {}  # closed: no figures, and the scrape shows no stale series
    assert gauge(registry, source) == {}


class ViewsHeldTotals(TotalsStage):
    """Totals whose views stay unwritten (offsets held back, as during a Redis outage) until the test says so."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.offsets_committable = False

    def on_idle(self) -> None:
        pass


def test_offsets_held_back_at_the_end_of_a_stream_are_committed_once_the_views_are_covered(
        broker: Broker, tmp_path: Path) -> None:
    """No further input arrives after the held batches: nothing but the worker's idle loop can commit them."""
    source, changelog, output, group = unique("held-src"), unique("held-changelog"), unique("held-out"), unique("held")
    create_topics(broker.bootstrap, {source: {}, output: {}, changelog: {"cleanup.policy": "compact"}}, PARTITIONS)
    produce_per_partition(broker.bootstrap, source)
    stage = ViewsHeldTotals(source, changelog, output, tmp_path / "state")
    worker = BatchWorker(WorkerConfig(group, {"bootstrap.servers": broker.bootstrap}, batch_max_records=100,
                                      session_timeout_ms=6000, heartbeat_interval_ms=500, lag_interval_s=0),
                         [stage])
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="held-worker")
    thread.start()
    try:
        wait_for(lambda: worker.status.records_in == sum(PRODUCED.values()))
        time.sleep(0.5)  # idle loops while the views are still uncovered
        held = committed_by_broker(broker.bootstrap, group, source)

        stage.offsets_committable = True
        wait_for(lambda: committed_by_broker(broker.bootstrap, group, source) == PRODUCED)

        assert worker.status.records_in == sum(PRODUCED.values())
        assert held == {p: 0 for p in range(PARTITIONS)}
        assert committed_by_broker(broker.bootstrap, group, source) == PRODUCED
        wait_for(lambda: set(worker.consumer_lag().values()) == {0})
        assert worker.consumer_lag() == {(source, p): 0 for p in range(PARTITIONS)}
    finally:
        stop.set()
        thread.join(30)
