"""The order saga on the real broker: storefront, ERP, WMS and carrier events in; order status, fulfilment requests,
ERP commands and exceptions out; inventory claims in step with the orders after every test."""
from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from processors import inventory as inv
from processors import orders as o
from streams.app import Worker
from streams.devstack import Broker, RedisServer
from streams.order_view import read_order_document
from tests.ids import unique
from tests.integration import events
from tests.integration.pipeline import Pipeline, pipeline, pipeline_settings, running_worker
from topics import catalog
from topics.partitioning import partition_for

pytestmark = pytest.mark.integration

CREDIT_HOLD_TIMEOUT_S = 2
ACCEPTANCE_SLA_S = 4
SUPPLIER = "SUP-NORDIC"


class Saga:
    def __init__(self, p: Pipeline, worker: Worker, view: redis.Redis) -> None:
        self.p, self.worker, self.view = p, worker, view

    def produce(self, spec: catalog.TopicSpec, key: str, record: dict[str, object]) -> None:
        self.p.produce(spec, key, record)
        self.p.flush()

    def stock(self, sku: str, **on_hand: int) -> None:
        """The SKU's stock, applied before the test goes on: an order produced right after it on another topic may
        otherwise reach the worker first (nothing orders two sources), and find an unknown SKU."""
        for location, quantity in on_hand.items():
            self.p.produce(catalog.ON_HAND_SNAPSHOTS, sku, events.on_hand_snapshot(sku, location, quantity))
        self.p.flush()

        def applied(found: list[dict]) -> bool:  # type: ignore[type-arg]
            return any(r["key"] == sku.encode() for r in found)  # the SKU owner's state, made durable

        assert applied(self.p.read(catalog.INVENTORY_CHANGELOG, until=applied, decode=False)), f"{sku}: no stock"

    def receive(self, sku: str, location: str, quantity: int) -> None:
        self.produce(catalog.INVENTORY_MOVEMENTS, sku, events.movement(sku, location, "RECEIVED", quantity))

    def place(self, order_id: str, *lines: dict[str, object], event_id: str | None = None) -> None:
        self.produce(catalog.ORDERS, order_id, events.order_placed(order_id, list(lines), event_id=event_id))

    def decide(self, order_id: str, decision: str) -> None:
        self.produce(catalog.ORDER_DECISIONS, order_id, events.erp_decision(order_id, decision))

    def document(self, order_id: str) -> dict | None:  # type: ignore[type-arg]
        return read_order_document(self.view, self.p.settings.redis_key_prefix, order_id)

    def wait_status(self, order_id: str, status: str, timeout_s: float = 30.0,
                    check: Callable[[dict], bool] = lambda d: True) -> dict:  # type: ignore[type-arg]
        deadline = time.time() + timeout_s
        document = None
        while time.time() < deadline:
            document = self.document(order_id)
            if document is not None and document["status"] == status and check(document):
                return document
            time.sleep(0.1)
        raise AssertionError(f"order {order_id} did not reach {status}: {json.dumps(document)[:1500]}")

    def topic(self, spec: catalog.TopicSpec, order_id: str, until: Callable[[list[dict]], bool] | None = None,  # type: ignore[type-arg]
              field: str = "order_id") -> list[dict]:  # type: ignore[type-arg]
        def mine(found: list[dict]) -> list[dict]:  # type: ignore[type-arg]
            return [r for r in found if r.get(field) == order_id]
        return mine(self.p.read(spec, until=(lambda found: until(mine(found))) if until else None))

    def statuses(self, order_id: str) -> list[str]:
        return [r["status"] for r in self.topic(catalog.ORDER_STATUS, order_id)]

    def exceptions(self, order_id: str, until_type: str | None = None) -> list[dict]:  # type: ignore[type-arg]
        until = (lambda found: any(r["exception_type"] == until_type for r in found)) if until_type else None
        return self.topic(catalog.EXCEPTIONS, order_id, until, field="subject_id")

    def sku_state(self, sku: str) -> inv.SkuInventory | None:
        stage = self.worker.engine.stages[1]
        record = stage.table.get(partition_for(sku.encode(), stage.partitions), sku.encode())  # type: ignore[attr-defined]
        return None if record is None else inv.from_record(record)

    def quiesce(self, quiet_s: float = 1.0, timeout_s: float = 30.0) -> None:
        """Wait until the worker has taken no record for `quiet_s` (every answer is in)."""
        status = self.worker.engine.status
        deadline, seen, since = time.time() + timeout_s, -1, time.time()
        while time.time() < deadline:
            if status.records_in != seen:
                seen, since = status.records_in, time.time()
            elif time.time() - since >= quiet_s:
                return
            time.sleep(0.1)

    def claims_match(self) -> None:
        """Invariant: per SKU and order, what inventory holds (reserved + allocated) is what the order holds."""
        self.quiesce()
        orders_stage = self.worker.engine.stages[2]
        held_by_orders: Counter[tuple[str, str]] = Counter()
        skus: set[str] = set()
        for partition in orders_stage.table.owned_partitions:  # type: ignore[attr-defined]
            for key in orders_stage.table.open(partition).keys():  # type: ignore[attr-defined]
                order: o.Order = orders_stage.table.get(partition, key)  # type: ignore[attr-defined]
                for sku, units in o.claims_by_sku(order).items():
                    held_by_orders[(sku, order.order_id)] += units
                skus.update(line.sku for line in order.lines if line.stocked)
        held_by_inventory: Counter[tuple[str, str]] = Counter()
        for sku in skus:
            state = self.sku_state(sku)
            for claim in state.claims if state else ():
                units = sum(q for _, q in claim.reserved) + sum(q for _, q in claim.allocated)
                if units:
                    held_by_inventory[(sku, claim.order_id)] += units
        assert held_by_inventory == held_by_orders


