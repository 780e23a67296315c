"""In-process hand-off on the real broker: a worker that owns a SKU applies the command intake translated for it in
the same batch, without the round trip through distflow.inventory-commands; switched off, every command goes
through the topic. Either way the same state, availability and snapshot come out."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from streams.devstack import Broker, RedisServer
from tests.integration import events
from tests.integration.pipeline import Pipeline, pipeline, pipeline_settings, running_worker
from topics import catalog

pytestmark = pytest.mark.integration

SKUS = [f"SKU-HAND-{i}" for i in range(12)]


def produce_and_settle(flow: Pipeline) -> dict[str, int]:
    for i, sku in enumerate(SKUS):
        flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", i + 1))
        flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "WEST", "RECEIVED", 2))
    flow.flush()
    expected = {sku: i + 3 for i, sku in enumerate(SKUS)}

    def settled(found: list[dict]) -> bool:  # type: ignore[type-arg]
        latest = {r["sku"]: r["total_available"] for r in found}
        return all(latest.get(sku) == total for sku, total in expected.items())

    changes = flow.read(catalog.AVAILABILITY_CHANGES, until=settled)
    return {r["sku"]: r["total_available"] for r in changes}


def counted(read: Callable[[], int], expected: int, timeout_s: float = 10.0) -> int:
    """The counter once it reaches ``expected`` (it is updated when the batch commits), or as it is at the deadline."""
    deadline = time.time() + timeout_s
    while read() < expected and time.time() < deadline:
        time.sleep(0.05)
    return read()


def test_a_worker_owning_the_skus_applies_their_commands_in_process(broker: Broker, redis_server: RedisServer,
                                                                   tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    assert settings.handoff_in_process
    with pipeline(settings) as flow, running_worker(settings) as worker:
        totals = produce_and_settle(flow)
        handed_over = counted(lambda: worker.engine.status.records_handed_over, 2 * len(SKUS))
        commands = flow.read(catalog.INVENTORY_COMMANDS)

    assert totals == {sku: i + 3 for i, sku in enumerate(SKUS)}
    assert handed_over == 2 * len(SKUS)  # every command: the worker owns every partition
    assert commands == []  # none made the round trip through the broker


def test_switched_off_every_command_goes_through_the_topic(broker: Broker, redis_server: RedisServer,
                                                          tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state", handoff_in_process=False)
    with pipeline(settings) as flow, running_worker(settings) as worker:
        totals = produce_and_settle(flow)
        handed_over = worker.engine.status.records_handed_over
        commands = flow.read(catalog.INVENTORY_COMMANDS, until=lambda found: len(found) >= 2 * len(SKUS))

    assert totals == {sku: i + 3 for i, sku in enumerate(SKUS)}
    assert handed_over == 0
    assert sorted(c["sku"] for c in commands) == sorted([*SKUS, *SKUS])


ORDERS = [f"ORD-HAND-{i}" for i in range(6)]
SETTLED = ("RESERVED", "PARTIALLY_BACKORDERED", "BACKORDERED", "ON_HOLD")


def place_and_settle(flow: Pipeline) -> dict[str, str]:
    """4 units of each of two SKUs, then 6 orders of one unit of each; the first settled status of every order."""
    for sku in SKUS[:2]:
        flow.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, "EAST", "RECEIVED", 4))
    flow.flush()
    flow.read(catalog.AVAILABILITY_CHANGES, until=lambda found: {r["sku"] for r in found} >= set(SKUS[:2]))
    for order_id in ORDERS:
        lines = [events.order_line("1", SKUS[0], 1), events.order_line("2", SKUS[1], 1)]
        flow.produce(catalog.ORDERS, order_id, events.order_placed(order_id, lines))
    flow.flush()
    statuses = flow.read(catalog.ORDER_STATUS, until=lambda found: {
        r["order_id"] for r in found if r["status"] in SETTLED} >= set(ORDERS))
    first: dict[str, str] = {}
    for record in statuses:
        if record["status"] in SETTLED:
            first.setdefault(record["order_id"], record["status"])
    return first


def test_past_its_hand_off_limit_a_batch_sends_the_rest_through_the_topic(broker: Broker, redis_server: RedisServer,
                                                                           tmp_path: Path) -> None:
    """One record handed over per batch at most: the rest of each batch (the movements' commands, the orders'
    RESERVEs) goes round the broker, and the saga comes out the same."""
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state", handoff_max_per_batch=1)
    with pipeline(settings) as flow, running_worker(settings) as worker:
        settled = place_and_settle(flow)
        batches, handed_over = worker.engine.status.batches, worker.engine.status.records_handed_over
        produced = flow.read(catalog.INVENTORY_COMMANDS)

    assert sorted(settled.values()) == ["BACKORDERED"] * 2 + ["RESERVED"] * 4
    assert 0 < handed_over <= batches
    # 2 stock commands and 2 RESERVEs per order: each one either handed over or on the topic
    assert len(produced) + handed_over == 2 + 2 * len(ORDERS)
