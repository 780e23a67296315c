"""A global table: every partition of a topic, read from the beginning into memory by every process that needs it.

For small, slowly changing reference data that any task may look up whatever partitions it owns (the item master:
the order saga needs a SKU's drop-ship supplier and lead time on the order's partition, not the SKU's). Its own
confluent-kafka consumer with assign() — no consumer group, no committed offsets, no rebalances — so every worker
holds the whole table. ``ready`` turns true once the reader has reached the end (a partition EOF) of every partition
that had records when it started (an empty topic is ready at once); after that it keeps following new records.

Values are merged with a caller-given rule (the item master: newer as-of wins), so a compacted topic, a replay or a
duplicate gives the same table. Undecodable records are counted and skipped: the worker's own stage dead-letters
the same records from its consumer-group copy of the topic.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

log = logging.getLogger(__name__)
V = TypeVar("V")



class GlobalTable(Generic[V]):
    def __init__(self, client_config: dict[str, str], topic: str, decode: Callable[[bytes | None], V | None],
                 key_of: Callable[[V], str], merge: Callable[[V | None, V], V],
                 poll_timeout_s: float = 0.1) -> None:
        self.topic = topic
        self._client_config = client_config
        self._decode, self._key_of, self._merge = decode, key_of, merge
        self._poll_timeout_s = poll_timeout_s
        self._values: dict[str, V] = {}
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.records_read = 0
        self.records_skipped = 0
        self.error: str | None = None

    # -- lookups (any thread) ---------------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait_ready(self, timeout_s: float) -> bool:
        return self._ready.wait(timeout_s)

    def get(self, key: str) -> V | None:
        with self._lock:
            return self._values.get(key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def values(self) -> list[V]:
        """A snapshot of every value (a copy: the reader thread goes on)."""
        with self._lock:
            return list(self._values.values())

    # -- lifecycle ----------------------------------------------------------------------------------------------------
    def start(self) -> "GlobalTable[V]":
        self._thread = threading.Thread(target=self._run, name=f"global-table:{self.topic}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        consumer = Consumer({**self._client_config, "group.id": f"global-table-{uuid.uuid4().hex}",
                             "enable.auto.commit": False, "enable.partition.eof": True,
                             "auto.offset.reset": "earliest", "fetch.wait.max.ms": 50})
        try:
            remaining = self._assign_all(consumer)
            if not remaining:
                self._mark_ready()
            while not self._stop.is_set():
                self._consume(consumer, remaining)
        except KafkaException as error:
            self.error = str(error)
            log.error("global table %s stopped: %s", self.topic, error)
        finally:
            consumer.close()

    def _assign_all(self, consumer: Consumer) -> set[int]:
        """Assign every partition from the beginning; the partitions with records, whose end (a partition EOF) is
        still to reach. Their reported high watermark only tells them from empty ones: the embedded broker's falls
        short of the end when a partition's last batch holds many records, so it never marks the end."""
        metadata = consumer.list_topics(self.topic, timeout=10).topics[self.topic]
        if metadata.error is not None:
            raise KafkaException(metadata.error)
        partitions = sorted(metadata.partitions)
        remaining = {partition for partition in partitions
                     if _has_records(consumer.get_watermark_offsets(TopicPartition(self.topic, partition), timeout=10))}
        consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in partitions])
        log.info("global table %s: reading %d partitions", self.topic, len(partitions))
        return remaining

    def _consume(self, consumer: Consumer, remaining: set[int]) -> None:
        messages = consumer.consume(1000, self._poll_timeout_s)
        batch: list[V] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    remaining.discard(message.partition())
                continue
            value = self._decode(message.value())
            if value is None:
                self.records_skipped += 1
            else:
                batch.append(value)
        if batch:
            with self._lock:
                for value in batch:
                    key = self._key_of(value)
                    self._values[key] = self._merge(self._values.get(key), value)
            self.records_read += len(batch)
        if not remaining and not self.ready:
            self._mark_ready()

    def _mark_ready(self) -> None:
        log.info("global table %s ready: %d keys", self.topic, len(self._values))
        self._ready.set()


def _has_records(watermarks: tuple[int, int]) -> bool:
    low, high = watermarks
    return high > low


def wait_until_ready(tables: list[GlobalTable], timeout_s: float) -> bool:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout_s
    return all(table.wait_ready(max(0.0, deadline - time.monotonic())) for table in tables)
