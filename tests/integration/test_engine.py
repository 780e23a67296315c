"""The batch engine against a real Tansu broker: state, changelog, restore, redelivery."""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, TopicPartition

from streams.devstack import Broker
from streams.engine.records import InputRecord
from streams.engine.worker import BatchObserver, BatchWorker, WorkerConfig
from tests.ids import unique
from tests.integration.engine_fixtures import TotalsStage, create_topics, produce_events

pytestmark = pytest.mark.integration


def read_all(bootstrap: str, topic: str, partitions: int = 4) -> list[tuple[bytes, bytes]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("reader"),
                         "enable.partition.eof": True, "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    records, ended = [], set()
    deadline = time.time() + 30
    while len(ended) < partitions and time.time() < deadline:
        for message in consumer.consume(10_000, 0.5):
            if message.error() and message.error().code() == KafkaError._PARTITION_EOF:
                ended.add(message.partition())
            elif not message.error():
                records.append((message.key(), message.value()))
    consumer.close()
    return records


class Topology:
    def __init__(self, broker: Broker, tmp_path: Path) -> None:
        self.bootstrap = broker.bootstrap
        self.source, self.changelog, self.output = unique("src"), unique("changelog"), unique("out")
        self.group = unique("group")
        create_topics(self.bootstrap, {self.source: {}, self.output: {},
                                       self.changelog: {"cleanup.policy": "compact"}})

    def worker(self, state_dir: Path, observers: Sequence[BatchObserver] = (),
               **bounds: int) -> tuple[BatchWorker, TotalsStage]:
        stage = TotalsStage(self.source, self.changelog, self.output, state_dir)
        config = WorkerConfig(self.group, {"bootstrap.servers": self.bootstrap},
                              **{"batch_max_records": 500, **bounds}, session_timeout_ms=6000,
                              heartbeat_interval_ms=500)
        return BatchWorker(config, [stage], observers=observers), stage

    def run_until(self, worker: BatchWorker, records_in: int, timeout_s: float = 60) -> None:
        deadline = time.time() + timeout_s
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,))
        thread.start()
        while worker.status.records_in < records_in and time.time() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(30)
        assert worker.status.records_in >= records_in, worker.status


def totals_from_store(stage: TotalsStage, state_dir: Path) -> dict[bytes, int]:
    import json

    from rocksdict import Options, Rdict

    from streams.engine.state import CHECKPOINT_KEY

    totals: dict[bytes, int] = {}
    for partition_dir in sorted((state_dir / "totals").iterdir()):
        db = Rdict(str(partition_dir), Options(raw_mode=True))
        for key, value in db.items():
            if key != CHECKPOINT_KEY:
                totals[key] = json.loads(value)["total"]
        db.close()
    return totals


def events(count: int, skus: int, start: int = 0) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return [(f"SKU-{i % skus}", {"id": f"e{i}", "qty": 1 + i % 3}) for i in range(start, start + count)]


def expected_totals(evts: list[tuple[str, dict]]) -> dict[bytes, int]:  # type: ignore[type-arg]
    totals: dict[bytes, int] = {}
    for key, event in evts:
        totals[key.encode()] = totals.get(key.encode(), 0) + event["qty"]
    return totals


def test_batches_write_one_changelog_record_per_key_and_state_matches(broker: Broker, tmp_path: Path) -> None:
    topology = Topology(broker, tmp_path)
    sent = events(3000, skus=50)
    produce_events(topology.bootstrap, topology.source, sent)
    worker, stage = topology.worker(tmp_path / "a")

    topology.run_until(worker, 3000)

    assert totals_from_store(stage, tmp_path / "a") == expected_totals(sent)
    changelog = read_all(topology.bootstrap, topology.changelog)
    assert len(changelog) <= 50 * worker.status.batches < 3000


