"""Bring assigned table partitions up to date from their changelogs before any record is processed.

"Up to date" means the end of the changelog as the broker's fetch responses report it (partition EOF), not
ListOffsets: Tansu's ListOffsets "latest" points at the start of the last batch, so trusting it would lose up
to a batch of state (FAUST-TRAPS.md).
"""
from __future__ import annotations

import logging
import time
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


def restore(client_config: dict[str, str], tables_partitions: list[tuple[ChangelogTable, int]],  # type: ignore[type-arg]
            timeout_s: float = 600.0) -> RestoreReport:
    started = time.monotonic()
    progress = {(t.changelog_topic, p): _start(t, p) for t, p in tables_partitions}
    if not progress:
        return RestoreReport(0, 0, 0.0)
    consumer = Consumer({**client_config, "group.id": "distflow-restore", "enable.auto.commit": False,
                         "enable.partition.eof": True, "auto.offset.reset": "error",
                         "isolation.level": "read_committed", "fetch.max.bytes": 52_428_800})
    try:
        _read_to_end(consumer, progress, started + timeout_s)
    finally:
        consumer.close()
    total = sum(item.records for item in progress.values())
    return RestoreReport(total, len(progress), time.monotonic() - started)


def _start(table: ChangelogTable, partition: int) -> RestoreProgress:  # type: ignore[type-arg]
    store = table.open(partition)
    return RestoreProgress(table, partition, store.changelog_offset + 1, pending=[])


def _read_to_end(consumer: Consumer, progress: dict[tuple[str, int], RestoreProgress], deadline: float) -> None:
    consumer.assign([TopicPartition(topic, p, item.start_offset) for (topic, p), item in progress.items()])
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


def _add(item: RestoreProgress, key: bytes, value: bytes | None, offset: int) -> None:
    assert item.pending is not None
    item.pending.append((key, value))
    item.records += 1
    item.last_offset = offset
    if len(item.pending) >= WRITE_CHUNK:
        item.flush()


def _restart_from_beginning(consumer: Consumer, item: RestoreProgress, topic: str) -> None:
    """The local checkpoint is beyond the changelog's end: the cluster lost data (e.g. an in-memory broker was
    restarted). Local state is not trusted then; rebuild it from whatever the changelog has."""
    log.warning("local state of %s p%d is ahead of its changelog; rebuilding from the changelog",
                item.table.name, item.partition, extra={"table": item.table.name})
    item.table.reset(item.partition)
    item.pending, item.records, item.last_offset, item.start_offset = [], 0, -1, 0
    consumer.incremental_unassign([TopicPartition(topic, item.partition)])
    consumer.incremental_assign([TopicPartition(topic, item.partition, 0)])