@pytest.fixture(scope="module")
def saga_env(broker: Broker, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Saga]:
    root = tmp_path_factory.mktemp("orders")
    policy = root / "sourcing-policy.json"
    policy.write_text(json.dumps({"location_priority": ["EAST", "WEST"], "max_locations_per_line": 2,
                                  "drop_ship_suppliers": [SUPPLIER],
                                  "lead_time_days_by_supplier": {SUPPLIER: 10}}))
    settings = pipeline_settings(broker.bootstrap, redis_server.url, root / "state", sourcing_policy_file=policy,
                                 credit_hold_timeout_seconds=CREDIT_HOLD_TIMEOUT_S, erp_rate_limit_per_s=200.0,
                                 sla_order_acceptance_seconds=ACCEPTANCE_SLA_S,
                                 erp_rate_limit_burst=200)
    client = redis.Redis.from_url(redis_server.url)
    with pipeline(settings) as p, running_worker(settings) as worker:
        yield Saga(p, worker, client)
    client.close()


@pytest.fixture
def saga(saga_env: Saga) -> Iterator[Saga]:
    yield saga_env
    saga_env.claims_match()


def line(line_id: str, sku: str, quantity: int, kind: str = "STOCKED", supplier: str | None = None) -> dict:  # type: ignore[type-arg]
    return events.order_line(line_id, sku, quantity, kind, supplier)


def held(document: dict, line_id: str) -> tuple[int, int, int]:  # type: ignore[type-arg]
    found = next(item for item in document["lines"] if item["line_id"] == line_id)
    return found["reserved"], found["allocated"], found["backordered"]


