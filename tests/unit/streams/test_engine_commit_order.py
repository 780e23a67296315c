"""The engine's commit protocol, step by step (no broker: the producer records what it is asked to do).

A restore reads a changelog to its end, also the records of a batch that crashed before its offset commit; the
redelivered records are then duplicates of that state and decide nothing again. So no changelog record of a batch
may reach the broker before every output of the batch is acknowledged: a SIGKILL in between would leave a state
that says a RESERVE, an ALLOCATE or a reservation answer was sent when it never was, and nothing would send it again.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord
from streams.engine.worker import BatchWorker, WorkerConfig
from tests.integration.engine_fixtures import TotalsStage
from tests.unit.streams.delivered import Delivered


class RecordingProducer:
    """Records produce and flush calls; a flush acknowledges everything produced so far."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self._unacknowledged: list[tuple[Callable[[object, object], None], Delivered]] = []

    def produce(self, topic: str, value: bytes | None, key: bytes | None, partition: int = 0,
                on_delivery: Callable[[object, object], None] | None = None, headers: object = None) -> None:
        self.calls.append(("produce", topic))
        assert on_delivery is not None
        self._unacknowledged.append((on_delivery, Delivered(topic, partition, len(self.calls))))

    def flush(self, timeout: float) -> int:
        self.calls.append(("flush", ""))
        for callback, message in self._unacknowledged:
            callback(None, message)
        self._unacknowledged = []
        return 0

    def poll(self, timeout: float) -> int:
        return 0


def test_a_batchs_changelog_is_produced_only_after_its_outputs_are_acknowledged(tmp_path: Path) -> None:
    stage = TotalsStage("src", "totals-changelog", "out", tmp_path)
    stage.table.open(0)
    worker = BatchWorker(WorkerConfig("group", {"bootstrap.servers": "127.0.0.1:9", "log_level": "0"}), [stage])
    producer = RecordingProducer()
    worker._emitter = Emitter(producer)  # type: ignore[arg-type]
    try:
        worker._process([InputRecord("src", 0, 0, b"SKU-1", json.dumps({"id": "e1", "qty": 2}).encode(), (), 0)])
        worker._commit([])  # no input offsets to commit: the consumer is never asked
        persisted = stage.table.get(0, b"SKU-1")
    finally:
        worker._consumer.close()
        stage.table.close_all()

    calls = producer.calls
    first_changelog = calls.index(("produce", "totals-changelog"))
    last_output = max(i for i, call in enumerate(calls) if call == ("produce", "out"))
    assert ("flush", "") in calls[last_output:first_changelog], calls  # outputs acknowledged first
    assert calls[-1] == ("flush", "")  # and the changelog before the local state is written
    assert persisted == {"total": 2, "seen": ["e1"]}


class ViewsStage(TotalsStage):
    """Tells the producer's call log when the worker asks it to write its views."""

    def __init__(self, calls: list[tuple[str, str]], state_dir: Path, early: bool) -> None:
        super().__init__("src", "totals-changelog", "out", state_dir)
        self.calls = calls
        if early:
            self.before_acknowledgements = lambda: calls.append(("views", "early"))

    def after_commit(self) -> None:
        self.calls.append(("views", "after commit"))


