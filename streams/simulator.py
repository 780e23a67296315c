"""Demo traffic from all four families, seeded and rate-limited, consistent with itself.

Orders follow a believable life: placed → ERP decision → picks → shipment → carrier milestones, sometimes a
cancellation, a short pick or a return (request → RMA decision → receipt with disposition → credit memo).
Inventory moves alongside: ERP snapshots, receipts, adjustments, cycle counts, supply expected.
The ERP also publishes the checkout read model's inputs (streams/simulator_checkout.py): item master, prices and
customer accounts at the start, then an occasional price, credit-hold or entitlement change.
"""
from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from streams.simulator_checkout import DEMO_CUSTOMERS, CheckoutFeed, DemoCatalog, customer_name, demo_catalog
from topics import catalog
from topics.spec import TopicSpec

LOCATIONS = ("EAST", "WEST", "CENTRAL")
CHANNELS = ("web", "b2b-portal", "marketplace")
MILESTONES = ("LABEL_CREATED", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED")


@dataclass(frozen=True)
class SimulatedEvent:
    topic: TopicSpec
    key: str
    record: dict[str, object]


@dataclass
class OpenOrder:
    order_id: str
    correlation_id: str
    lines: list[dict[str, object]]
    stage: str = "placed"
    location: str = "EAST"


@dataclass
class Simulation:
    seed: int = 7
    sku_count: int = 500
    start_ms: int = 1_795_700_000_000
    wall_clock_ms: Callable[[], int] | None = None
    rng: random.Random = field(init=False)
    clock_ms: int = field(init=False)
    orders: list[OpenOrder] = field(default_factory=list)
    shipped: list[OpenOrder] = field(default_factory=list)
    returns: list[dict[str, object]] = field(default_factory=list)
    sequence: int = 0
    partners: bool = False  # True: ERP decisions, picks, shipments and tracking come from streams/partners.py
    customer_count: int = DEMO_CUSTOMERS
    checkout_change_rate: float = 0.0005  # share of steps that change a price, a credit hold or an entitlement
    checkout: CheckoutFeed = field(init=False)
    checkout_rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.checkout_rng = random.Random(f"checkout-changes-{self.seed}")
        self.clock_ms = self.start_ms
        self.checkout = CheckoutFeed(demo_catalog(self.seed, self.sku_count, self.customer_count, CHANNELS),
                                     self.start_ms)

    @property
    def demo(self) -> DemoCatalog:
        return self.checkout.demo

    # -- ids and envelope ----------------------------------------------------------------------------------------------
    def sku(self) -> str:
        return f"SKU-{self.rng.randrange(self.sku_count):05d}"

    def next_id(self, prefix: str) -> str:
        self.sequence += 1
        return f"{prefix}-{self.seed}-{self.sequence:08d}"

    def envelope(self, event_type: str, source: str, correlation_id: str | None = None,
                 causation_id: str | None = None) -> dict[str, object]:
        if self.wall_clock_ms is not None:  # live demo: event times are now, so staleness figures mean something
            self.clock_ms = max(self.clock_ms + 1, self.wall_clock_ms())
        else:  # reproducible runs: a seeded clock
            self.clock_ms += self.rng.randrange(1, 40)
        return {"event_id": str(uuid.UUID(int=self.rng.getrandbits(128))), "event_type": event_type,
                "source": source, "correlation_id": correlation_id or self.next_id("corr"),
                "causation_id": causation_id, "occurred_at": self.clock_ms, "produced_at": self.clock_ms + 3}

    # -- bootstrap: the ERP's on-hand for every SKU and location ------------------------------------------------------
    def opening_stock(self) -> Iterator[SimulatedEvent]:
        for index in range(self.sku_count):
            sku = f"SKU-{index:05d}"
            for location in LOCATIONS:
                record = {"envelope": self.envelope("OnHandSnapshot", "erp"), "sku": sku, "location": location,
                          "on_hand": self.rng.randrange(0, 60), "as_of": self.clock_ms}
                yield SimulatedEvent(catalog.ON_HAND_SNAPSHOTS, sku, record)

    # -- bootstrap: the ERP's item master, prices and customer accounts (the checkout read model's inputs) -------------
    def opening_checkout(self) -> Iterator[SimulatedEvent]:
        for topic, key, record in self.checkout.opening(self.envelope):
            yield SimulatedEvent(topic, key, record)

    def checkout_change(self) -> SimulatedEvent:
        return SimulatedEvent(*self.checkout.change(self.checkout_rng, self.envelope))

    # -- steady traffic -------------------------------------------------------------------------------------------------
    def next_events(self) -> list[SimulatedEvent]:
        if self.checkout_change_rate > 0 and self.checkout_rng.random() < self.checkout_change_rate:
            return [self.checkout_change()]
        roll = self.rng.random()
        if self.partners:
            return self._next_open_loop_events(roll)
        if roll < 0.30:
            return [self.order_placed()]
        if roll < 0.50 and self.orders:
            return self.advance_order()
        if roll < 0.62 and self.shipped:
            return self.advance_delivery_or_return()
        if roll < 0.72 and self.returns:
            return self.advance_return()
        return [self.inventory_movement()]

    def _next_open_loop_events(self, roll: float) -> list[SimulatedEvent]:
        """With partners answering distflow, only the customers and the stock move on their own."""
        if roll < 0.30:
            placed = self.order_placed()
            self.orders = self.orders[-50:]  # kept only to cancel a recent one now and then
            return [placed]
        if roll < 0.32 and self.orders:
            return [self.cancellation(self.orders.pop(self.rng.randrange(len(self.orders))))]
        return [self.inventory_movement()]

    def cancellation(self, order: OpenOrder) -> SimulatedEvent:
        record = {"envelope": self.envelope("OrderCancellationRequested", "commerce", order.correlation_id),
                  "order_id": order.order_id, "line_ids": [], "reason": "customer changed their mind"}
        return SimulatedEvent(catalog.ORDER_CANCELLATIONS, order.order_id, record)

    def order_placed(self) -> SimulatedEvent:
        order_id = self.next_id("ORD")
        correlation = self.next_id("corr")
        lines = [{"line_id": f"{order_id}-{n}", "sku": self.sku(), "quantity": self.rng.randrange(1, 5),
                  "unit_price": f"{self.rng.randrange(100, 50_000) / 100:.2f}",
                  "price_reference": None, "fulfilment_kind": "STOCKED"}
                 for n in range(1, self.rng.randrange(2, 5))]
        if self.rng.random() < 0.2:
            lines[0]["price_reference"] = {"price_list_id": "CONTRACT-2026", "contract_id": f"CT-{self.rng.randrange(50)}"}
        self.orders.append(OpenOrder(order_id, correlation, lines, location=self.rng.choice(LOCATIONS)))
        record = {"envelope": self.envelope("OrderPlaced", "commerce", correlation), "order_id": order_id,
                  "channel": self.rng.choice(CHANNELS),
                  "customer": {"customer_id": customer_name(self.rng.randrange(self.customer_count)),
                               "customer_group": None,
                               "account_number": None},
                  "lines": lines, "currency": "USD", "ship_by": None, "shipping_address": None}
        return SimulatedEvent(catalog.ORDERS, order_id, record)

    def advance_order(self) -> list[SimulatedEvent]:
        order = self.orders[0]
        if order.stage == "placed":
            return [self.erp_decision(order)]
        if order.stage == "accepted":
            return [self.picked(order)]
        self.orders.pop(0)
        self.shipped.append(order)
        return [self.shipment(order)]

    def erp_decision(self, order: OpenOrder) -> SimulatedEvent:
        roll = self.rng.random()
        decision = "ACCEPTED" if roll < 0.9 else ("CREDIT_HOLD" if roll < 0.96 else "REJECTED")
        if decision == "ACCEPTED":
            order.stage = "accepted"
        elif decision == "REJECTED":
            self.orders.remove(order)
        else:
            self.orders.remove(order)  # held orders leave the happy path of the demo
        record = {"envelope": self.envelope("OrderDecision", "erp", order.correlation_id),
                  "order_id": order.order_id, "decision": decision,
                  "reason": None if decision == "ACCEPTED" else "credit limit exceeded",
                  "erp_order_number": f"SO-{self.sequence}"}
        return SimulatedEvent(catalog.ORDER_DECISIONS, order.order_id, record)

    def picked(self, order: OpenOrder) -> SimulatedEvent:
        order.stage = "picked"
        lines = [{"line_id": line["line_id"], "sku": line["sku"], "picked_quantity": line["quantity"],
                  "short_quantity": 0} for line in order.lines]
        if self.rng.random() < 0.05:
            lines[0]["short_quantity"], lines[0]["picked_quantity"] = 1, int(lines[0]["picked_quantity"]) - 1  # type: ignore[call-overload]
        record = {"envelope": self.envelope("PickConfirmed", "wms", order.correlation_id),
                  "order_id": order.order_id, "fulfilment_id": f"{order.order_id}-{order.location}",
                  "location": order.location, "lines": lines}
        return SimulatedEvent(catalog.PICKS, order.order_id, record)

    def shipment(self, order: OpenOrder) -> SimulatedEvent:
        record = {"envelope": self.envelope("ShipmentConfirmed", "wms", order.correlation_id),
                  "shipment_id": f"SHP-{order.order_id}", "order_id": order.order_id,
                  "fulfilment_id": f"{order.order_id}-{order.location}", "location": order.location,
                  "carrier": "UPS", "tracking_number": f"1Z{self.rng.randrange(10**9):09d}",
                  "lines": [{"line_id": l["line_id"], "sku": l["sku"], "quantity": l["quantity"]} for l in order.lines]}
        return SimulatedEvent(catalog.SHIPMENTS, order.order_id, record)

    def advance_delivery_or_return(self) -> list[SimulatedEvent]:
        order = self.shipped.pop(0)
        events = [self.milestone(order, milestone) for milestone in MILESTONES]
        if self.rng.random() < 0.3:
            events.append(self.return_requested(order))
        return events

    def milestone(self, order: OpenOrder, milestone: str) -> SimulatedEvent:
        record = {"envelope": self.envelope("TrackingMilestone", "carrier", order.correlation_id),
                  "shipment_id": f"SHP-{order.order_id}", "order_id": order.order_id, "carrier": "UPS",
                  "tracking_number": "1Z000", "milestone": milestone, "detail": None, "milestone_at": self.clock_ms}
        return SimulatedEvent(catalog.TRACKING, f"SHP-{order.order_id}", record)

    def return_requested(self, order: OpenOrder) -> SimulatedEvent:
        line = order.lines[0]
        return_id = self.next_id("RET")
        self.returns.append({"return_id": return_id, "order": order, "line": line, "stage": "requested"})
        record = {"envelope": self.envelope("ReturnRequested", "commerce", order.correlation_id),
                  "return_id": return_id, "order_id": order.order_id,
                  "lines": [{"line_id": line["line_id"], "sku": line["sku"], "quantity": 1, "reason": "damaged"}]}
        return SimulatedEvent(catalog.RETURN_REQUESTS, return_id, record)

    def advance_return(self) -> list[SimulatedEvent]:
        item = self.returns[0]
        order: OpenOrder = item["order"]  # type: ignore[assignment]
        line: dict[str, object] = item["line"]  # type: ignore[assignment]
        return_id = str(item["return_id"])
        if item["stage"] == "requested":
            item["stage"] = "authorised"
            record = {"envelope": self.envelope("RmaDecision", "erp", order.correlation_id),
                      "return_id": return_id, "order_id": order.order_id, "decision": "AUTHORISED",
                      "rma_number": f"RMA-{self.sequence}", "reason": None}
            return [SimulatedEvent(catalog.RMA_DECISIONS, return_id, record)]
        if item["stage"] == "authorised":
            item["stage"] = "received"
            disposition = "RESTOCK" if self.rng.random() < 0.7 else "SCRAP"
            record = {"envelope": self.envelope("ReturnReceived", "wms", order.correlation_id),
                      "return_id": return_id, "order_id": order.order_id, "location": order.location,
                      "lines": [{"line_id": line["line_id"], "sku": line["sku"], "quantity": 1,
                                 "disposition": disposition}]}
            return [SimulatedEvent(catalog.RETURN_RECEIPTS, return_id, record)]
        self.returns.pop(0)
        record = {"envelope": self.envelope("CreditMemoIssued", "erp", order.correlation_id),
                  "return_id": return_id, "credit_memo_id": f"CM-{self.sequence}", "amount": "10.00",
                  "currency": "USD"}
        return [SimulatedEvent(catalog.CREDIT_MEMOS, return_id, record)]

    def inventory_movement(self) -> SimulatedEvent:
        roll, sku, location = self.rng.random(), self.sku(), self.rng.choice(LOCATIONS)
        if roll < 0.15:
            record = {"envelope": self.envelope("SupplyExpected", "erp"), "po_id": self.next_id("PO"),
                      "po_line_id": self.next_id("POL"), "sku": sku, "location": location,
                      "quantity": self.rng.randrange(10, 100), "expected_at": self.clock_ms + 86_400_000,
                      "status": "OPEN", "supplier_id": "SUP-1"}
            return SimulatedEvent(catalog.INCOMING_SUPPLY, sku, record)
        kind, quantity = self._movement_kind(roll)
        record = {"envelope": self.envelope("InventoryMovement", "wms"), "movement_id": self.next_id("MOV"),
                  "sku": sku, "location": location, "movement_type": kind, "quantity": quantity,
                  "reason": None, "from_status": None, "to_status": None, "reference": None}
        if kind == "STATUS_MOVED":
            record.update(from_status="AVAILABLE", to_status="DAMAGED", reason="damaged")
        return SimulatedEvent(catalog.INVENTORY_MOVEMENTS, sku, record)

    def _movement_kind(self, roll: float) -> tuple[str, int]:
        if roll < 0.75:
            return "RECEIVED", self.rng.randrange(1, 50)
        if roll < 0.88:
            return "ADJUSTED", self.rng.choice((-2, -1, 1, 2))
        if roll < 0.95:
            return "COUNTED", self.rng.randrange(0, 80)
        return "STATUS_MOVED", 1
