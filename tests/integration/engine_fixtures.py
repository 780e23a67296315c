"""A minimal stage for engine tests: per-SKU totals with event-id de-duplication, written like the real stages."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord, OutputRecord
from streams.engine.state import ChangelogTable, TableCodec

JSON_CODEC: TableCodec[dict] = TableCodec(lambda v: json.dumps(v).encode(), json.loads)  # type: ignore[type-arg]


class TotalsStage:
    name = "totals"

    def __init__(self, source: str, changelog: str, output: str, state_dir: Path) -> None:
        self.input_topics = (source,)
        self.output = output
        self.table = ChangelogTable("totals", changelog, source, JSON_CODEC, state_dir)
        self.tables = (self.table,)

    def process(self, records: Sequence[InputRecord], out: Emitter) -> None:
        for record in records:
            event = json.loads(record.value or b"{}")
            assert record.key is not None
            state = self.table.get(record.partition, record.key) or {"total": 0, "seen": []}
            if event["id"] in state["seen"]:
                continue
            state = {"total": state["total"] + event["qty"], "seen": (state["seen"] + [event["id"]])[-1000:]}
            self.table.put(record.partition, record.key, state)
            out.emit(OutputRecord(self.output, record.key, str(state["total"]).encode()))

    def after_commit(self) -> None:
        pass


def create_topics(bootstrap: str, names: dict[str, dict[str, str]], partitions: int = 4) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, partitions, 1, config=c) for n, c in names.items()])
    for future in futures.values():
        future.result()


def produce_events(bootstrap: str, topic: str, events: list[tuple[str, dict]]) -> None:  # type: ignore[type-arg]
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for key, event in events:
        producer.produce(topic, key=key.encode(), value=json.dumps(event).encode())
    assert producer.flush(30) == 0
