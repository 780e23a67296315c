"""Run a real worker (intake + SKU owner) in-process against the test broker and Redis, with unique topics."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from streams.app import Worker, build_worker
from streams.kafka_admin import ensure_catalog
from streams.settings import Settings
from streams.topic_names import DeployedCatalog
from tests.ids import unique
from topics.codec import AvroCodec, build_codec
from topics.spec import TopicSpec

PARTITIONS = 4


def pipeline_settings(bootstrap: str, redis_url: str, state_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = dict(
        app_id=unique("distflow-test"), topic_prefix=unique("t") + ".", topic_partitions=PARTITIONS,
        kafka_bootstrap_servers=bootstrap, kafka_session_timeout_ms=6000, kafka_heartbeat_interval_ms=500,
        kafka_max_poll_interval_ms=10000, redis_url=redis_url, redis_key_prefix=unique("snap") + ":",
        state_dir=state_dir, batch_max_records=2000, log_format="text")
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Pipeline:
    settings: Settings
    names: DeployedCatalog
    codec: AvroCodec
    producer: Producer

    def produce(self, spec: TopicSpec, key: str, record: dict[str, object], partition: int | None = None) -> None:
        value = self.codec.encode(self.names[spec], spec.value_schema or "", record)
        self.produce_raw(spec, key.encode(), value, partition)

    def produce_raw(self, spec: TopicSpec, key: bytes | None, value: bytes | None, partition: int | None = None,
                    headers: list[tuple[str, bytes]] | None = None) -> None:
        kwargs: dict[str, object] = {"key": key, "value": value}
        if partition is not None:
            kwargs["partition"] = partition
        if headers:
            kwargs["headers"] = headers
        self.producer.produce(self.names[spec], **kwargs)

    def flush(self) -> None:
        assert self.producer.flush(30) == 0

    def read(self, spec: TopicSpec, until: Callable[[list[dict]], bool] | None = None,  # type: ignore[type-arg]
             timeout_s: float = 30.0, decode: bool = True) -> list[dict]:  # type: ignore[type-arg]
        """Every record of the topic so far, decoded, each with its key; re-reads until `until` holds."""
        deadline = time.time() + timeout_s
        while True:
            records = read_topic(self.settings.kafka_bootstrap_servers, self.names[spec])
            decoded = [{"key": k, "headers": h, **(self.codec.decode(v, spec.value_schema or "") if decode else
                                                    {"value": v})} for k, v, h in records]
            if until is None or until(decoded) or time.time() > deadline:
                return decoded
            time.sleep(0.2)


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None, dict[str, bytes]]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("reader"),
                         "enable.partition.eof": True, "enable.auto.commit": False})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    found, ended, deadline = [], set(), time.time() + 20
    while len(ended) < len(partitions) and time.time() < deadline:
        for message in consumer.consume(5000, 0.3):
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    ended.add(message.partition())
                continue
            found.append((message.key(), message.value(), dict(message.headers() or [])))
    consumer.close()
    return found


@contextmanager
def pipeline(settings: Settings) -> Iterator[Pipeline]:
    ensure_catalog(settings.kafka_client_config(), DeployedCatalog(settings).all_specs, 1)
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers, "linger.ms": 2})
    yield Pipeline(settings, DeployedCatalog(settings), build_codec(settings), producer)


@contextmanager
def running_worker(settings: Settings) -> Iterator[Worker]:
    worker = build_worker(settings)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="test-worker")
    thread.start()
    try:
        deadline = time.time() + 30
        while not worker.engine.status.ready and time.time() < deadline:
            time.sleep(0.05)
        assert worker.engine.status.ready, "worker did not get its partitions in 30 s"
        yield worker
    finally:
        stop.set()
        thread.join(30)