def test_multi_warehouse_split_then_acceptance_allocates_and_requests_one_fulfilment_per_location(saga: Saga) -> None:
    sku, order_id = unique("SPLIT"), unique("O-SPLIT")
    saga.stock(sku, EAST=3, WEST=5)
    saga.place(order_id, line("L1", sku, 6))
    reserved = saga.wait_status(order_id, "RESERVED")
    assert held(reserved, "L1") == (6, 0, 0)

    saga.decide(order_id, "ACCEPTED")

    allocated = saga.wait_status(order_id, "ALLOCATED")
    assert held(allocated, "L1") == (0, 6, 0)
    requests = saga.topic(catalog.FULFILMENT_REQUESTS, order_id, until=lambda found: len(found) >= 2)
    by_location = {r["location"]: sum(item["quantity"] for item in r["lines"]) for r in requests}
    assert by_location == {"EAST": 3, "WEST": 3}
    assert all(r["kind"] == "REQUEST" for r in requests)
    erp = saga.topic(catalog.ERP_COMMANDS, order_id, until=lambda found: bool(found))
    assert [(c["command"], c["priority"]) for c in erp] == [("ACCEPT_ORDER", "CHECKOUT_CRITICAL")]
    assert saga.statuses(order_id)[:1] == ["RECEIVED"] or saga.statuses(order_id)[0] == "RESERVED"
    state = saga.sku_state(sku)
    assert state is not None and sum(stock.on_hand for stock in state.locations) == 8  # nothing shipped yet


def test_backorders_fill_oldest_order_first_when_stock_arrives(saga: Saga) -> None:
    sku, first, second = unique("FIFO"), unique("O-FIRST"), unique("O-SECOND")
    saga.stock(sku, EAST=0)
    saga.place(first, line("L1", sku, 2))
    saga.wait_status(first, "BACKORDERED")
    saga.place(second, line("L1", sku, 2))
    saga.wait_status(second, "BACKORDERED")

    saga.receive(sku, "EAST", 2)

    assert held(saga.wait_status(first, "RESERVED"), "L1") == (2, 0, 0)
    saga.quiesce()
    assert saga.document(second)["status"] == "BACKORDERED"  # type: ignore[index]

    saga.receive(sku, "EAST", 2)

    assert held(saga.wait_status(second, "RESERVED"), "L1") == (2, 0, 0)


def test_erp_rejection_releases_exactly_what_was_reserved(saga: Saga) -> None:
    sku, order_id, other = unique("REJ"), unique("O-REJ"), unique("O-KEEP")
    saga.stock(sku, EAST=5)
    saga.place(other, line("L1", sku, 1))
    saga.place(order_id, line("L1", sku, 2), line("L2", sku, 1))
    saga.wait_status(order_id, "RESERVED")
    saga.wait_status(other, "RESERVED")

    saga.decide(order_id, "REJECTED")

    rejected = saga.wait_status(order_id, "REJECTED",
                                check=lambda d: held(d, "L1") == held(d, "L2") == (0, 0, 0))
    assert rejected["acceptance"] == "REJECTED"
    assert any(e["exception_type"] == "erp_rejected" for e in saga.exceptions(order_id, "erp_rejected"))
    saga.quiesce()
    state = saga.sku_state(sku)
    assert state is not None
    assert {c.order_id for c in state.claims if c.reserved or c.allocated} == {other}  # only the other order holds


def test_credit_hold_times_out_cancels_the_order_and_releases_its_stock(saga: Saga) -> None:
    sku, order_id = unique("HOLD"), unique("O-HOLD")
    saga.stock(sku, EAST=4)
    saga.place(order_id, line("L1", sku, 3))
    saga.wait_status(order_id, "RESERVED")

    saga.decide(order_id, "CREDIT_HOLD")
    saga.wait_status(order_id, "ON_HOLD")

    cancelled = saga.wait_status(order_id, "CANCELLED", timeout_s=CREDIT_HOLD_TIMEOUT_S + 20,
                                 check=lambda d: held(d, "L1") == (0, 0, 0))  # the SKU owner confirmed the release
    assert any(e["exception_type"] == "credit_hold_timeout"
               for e in saga.exceptions(order_id, "credit_hold_timeout"))
    assert [entry["to"] for entry in cancelled["timeline"] if entry["axis"] == "status"][-2:] == ["ON_HOLD",
                                                                                                  "CANCELLED"]


