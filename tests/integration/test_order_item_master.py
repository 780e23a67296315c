"""The ERP's item master routes the order saga on the real broker: a DROP_SHIP item goes to its supplier with its lead
time and never reserves our stock (even stock we hold), a SPECIAL_ORDER item is bought from its supplier with its
lead time; the sourcing policy file names neither. The worker reads the item master (a global table on every worker)
to its end before its first batch, and follows it afterwards."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import redis

from streams.devstack import Broker, RedisServer
from tests.ids import unique
from tests.integration import events
from tests.integration.pipeline import pipeline, pipeline_settings, running_worker
from tests.integration.test_order_saga import Saga, line
from tests.unit.checkout import erp_records as erp
from topics import catalog

pytestmark = pytest.mark.integration

DAY_MS = 86_400_000
SUPPLIER, LEAD_DAYS = "SUP-ITEMS-DS", 12
SPECIAL_SUPPLIER, SPECIAL_LEAD_DAYS = "SUP-ITEMS-SO", 20
DROP_SKU, STOCKED_SKU = unique("IM-DROP"), unique("IM-STOCKED")


def item(sku: str, sourcing: str = "STOCKED", supplier: str | None = None, lead: int | None = None) -> dict:  # type: ignore[type-arg]
    return erp.item_master(sku, sourcing=sourcing, supplier_id=supplier, lead_time_days=lead,
                           occurred_at=events.now_ms())


@pytest.fixture(scope="module")
def saga(broker: Broker, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Saga]:
    root = tmp_path_factory.mktemp("item-master")
    policy = root / "sourcing-policy.json"  # nothing about the item master's SKUs or suppliers
    policy.write_text(json.dumps({"location_priority": ["EAST", "WEST"], "default_lead_time_days": 3,
                                  "lead_time_days_by_supplier": {"SUP-OTHER": 5}}))
    settings = pipeline_settings(broker.bootstrap, redis_server.url, root / "state", sourcing_policy_file=policy,
                                 erp_rate_limit_per_s=200.0, erp_rate_limit_burst=200)
    client = redis.Redis.from_url(redis_server.url)
    with pipeline(settings) as p:
        # published before the worker starts: it must have read them before it routes its first order
        p.produce(catalog.ITEM_MASTER, DROP_SKU, item(DROP_SKU, "DROP_SHIP", SUPPLIER, LEAD_DAYS))
        p.produce(catalog.ITEM_MASTER, STOCKED_SKU, item(STOCKED_SKU, lead=30))
        p.flush()
        with running_worker(settings) as worker:
            yield Saga(p, worker, client)
    client.close()


def accept(saga: Saga, order_id: str) -> int:
    """The ERP accepts; the time of its verdict (purchase orders are made then)."""
    decision = events.erp_decision(order_id, "ACCEPTED")
    saga.produce(catalog.ORDER_DECISIONS, order_id, decision)
    return int(decision["envelope"]["occurred_at"])  # type: ignore[index]


def reserved(saga: Saga, sku: str) -> int:
    state = saga.sku_state(sku)
    return sum(stock.reserved for stock in state.locations) if state else 0


def purchase_orders(saga: Saga, order_id: str, count: int = 1) -> list[dict]:  # type: ignore[type-arg]
    commands = saga.topic(catalog.ERP_COMMANDS, order_id, until=lambda found: sum(
        c["command"] == "CREATE_PURCHASE_ORDER" for c in found) >= count)
    return [c for c in commands if c["command"] == "CREATE_PURCHASE_ORDER"]


def test_the_worker_is_ready_only_with_the_item_master_read(saga: Saga) -> None:
    ready, detail = saga.worker.readiness()
    tables = detail["global_tables"]
    assert ready and tables == {saga.p.names[catalog.ITEM_MASTER]: {"ready": True, "keys": 2, "error": None}}


def test_a_drop_ship_item_goes_to_its_supplier_with_its_lead_time_and_reserves_none_of_our_stock(saga: Saga) -> None:
    order_id = unique("O-IM-DROP")
    saga.stock(STOCKED_SKU, EAST=5)
    saga.stock(DROP_SKU, EAST=4)  # we even hold some: a drop-ship item still never takes it
    saga.place(order_id, line("L1", DROP_SKU, 2), line("L2", STOCKED_SKU, 1))

    document = saga.wait_status(order_id, "RESERVED")
    assert [(item["line_id"], item["reserved"]) for item in document["lines"]] == [("L1", 0), ("L2", 1)]
    saga.quiesce()
    assert (reserved(saga, DROP_SKU), reserved(saga, STOCKED_SKU)) == (0, 1)

    accepted_at = accept(saga, order_id)
    saga.wait_status(order_id, "ALLOCATED")
    [purchase] = purchase_orders(saga, order_id)
    assert purchase["payload"]["supplier"] == SUPPLIER
    assert [(x["line_id"], x["sku"], x["quantity"], x["fulfilment_kind"])
            for x in json.loads(purchase["payload"]["lines"])] == [("L1", DROP_SKU, 2, "DROP_SHIP")]
    assert int(purchase["payload"]["expected_by"]) == accepted_at + LEAD_DAYS * DAY_MS
    requests = saga.topic(catalog.FULFILMENT_REQUESTS, order_id, until=lambda found: bool(found))
    assert [(r["location"], [x["sku"] for x in r["lines"]]) for r in requests] == [("EAST", [STOCKED_SKU])]

    # the supplier ships straight to the customer: no shelf of ours moves (it is a supplier only the item master names)
    saga.produce(catalog.SHIPMENTS, order_id, events.shipment(order_id, "S-IM", SUPPLIER, [("L1", DROP_SKU, 2)]))
    document = saga.wait_status(order_id, "PARTIALLY_SHIPPED")
    assert next(x for x in document["lines"] if x["line_id"] == "L1")["shipped"] == 2
    saga.quiesce()
    drop_state = saga.sku_state(DROP_SKU)
    assert drop_state is not None
    assert [(s.location, s.on_hand, s.reserved, s.allocated) for s in drop_state.locations] == [("EAST", 4, 0, 0)]
    assert drop_state.claims == ()
    saga.claims_match()


def test_a_special_order_item_published_while_running_is_bought_with_its_lead_time(saga: Saga) -> None:
    sku, order_id = unique("IM-SPECIAL"), unique("O-IM-SO")
    saga.produce(catalog.ITEM_MASTER, sku, item(sku, "SPECIAL_ORDER", SPECIAL_SUPPLIER, SPECIAL_LEAD_DAYS))
    table = saga.worker.global_tables[0]
    deadline = time.monotonic() + 30
    while table.get(sku) is None and time.monotonic() < deadline:  # the table follows the topic
        time.sleep(0.1)
    saga.place(order_id, line("L1", sku, 3))

    saga.wait_status(order_id, "RESERVED")  # nothing to reserve: the ERP is asked at once
    accepted_at = accept(saga, order_id)
    saga.wait_status(order_id, "ALLOCATED")
    [purchase] = purchase_orders(saga, order_id)
    assert (purchase["payload"]["supplier"], int(purchase["payload"]["expected_by"])) == (
        SPECIAL_SUPPLIER, accepted_at + SPECIAL_LEAD_DAYS * DAY_MS)
    assert json.loads(purchase["payload"]["lines"])[0]["fulfilment_kind"] == "SPECIAL_ORDER"
    saga.quiesce()
    assert saga.sku_state(sku) is None  # no reservation ever asked of the SKU owner
    saga.claims_match()
