"""Redelivery and disorder: the same stream with 10% of its events delivered twice and the order shuffled across
keys (each key's own order kept) ends in the same table, and the same order states, as the clean stream's answer."""
from __future__ import annotations

from pathlib import Path

import pytest

from streams.devstack import Broker, RedisServer
from tests.integration.pipeline import PARTITIONS, pipeline, pipeline_settings, running_worker
from tests.reliability import harness
from tests.reliability.oracle import expected_positions, order_outcomes, order_positions
from tests.reliability.traffic import mixed_stream, redelivered_and_reordered, with_orders

pytestmark = pytest.mark.integration


def test_duplicated_and_reordered_delivery_gives_the_clean_streams_final_state(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state", batch_max_records=1000)
    clean = mixed_stream(seed=31, total=13_500, stock_skus=500, reservation_skus=120, reservation_share=0.3)
    clean = with_orders(clean, seed=33, orders_share=0.11, order_skus=60)
    delivered = redelivered_and_reordered(clean.events, seed=32)
    outcomes = order_outcomes(clean.events)
    clean_answer = expected_positions(clean.events) | order_positions(clean.opening, outcomes)

    with pipeline(settings) as p, running_worker(settings):
        producer = harness.fast_producer(settings)
        harness.produce_all(producer, p.codec, p.names, clean.opening, PARTITIONS)
        harness.wait_drained(settings, p.names, timeout_s=60)
        harness.produce_all(producer, p.codec, p.names, delivered, PARTITIONS)
        harness.wait_drained(settings, p.names, timeout_s=180)
        actual = harness.table_positions(settings, p.names)
        documents = harness.order_documents(settings, outcomes)

    duplicates = len(delivered) - len(clean.events)
    assert 0.08 * len(clean.events) < duplicates < 0.12 * len(clean.events)
    assert [e.event_id for e in delivered] != [e.event_id for e in clean.events[:len(delivered)]]  # really reordered
    assert harness.differences(clean_answer, actual) == []
    assert harness.order_differences(outcomes, documents) == []
