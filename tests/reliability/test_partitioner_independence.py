"""Partitioner independence: producers using librdkafka's default partitioner (consistent_random: CRC32 of the
key), not Java's murmur2, put a SKU's records on other partitions than its owner's; the records still reach the
owning task and the race for the last units never oversells."""
from __future__ import annotations

import zlib
from collections import defaultdict
from pathlib import Path

import pytest
from confluent_kafka import Producer

from streams.devstack import Broker, RedisServer
from tests.integration import events
from tests.integration.pipeline import PARTITIONS, pipeline, pipeline_settings, running_worker
from tests.reliability import harness
from tests.ids import unique
from topics import catalog
from topics.partitioning import partition_for

pytestmark = pytest.mark.integration
SKUS, STOCK, CONTENDERS = 40, 3, 6


def test_default_partitioner_producers_never_oversell_and_reach_the_owner(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    skus = [unique("SKU-PART") for _ in range(SKUS)]
    foreign = [sku for sku in skus if zlib.crc32(sku.encode()) % PARTITIONS != partition_for(sku.encode(), PARTITIONS)]
    assert len(foreign) > SKUS // 2  # most SKUs land on a partition that does not own them

    with pipeline(settings) as p, running_worker(settings):
        storefronts = [Producer({"bootstrap.servers": settings.kafka_bootstrap_servers, "linger.ms": 5,
                                 "partitioner": "consistent_random"}) for _ in range(2)]
        for sku in skus:
            receipt = events.movement(sku, "EAST", "RECEIVED", STOCK)
            storefronts[0].produce(p.names[catalog.INVENTORY_MOVEMENTS], p.codec.encode(
                p.names[catalog.INVENTORY_MOVEMENTS], "wms/inventory_movement", receipt), sku.encode())
        storefronts[0].flush(30)
        harness.wait_drained(settings, p.names)
        for round_ in range(CONTENDERS):  # two producers interleave their requests for the same SKUs
            for sku in skus:
                command = events.reserve_command(sku, f"ORD-{sku}-{round_}", "1", 1)
                value = p.codec.encode(p.names[catalog.INVENTORY_COMMANDS], "internal/inventory_command", command)
                storefronts[round_ % 2].produce(p.names[catalog.INVENTORY_COMMANDS], value, sku.encode())
        for producer in storefronts:
            producer.flush(30)
        harness.wait_drained(settings, p.names)
        results = p.read(catalog.RESERVATION_RESULTS, until=lambda found: len(found) >= SKUS * CONTENDERS)
        table = harness.table_positions(settings, p.names)

    granted: dict[str, int] = defaultdict(int)
    answered = {(r["sku"], r["order_id"]) for r in results}
    for result in results:
        granted[result["sku"]] += sum(line["quantity"] for line in result["reserved"])
    assert answered == {(sku, f"ORD-{sku}-{n}") for sku in skus for n in range(CONTENDERS)}  # all reached the owner
    for sku in skus:
        assert granted[sku] == STOCK, sku  # exactly the stock, never more: no oversell
        assert table[(sku, "EAST")].reserved == STOCK and table[(sku, "EAST")].available == 0