def test_cancellation_before_allocation_releases_at_once(saga: Saga) -> None:
    sku, order_id = unique("CXL"), unique("O-CXL")
    saga.stock(sku, EAST=2)
    saga.place(order_id, line("L1", sku, 2))
    saga.wait_status(order_id, "RESERVED")

    saga.produce(catalog.ORDER_CANCELLATIONS, order_id, events.cancellation(order_id))

    cancelled = saga.wait_status(order_id, "CANCELLED", check=lambda d: held(d, "L1") == (0, 0, 0))
    assert cancelled["lines"][0]["cancelled"] == 2
    assert not saga.topic(catalog.FULFILMENT_REQUESTS, order_id)


def test_cancellation_after_allocation_is_a_request_the_warehouse_may_refuse(saga: Saga) -> None:
    sku, agreed, refused = unique("LATE"), unique("O-AGREED"), unique("O-REFUSED")
    saga.stock(sku, EAST=10)
    for order_id in (agreed, refused):
        saga.place(order_id, line("L1", sku, 2))
        saga.wait_status(order_id, "RESERVED")
        saga.decide(order_id, "ACCEPTED")
        saga.wait_status(order_id, "ALLOCATED")
        saga.produce(catalog.ORDER_CANCELLATIONS, order_id, events.cancellation(order_id))
        saga.wait_status(order_id, "CANCEL_REQUESTED")
        kinds = [r["kind"] for r in saga.topic(catalog.FULFILMENT_REQUESTS, order_id, until=lambda f: len(f) >= 2)]
        assert kinds == ["REQUEST", "CANCEL_REQUEST"]

    saga.produce(catalog.FULFILMENT_CANCELLATIONS, agreed,
                 events.fulfilment_cancel_answer(agreed, f"{agreed}/F1", "EAST", accepted=True))
    saga.produce(catalog.FULFILMENT_CANCELLATIONS, refused,
                 events.fulfilment_cancel_answer(refused, f"{refused}/F1", "EAST", accepted=False))

    assert held(saga.wait_status(agreed, "CANCELLED", check=lambda d: held(d, "L1") == (0, 0, 0)), "L1") == (0, 0, 0)
    assert held(saga.wait_status(refused, "ALLOCATED"), "L1") == (0, 2, 0)
    assert any(e["exception_type"] == "late_cancellation" for e in saga.exceptions(refused, "late_cancellation"))


def test_partial_shipment_then_delivery(saga: Saga) -> None:
    sku, order_id = unique("SHIP"), unique("O-SHIP")
    saga.stock(sku, EAST=10)
    saga.place(order_id, line("L1", sku, 4))
    saga.wait_status(order_id, "RESERVED")
    saga.decide(order_id, "ACCEPTED")
    saga.wait_status(order_id, "ALLOCATED")
    fulfilment = f"{order_id}/F1"

    saga.produce(catalog.SHIPMENTS, order_id, events.shipment(order_id, "S1", "EAST", [("L1", sku, 1)], fulfilment))
    partial = saga.wait_status(order_id, "PARTIALLY_SHIPPED")
    assert partial["lines"][0]["shipped"] == 1
    saga.produce(catalog.SHIPMENTS, order_id, events.shipment(order_id, "S2", "EAST", [("L1", sku, 3)], fulfilment))
    saga.wait_status(order_id, "SHIPPED")
    for shipment_id in ("S1", "S2"):
        saga.produce(catalog.TRACKING, shipment_id, events.tracking(order_id, shipment_id, "IN_TRANSIT"))
        saga.produce(catalog.TRACKING, shipment_id, events.tracking(order_id, shipment_id, "DELIVERED"))

    delivered = saga.wait_status(order_id, "DELIVERED")

    assert delivered["lines"][0]["delivered"] == 4
    saga.quiesce()
    state = saga.sku_state(sku)
    assert state is not None and sum(stock.on_hand for stock in state.locations) == 6


