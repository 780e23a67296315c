"""Two workers: a second worker joins mid-stream (the partitions are rebalanced between them), later the first one
stops; every order line ends holding exactly what the oracle says (no double allocation, no lost reservation), every
request was answered, and the positions equal the oracle's."""
from __future__ import annotations

from pathlib import Path

import pytest

from streams.devstack import Broker, RedisServer
from tests.integration.pipeline import PARTITIONS, pipeline, pipeline_settings
from tests.reliability import harness
from tests.reliability.oracle import expected_positions, reservation_lines
from tests.reliability.traffic import mixed_stream
from topics import catalog

pytestmark = pytest.mark.integration
WAVE = 3_000


def test_a_worker_joining_and_another_leaving_mid_stream_neither_doubles_nor_loses_a_claim(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "unused", batch_max_records=500)
    stream = mixed_stream(seed=77, total=18_000, reservation_share=0.5, stock_skus=300, reservation_skus=150)
    waves = [stream.events[i:i + WAVE] for i in range(0, len(stream.events), WAVE)]
    expected, expected_lines = expected_positions(stream.events), reservation_lines(stream.events)

    with pipeline(settings) as p, harness.worker_processes() as workers:
        producer = harness.fast_producer(settings)
        first = harness.WorkerProcess(settings, tmp_path / "first.log", tmp_path / "first").start()
        workers.append(first)
        first.wait_ready()
        for index, wave in enumerate(waves):
            harness.produce_all(producer, p.codec, p.names, wave, PARTITIONS)
            if index == 1:  # a second worker joins while the first is busy: the group rebalances
                second = harness.WorkerProcess(settings, tmp_path / "second.log", tmp_path / "second").start()
                workers.append(second)
                second.wait_ready()
            if index == 3:  # the first leaves mid-stream (a rolling update); the second takes everything over
                first.stop()
        harness.wait_drained(settings, p.names)
        actual = harness.table_positions(settings, p.names)
        lines = harness.table_lines(settings, p.names, set(stream.reservation_skus))
        answered = {(r["sku"], r["order_id"]) for r in p.read(catalog.RESERVATION_RESULTS)}

    shares = [len(a["assigned"]) for a in second.assignments()]  # type: ignore[arg-type]
    assert len(shares) >= 2 and shares[0] < shares[-1]  # shared the partitions first, then held them all
    requested = {(e.key, str(e.record["order_id"])) for e in stream.of("reservations") if e.record["command"] == "RESERVE"}
    assert requested <= answered  # no request lost on the way between owners
    assert lines == expected_lines  # each line holds exactly its reservation and allocation, once
    assert harness.differences(expected, actual) == []
