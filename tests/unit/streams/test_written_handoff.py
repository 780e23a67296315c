"""Written hand-offs: a record whose sender's state says it was sent (a reservation answer) is handed to the local
stage *and* produced with the outputs, marked with the producing process; that process skips its own copies when it
consumes them, any other process (the next owner, the worker restarted after a crash) applies them."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from streams.engine.emitter import Emitter
from streams.engine.handoff import HANDED_OVER_HEADER, HandoffRoutes, handed_over_by
from streams.engine.records import InputRecord
from streams.engine.worker import BatchWorker, WorkerConfig
from tests.integration.engine_fixtures import TotalsStage
from topics.partitioning import partition_for

ANSWERS = "answers"


class Producer:
    def __init__(self) -> None:
        self.produced: list[tuple[str, bytes | None, int | None, list[tuple[str, bytes]]]] = []

    def produce(self, topic: str, value: bytes | None, key: bytes | None, partition: int | None = None,
                on_delivery: Callable[[object, object], None] | None = None, headers: object = None) -> None:
        self.produced.append((topic, key, partition, list(headers or ())))  # type: ignore[call-overload]


def local_routes() -> HandoffRoutes:
    routes = HandoffRoutes([ANSWERS])
    routes.assigned(ANSWERS, range(4), 4)
    for partition in range(4):
        routes.reached_end(ANSWERS, partition, 0)
    return routes


def test_a_written_hand_off_is_handed_over_and_produced_to_the_same_partition_marked_as_this_process() -> None:
    producer = Producer()
    emitter = Emitter(producer, local_routes(), frozenset({ANSWERS}), b"process-1")  # type: ignore[arg-type]
    origin = InputRecord("orders", 0, 7, b"O-1", b"", (), 0)

    emitter.send_routed(ANSWERS, b"O-1", {"answer": 1}, lambda r: json.dumps(r).encode(),
                        (("correlation_id", b"c-1"),), origin)

    handed = emitter.handed_over[ANSWERS]
    assert [(r.key, r.decoded, r.source) for r in handed] == [(b"O-1", {"answer": 1}, origin)]
    assert producer.produced == [(ANSWERS, b"O-1", partition_for(b"O-1", 4),
                                  [("correlation_id", b"c-1"), (HANDED_OVER_HEADER, b"process-1")])]


def test_an_unwritten_hand_off_is_not_produced() -> None:
    producer = Producer()
    emitter = Emitter(producer, local_routes(), frozenset(), b"process-1")  # type: ignore[arg-type]
    emitter.send_routed(ANSWERS, b"O-1", {}, lambda r: b"{}", (), InputRecord("orders", 0, 7, b"O-1", b"", (), 0))
    assert producer.produced == [] and len(emitter.handed_over[ANSWERS]) == 1


def test_only_the_writing_process_recognises_its_copies() -> None:
    mine = InputRecord(ANSWERS, 0, 1, b"O-1", b"", (("correlation_id", b"c"), (HANDED_OVER_HEADER, b"p-1")), 0)
    assert handed_over_by(mine, b"p-1")
    assert not handed_over_by(mine, b"p-2")  # restarted, or the partition's next owner: apply it
    assert not handed_over_by(InputRecord(ANSWERS, 0, 2, b"O-1", b"", (), 0), b"p-1")


def test_the_engine_skips_its_own_copies_and_applies_everyone_elses(tmp_path: Path) -> None:
    stage = TotalsStage(ANSWERS, "totals-changelog", "out", tmp_path)
    stage.table.open(0)
    worker = BatchWorker(WorkerConfig("group", {"bootstrap.servers": "127.0.0.1:9", "log_level": "0"},
                                      handoff_written_topics=(ANSWERS,)), [stage])
    own = (HANDED_OVER_HEADER, worker._incarnation)
    try:
        worker._process([
            InputRecord(ANSWERS, 0, 0, b"SKU-1", json.dumps({"id": "e1", "qty": 2}).encode(), (own,), 0),
            InputRecord(ANSWERS, 0, 1, b"SKU-1", json.dumps({"id": "e2", "qty": 3}).encode(),
                        ((HANDED_OVER_HEADER, b"an-earlier-process"),), 0),
            InputRecord(ANSWERS, 0, 2, b"SKU-1", json.dumps({"id": "e3", "qty": 5}).encode(), (), 0)])
        total, skipped = stage.table.get(0, b"SKU-1"), worker.status.own_copies_skipped
    finally:
        worker._consumer.close()
        stage.table.close_all()

    assert total == {"total": 8, "seen": ["e2", "e3"]}
    assert skipped == 1
