"""Produce a batch's outputs and changelog records; learn what the broker acknowledged."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from confluent_kafka import KafkaError, Message, Producer

from streams.engine.handoff import HandoffRoutes
from streams.engine.records import InputRecord, OutputRecord


class DeliveryFailed(RuntimeError):
    """The broker did not acknowledge a record: the batch is not committed and will be redelivered."""


class Emitter:
    def __init__(self, producer: Producer, routes: HandoffRoutes | None = None,
                 max_handed_over: int | None = None) -> None:
        self._producer = producer
        self._max_handed_over = max_handed_over  # per batch; beyond it routed records are produced
        self._handed_this_batch = 0
        self._errors: list[str] = []
        self.routes = routes
        self.acknowledged: dict[str, dict[int, int]] = defaultdict(dict)
        self.sent_by_topic: dict[str, int] = defaultdict(int)
        self.handed_over: dict[str, list[InputRecord]] = defaultdict(list)  # topic -> records for a local stage
        self.handed_over_count = 0  # this batch

    def emit(self, record: OutputRecord) -> None:
        self._produce(record.topic, record.key, record.value, record.partition, record.headers or None,
                      self._on_output)

    def emit_many(self, records: Sequence[OutputRecord]) -> None:
        for record in records:
            self.emit(record)

    def send(self, topic: str, key: bytes | None, value: bytes | None,
             headers: Sequence[tuple[str, bytes]] | None = None) -> None:
        """An output record without building an OutputRecord first (the hot path): partitioned by its key."""
        self._produce(topic, key, value, None, headers, self._on_output)

    def send_routed(self, topic: str, key: bytes, record: object, encode: Callable[[object], bytes],
                    headers: Sequence[tuple[str, bytes]], origin: InputRecord | None) -> None:
        """A keyed record for a topic a stage of this worker consumes: handed to that stage in this batch when its
        partition is ours (``HandoffRoutes``), else encoded and produced (partitioned by murmur2 of its key).
        Without an origin (a timer's decision: no consumed record behind it) it is always produced, and still
        counted as routed, so what this worker routes later stays behind it."""
        routes = self.routes
        partition = routes.local_partition(topic, key) if routes is not None and origin is not None else None
        if partition is None:
            self._produce(topic, key, encode(record), None, headers, self._on_routed)
            return
        if self._max_handed_over is not None and self._handed_this_batch >= self._max_handed_over:
            # the batch holds enough: the rest of it goes through the broker (HandoffRoutes.acknowledged then stops
            # hand-offs to the partition until the consumer is past it)
            self._produce(topic, key, encode(record), partition, headers, self._on_routed)
            return
        self._handed_this_batch += 1
        source = origin.source  # the consumed record at the start of the chain (a hand-off may cause another)
        self.handed_over[topic].append(InputRecord(topic, partition, -1, key, None, tuple(headers),
                                                   source.timestamp_ms, record, source))

    def take_handed_over(self, topics: Sequence[str]) -> list[InputRecord]:
        taken: list[InputRecord] = []
        for topic in topics:
            records = self.handed_over.pop(topic, None)
            if records:
                taken.extend(records)
                self.sent_by_topic[f"{topic}:in-process"] += len(records)  # counted per topic per pass
                self.handed_over_count += len(records)
        return taken

    def emit_changelog(self, topic: str, partition: int, key: bytes, value: bytes | None) -> None:
        self._produce(topic, key, value, partition, None, self._on_changelog)

    def _produce(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                 headers: Sequence[tuple[str, bytes]] | None, on_delivery: Callable[[KafkaError | None, Message],
                                                                                     None]) -> None:
        produce = self._producer.produce
        header_list = list(headers) if headers else None
        while True:
            try:
                if partition is None:
                    produce(topic, value, key, on_delivery=on_delivery, headers=header_list)
                else:
                    produce(topic, value, key, partition, on_delivery=on_delivery, headers=header_list)
                break
            except BufferError:
                self._producer.poll(0.05)
        self.sent_by_topic[topic] += 1

    def _on_output(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._errors.append(f"{message.topic()}: {error}")

    def _on_routed(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._errors.append(f"{message.topic()}: {error}")
        elif self.routes is not None:
            self.routes.acknowledged(message.topic(), message.partition(), message.offset())

    def _on_changelog(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._errors.append(f"{message.topic()}[{message.partition()}]: {error}")
            return
        offsets = self.acknowledged[message.topic()]
        partition = message.partition()
        offsets[partition] = max(offsets.get(partition, -1), message.offset())

    def flush(self, timeout_s: float) -> None:
        """Wait until every record of the batch is acknowledged, or fail the batch."""
        remaining = self._producer.flush(timeout_s)
        if remaining:
            raise DeliveryFailed(f"{remaining} records not acknowledged within {timeout_s}s")
        if self._errors:
            errors, self._errors = self._errors, []
            raise DeliveryFailed(f"{len(errors)} records failed, first: {errors[0]}")

    def reset(self) -> None:
        self._handed_this_batch = 0
        self.acknowledged.clear()
        self.sent_by_topic.clear()
        self.handed_over.clear()
        self.handed_over_count = 0