def test_versioned_views_are_written_before_the_acknowledgements_and_the_others_after_persisting(
        tmp_path: Path) -> None:
    producer = RecordingProducer()
    early, late = ViewsStage(producer.calls, tmp_path / "early", True), ViewsStage(producer.calls, tmp_path, False)
    late.name = "late-views"
    late.input_topics = ("src-late",)
    for stage in (early, late):
        stage.table.open(0)
    worker = BatchWorker(WorkerConfig("group", {"bootstrap.servers": "127.0.0.1:9", "log_level": "0"}),
                         [early, late])
    worker._emitter = Emitter(producer)  # type: ignore[arg-type]
    try:
        worker._process([InputRecord("src", 0, 0, b"SKU-1", json.dumps({"id": "e1", "qty": 2}).encode(), (), 0),
                         InputRecord("src-late", 0, 0, b"SKU-2", json.dumps({"id": "e2", "qty": 1}).encode(), (), 0)])
        worker._commit([])
    finally:
        worker._consumer.close()
        for stage in (early, late):
            stage.table.close_all()

    calls = producer.calls
    assert calls.count(("views", "early")) == 1 and calls.count(("views", "after commit")) == 2, calls
    assert calls.index(("views", "early")) < calls.index(("flush", "")), calls  # before any acknowledgement
    assert calls.index(("views", "after commit")) > max(i for i, c in enumerate(calls) if c == ("flush", ""))


class TwoTablesStage:
    """A stage whose second table refers to its first (as the order owner's orders refer to its ERP outbox)."""
    name = "two-tables"
    input_topics = ("src",)

    def __init__(self, state_dir: Path) -> None:
        from tests.integration.engine_fixtures import JSON_CODEC
        from streams.engine.state import ChangelogTable

        self.referred = ChangelogTable("referred", "referred-changelog", "src", JSON_CODEC, state_dir)
        self.referring = ChangelogTable("referring", "referring-changelog", "src", JSON_CODEC, state_dir)
        self.tables = (self.referred, self.referring)

    def process(self, records, out) -> None:  # type: ignore[no-untyped-def]
        for record in records:
            self.referred.put(record.partition, b"command-1", {"queued": True})
            self.referring.put(record.partition, record.key, {"command": "command-1"})

    def after_commit(self) -> None:
        pass


def test_a_stages_tables_become_durable_in_their_declared_order(tmp_path: Path) -> None:
    stage = TwoTablesStage(tmp_path)
    for table in stage.tables:
        table.open(0)
    worker = BatchWorker(WorkerConfig("group", {"bootstrap.servers": "127.0.0.1:9", "log_level": "0"}), [stage])
    producer = RecordingProducer()
    worker._emitter = Emitter(producer)  # type: ignore[arg-type]
    try:
        worker._process([InputRecord("src", 0, 0, b"O-1", b"{}", (), 0)])
        worker._commit([])
    finally:
        worker._consumer.close()
        for table in stage.tables:
            table.close_all()

    calls = producer.calls
    referred, referring = calls.index(("produce", "referred-changelog")), calls.index(("produce", "referring-changelog"))
    assert referred < referring and ("flush", "") in calls[referred:referring], calls


class SlowAcknowledgements(RecordingProducer):
    """Each flush waits as a broker round trip would."""

    def __init__(self, round_trip_s: float) -> None:
        super().__init__()
        self.round_trip_s = round_trip_s

    def flush(self, timeout: float) -> int:
        import time

        time.sleep(self.round_trip_s)
        return super().flush(timeout)


class OneMessageConsumer:
    """Hands out one consumed message, then nothing; takes the offset commit."""

    def __init__(self, value: bytes) -> None:
        self.value, self.committed = value, []

    def consume(self, most: int, timeout: float) -> list[object]:
        value, self.value = self.value, None
        if value is None:
            return []
        message = type("Message", (), {
            "topic": lambda _: "src", "partition": lambda _: 0, "offset": lambda _: 0, "key": lambda _: b"SKU-1",
            "value": lambda _: value, "headers": lambda _: None, "timestamp": lambda _: (1, 0),
            "error": lambda _: None})
        return [message()]

    def commit(self, offsets: object, asynchronous: bool) -> None:
        self.committed.append(offsets)

    def get_watermark_offsets(self, partition: object, cached: bool) -> tuple[int, int]:
        return 0, 1

    def close(self) -> None:
        pass


