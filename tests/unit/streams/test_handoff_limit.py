"""A batch hands over at most `handoff_max_per_batch` records in process: an order's lines multiply a batch (a RESERVE
and an answer each), and everything handed over is held in memory until the batch commits. The rest of the batch
is produced, and the partition then hands off again only once the consumer is past it."""
from __future__ import annotations

from collections.abc import Callable

from streams.engine.emitter import Emitter
from streams.engine.handoff import HandoffRoutes
from streams.engine.records import InputRecord
from tests.unit.streams.delivered import Delivered
from topics.partitioning import partition_for

TOPIC = "commands"


class Producer:
    """Acknowledges on flush, storing each record at the next offset of its partition."""

    def __init__(self) -> None:
        self.produced: list[tuple[bytes | None, int | None]] = []
        self._pending: list[tuple[Callable[[object, object], None], Delivered]] = []

    def produce(self, topic: str, value: bytes | None, key: bytes | None, partition: int | None = None,
                on_delivery: Callable[[object, object], None] | None = None, headers: object = None) -> None:
        assert on_delivery is not None and key is not None
        partition = partition if partition is not None else partition_for(key, 4)  # librdkafka's murmur2
        self.produced.append((key, partition))
        self._pending.append((on_delivery, Delivered(topic, partition, 100 + len(self.produced))))

    def flush(self, timeout: float) -> int:
        for callback, message in self._pending:
            callback(None, message)
        self._pending = []
        return 0


def key_on(partition: int) -> bytes:
    return next(k for k in (f"SKU-{i}".encode() for i in range(10_000)) if partition_for(k, 4) == partition)


def test_past_the_limit_the_batch_produces_and_the_partition_waits_for_the_consumer() -> None:
    routes = HandoffRoutes([TOPIC])
    routes.assigned(TOPIC, range(4), 4)
    for partition in range(4):
        routes.reached_end(TOPIC, partition, 0)
    producer = Producer()
    emitter = Emitter(producer, routes, max_handed_over=2)  # type: ignore[arg-type]
    origin = InputRecord("source", 0, 1, b"k", b"", (), 0)
    key = key_on(1)

    for n in range(4):
        emitter.send_routed(TOPIC, key, {"n": n}, lambda r: str(r).encode(), (), origin)
    handed = [r.decoded["n"] for r in emitter.handed_over[TOPIC]]
    emitter.flush(1)
    emitter.reset()

    assert handed == [0, 1]  # the first two, in process
    assert producer.produced == [(key, 1), (key, 1)]  # the rest to the broker, on the key's partition
    emitter.send_routed(TOPIC, key, {"n": 4}, lambda r: str(r).encode(), (), origin)  # the next batch
    emitter.flush(1)
    emitter.reset()
    assert len(producer.produced) == 3  # behind them, not around them
    routes.reached_end(TOPIC, 1, 103)  # the consumer read the first two, not yet the third (stored at 103)
    emitter.send_routed(TOPIC, key, {"n": 5}, lambda r: str(r).encode(), (), origin)
    assert len(producer.produced) == 4
    emitter.flush(1)
    emitter.reset()
    routes.reached_end(TOPIC, 1, 105)  # past everything produced
    emitter.send_routed(TOPIC, key, {"n": 6}, lambda r: str(r).encode(), (), origin)
    assert [r.decoded["n"] for r in emitter.handed_over[TOPIC]] == [6]  # in process again
