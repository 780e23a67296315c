"""The benchmarks' library floors. The inventory floor runs on the benchmark's own stack before its worker: it must
measure every step on the real records and leave the worker's topics and snapshot untouched (the worker restores
its state from the changelog, so a floor record there would change what the worker's totals come to). The saga
floor reads back the records of a window: exactly those written after its start, whatever the broker reports as
its high watermark."""
from __future__ import annotations

from pathlib import Path

import redis

from bench.common import apply_catalog, build_settings, settings_values, source_producer
from bench.floor_steps import end_offsets, window_records
from bench.inventory_floor import library_floor
from bench.inventory_path import produce_movements
from streams import devstack
from streams.topic_names import DeployedCatalog
from topics import catalog
from topics.codec import build_codec

EVENTS = 300


def test_the_floor_measures_each_library_step_and_leaves_the_workers_topics_and_snapshot_alone(
        broker: devstack.Broker, redis_server: devstack.RedisServer, tmp_path: Path) -> None:
    settings = build_settings(settings_values(broker.bootstrap, redis_server.url, tmp_path / "state"))
    apply_catalog(settings)
    codec, names = build_codec(settings), DeployedCatalog(settings)
    source = names[catalog.INVENTORY_MOVEMENTS]
    produce_movements(broker.bootstrap, source, codec, EVENTS, skus=100)

    floor = library_floor(broker.bootstrap, redis_server.url, settings, codec, source, EVENTS, tmp_path)

    assert floor["events"] == EVENTS
    assert len(floor["steps_us"]) == 5 and all(us > 0 for us in floor["steps_us"].values())
    assert floor["floor_us"] == sum(floor["steps_us"].values())
    worker_topics = [names[spec] for spec in (catalog.INVENTORY_CHANGELOG, catalog.AVAILABILITY_CHANGES,
                                              catalog.AVAILABILITY_SNAPSHOT)]
    assert {topic: sum(ends.values()) for topic, ends in end_offsets(broker.bootstrap, worker_topics).items()} == {
        topic: 0 for topic in worker_topics}
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert list(client.scan_iter(match=f"{settings.redis_key_prefix}*")) == []
    finally:
        client.close()


def test_the_saga_floors_window_holds_exactly_what_was_written_after_its_start(
        broker: devstack.Broker, tmp_path: Path) -> None:
    settings = build_settings(settings_values(broker.bootstrap, "redis://unused", tmp_path / "state"))
    apply_catalog(settings)
    topic = DeployedCatalog(settings)[catalog.ORDERS]
    producer = source_producer(broker.bootstrap, linger_ms=5)

    def produce(count: int, value: bytes) -> None:  # fast, so partitions end in batches of many records
        for number in range(count):
            producer.produce(topic, value, f"order-{number}".encode())
        producer.flush(30)

    produce(6_000, b"before")
    start = end_offsets(broker.bootstrap, [topic])[topic]
    produce(3_000, b"after")

    window = window_records(broker.bootstrap, topic, start)
    assert sum(start.values()) == 6_000
    assert len(window) == 3_000 and {value for _, value in window} == {b"after"}
