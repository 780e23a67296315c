"""The global table is ready only once it holds every record the topic had when it started, on a broker whose
reported high watermark falls short of a partition's end (the embedded broker's does when the last batch holds many
records): the end is a partition EOF, not the watermark."""
from __future__ import annotations

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from streams.devstack import Broker
from streams.engine.global_table import GlobalTable
from tests.ids import unique

RECORDS = 6_000


def test_ready_means_every_record_the_topic_had_is_in_the_table(broker: Broker) -> None:
    topic = unique("global-table")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 4, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
    for number in range(RECORDS):  # fast: each partition ends in batches of many records
        producer.produce(topic, f"item-{number}".encode(), f"item-{number}".encode())
    assert producer.flush(30) == 0

    table: GlobalTable[bytes] = GlobalTable({"bootstrap.servers": broker.bootstrap}, topic, decode=lambda v: v,
                                            key_of=bytes.decode, merge=lambda old, new: new)
    table.start()
    try:
        assert table.wait_ready(30)
        assert len(table) == RECORDS
    finally:
        table.stop()