def test_observers_learn_where_a_batchs_time_went_phase_by_phase(tmp_path: Path) -> None:
    from streams.engine.worker import BATCH_PHASES

    stage = TotalsStage("src", "totals-changelog", "out", tmp_path)
    stage.table.open(0)
    seen: list[dict[str, float]] = []
    worker = BatchWorker(WorkerConfig("group", {"bootstrap.servers": "127.0.0.1:9", "log_level": "0"}), [stage],
                         observers=[lambda records, seconds, sent, phases: seen.append(dict(phases, total=seconds))])
    worker._consumer.close()
    worker._consumer = OneMessageConsumer(json.dumps({"id": "e1", "qty": 2}).encode())  # type: ignore[assignment]
    worker._emitter = Emitter(SlowAcknowledgements(0.05))  # type: ignore[arg-type]
    try:
        worker.run_once()
    finally:
        stage.table.close_all()

    [phases] = seen
    assert set(phases) == {*BATCH_PHASES, "total"}
    assert phases["outputs_acknowledged"] >= 0.05 and phases["changelog_acknowledged"] >= 0.05  # one round trip each
    assert phases["process"] < 0.05 and phases["views_written"] < 0.05
    assert abs(sum(phases[p] for p in BATCH_PHASES) - phases["total"]) < 0.01


def test_a_batch_whose_views_a_stage_has_not_covered_keeps_its_offsets_uncommitted(tmp_path: Path) -> None:
    committed: dict[bool, list[object]] = {}
    for covered in (True, False):
        stage = TotalsStage("src", "totals-changelog", "out", tmp_path / str(covered))
        stage.table.open(0)
        stage.offsets_committable = covered  # type: ignore[attr-defined]
        worker = BatchWorker(WorkerConfig("group", {"bootstrap.servers": "127.0.0.1:9", "log_level": "0"}), [stage])
        worker._consumer.close()
        consumer = OneMessageConsumer(json.dumps({"id": "e1", "qty": 2}).encode())
        worker._consumer = consumer  # type: ignore[assignment]
        worker._emitter = Emitter(RecordingProducer())  # type: ignore[arg-type]
        try:
            worker.run_once()
        finally:
            stage.table.close_all()
        committed[covered] = consumer.committed

    assert len(committed[True]) == 1 and committed[False] == []  # a crash now redelivers the batch