@pytest.mark.parametrize(("bounds", "most_records", "most_bytes"), [
    ({"batch_max_records": 10_000, "batch_max_bytes": 20_000}, None, 20_000),
    ({"batch_max_records": 40, "batch_max_bytes": 10_000_000}, 40, None),
])
def test_a_batch_stops_growing_at_its_record_or_byte_bound(broker: Broker, tmp_path: Path, bounds: dict[str, int],
                                                           most_records: int | None, most_bytes: int | None) -> None:
    topology = Topology(broker, tmp_path)
    sent = [(key, {**event, "note": "x" * 1_000}) for key, event in events(600, skus=20)]  # ~1 KB each
    produce_events(topology.bootstrap, topology.source, sent)
    batches: list[tuple[int, int]] = []  # (records, bytes of values)

    def seen(records: Sequence[InputRecord], *_: object) -> None:
        batches.append((len(records), sum(len(r.value or b"") for r in records)))
    worker, stage = topology.worker(tmp_path / "a", observers=[seen], **bounds)

    topology.run_until(worker, 600)

    assert sum(count for count, _ in batches) == 600
    assert totals_from_store(stage, tmp_path / "a") == expected_totals(sent)
    if most_records is not None:  # the backlog fills a batch to its bound, never past it
        assert max(count for count, _ in batches) == most_records
    if most_bytes is not None:  # the record that crosses the bound is taken, no more
        assert most_bytes <= max(size for _, size in batches) < most_bytes + 1_100


def test_restart_without_local_state_restores_from_the_changelog(broker: Broker, tmp_path: Path) -> None:
    topology = Topology(broker, tmp_path)
    first, second = events(2000, skus=40), events(1000, skus=40, start=2000)
    produce_events(topology.bootstrap, topology.source, first)
    worker, _ = topology.worker(tmp_path / "a")
    topology.run_until(worker, 2000)

    produce_events(topology.bootstrap, topology.source, second)
    fresh, stage = topology.worker(tmp_path / "empty-volume")
    topology.run_until(fresh, 1000)

    assert fresh.status.restored_records > 0
    assert totals_from_store(stage, tmp_path / "empty-volume") == expected_totals(first + second)


def test_restart_with_its_volume_reads_nothing_it_already_has(broker: Broker, tmp_path: Path) -> None:
    topology = Topology(broker, tmp_path)
    produce_events(topology.bootstrap, topology.source, events(1000, skus=20))
    worker, _ = topology.worker(tmp_path / "a")
    topology.run_until(worker, 1000)

    produce_events(topology.bootstrap, topology.source, events(10, skus=20, start=1000))
    again, stage = topology.worker(tmp_path / "a")
    topology.run_until(again, 10)

    assert again.status.restored_records == 0
    assert totals_from_store(stage, tmp_path / "a") == expected_totals(events(1010, skus=20))


def test_redelivered_batch_changes_nothing(broker: Broker, tmp_path: Path) -> None:
    topology = Topology(broker, tmp_path)
    sent = events(500, skus=10)
    produce_events(topology.bootstrap, topology.source, sent)
    produce_events(topology.bootstrap, topology.source, sent)  # every event delivered twice

    worker, stage = topology.worker(tmp_path / "a")
    topology.run_until(worker, 1000)

    assert totals_from_store(stage, tmp_path / "a") == expected_totals(sent)


def test_exactly_once_mode_commits_outputs_changelog_and_offsets_in_one_transaction(broker: Broker,
                                                                                    tmp_path: Path) -> None:
    topology = Topology(broker, tmp_path)
    sent = events(1500, skus=30)
    produce_events(topology.bootstrap, topology.source, sent)
    stage = TotalsStage(topology.source, topology.changelog, topology.output, tmp_path / "eos")
    config = WorkerConfig(topology.group, {"bootstrap.servers": topology.bootstrap}, batch_max_records=300,
                          session_timeout_ms=6000, heartbeat_interval_ms=500, transactional_id=unique("tx"))
    worker = BatchWorker(config, [stage])

    topology.run_until(worker, 1500)

    assert worker.exactly_once
    assert totals_from_store(stage, tmp_path / "eos") == expected_totals(sent)
    outputs = read_all(topology.bootstrap, topology.output)
    assert len(outputs) == 1500  # one output per event, none doubled


def test_a_volume_from_a_cluster_that_lost_its_changelog_is_rebuilt_not_waited_on(broker: Broker,
                                                                                   tmp_path: Path) -> None:
    """An in-memory broker restarted under a kept volume (a second `make dev`): the checkpoints point past the end
    of an empty changelog. Tansu answers such a fetch with nothing at all, so the restore must notice by itself."""
    before = Topology(broker, tmp_path)
    produce_events(before.bootstrap, before.source, events(500, skus=10))
    worker, _ = before.worker(tmp_path / "kept")
    before.run_until(worker, 500)

    after = Topology(broker, tmp_path)  # same volume, a changelog that never saw those writes
    fresh = events(60, skus=10, start=500)
    produce_events(after.bootstrap, after.source, fresh)
    again, stage = after.worker(tmp_path / "kept")
    after.run_until(again, 60, timeout_s=40)

    assert totals_from_store(stage, tmp_path / "kept") == expected_totals(fresh)