def test_carrier_milestones_before_the_ship_confirmation_are_held_then_applied(saga: Saga) -> None:
    """The carrier's feed is faster than the WMS: tracking for a shipment the order has not heard of waits for it.
    (A ship confirmation before its allocation answer is the same mechanism, covered in tests/unit/orders.)"""
    sku, order_id = unique("EARLY"), unique("O-EARLY")
    saga.stock(sku, EAST=5)
    saga.place(order_id, line("L1", sku, 2))
    saga.wait_status(order_id, "RESERVED")
    saga.decide(order_id, "ACCEPTED")
    saga.wait_status(order_id, "ALLOCATED")

    saga.produce(catalog.TRACKING, "S-EARLY", events.tracking(order_id, "S-EARLY", "IN_TRANSIT"))
    saga.produce(catalog.TRACKING, "S-EARLY", events.tracking(order_id, "S-EARLY", "DELIVERED"))
    early = saga.wait_status(order_id, "ALLOCATED", check=lambda d: d["held_facts"] == 2)
    assert early["lines"][0]["delivered"] == 0

    saga.produce(catalog.SHIPMENTS, order_id,
                 events.shipment(order_id, "S-EARLY", "EAST", [("L1", sku, 2)], f"{order_id}/F1"))

    delivered = saga.wait_status(order_id, "DELIVERED")
    assert delivered["held_facts"] == 0 and delivered["lines"][0]["delivered"] == 2
    assert delivered["shipments"][0]["milestone"] == "DELIVERED"


def test_a_drop_ship_line_never_touches_warehouse_stock(saga: Saga) -> None:
    stocked, dropped, order_id = unique("STOCKED"), unique("DROP"), unique("O-DROP")
    saga.stock(stocked, EAST=5)
    saga.place(order_id, line("L1", stocked, 1), line("L2", dropped, 2, "DROP_SHIP", SUPPLIER))
    saga.wait_status(order_id, "RESERVED")
    saga.decide(order_id, "ACCEPTED")
    saga.wait_status(order_id, "ALLOCATED")
    commands = saga.topic(catalog.ERP_COMMANDS, order_id, until=lambda found: len(found) >= 2)
    purchase = [c for c in commands if c["command"] == "CREATE_PURCHASE_ORDER"]
    assert len(purchase) == 1 and purchase[0]["payload"]["supplier"] == SUPPLIER
    assert [r["location"] for r in saga.topic(catalog.FULFILMENT_REQUESTS, order_id,
                                              until=lambda found: bool(found))] == ["EAST"]

    saga.produce(catalog.SHIPMENTS, order_id, events.shipment(order_id, "S-SUP", SUPPLIER, [("L2", dropped, 2)]))

    document = saga.wait_status(order_id, "PARTIALLY_SHIPPED")
    assert next(item for item in document["lines"] if item["line_id"] == "L2")["shipped"] == 2
    saga.quiesce()
    assert saga.sku_state(dropped) is None  # no reservation, no allocation, no movement of our stock


def test_the_same_order_placed_twice_is_ignored_and_a_different_one_under_its_id_dead_lettered(saga: Saga) -> None:
    sku, order_id = unique("DUP"), unique("O-DUP")
    saga.stock(sku, EAST=5)
    saga.place(order_id, line("L1", sku, 1))
    saga.wait_status(order_id, "RESERVED")
    saga.place(order_id, line("L1", sku, 1))  # the storefront retried under a new event id
    saga.place(order_id, line("L1", sku, 4))  # another order under the same id
    saga.quiesce()

    dead = [d for d in saga.p.read(catalog.DEAD_LETTERS, until=lambda found: any(
        d["reason_code"] == "duplicate_order_conflict" and order_id.encode() == d["key"] for d in found))
        if d["key"] == order_id.encode()]
    assert [d["reason_code"] for d in dead] == ["duplicate_order_conflict"]
    assert "different content" in dead[0]["reason"] or order_id in dead[0]["reason"]
    document = saga.document(order_id)
    assert document is not None and held(document, "L1") == (1, 0, 0)
    state = saga.sku_state(sku)
    assert state is not None and [c.requested for c in state.claims if c.order_id == order_id] == [1]


