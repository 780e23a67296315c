"""Crash consistency at scale: 200,000 mixed events (WMS and ERP stock facts, SKU-owner commands, and storefront
orders with ERP verdicts and cancellations through the order saga) while the worker process is SIGKILLed at random points
(once losing its volume too, so its successor restores from the changelog) and restarted; the final table equals the oracle (tests/reliability/oracle.py, which
shares no code with processors/) for on hand, reserved, allocated, quality control and incoming per SKU and
location, every order's final status and held units (from the order read model) and the fulfilment requests emitted
equal the oracle's, and the Redis snapshot shows the same availability.

DISTFLOW_RELIABILITY_EVENTS and DISTFLOW_RELIABILITY_KILLS scale it up for the soak (`make soak`).
"""
from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import pytest

from streams.devstack import Broker, RedisServer
from tests.integration.pipeline import PARTITIONS, pipeline, pipeline_settings
from tests.reliability import harness
from tests.reliability.oracle import expected_positions, order_outcomes, order_positions
from tests.reliability.traffic import mixed_stream, with_orders

pytestmark = pytest.mark.integration
EVENTS = int(os.environ.get("DISTFLOW_RELIABILITY_EVENTS", "200000"))
KILLS = int(os.environ.get("DISTFLOW_RELIABILITY_KILLS", "4"))
WAVE = min(20_000, max(2_000, EVENTS // 10))  # produced while the worker works; bounds how far one source topic runs ahead of another


def test_a_worker_killed_at_random_points_ends_with_exactly_the_oracles_positions(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "volume", batch_max_records=2000)
    stream = mixed_stream(seed=2026, total=int(EVENTS * 0.9), stock_skus=max(2_500, EVENTS // 80),  # ~36 facts
                          reservation_skus=max(300, EVENTS // 650))  # per SKU and location: inside the model's windows
    stream = with_orders(stream, seed=2027, orders_share=0.11)  # + storefront orders, ERP verdicts, cancellations
    outcomes = order_outcomes(stream.events)
    expected = expected_positions(stream.events) | order_positions(stream.opening, outcomes)
    rng = random.Random(7)
    waves = [stream.events[i:i + WAVE] for i in range(0, len(stream.events), WAVE)]
    kill_after = sorted(rng.sample(range(len(waves)), min(KILLS, len(waves))))
    volume_lost_at = kill_after[len(kill_after) // 2] if kill_after else None

    with pipeline(settings) as p, harness.worker_processes() as workers:
        producer = harness.fast_producer(settings)
        topics = harness.input_topics(p.names)

        def start_worker() -> int:
            """A worker on the volume; returns the committed total it starts from (quiet logs: throughput)."""
            workers.append(harness.WorkerProcess(settings, tmp_path / f"worker-{len(workers)}.log", tmp_path / "volume",
                                                 log_level="WARNING").start())
            return harness.committed_total(settings, topics)

        started_from, pending_at_kill = start_worker(), []
        harness.produce_all(producer, p.codec, p.names, stream.opening, PARTITIONS)  # the orders' stock first
        harness.wait_drained(settings, p.names, timeout_s=120)
        for index, wave in enumerate(waves):
            harness.wait_until(lambda: harness.group_lag(settings, topics) <= WAVE, 240, "backlog below a wave")
            harness.produce_all(producer, p.codec, p.names, wave, PARTITIONS)
            if index in kill_after:  # once this worker has committed work (restored, assigned, busy)...
                harness.wait_until(lambda: harness.committed_total(settings, topics) > started_from, 120,
                                   "the worker committed a batch")
                time.sleep(rng.uniform(0.3, 2.5))  # ...at a random point in the middle of processing
                workers[-1].kill()
                pending_at_kill.append(harness.group_lag(settings, topics))
                if index == volume_lost_at:
                    shutil.rmtree(tmp_path / "volume")
                started_from = start_worker()
        harness.wait_drained(settings, p.names, timeout_s=300)
        actual = harness.table_positions(settings, p.names)

        assert len(workers) == len(kill_after) + 1 and all(not w.alive for w in workers[:-1])
        assert all(pending > 0 for pending in pending_at_kill)  # every kill left uncommitted work behind
        # the worker started after the volume was lost could only know the earlier, committed events from the
        # changelog: the exact positions below are also the proof that it restored from it
        assert harness.differences(expected, actual) == []
        documents = harness.order_documents(settings, outcomes)
        assert harness.order_differences(outcomes, documents) == []
        # every unit of an accepted order asked of the warehouse exactly once (a verdict that overtakes a
        # reservation answer splits the request in two: units ready now, the rest when allocated)
        requested = harness.fulfilment_requests(settings, p.names, p.codec)
        units = {order_id: sorted((sku, sum(q for _, s, q in items if s == sku)) for sku in {s for _, s, _ in items})
                 for order_id, items in requested.items()}
        assert units == {order_id: sorted((sku, quantity) for _, sku, quantity in outcome.lines)
                         for order_id, outcome in outcomes.items() if outcome.status == "ALLOCATED"}
        want = harness.expected_snapshot(expected)
        harness.wait_until(lambda: not harness.same_availability(want, harness.snapshot_available(settings, want)),
                           60, "the Redis snapshot caught up with the table")
    claims_exceed_stock = [k for k, pos in actual.items() if pos.reserved + pos.allocated > max(pos.on_hand, 0)]
    assert all(expected[k] == actual[k] for k in claims_exceed_stock)  # only where units physically left later
    assert sum(pos.reserved + pos.allocated for pos in actual.values()) > 0  # reservations really took stock
