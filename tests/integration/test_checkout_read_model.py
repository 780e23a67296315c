"""The checkout read model on the real broker and Redis: newest-wins writes, the global item table, and the whole
path — ERP events produced to the broker → worker → Redis → API answer."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from confluent_kafka import Producer
from pydantic import SecretStr

from processors.checkout import Sourcing
from streams.api.app import build_api
from streams.devstack import Broker, RedisServer
from streams.readmodel.items import item_master_table
from streams.readmodel.reader import RedisCheckoutReader
from streams.readmodel.translate import customer_account, item_master, price_entry
from streams.readmodel.writer import ReadModelWriter
from streams.settings import Settings
from streams.snapshot.connection import snapshot_reader_client, snapshot_writer_client
from streams.snapshot.reader import RedisAvailabilityReader
from tests.ids import unique
from tests.integration import events
from tests.integration.pipeline import Pipeline, pipeline, pipeline_settings, running_worker
from tests.unit.checkout import erp_records as erp
from topics import catalog

pytestmark = pytest.mark.integration
API_KEY = "checkout-integration-key-1"
NOW = int(time.time() * 1000)


def api_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"api_keys": SecretStr(f"{API_KEY}=prices:read,checkout:validate"),
                                       "api_rate_limit_per_s": 1000.0, "api_rate_limit_burst": 1000})


def ask(settings: Settings, calls: list[tuple[str, str, Any]]) -> list[tuple[int, Any]]:
    """Each call answered by the real API over the real Redis (RedisAvailabilityReader + RedisCheckoutReader)."""
    async def scenario() -> list[tuple[int, Any]]:
        client = snapshot_reader_client(settings)
        app = build_api(api_settings(settings), RedisAvailabilityReader(client, settings.redis_key_prefix),
                        checkout_reader=RedisCheckoutReader(client, settings.redis_key_prefix))
        answers = []
        try:
            async with TestClient(TestServer(app)) as http:
                for method, path, body in calls:
                    response = await http.request(method, path, json=body,
                                                   headers={"Authorization": f"Bearer {API_KEY}"})
                    answers.append((response.status, await response.json()))
        finally:
            await client.aclose()
        return answers
    return asyncio.run(scenario())


def eventually(check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


# -- the writer on real Redis ----------------------------------------------------------------------------------------
def test_the_writer_never_writes_an_older_value_over_a_newer_one(redis_server: RedisServer) -> None:
    settings = Settings(redis_url=SecretStr(redis_server.url), redis_key_prefix=unique("rm") + ":")
    writer = ReadModelWriter(snapshot_writer_client(settings), settings.redis_key_prefix)
    newer_account = customer_account(erp.customer_account("C-1", credit_hold=True, occurred_at=NOW), NOW)
    older_account = customer_account(erp.customer_account("C-1", occurred_at=NOW - 60_000), NOW)
    newer_price = price_entry(erp.price("SKU-1", "12.00", occurred_at=NOW), NOW)
    older_price = price_entry(erp.price("SKU-1", "10.00", occurred_at=NOW - 60_000), NOW)
    other_scope = price_entry(erp.price("SKU-1", "9.00", scope="CUSTOMER_CONTRACT", scope_id="C-1"), NOW)

    for value in (newer_account, newer_price, other_scope, item_master(erp.item_master("SKU-1"), NOW)):
        writer.stage(value)
    first = writer.flush()
    for value in (older_account, older_price):  # late: Redis has newer ones
        writer.stage(value)
    late = writer.flush()
    writer.stage(newer_account)  # a redelivery
    again = writer.flush()

    assert (first.written, first.pending) == (4, 0)
    assert (late.written, late.kept_newer, again.written, again.kept_newer) == (0, 2, 0, 1)
    answers = ask(settings.model_copy(), [
        ("POST", "/v1/checkout/validate", {"customer": "C-1", "lines": [{"sku": "SKU-1", "quantity": 1}]})])
    assert answers[0][1]["cart_reasons"][0]["code"] == "credit_hold"
    assert answers[0][1]["lines"][0]["price"]["unit_price"] == "9.00"  # the contract, beside the list entry
    list_entries = json.loads(snapshot_writer_client(settings).hget(
        f"{settings.redis_key_prefix}checkout:prices:PRICE_LIST:LIST-EUR", "SKU-1"))
    assert [json.loads(entry)["breaks"][0]["unit_price"] for _, _, entry in list_entries.values()] == ["12.00"]


# -- the global table --------------------------------------------------------------------------------------------
def test_the_item_master_global_table_reads_every_partition_newest_wins_and_follows(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    with pipeline(settings) as p:
        for partition in range(4):  # every partition, whatever the key's partition would be
            p.produce(catalog.ITEM_MASTER, f"SKU-G{partition}", erp.item_master(f"SKU-G{partition}"),
                      partition=partition)
        p.produce(catalog.ITEM_MASTER, "SKU-G0", erp.item_master(
            "SKU-G0", sourcing="DROP_SHIP", supplier_id="SUP-1", lead_time_days=6, occurred_at=erp.MARCH_1 + 5))
        p.produce(catalog.ITEM_MASTER, "SKU-G0", erp.item_master("SKU-G0", active=False), partition=3)  # older
        p.produce_raw(catalog.ITEM_MASTER, b"SKU-BAD", b"not avro")
        p.flush()

        table = item_master_table(settings).start()
        try:
            assert table.wait_ready(30)
            assert len(table) == 4 and table.records_skipped == 1
            routed = table.item("SKU-G0")
            assert routed is not None and (routed.sourcing, routed.supplier_id, routed.lead_time_days,
                                           routed.active) == (Sourcing.DROP_SHIP, "SUP-1", 6, True)
            assert table.item("SKU-NONE") is None

            p.produce(catalog.ITEM_MASTER, "SKU-G9", erp.item_master("SKU-G9"))
            p.flush()
            assert eventually(lambda: table.item("SKU-G9") is not None, 15)
        finally:
            table.stop()


# -- end to end --------------------------------------------------------------------------------------------------
@pytest.fixture
def flow(broker: Broker, redis_server: RedisServer, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    with pipeline(settings) as p, running_worker(settings):
        yield p


def cart(*lines: tuple[str, int], customer: str = "C-E2E") -> dict[str, Any]:
    return {"customer": customer, "channel": "web",
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines]}


def produce_catalog(flow: Pipeline) -> None:
    flow.produce(catalog.CUSTOMER_ACCOUNTS, "C-E2E", erp.customer_account("C-E2E", occurred_at=NOW - 10_000))
    for sku, category in (("E2E-CLOCK", "clocks"), ("E2E-LAMP", "lighting")):
        flow.produce(catalog.ITEM_MASTER, sku, erp.item_master(sku, category=category))
    flow.produce(catalog.ITEM_MASTER, "E2E-PUMP", erp.item_master(
        "E2E-PUMP", sourcing="SPECIAL_ORDER", supplier_id="SUP-7", lead_time_days=3))
    flow.produce(catalog.PRICES, "E2E-CLOCK", erp.price("E2E-CLOCK", "10.00", breaks=((10, "9.00"),)))
    flow.produce(catalog.PRICES, "E2E-CLOCK", erp.price("E2E-CLOCK", "8.50", scope="CUSTOMER_CONTRACT",
                                                        scope_id="C-E2E", contract_id="K-1"))
    flow.produce(catalog.PRICES, "E2E-LAMP", erp.price("E2E-LAMP", "25.00"))
    flow.produce(catalog.PRICES, "E2E-PUMP", erp.price("E2E-PUMP", "300.00"))
    flow.produce(catalog.ON_HAND_SNAPSHOTS, "E2E-CLOCK", events.on_hand_snapshot("E2E-CLOCK", "EAST", 6))
    flow.produce(catalog.PRICES, "E2E-LAMP", {**erp.price("E2E-LAMP", "1.00"), "currency": "bad"})  # dead letter
    flow.flush()


def test_erp_events_reach_the_api_through_the_worker_and_redis(flow: Pipeline) -> None:
    produce_catalog(flow)
    validate = ("POST", "/v1/checkout/validate", cart(("E2E-CLOCK", 2), ("E2E-LAMP", 1), ("E2E-PUMP", 1),
                                                       ("E2E-GHOST", 1)))

    def settled() -> Any:
        (status, body), = ask(flow.settings, [validate])
        ready = status == 200 and body["lines"][0]["availability"]["available"] == 6 and body["lines"][2]["price"]
        return body if ready else None

    body = eventually(settled)
    assert body, "the read model did not reach Redis in time"
    clock, lamp, pump, ghost = body["lines"]
    assert (clock["price"]["unit_price"], clock["price"]["rule"]) == ("8.50", "CUSTOMER_CONTRACT")
    assert clock["availability"]["from_locations"] == [{"location": "EAST", "available": 6}]
    assert lamp["availability"]["status"] == "UNKNOWN" and lamp["purchasable"]
    assert (pump["availability"]["status"], pump["availability"]["supplier_id"],
            pump["availability"]["lead_time_days"]) == ("FROM_SUPPLIER", "SUP-7", 3)
    assert [r["code"] for r in ghost["reasons"]] == ["unknown_sku"]
    assert body["verdict"] == "BLOCKED"
    assert all(line["as_of"]["item_ms"] for line in (clock, lamp, pump)) and body["as_of"]["account_ms"]
    dead = flow.read(catalog.DEAD_LETTERS, until=lambda found: any(
        d["reason_code"] == "invalid_currency" for d in found))
    assert any(d["reason_code"] == "invalid_currency" and d["source_topic"] == flow.names[catalog.PRICES]
               for d in dead)


def test_a_newer_credit_hold_and_entitlement_removal_block_and_an_older_record_changes_nothing(
        flow: Pipeline) -> None:
    produce_catalog(flow)
    flow.produce(catalog.CUSTOMER_ACCOUNTS, "C-E2E", erp.customer_account(
        "C-E2E", credit_hold=True, allowed_skus=["E2E-CLOCK"], occurred_at=NOW))
    flow.produce(catalog.CUSTOMER_ACCOUNTS, "C-E2E", erp.customer_account("C-E2E", occurred_at=NOW - 5_000))
    flow.flush()
    calls = [("POST", "/v1/checkout/validate", cart(("E2E-CLOCK", 12), ("E2E-LAMP", 1))),
             ("GET", "/v1/prices/E2E-CLOCK?customer=C-E2E&qty=12", None),
             ("GET", "/v1/prices/E2E-GHOST?customer=C-E2E", None),
             ("GET", "/v1/prices/E2E-CLOCK?customer=NOBODY", None)]

    def settled() -> Any:
        answers = ask(flow.settings, calls)
        return answers if answers[0][1].get("cart_reasons") else None

    answers = eventually(settled)
    assert answers, "the credit hold did not reach Redis in time"
    time.sleep(1.0)  # give the older record every chance to be (wrongly) applied
    (_, cart_body), (_, price_body), (ghost_status, ghost), (nobody_status, nobody) = ask(flow.settings, calls)
    assert [r["code"] for r in cart_body["cart_reasons"]] == ["credit_hold"]
    assert [[r["code"] for r in line["reasons"]] for line in cart_body["lines"]] == [
        ["credit_hold"], ["credit_hold", "not_entitled"]]
    assert (price_body["price"]["unit_price"], price_body["price"]["rule"]) == ("8.50", "CUSTOMER_CONTRACT")
    assert (ghost_status, ghost["error"], nobody_status, nobody["error"]) == (
        404, "unknown_sku", 404, "unknown_customer")