def test_an_unknown_sku_puts_the_order_on_hold_with_an_exception(saga: Saga) -> None:
    known, unknown, order_id = unique("KNOWN"), unique("NEVER-SEEN"), unique("O-UNKNOWN")
    saga.stock(known, EAST=5)
    saga.place(order_id, line("L1", known, 1), line("L2", unknown, 1))

    on_hold = saga.wait_status(order_id, "ON_HOLD")

    assert held(on_hold, "L1") == (1, 0, 0)
    found = saga.exceptions(order_id, "unknown_sku")
    assert any(e["exception_type"] == "unknown_sku" and e["owner_team"] == "customer-service" for e in found)


def test_the_api_serves_the_order_and_its_timeline_from_redis(saga: Saga) -> None:
    import asyncio

    import redis.asyncio as aioredis
    from aiohttp.test_utils import TestClient, TestServer
    from pydantic import SecretStr

    from streams.api.app import build_api
    from streams.api.orders import RedisOrderReader
    from streams.snapshot.reader import RedisAvailabilityReader

    sku, order_id = unique("API"), unique("O-API")
    saga.stock(sku, EAST=3)
    saga.place(order_id, line("L1", sku, 2))
    saga.wait_status(order_id, "RESERVED")
    saga.decide(order_id, "ACCEPTED")
    saga.wait_status(order_id, "ALLOCATED")
    key = "portal-key-0123456789abcdef"
    settings = saga.p.settings.model_copy(update={"api_keys": SecretStr(f"{key}=orders:read")})

    async def scenario() -> tuple[int, dict, int, dict, int]:  # type: ignore[type-arg]
        client = aioredis.Redis.from_url(settings.redis_url.get_secret_value())
        prefix = settings.redis_key_prefix
        app = build_api(settings, RedisAvailabilityReader(client, prefix), order_reader=RedisOrderReader(client, prefix))
        async with TestClient(TestServer(app)) as http:
            auth = {"Authorization": f"Bearer {key}"}
            order = await http.get(f"/v1/orders/{order_id}", headers=auth)
            timeline = await http.get(f"/v1/orders/{order_id}/timeline", headers=auth)
            anonymous = await http.get(f"/v1/orders/{order_id}")
            result = (order.status, await order.json(), timeline.status, await timeline.json(), anonymous.status)
        await client.aclose()
        return result

    status, order, timeline_status, timeline, anonymous = asyncio.run(scenario())

    assert (status, timeline_status, anonymous) == (200, 200, 401)
    assert order["status"] == "ALLOCATED" and order["acceptance"] == "ACCEPTED"
    assert order["lines"][0]["allocated"] == 2
    steps = [(entry["axis"], entry["to"]) for entry in timeline["entries"]]
    assert steps[:2] == [("status", "RECEIVED"), ("status", "RESERVED")]
    assert ("acceptance", "ACCEPTED") in steps and steps[-1] == ("status", "ALLOCATED")
    assert all(entry["correlation_id"] == f"corr-{order_id}" and entry["caused_by"] for entry in timeline["entries"])


def test_an_order_the_erp_never_answers_breaches_its_acceptance_sla_once(saga: Saga) -> None:
    sku, order_id = unique("SLA"), unique("O-SLA")
    saga.stock(sku, EAST=2)
    saga.place(order_id, line("L1", sku, 1))
    saga.wait_status(order_id, "RESERVED")

    found = saga.exceptions(order_id, "sla_breach_acceptance")
    time.sleep(ACCEPTANCE_SLA_S / 2)  # a timer that fired twice would show by now

    breaches = [e for e in saga.exceptions(order_id) if e["exception_type"] == "sla_breach_acceptance"]
    assert len(breaches) == 1 and found
    assert breaches[0]["owner_team"] == "customer-service"
    metric = saga.worker.registry.get_sample_value("distflow_sla_breaches_total", {"sla": "acceptance"})
    assert metric is not None and metric >= 1
    document = saga.document(order_id)
    assert document is not None and document["status"] == "RESERVED"  # a breach tells; it changes nothing