class HeldViewsStage(TotalsStage):
    """Holds its batches' offsets back (views not yet written) until the test says they are covered."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__("src", "totals-changelog", "out", state_dir)
        self.offsets_committable = False
        self.idle_loops = 0

    def on_idle(self) -> None:
        self.idle_loops += 1


def held_views_worker(tmp_path: Path) -> tuple[BatchWorker, HeldViewsStage, OneMessageConsumer]:
    stage = HeldViewsStage(tmp_path)
    stage.table.open(0)
    worker = BatchWorker(WorkerConfig("group", {"bootstrap.servers": "127.0.0.1:9", "log_level": "0"},
                                      poll_timeout_s=0.01), [stage])
    worker._consumer.close()
    consumer = OneMessageConsumer(json.dumps({"id": "e1", "qty": 2}).encode())
    worker._consumer = consumer  # type: ignore[assignment]
    worker._emitter = Emitter(RecordingProducer())  # type: ignore[arg-type]
    return worker, stage, consumer


def offsets_of(commit: object) -> list[tuple[str, int, int]]:
    return [(tp.topic, tp.partition, tp.offset) for tp in commit]  # type: ignore[attr-defined]


def test_offsets_a_stage_held_back_are_committed_by_an_idle_loop_once_it_allows_it(tmp_path: Path) -> None:
    """The end of a stream: no later batch of the partition would ever commit them, and the lag would stay."""
    worker, stage, consumer = held_views_worker(tmp_path)
    try:
        worker.run_once()  # the batch: held back
        worker.run_once()  # idle, still held back
        held_while_uncovered = list(consumer.committed)
        stage.offsets_committable = True
        worker.run_once()  # idle: now committed
        worker.run_once()  # and only once
    finally:
        stage.table.close_all()

    assert held_while_uncovered == [] and stage.idle_loops == 3
    assert [offsets_of(c) for c in consumer.committed] == [[("src", 0, 1)]]
    assert worker._committed == {("src", 0): 1}  # the lag figure counts from there


def test_a_failed_asynchronous_commit_is_made_again_by_the_next_idle_loop(tmp_path: Path) -> None:
    from confluent_kafka import KafkaError, TopicPartition

    worker, stage, consumer = held_views_worker(tmp_path)
    stage.offsets_committable = True
    worker.COMMIT_RETRY_S = 0.2
    try:
        worker.run_once()  # the batch: committed asynchronously
        worker._commit_done(KafkaError(KafkaError.REBALANCE_IN_PROGRESS), [TopicPartition("src", 0, 1)])
        for _ in range(5):
            worker.run_once()  # idle, within the retry interval: not asked again at every poll
        asked_within_interval = len(consumer.committed)
        time.sleep(0.2)
        worker.run_once()  # idle, past it: committed again
        worker.run_once()
    finally:
        stage.table.close_all()

    assert asked_within_interval == 1
    assert [offsets_of(c) for c in consumer.committed] == [[("src", 0, 1)], [("src", 0, 1)]]


def test_held_offsets_are_committed_synchronously_when_revoked_and_never_when_lost(tmp_path: Path) -> None:
    from confluent_kafka import TopicPartition

    commits: dict[str, list[tuple[list[tuple[str, int, int]], bool]]] = {}
    for how in ("revoked", "lost"):
        worker, stage, consumer = held_views_worker(tmp_path / how)
        try:
            worker.run_once()  # held back
            stage.offsets_committable = True  # covered, and the partition goes before the next loop
            gone = worker._on_revoke if how == "revoked" else worker._on_lost
            calls = commits.setdefault(how, [])
            consumer.commit = lambda offsets, asynchronous, calls=calls: calls.append(  # type: ignore[method-assign]
                (offsets_of(offsets), asynchronous))
            gone(consumer, [TopicPartition("src", 0)])  # type: ignore[arg-type]
            worker.run_once()  # nothing held any more
        finally:
            stage.table.close_all()

    assert commits == {"revoked": [([("src", 0, 1)], False)], "lost": []}


def test_a_commit_refused_at_once_or_failed_for_one_partition_is_held_and_the_worker_goes_on(
        tmp_path: Path) -> None:
    from confluent_kafka import KafkaError, KafkaException

    worker, stage, consumer = held_views_worker(tmp_path)
    stage.offsets_committable = True
    worker.COMMIT_RETRY_S = 0  # retried by the next idle loop (the interval has its own test)
    asked: list[list[tuple[str, int, int]]] = []

    def refuse_once(offsets: object, asynchronous: bool) -> None:
        asked.append(offsets_of(offsets))
        if len(asked) == 1:
            raise KafkaException(KafkaError(KafkaError._WAIT_COORD))

    consumer.commit = refuse_once  # type: ignore[method-assign]
    try:
        worker.run_once()  # the batch: its commit refused at once, the batch itself stands
        committed_after_refusal = dict(worker._committed)
        worker.run_once()  # idle: asked again, accepted this time
        # the overall answer is fine, one partition's is not (librdkafka sets TopicPartition.error; read-only here)
        failed_for_one = SimpleNamespace(topic="src", partition=0, offset=1,
                                         error=KafkaError(KafkaError.REBALANCE_IN_PROGRESS))
        fine_for_another = SimpleNamespace(topic="src", partition=1, offset=7, error=None)
        worker._commit_done(None, [failed_for_one, fine_for_another])  # type: ignore[list-item]
        worker.run_once()  # idle: asked a third time
        worker.run_once()
    finally:
        stage.table.close_all()

    assert asked == [[("src", 0, 1)]] * 3
    assert committed_after_refusal == {} and worker.status.batches == 1
