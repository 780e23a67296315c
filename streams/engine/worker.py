"""The batch loop: consume → stages → changelog + outputs acknowledged → state persisted → offsets committed.

At-least-once: a crash anywhere before the offset commit redelivers the batch, and the stages' per-key
de-duplication (event ids kept in the same state record) makes the second pass change nothing. Rebalances
happen only inside ``consume``, i.e. between fully committed batches, so a revoked partition has no half-done
work; an assigned one is restored from its changelog before its first record is processed.

Operators see two things from here without a metrics library in the engine: ``consumer_lag()`` (end − committed
per assigned partition, measured by the worker thread at most once per ``lag_interval_s`` from the consumer's own
state, readable from any thread) and restore progress, pushed to ``restore_observers`` and kept in
``status.restoring``.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from streams.engine.emitter import Emitter
from streams.engine.handoff import HandoffRoutes
from streams.engine.offsets import HeldOffsets
from streams.engine.records import InputRecord
from streams.engine.restore import RestoreObserver, RestoreSnapshot, restore
from streams.engine.stage import Stage
from streams.engine.state import ChangelogTable

log = logging.getLogger(__name__)


@dataclass
class WorkerConfig:
    group_id: str
    client_config: dict[str, str]
    batch_max_records: int = 20_000
    batch_max_bytes: int = 8 * 1024 * 1024  # of record values; whichever of the two bounds comes first
    poll_timeout_s: float = 0.02
    flush_timeout_s: float = 30.0
    session_timeout_ms: int = 45_000
    heartbeat_interval_ms: int = 3_000
    max_poll_interval_ms: int = 300_000
    fetch_wait_max_ms: int = 10  # librdkafka fetch.wait.max.ms (Settings.kafka_fetch_wait_max_ms says why 10)
    idempotent_producer: bool = True
    transactional_id: str | None = None  # set: exactly-once (Kafka transactions); unset: at-least-once
    lag_interval_s: float = 1.0  # consumer lag is measured at most this often (0: after every loop)
    consumer_overrides: dict[str, object] = field(default_factory=dict)
    producer_overrides: dict[str, object] = field(default_factory=dict)
    # Python's cyclic GC: None leaves the interpreter's defaults. The batch loop allocates a dozen short-lived
    # containers per record, which at the default 700 allocations per young collection ran a collection every few
    # records (and older generations over every live state object): ~15 % of the worker's CPU on the inventory path.
    # Reference counting still frees everything acyclic at once; only cyclic garbage waits a little longer.
    gc_thresholds: tuple[int, int, int] | None = (50_000, 20, 100)
    # Topics whose records a stage hands to the consuming stage in process when the partition is this worker's
    # (streams/engine/handoff.py); empty: every record goes through the broker.
    handoff_topics: tuple[str, ...] = ()
    # Records one batch may hand over in process before the rest is produced (memory: an order's lines multiply
    # a batch; streams/engine/handoff.py, "Bounded").
    handoff_max_per_batch: int = 50_000


@dataclass
class WorkerStatus:
    ready: bool = False
    batches: int = 0
    records_in: int = 0
    records_handed_over: int = 0  # records a stage handed to another in process (never consumed)
    assigned: tuple[tuple[str, int], ...] = ()
    restored_records: int = 0
    last_batch_at: float = 0.0
    restoring: RestoreSnapshot | None = None  # set while assigned partitions are being restored


# Where a batch's time goes, in seconds: the stages' work, then each step of the commit protocol (_commit).
BATCH_PHASES = ("process", "early_views_written", "outputs_acknowledged", "changelog_acknowledged", "state_persisted",
                "views_written")
BatchObserver = Callable[[Sequence[InputRecord], float, dict[str, int], dict[str, float]], None]
"""records, seconds, sent by topic, seconds by phase (BATCH_PHASES)"""


class BatchWorker:
    def __init__(self, config: WorkerConfig, stages: Sequence[Stage],
                 observers: Sequence[BatchObserver] = (), restore_observers: Sequence[RestoreObserver] = ()) -> None:
        self.config = config
        self.stages = list(stages)
        self.status = WorkerStatus()
        self._observers = list(observers)
        self._restore_observers = list(restore_observers)
        self._committed: dict[tuple[str, int], int] = {}  # assigned partition -> committed offset (<0: none yet)
        self._held_offsets = HeldOffsets()  # applied, not yet committed (at-least-once)
        self._commit_retry_at = 0.0  # after a failed commit, idle loops try again from then
        self._lag: dict[tuple[str, int], int] = {}  # replaced whole by the worker thread, read by any thread
        self._lag_measured_at = float("-inf")
        self._stage_by_topic = {topic: stage for stage in self.stages for topic in stage.input_topics}
        self._early_views: list[Callable[[], None]] = [
            hook for stage in self.stages if (hook := getattr(stage, "before_acknowledgements", None)) is not None]
        self._tables: list[ChangelogTable] = [t for s in self.stages for t in s.tables]  # type: ignore[type-arg]
        # Changelogs are made durable in rounds: round i holds each stage's i-th table (Stage.tables order).
        self._changelog_rounds: list[list[ChangelogTable]] = [  # type: ignore[type-arg]
            [s.tables[i] for s in self.stages if len(s.tables) > i]
            for i in range(max((len(s.tables) for s in self.stages), default=0))]
        self._routes = HandoffRoutes(config.handoff_topics) if config.handoff_topics else None
        self._consumer = Consumer(self._consumer_config())
        self._producer = Producer(self._producer_config())
        self._emitter = Emitter(self._producer, self._routes, config.handoff_max_per_batch)
        self._last_sent: dict[str, int] = {}
        self._phases: dict[str, float] = {}  # the last batch's seconds by phase (BATCH_PHASES)
        self._phase_started = 0.0
        self._paused: list[TopicPartition] = []  # other inputs, while hand-off partitions catch up after assignment
        self._catch_up_until = 0.0

    # -- configuration ------------------------------------------------------------------------------------------------
    def _consumer_config(self) -> dict[str, object]:
        cfg = self.config
        return {**cfg.client_config, "group.id": cfg.group_id, "enable.auto.commit": False,
                "auto.offset.reset": "earliest", "partition.assignment.strategy": "range",
                "session.timeout.ms": cfg.session_timeout_ms, "heartbeat.interval.ms": cfg.heartbeat_interval_ms,
                "max.poll.interval.ms": cfg.max_poll_interval_ms, "fetch.wait.max.ms": cfg.fetch_wait_max_ms,
                "fetch.max.bytes": 52_428_800, "max.partition.fetch.bytes": 10_485_760,
                "queued.max.messages.kbytes": 262_144, "on_commit": self._commit_done,
                # hand-offs start at a partition's end (HandoffRoutes): the consumer must say when it got there
                "enable.partition.eof": bool(cfg.handoff_topics), **cfg.consumer_overrides}

    def _producer_config(self) -> dict[str, object]:
        cfg = self.config
        # linger.ms only decides when librdkafka sends *during* a batch: the batch ends with flush(), which sends at
        # once whatever linger says. A short linger made it wake up and send many small requests while the batch
        # was still being processed (CPU taken from the worker thread, and small record batches on the broker).
        config = {**cfg.client_config, "linger.ms": 100, "acks": "all", "enable.idempotence": cfg.idempotent_producer,
                  "partitioner": "murmur2_random", "batch.num.messages": 10_000,
                  "queue.buffering.max.messages": 1_000_000, **cfg.producer_overrides}
        if cfg.transactional_id:
            config.update({"transactional.id": cfg.transactional_id, "enable.idempotence": True})
        return config

    @property
    def exactly_once(self) -> bool:
        return self.config.transactional_id is not None

    # -- lifecycle -------------------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        if self.config.gc_thresholds is not None:
            gc.collect()
            gc.freeze()  # what start-up allocated (modules, schemas, settings) is never scanned again
            gc.set_threshold(*self.config.gc_thresholds)
        topics = sorted(self._stage_by_topic)
        if self.exactly_once:
            self._producer.init_transactions(30)
        self._consumer.subscribe(topics, on_assign=self._on_assign, on_revoke=self._on_revoke,
                                 on_lost=self._on_lost)
        log.info("worker subscribed", extra={"topics": topics, "group": self.config.group_id})
        try:
            while not stop.is_set():
                self.run_once()
        finally:
            self.close()

    def close(self) -> None:
        try:
            self._lag, self._committed = {}, {}
            self._consumer.close()
        finally:
            self._producer.flush(10)
            for table in self._tables:
                table.close_all()
            self.status.ready = False

    def run_once(self) -> int:
        messages = self._poll()
        records = [_to_record(m) for m in messages if self._usable(m)]
        if self._routes is not None:
            self._catch_up_handoff_partitions()
        if records:
            started = self._phase_started = time.perf_counter()
            if self.exactly_once:
                self._producer.begin_transaction()
            try:
                self._process(records)
                self._tick(self._due_stages())
                self._phase_done("process")
                self._commit(records)
            except BaseException:
                self._abandon_batch()
                raise
            elapsed = time.perf_counter() - started
            for observer in self._observers:
                observer(records, elapsed, self._last_sent, self._phases)
        elif due := self._due_stages():
            self._timer_batch(due)
        else:
            for stage in self.stages:
                idle = getattr(stage, "on_idle", None)
                if idle is not None:
                    idle()
            if time.monotonic() >= self._commit_retry_at:  # not at every idle poll while commits fail
                self._commit_held_offsets()  # e.g. the views a stage held back were written just now
        self._measure_lag()
        return len(records)

    POLL_CHUNK = 500  # most records taken from librdkafka's queue at a time while a batch fills

    def _poll(self) -> list[Message]:
        """What arrived while the last batch was processed, at once; when nothing did, wait up to the poll timeout
        for the first record and take it with whatever is already fetched. A batch never waits to fill: under light
        load an event is processed as soon as it arrives, under heavy load batches grow by themselves, up to
        batch_max_records or about batch_max_bytes of record values: large records (orders with many lines) make
        smaller batches, and a batch's memory follows what it holds."""
        first = self._consumer.consume(1, 0) or self._consumer.consume(1, self.config.poll_timeout_s)
        return self._filled(first) if first else first

    def _filled(self, messages: list[Message]) -> list[Message]:
        most, most_bytes = self.config.batch_max_records, self.config.batch_max_bytes
        held = _value_bytes(messages)
        while len(messages) < most and held < most_bytes:
            fit = (most_bytes - held) * len(messages) // max(1, held)  # more of the average size so far
            more = self._consumer.consume(max(1, min(self.POLL_CHUNK, most - len(messages), fit)), 0)
            if not more:
                break
            messages += more
            held += _value_bytes(more)
        return messages

    # -- timers: work that is due without a record (SLA deadlines, the ERP rate limit) ------------------------------
    def _due_stages(self) -> list[Stage]:
        return [stage for stage in self.stages if getattr(stage, "tick_due", None) is not None and
                stage.tick_due()]  # type: ignore[attr-defined]

    def _tick(self, stages: list[Stage]) -> None:
        for stage in stages:
            stage.tick(self._emitter)  # type: ignore[attr-defined]

    def _timer_batch(self, stages: list[Stage]) -> None:
        """A batch without input records: its outputs and state changes commit like any other, with no offsets."""
        self._phase_started = time.perf_counter()
        if self.exactly_once:
            self._producer.begin_transaction()
        try:
            self._tick(stages)
            self._commit([])
        except BaseException:
            self._abandon_batch()
            raise

    # -- one batch -----------------------------------------------------------------------------------------------------
    MAX_HANDOFF_PASSES = 8

    def _process(self, records: list[InputRecord]) -> None:
        """Each stage gets its consumed records, then what earlier stages handed to it in process. A record handed
        back to a stage that already ran (a cycle: order → reservation → answer) takes another pass."""
        by_stage: dict[str, list[InputRecord]] = defaultdict(list)
        for record in records:
            by_stage[self._stage_by_topic[record.topic].name].append(record)
        emitter = self._emitter
        for _ in range(self.MAX_HANDOFF_PASSES):
            for stage in self.stages:
                stage_records = by_stage.pop(stage.name, [])
                if emitter.handed_over:
                    stage_records += emitter.take_handed_over(stage.input_topics)
                if stage_records:
                    stage.process(stage_records, emitter)
            if not emitter.handed_over:
                return
        raise RuntimeError(f"records still handed over after {self.MAX_HANDOFF_PASSES} passes: "
                           f"{sorted(emitter.handed_over)}")

    def _commit(self, records: list[InputRecord]) -> None:
        """Version-guarded views (Stage.before_acknowledgements), outputs, then changelog, then local state, then the
        other read models (Redis), then the input offsets.

        At-least-once: the outputs are acknowledged *before* any changelog record of the batch is produced. A
        restore reads the changelog to its end, including a batch that crashed before its offset commit, and the
        redelivered records are then duplicates of that state, which the stages skip without deciding anything
        again. Produced together, a SIGKILL during the flush could leave a changelog record on the broker whose
        batch's outputs (a RESERVE, an ALLOCATE, a reservation answer) never got there: the state would say they
        were sent and nothing would send them again.

        The availability snapshot is written first, not after the two acknowledgements: it is the path's latency
        (event → visible), and its entries are safe to show early (Stage.before_acknowledgements)."""
        for write_views in self._early_views:
            write_views()
        self._phase_done("early_views_written")
        if not self.exactly_once:
            self._emitter.flush(self.config.flush_timeout_s)
        self._phase_done("outputs_acknowledged")
        self._emit_changelogs()
        if self.exactly_once:  # outputs, changelog and offsets commit together, or not at all
            if records:
                self._producer.send_offsets_to_transaction(_topic_partitions(_next_offsets(records)),
                                                           self._consumer.consumer_group_metadata(), 30)
            self._producer.commit_transaction(self.config.flush_timeout_s)
            self._emitter.flush(self.config.flush_timeout_s)
        else:
            self._emitter.flush(self.config.flush_timeout_s)
        self._phase_done("changelog_acknowledged")
        for table in self._tables:
            table.persist(self._emitter.acknowledged.get(table.changelog_topic, {}))
        self._phase_done("state_persisted")
        # Redis views now, before the offsets: a crash from here on redelivers the batch, whose facts the stages
        # then find already applied and answer by staging those keys' views again (Stage.after_commit). After the
        # offset commit a crash would leave a view behind until its key changed again. (Exactly-once commits the
        # offsets with the transaction above: there that window remains.)
        for stage in self.stages:
            stage.after_commit()
        self._phase_done("views_written")
        if self.exactly_once:
            self._committed.update(_next_offsets(records))
        else:
            self._held_offsets.processed(_next_offsets(records))
            self._commit_held_offsets()
        self._last_sent = dict(self._emitter.sent_by_topic)
        self.status.records_handed_over += self._emitter.handed_over_count
        self._emitter.reset()
        self.status.batches += 1
        self.status.records_in += len(records)
        self.status.last_batch_at = time.time()

    COMMIT_RETRY_S = 1.0  # an idle worker retries a failed commit this often (a batch always commits)

    def _commit_held_offsets(self, asynchronous: bool = True) -> None:
        """Asynchronous: the next batch does not wait a round trip for it. Everything the batches changed is
        acknowledged or written by now (outputs, changelog, local state, views); a commit lost in a crash or a
        rebalance only redelivers records whose effects are there, which every stage skips as duplicates. A failed
        one is held again (_commit_done). Held back while views a stage could not write are not yet covered durably
        (Stage.offsets_committable): a crash then redelivers the batches; a later batch, a timer batch or an idle
        loop commits them once they are."""
        if self._held_offsets and self._offsets_committable():
            offsets = self._held_offsets.take()
            try:
                self._consumer.commit(offsets=_topic_partitions(offsets), asynchronous=asynchronous)
            except KafkaException as error:  # refused at once (e.g. no coordinator yet): held for the next chance
                log.warning("offset commit refused; the offsets are committed again with the next batch or idle loop",
                            extra={"error": str(error)})
                self._hold_again(offsets.items())
                return
            self._committed.update(offsets)

    def _offsets_committable(self) -> bool:
        return all(getattr(stage, "offsets_committable", True) for stage in self.stages)

    def _commit_done(self, error: KafkaError | None, partitions: list[TopicPartition]) -> None:
        """The asynchronous commit's answer (delivered inside consume()): a failure costs nothing applied twice,
        its offsets are held again and committed at the next chance."""
        failed = [tp for tp in partitions if error is not None or tp.error is not None]
        if failed:
            log.warning("offset commit failed; the offsets are committed again with the next batch or idle loop",
                        extra={"error": str(error or failed[0].error),
                               "partitions": [f"{tp.topic}:{tp.partition}@{tp.offset}" for tp in failed]})
            self._hold_again(((tp.topic, tp.partition), tp.offset) for tp in failed)

    def _hold_again(self, offsets: Iterable[tuple[tuple[str, int], int]]) -> None:
        self._held_offsets.failed(offsets)
        self._commit_retry_at = time.monotonic() + self.COMMIT_RETRY_S

    def _phase_done(self, phase: str) -> None:
        now = time.perf_counter()
        self._phases[phase] = now - self._phase_started
        self._phase_started = now

    def _emit_changelogs(self) -> None:
        """Round by round (a stage's tables in their declared order), each round acknowledged before the next is
        produced when both have records: a stage's later table may refer to an earlier one (the order owner's
        orders to its ERP outbox), and a restore must not find the reference without what it refers to."""
        last = len(self._changelog_rounds) - 1
        for index, tables in enumerate(self._changelog_rounds):
            produced = False
            for table in tables:
                for partition, items in table.encode_batch().items():
                    for key, value in items:
                        self._emitter.emit_changelog(table.changelog_topic, partition, key, value)
                        produced = True
            if produced and index < last and not self.exactly_once and any(
                    table.dirty_count for later in self._changelog_rounds[index + 1:] for table in later):
                self._emitter.flush(self.config.flush_timeout_s)

    def _abandon_batch(self) -> None:
        """A failed batch leaves no trace: buffered state is dropped, an open transaction is aborted. The process
        then stops (the caller re-raises) and a restart redelivers the batch from the committed offsets."""
        for table in self._tables:
            table.discard_batch()
        if self.exactly_once:
            try:
                self._producer.abort_transaction(10)
            except Exception:  # noqa: BLE001 - already failed; the re-raised error is the one that matters
                log.exception("aborting the transaction failed")
        self._emitter.reset()

    # -- in-process hand-off ------------------------------------------------------------------------------------------
    HANDOFF_CATCH_UP_S = 5.0

    def _catch_up_handoff_partitions(self) -> None:
        """After an assignment, the hand-off partitions are read to their end before the other inputs: until then
        every record routed to them goes through the broker, and hand-offs start only once those are consumed
        (HandoffRoutes). Bounded: after HANDOFF_CATCH_UP_S everything is read again, and hand-offs start whenever
        the end is reached."""
        waiting = self._routes.waiting()  # type: ignore[union-attr]
        if waiting and not self._paused and time.monotonic() < self._catch_up_until:
            others = [TopicPartition(t, p) for (t, p) in self.status.assigned if (t, p) not in waiting]
            if others:
                self._consumer.pause(others)
                self._paused = others
        elif self._paused and (not waiting or time.monotonic() >= self._catch_up_until):
            self._consumer.resume(self._paused)
            self._paused = []

    # -- rebalance -----------------------------------------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        assigned = {(tp.topic, tp.partition) for tp in partitions}
        to_restore = [(table, p) for table in self._tables for (topic, p) in assigned if topic == table.source_topic]
        self.status.ready = False
        self._tell_partition_counts(consumer)
        report = restore(self.config.client_config, to_restore, observer=self._restore_progress)
        self.status.restored_records += report.records
        if self._routes is not None:
            for topic in self._routes.topics:
                ours = [p for (t, p) in assigned if t == topic]
                if ours:
                    count = len(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
                    self._routes.assigned(topic, ours, count)
            self._catch_up_until = time.monotonic() + self.HANDOFF_CATCH_UP_S
        self._track_committed(consumer, partitions)
        self.status.assigned = tuple(sorted(assigned))
        self.status.ready = True
        log.info("partitions assigned", extra={"assigned": sorted(assigned), "restored_records": report.records,
                                               "restore_seconds": round(report.seconds, 3)})

    def _tell_partition_counts(self, consumer: Consumer) -> None:
        """Stages that check key ownership need their input topic's partition count."""
        for stage in self.stages:
            tell = getattr(stage, "on_partition_count", None)
            if tell is not None:
                topic = stage.input_topics[0]
                tell(len(consumer.list_topics(topic, timeout=10).topics[topic].partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Offsets still held are committed before the partitions go (synchronously: the next owner starts from
        them), so a rolling update redelivers as little as possible. Any that fail are forgotten with the partitions:
        the next owner redelivers those records, which are skipped as duplicates."""
        self._commit_held_offsets(asynchronous=False)
        self._partitions_gone(consumer, partitions)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Lost, not revoked (the session expired): another member may own them already, so nothing is committed."""
        self._partitions_gone(consumer, partitions)

    def _partitions_gone(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        if self._routes is not None:
            for topic, partition in revoked:
                self._routes.revoked(topic, (partition,))
            if self._paused:
                consumer.resume(self._paused)
                self._paused = []
        for table in self._tables:
            for topic, partition in revoked:
                if topic == table.source_topic:
                    table.close(partition)
        self.status.assigned = tuple(sorted(set(self.status.assigned) - revoked))
        for key in revoked:
            self._committed.pop(key, None)
        self._held_offsets.forget(revoked)
        self._lag = {key: lag for key, lag in self._lag.items() if key not in revoked}
        log.info("partitions revoked", extra={"revoked": sorted(revoked)})

    def _restore_progress(self, snapshot: RestoreSnapshot) -> None:
        self.status.restoring = None if snapshot.finished else snapshot
        for observer in self._restore_observers:
            observer(snapshot)

    # -- consumer lag --------------------------------------------------------------------------------------------------
    def consumer_lag(self) -> dict[tuple[str, int], int]:
        """Records beyond this group's committed offset, per assigned partition (end − committed), as last
        measured. Safe from any thread (e.g. a metrics scrape): it never touches the consumer, which must not be
        called from another thread while it consumes. Partitions whose end is not known yet are left out."""
        return dict(self._lag)

    def _measure_lag(self) -> None:
        """The end is the high watermark of the latest fetch response (librdkafka's cached figure, no broker
        request); not ListOffsets, which Tansu under-reports (FAUST-TRAPS.md). With nothing committed yet the
        group starts at the log start."""
        now = time.monotonic()
        if now - self._lag_measured_at < self.config.lag_interval_s:
            return
        self._lag_measured_at = now
        lags: dict[tuple[str, int], int] = {}
        for (topic, partition), committed in self._committed.items():
            low, high = self._consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
            start = committed if committed >= 0 else low
            if high >= 0 and start >= 0:
                lags[(topic, partition)] = max(0, high - start)
        self._lag = lags

    def _track_committed(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """The group's committed offsets for a new assignment (one broker request per rebalance)."""
        try:
            committed = consumer.committed(partitions, timeout=10)
        except KafkaException as error:  # lag stays unknown for these partitions until their first commit
            log.warning("committed offsets unavailable; consumer lag unknown until the next commit",
                        extra={"error": str(error)})
            committed = []
        self._committed = {(tp.topic, tp.partition): tp.offset for tp in committed}
        self._lag = {}

    def _usable(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        if error.code() != KafkaError._PARTITION_EOF:
            log.warning("consumer error", extra={"error": str(error)})
        elif self._routes is not None:
            self._routes.reached_end(message.topic(), message.partition(), message.offset())
        return False


def _value_bytes(messages: list[Message]) -> int:
    return sum(len(m.value() or b"") for m in messages)


def _to_record(message: Message) -> InputRecord:
    _, timestamp = message.timestamp()
    return InputRecord(message.topic(), message.partition(), message.offset(), message.key(), message.value(),
                       tuple(message.headers() or ()), timestamp)


def _next_offsets(records: list[InputRecord]) -> dict[tuple[str, int], int]:
    latest: dict[tuple[str, int], int] = {}
    for record in records:
        latest[(record.topic, record.partition)] = record.offset + 1
    return latest


def _topic_partitions(offsets: dict[tuple[str, int], int]) -> list[TopicPartition]:
    return [TopicPartition(topic, partition, offset) for (topic, partition), offset in offsets.items()]