def shipped(saga: Saga, order_id: str, *lines: tuple[str, str, int]) -> None:
    for _, sku, _ in lines:
        saga.stock(sku, EAST=5)
    saga.place(order_id, *(line(line_id, sku, quantity) for line_id, sku, quantity in lines))
    saga.wait_status(order_id, "RESERVED")
    saga.decide(order_id, "ACCEPTED")
    saga.wait_status(order_id, "ALLOCATED")
    saga.produce(catalog.SHIPMENTS, order_id, events.shipment(order_id, f"S-{order_id}", "EAST", list(lines),
                                                              f"{order_id}/F1"))
    saga.wait_status(order_id, "SHIPPED")


def available(saga: Saga, sku: str, total: int) -> int:
    found = [r for r in saga.p.read(catalog.AVAILABILITY_CHANGES, until=lambda f: any(
        r["sku"] == sku and r["total_available"] == total for r in f)) if r["sku"] == sku]
    return int(found[-1]["total_available"])


def test_a_return_restocks_one_line_scraps_the_other_and_the_credit_memo_completes_it(saga: Saga) -> None:
    kept, scrapped, order_id, return_id = unique("RESTOCK"), unique("SCRAP"), unique("O-RET"), unique("R")
    shipped(saga, order_id, ("L1", kept, 2), ("L2", scrapped, 2))
    assert available(saga, kept, 3) == 3 and available(saga, scrapped, 3) == 3

    saga.produce(catalog.RETURN_REQUESTS, return_id,
                 events.return_requested(order_id, return_id, [("L1", kept, 1), ("L2", scrapped, 1)]))
    saga.produce(catalog.RMA_DECISIONS, return_id, events.rma_decision(order_id, return_id, "AUTHORISED"))
    saga.produce(catalog.RETURN_RECEIPTS, return_id, events.return_received(
        order_id, return_id, "EAST", [("L1", kept, 1, "RESTOCK"), ("L2", scrapped, 1, "SCRAP")]))

    received = saga.wait_status(order_id, "SHIPPED", check=lambda d: bool(d.get("returns")) and d["returns"][0]["status"] == "RECEIVED")
    assert [(l["line_id"], l["returned"]) for l in received["lines"]] == [("L1", 1), ("L2", 1)]
    assert available(saga, kept, 4) == 4  # restocked: sellable again
    commands = saga.topic(catalog.ERP_COMMANDS, order_id, until=lambda f: len(f) >= 3)
    assert [c["command"] for c in commands] == ["ACCEPT_ORDER", "AUTHORISE_RETURN", "ISSUE_CREDIT_MEMO"]

    saga.produce(catalog.CREDIT_MEMOS, return_id, events.credit_memo(order_id, return_id))

    done = saga.wait_status(order_id, "SHIPPED", check=lambda d: bool(d.get("returns")) and d["returns"][0]["status"] == "COMPLETED")
    assert done["returns"][0]["credit_memo_id"] == f"CM-{return_id}"
    saga.quiesce()
    latest = [r for r in saga.p.read(catalog.AVAILABILITY_CHANGES) if r["sku"] == scrapped]
    assert latest[-1]["total_available"] == 3  # scrapped: never sellable again


def test_a_refused_rma_closes_the_return_with_an_exception_for_customer_service(saga: Saga) -> None:
    sku, order_id, return_id = unique("REFUSE"), unique("O-REF"), unique("R")
    shipped(saga, order_id, ("L1", sku, 1))
    saga.produce(catalog.RETURN_REQUESTS, return_id, events.return_requested(order_id, return_id, [("L1", sku, 1)]))

    saga.produce(catalog.RMA_DECISIONS, return_id, events.rma_decision(order_id, return_id, "REFUSED"))

    refused = saga.wait_status(order_id, "SHIPPED", check=lambda d: bool(d.get("returns")) and d["returns"][0]["status"] == "REFUSED")
    assert refused["lines"][0]["returned"] == 0
    found = saga.exceptions(order_id, "rma_refused")
    assert [(e["owner_team"], "30-day" in e["reason"]) for e in found if e["exception_type"] == "rma_refused"] == [
        ("customer-service", True)]
    assert saga.worker.registry.get_sample_value("distflow_return_authorisations_total", {"outcome": "refused"})
