"""`distflow tail TOPIC`: read a topic of the catalog and print each record decoded, one JSON line each."""
from __future__ import annotations

import base64
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, TopicPartition

from streams.settings import Settings
from streams.topic_names import DeployedCatalog
from topics.wire import DecodeError


def _plain(value: object) -> object:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def tail_topic(settings: Settings, catalog_name: str, from_beginning: bool, limit: int | None,
               idle_exit_s: float | None = None) -> int:
    from topics.codec import build_codec

    names = DeployedCatalog(settings)
    spec = next((s for s in names.base_by_name.values() if s.name == catalog_name), None)
    if spec is None:
        raise SystemExit(f"{catalog_name!r} is not in the topic catalog (see docs/topics.md)")
    topic, codec = names[spec], build_codec(settings)
    consumer = Consumer({**settings.kafka_client_config(), "group.id": f"{settings.app_id}-tail",
                         "enable.auto.commit": False})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    start = OFFSET_BEGINNING if from_beginning else OFFSET_END
    consumer.assign([TopicPartition(topic, p, start) for p in partitions])
    printed, last_seen = 0, time.monotonic()
    try:
        while limit is None or printed < limit:
            message = consumer.poll(0.5)
            if message is None:
                if idle_exit_s is not None and time.monotonic() - last_seen > idle_exit_s:
                    break
                continue
            if message.error() and message.error().code() != KafkaError._PARTITION_EOF:
                raise SystemExit(str(message.error()))
            if message.error():
                continue
            last_seen = time.monotonic()
            print(json.dumps(_line(codec, spec.value_schema, message), default=_plain))
            sys.stdout.flush()
            printed += 1
    finally:
        consumer.close()
    return printed


def _line(codec: object, schema: str | None, message: object) -> dict[str, object]:
    key = message.key()  # type: ignore[attr-defined]
    line: dict[str, object] = {"partition": message.partition(), "offset": message.offset(),  # type: ignore[attr-defined]
                               "key": key.decode(errors="replace") if key else None}
    if schema is None:
        line["value_bytes"] = len(message.value() or b"")  # type: ignore[attr-defined]
        return line
    try:
        line["value"] = codec.decode(message.value(), schema)  # type: ignore[attr-defined]
    except DecodeError as error:
        line["undecodable"] = error.reason
    return line
