"""Two workers: a second worker joins mid-stream (the partitions are rebalanced between them), later the first one
stops; every order line ends holding exactly what the oracle says (no double allocation, no lost reservation), every
request was answered, the positions equal the oracle's, and every storefront order that went through the saga ends
in the oracle's status holding the oracle's units."""
from __future__ import annotations

from pathlib import Path

import pytest

from streams.devstack import Broker, RedisServer
from tests.integration.pipeline import PARTITIONS, pipeline, pipeline_settings
from tests.reliability import harness
from tests.reliability.oracle import expected_positions, order_outcomes, order_positions, reservation_lines
from tests.reliability.traffic import mixed_stream, with_orders
from topics import catalog

pytestmark = pytest.mark.integration
WAVE = 3_000


def test_a_worker_joining_and_another_leaving_mid_stream_neither_doubles_nor_loses_a_claim(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "unused", batch_max_records=500)
    stream = mixed_stream(seed=77, total=16_000, reservation_share=0.5, stock_skus=300, reservation_skus=150)
    stream = with_orders(stream, seed=78, orders_share=0.12, order_skus=60)
    waves = [stream.events[i:i + WAVE] for i in range(0, len(stream.events), WAVE)]
    outcomes = order_outcomes(stream.events)
    expected = expected_positions(stream.events) | order_positions(stream.opening, outcomes)
    expected_lines = reservation_lines(stream.events)

    with pipeline(settings) as p, harness.worker_processes() as workers:
        producer = harness.fast_producer(settings)
        first = harness.WorkerProcess(settings, tmp_path / "first.log", tmp_path / "first").start()
        workers.append(first)
        first.wait_ready()
        harness.produce_all(producer, p.codec, p.names, stream.opening, PARTITIONS)
        harness.wait_drained(settings, p.names, timeout_s=120)
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
        documents = harness.order_documents(settings, outcomes)

    shares = [len(a["assigned"]) for a in second.assignments()]  # type: ignore[arg-type]
    assert len(shares) >= 2 and shares[0] < shares[-1]  # shared the partitions first, then held them all
    requested = {(e.key, str(e.record["order_id"])) for e in stream.of("reservations") if e.record["command"] == "RESERVE"}
    assert requested <= answered  # no request lost on the way between owners
    assert lines == expected_lines  # each line holds exactly its reservation and allocation, once
    assert harness.differences(expected, actual) == []
    assert harness.order_differences(outcomes, documents) == []  # every order, across both owners, exactly once
