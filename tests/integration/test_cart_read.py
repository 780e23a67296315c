"""The one-script cart read over real Redis answers exactly what the in-memory reader answers for the same values:
the account, the items, the availability entries, and only the price entries of the customer's own scopes."""
from __future__ import annotations

import asyncio

import pytest

from processors.checkout import PriceRule
from streams.devstack import RedisServer
from streams.readmodel.reader import CartRead, DictCheckoutReader, RedisCheckoutReader
from streams.readmodel.writer import ReadModelWriter
from streams.snapshot.entry import AvailabilityEntry
from streams.snapshot.memory import DictAvailabilityReader
from streams.snapshot.writer import SnapshotWriter
from tests.ids import unique
from tests.unit.checkout import factories as f

pytestmark = pytest.mark.integration
SKUS = ["PUMP-1", "PUMP-2", "VALVE/3", "NO-ITEM", "NO-STOCK"]

ACCOUNTS = [
    f.account("ACME"),                                           # list + group + contract scopes
    f.account("SOLO", customer_group=None),                      # no group: list + contract
    f.account("ODD", price_list_id="LIST EUR", customer_group="trade"),  # a list id no price can carry
    f.account("OTHER-LIST", price_list_id="LIST-USD", customer_group="retail"),
]
PRICES = [
    f.price("10.00", sku="PUMP-1"), f.price("11.00", sku="PUMP-2"), f.price("12.00", sku="VALVE/3"),
    f.price("9.00", sku="PUMP-1", scope_id="LIST-USD", currency="USD"),
    f.group_price("9.50", sku="PUMP-1"), f.group_price("9.60", sku="VALVE/3", valid_to_ms=f.NOW + f.DAY_MS),
    f.group_price("8.00", sku="PUMP-2", group="retail"),
    f.contract_price("7.00", "ACME", sku="PUMP-1"), f.contract_price("7.50", "ACME", sku="PUMP-2",
                                                                     valid_from_ms=f.NOW + f.DAY_MS),
    f.contract_price("6.00", "SOLO", sku="VALVE/3"), f.contract_price("5.00", "ODD", sku="PUMP-1"),
]
ITEMS = [f.item("PUMP-1"), f.item("PUMP-2", active=False), f.item("VALVE/3", category="valves"), f.item("NO-STOCK")]
STOCK = [AvailabilityEntry("PUMP-1", 3, f.NOW - 5000, 7, {"EAST": 5, "WEST": 2}),
         AvailabilityEntry("PUMP-2", 1, f.NOW - 9000, 0, {"EAST": 0}),
         AvailabilityEntry("VALVE/3", 8, f.NOW - 1000, 40, {"WEST": 40}),
         AvailabilityEntry("NO-ITEM", 2, f.NOW - 1000, 1, {"EAST": 1})]


def comparable(read: CartRead) -> tuple[object, ...]:
    prices = {sku: sorted(entries, key=lambda e: e.price_id) for sku, entries in read.catalog.prices.items()}
    stock = {sku: None if e is None else (e.version, e.as_of_ms, e.total_available, dict(e.locations))
             for sku, e in read.stock.items()}
    return read.account, read.catalog.items, prices, stock


def test_the_redis_cart_read_equals_the_in_memory_one(redis_server: RedisServer) -> None:
    import redis
    import redis.asyncio as aioredis

    prefix = unique("cart") + ":"
    sync_client = redis.Redis.from_url(redis_server.url)
    writer = ReadModelWriter(sync_client, prefix)
    for value in [*ITEMS, *PRICES, *ACCOUNTS]:
        writer.stage(value)
    assert writer.flush().pending == 0
    snapshot = SnapshotWriter(sync_client, prefix)
    for entry in STOCK:
        snapshot.stage(entry)
    snapshot.flush(f.NOW)
    memory = DictCheckoutReader([*ITEMS, *PRICES, *ACCOUNTS])
    memory_stock = DictAvailabilityReader(STOCK)

    async def both(customer: str) -> tuple[CartRead, CartRead]:
        client = aioredis.Redis.from_url(redis_server.url)
        try:
            from_redis = await RedisCheckoutReader(client, prefix).cart_with_stock(customer, SKUS, memory_stock)
        finally:
            await client.aclose()
        return from_redis, await memory.cart_with_stock(customer, SKUS, memory_stock)

    for customer in ["ACME", "SOLO", "ODD", "OTHER-LIST", "UNKNOWN-CUSTOMER"]:
        from_redis, in_memory = asyncio.run(both(customer))
        assert comparable(from_redis) == comparable(in_memory), customer
    acme, _ = asyncio.run(both("ACME"))
    assert {e.rule for e in acme.catalog.prices["PUMP-1"]} == set(PriceRule)  # all three scopes were read
    assert acme.stock["NO-STOCK"] is None and acme.catalog.items["NO-ITEM"] is None
    odd, _ = asyncio.run(both("ODD"))
    assert {e.rule for e in odd.catalog.prices["PUMP-1"]} == {PriceRule.CUSTOMER_CONTRACT, PriceRule.CUSTOMER_GROUP}
    unknown, _ = asyncio.run(both("UNKNOWN-CUSTOMER"))
    assert unknown.account is None and all(not entries for entries in unknown.catalog.prices.values())
    assert unknown.stock["PUMP-1"] is not None  # stock is answered whoever asks
