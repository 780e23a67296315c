"""Bring assigned table partitions up to date from their changelogs before any record is processed.

"Up to date" means the end of the changelog as the broker's fetch responses report it (partition EOF), not
ListOffsets: Tansu's ListOffsets "latest" points at the start of the last batch, so trusting it would lose up
to a batch of state (FAUST-TRAPS.md).

Progress is reported to an observer when the restore starts, after every fetched chunk and at the end, so an
operator can watch a long restore (the worker's /readyz and its distflow_restore_* gauges).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, TopicPartition

from streams.engine.state import ChangelogTable

log = logging.getLogger(__name__)
WRITE_CHUNK = 20_000


@dataclass
class RestoreProgress:
    table: ChangelogTable  # type: ignore[type-arg]
    partition: int
    start_offset: int
    records: int = 0
    last_offset: int = -1
    done: bool = False
    pending: list[tuple[bytes, bytes | None]] | None = None

    def flush(self) -> None:
        if self.pending:
            self.table.restore_raw(self.partition, self.pending, self.last_offset)
        self.pending = []


@dataclass(frozen=True)
class RestoreReport:
    records: int
    partitions: int
    seconds: float


@dataclass(frozen=True)
class RestoreSnapshot:
    """Where a restore stands. ``offsets_remaining`` is the distance from each unfinished partition's restore
    position to the changelog end the broker's fetch responses report: an upper bound on the records still to read
    (compaction leaves gaps), None until every unfinished partition has had a fetch response."""
    partitions: int
    partitions_done: int
    records: int
    offsets_remaining: int | None
    seconds: float

    @property
    def partitions_remaining(self) -> int:
        return self.partitions - self.partitions_done

    @property
    def finished(self) -> bool:
        return self.partitions_done == self.partitions

    def describe(self) -> dict[str, object]:
        """For the worker's /readyz while restoring."""
        return {"partitions_remaining": self.partitions_remaining, "partitions": self.partitions,
                "records_restored": self.records, "offsets_remaining": self.offsets_remaining,
                "seconds": round(self.seconds, 1)}


RestoreObserver = Callable[[RestoreSnapshot], None]


def restore(client_config: dict[str, str], tables_partitions: list[tuple[ChangelogTable, int]],  # type: ignore[type-arg]
            timeout_s: float = 600.0, observer: RestoreObserver | None = None) -> RestoreReport:
    started = time.monotonic()
    progress = {(t.changelog_topic, p): _start(t, p) for t, p in tables_partitions}
    report = observer or (lambda _: None)
    if not progress:
        report(RestoreSnapshot(0, 0, 0, 0, 0.0))
        return RestoreReport(0, 0, 0.0)
    consumer = Consumer({**client_config, "group.id": "distflow-restore", "enable.auto.commit": False,
                         "enable.partition.eof": True, "auto.offset.reset": "error",
                         "isolation.level": "read_committed", "fetch.max.bytes": 52_428_800,
                         # at a changelog's end the broker holds an empty fetch this long before answering (and so
                         # before the end is known): short, so a restart with an up-to-date volume is ready at once
                         "fetch.wait.max.ms": 20})
    try:
        _read_to_end(consumer, progress, started + timeout_s, lambda: report(_snapshot(consumer, progress, started)))
    finally:
        consumer.close()
    total = sum(item.records for item in progress.values())
    return RestoreReport(total, len(progress), time.monotonic() - started)


def _snapshot(consumer: Consumer, progress: dict[tuple[str, int], RestoreProgress], started: float) -> RestoreSnapshot:
    remaining: int | None = 0
    for (topic, partition), item in progress.items():
        if item.done:
            continue
        _, end = consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
        if end < 0 or remaining is None:  # no fetch response yet: the end is unknown
            remaining = None
            continue
        position = item.last_offset + 1 if item.last_offset >= 0 else item.start_offset
        remaining += max(0, end - position)
    done = sum(1 for item in progress.values() if item.done)
    return RestoreSnapshot(len(progress), done, sum(item.records for item in progress.values()), remaining,
                           time.monotonic() - started)


def _start(table: ChangelogTable, partition: int) -> RestoreProgress:  # type: ignore[type-arg]
    store = table.open(partition)
    return RestoreProgress(table, partition, store.changelog_offset + 1, pending=[])


def _read_to_end(consumer: Consumer, progress: dict[tuple[str, int], RestoreProgress], deadline: float,
                 report: Callable[[], None]) -> None:
    for (topic, partition), item in progress.items():
        if item.start_offset > 0 and _changelog_is_empty(consumer, topic, partition):
            _forget_local_state(item)  # Tansu answers a fetch beyond an empty log with nothing at all
    consumer.assign([TopicPartition(topic, p, item.start_offset) for (topic, p), item in progress.items()])
    report()
    while not all(item.done for item in progress.values()):
        if time.monotonic() > deadline:
            missing = [f"{t}:{p}" for (t, p), item in progress.items() if not item.done]
            raise TimeoutError(f"changelog restore did not reach the end of {missing} in time")
        for message in consumer.consume(10_000, 0.5):
            item = progress[(message.topic(), message.partition())]
            error = message.error()
            if error is None:
                _add(item, message.key(), message.value(), message.offset())
            elif error.code() == KafkaError._PARTITION_EOF:
                item.flush()
                item.done = True
                consumer.incremental_unassign([TopicPartition(message.topic(), message.partition())])
            elif error.code() == KafkaError._AUTO_OFFSET_RESET:
                _restart_from_beginning(consumer, item, message.topic())
            else:
                raise RuntimeError(f"changelog restore failed on {message.topic()}:{message.partition()}: {error}")
        report()


def _add(item: RestoreProgress, key: bytes, value: bytes | None, offset: int) -> None:
    assert item.pending is not None
    item.pending.append((key, value))
    item.records += 1
    item.last_offset = offset
    if len(item.pending) >= WRITE_CHUNK:
        item.flush()


def _changelog_is_empty(consumer: Consumer, topic: str, partition: int) -> bool:
    """Both watermarks at 0: nothing was ever kept, so a local checkpoint beyond it is from another cluster."""
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    return low == 0 and high == 0


def _forget_local_state(item: RestoreProgress) -> None:
    log.warning("local state of %s p%d is ahead of its changelog; rebuilding from the changelog",
                item.table.name, item.partition, extra={"table": item.table.name})
    item.table.reset(item.partition)
    item.pending, item.records, item.last_offset, item.start_offset = [], 0, -1, 0


def _restart_from_beginning(consumer: Consumer, item: RestoreProgress, topic: str) -> None:
    """The local checkpoint is beyond the changelog's end: the cluster lost data (e.g. an in-memory broker was
    restarted). Local state is not trusted then; rebuild it from whatever the changelog has."""
    _forget_local_state(item)
    consumer.incremental_unassign([TopicPartition(topic, item.partition)])
    consumer.incremental_assign([TopicPartition(topic, item.partition, 0)])
