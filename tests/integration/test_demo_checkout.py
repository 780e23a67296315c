"""make dev's checkout on the real broker and Redis: the simulator's opening burst (run_simulation, as `distflow
simulate` runs it) → the worker's read-model stage → Redis → the API prices a simulated customer's cart."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis

from streams.devstack import Broker, RedisServer
from streams.readmodel.keys import ReadModelKeys
from streams.simulator import LOCATIONS, Simulation
from streams.simulator_runner import run_simulation
from tests.integration.pipeline import pipeline, pipeline_settings, running_worker
from tests.integration.test_checkout_read_model import ask, eventually
from topics import catalog

pytestmark = pytest.mark.integration
SEED, SKUS = 7, 40


def test_after_the_opening_burst_a_simulated_customers_cart_is_priced_from_the_read_model(
        broker: Broker, redis_server: RedisServer, tmp_path: Path) -> None:
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state")
    simulation = Simulation(seed=SEED, sku_count=SKUS)
    demo, show = simulation.demo, simulation.demo.showcase
    opening = len(list(simulation.opening_checkout())) + SKUS * len(LOCATIONS)
    held = next(c.customer_id for c in demo.customers if c.credit_hold)
    inactive = next(item.sku for item in demo.items if not item.active)
    showcase_cart = {"customer": show.customer_id, "channel": "web", "lines": [
        {"sku": show.contract_sku, "quantity": 12}, {"sku": show.list_sku, "quantity": 1},
        {"sku": show.drop_ship_sku, "quantity": 2}]}
    calls: list[tuple[str, str, Any]] = [
        ("POST", "/v1/checkout/validate", showcase_cart),
        ("GET", f"/v1/prices/{show.contract_sku}?customer={show.customer_id}&qty=12", None),
        ("GET", f"/v1/prices/{show.future_contract_sku}?customer={show.customer_id}", None),
        ("POST", "/v1/checkout/validate", {"customer": held, "lines": [{"sku": show.list_sku, "quantity": 1}]}),
        ("POST", "/v1/checkout/validate", {"customer": show.customer_id, "lines": [{"sku": inactive, "quantity": 1}]}),
    ]
    client = redis.Redis.from_url(redis_server.url)
    keys = ReadModelKeys(settings.redis_key_prefix)
    with pipeline(settings) as flow, running_worker(settings):
        assert run_simulation(settings, rate=0, seed=SEED, sku_count=SKUS, limit=opening) == opening

        def missing() -> int:  # items and accounts the read-model stage has not written to Redis yet
            return (SKUS - client.exists(*(keys.item(item.sku) for item in demo.items))
                    + len(demo.customers) - client.exists(*(keys.customer(c.customer_id) for c in demo.customers)))

        assert eventually(lambda: missing() == 0, 60), f"{missing()} items or accounts missing from the read model"
        assert flow.read(catalog.DEAD_LETTERS) == []  # every ERP record of the burst was valid

        def settled() -> Any:
            answers = ask(settings, calls)
            stocked = answers[0][1]["lines"][0]["availability"]["status"] if answers[0][0] == 200 else "UNKNOWN"
            return answers if stocked != "UNKNOWN" else None

        answers = eventually(settled, 60)
    client.close()

    assert answers, "the opening stock did not reach the availability snapshot"
    (cart_status, cart), (_, contract), (_, future), (_, on_hold), (_, inactive_cart) = answers
    assert cart_status == 200 and cart["verdict"] == "ACCEPTABLE" and cart["cart_reasons"] == []
    contract_line, list_line, drop_line = cart["lines"]
    assert (contract_line["price"]["rule"], contract_line["price"]["break_min_quantity"]) == ("CUSTOMER_CONTRACT", 10)
    assert list_line["price"]["rule"] in ("PRICE_LIST", "CUSTOMER_GROUP") and list_line["price"]["currency"] == "USD"
    assert (drop_line["availability"]["status"], drop_line["availability"]["sourcing"],
            drop_line["availability"]["supplier_id"]) == ("FROM_SUPPLIER", "DROP_SHIP",
                                                          demo.item(show.drop_ship_sku).supplier_id)
    assert all(line["purchasable"] and line["price"] for line in cart["lines"]) and cart["total"]
    assert contract["price"]["unit_price"] == contract_line["price"]["unit_price"]
    assert future["price"]["rule"] == "PRICE_LIST" and future["price"]["valid_until_ms"]  # the contract's start
    assert [r["code"] for r in on_hold["cart_reasons"]] == ["credit_hold"]
    assert [r["code"] for r in inactive_cart["lines"][0]["reasons"]] == ["inactive_sku"]
