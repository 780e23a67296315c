"""A small world around the order saga: the real inventory model as SKU owners, a fake warehouse, ERP, carrier
and timer service, and the queues between them (FIFO per SKU and per order, like Kafka partitions by key).

Nothing is delivered until a test says so, so tests choose the interleavings; `settle()` delivers everything.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from processors import inventory as inv
from processors.orders import (
    AllocateLine, CancelAllocation, CarrierStatus, DeadlineCleared, DeadlineKind, DeadlineSet, ErpCommand,
    ErpCommandKind, ErpDecision, ErpVerdict, FulfilmentCancelAnswered, FulfilmentCancelRequested,
    FulfilmentRequested, Order, OrderDecision, OrderFact, OrderPlaced, OrderPolicy, PlacedLine, ReleaseLine,
    ReserveLine, ShipmentConfirmed, ShippedLine, TrackingMilestone, apply, claims_by_sku, deadline_reached,
    inventory_fact, new_order, order_fact, unknown_sku_answer)

START = 1_700_000_000_000


@dataclass
class WarehouseLine:
    order_id: str
    line_claim_id: str
    sku: str
    open: int


@dataclass
class WarehouseOrder:
    """What a location was asked to ship, as the warehouse sees it."""

    fulfilment_id: str
    order_id: str
    location: str
    lines: list[WarehouseLine]
    cancel_asked: bool = False
    shipments: int = 0

    @property
    def open(self) -> int:
        return sum(line.open for line in self.lines)


@dataclass
class World:
    policy: OrderPolicy
    inventory_policy: inv.InventoryPolicy = field(default_factory=inv.InventoryPolicy)
    orders: dict[str, Order] = field(default_factory=dict)
    stock: dict[str, inv.SkuInventory] = field(default_factory=dict)
    to_inventory: dict[str, deque[inv.InventoryFact]] = field(default_factory=dict)
    to_orders: dict[str, deque[OrderFact]] = field(default_factory=dict)
    warehouse: dict[str, WarehouseOrder] = field(default_factory=dict)
    erp_inbox: list[ErpCommand] = field(default_factory=list)
    timers: dict[tuple[str, DeadlineKind], int] = field(default_factory=dict)
    applied: dict[str, list[OrderFact]] = field(default_factory=dict)  # every fact each order took, in order
    decisions: list[OrderDecision] = field(default_factory=list)
    clock: int = START
    count: int = 0

    def next_id(self, prefix: str) -> tuple[str, int]:
        self.count += 1
        self.clock += 1000
        return f"{prefix}-{self.count}", self.clock

    # -- sources ----------------------------------------------------------------------------------------------
    def receive(self, sku: str, location: str, quantity: int) -> None:
        event_id, now = self.next_id("receipt")
        self._to_sku(inv.ReceiptConfirmed(event_id, now, sku, location, quantity))

    def place(self, order_id: str, *lines: PlacedLine) -> None:
        event_id, now = self.next_id("placed")
        self.send(OrderPlaced(event_id, now, order_id, "C-42", "web", lines, correlation_id=f"corr-{order_id}"))

    def send(self, fact: OrderFact) -> None:
        self.to_orders.setdefault(fact.order_id, deque()).append(fact)

    def erp_decides(self, order_id: str, verdict: ErpVerdict) -> None:
        event_id, now = self.next_id("erp")
        self.send(ErpDecision(event_id, now, order_id, verdict))

    def fire(self, order_id: str, kind: DeadlineKind) -> None:
        due = self.timers.pop((order_id, kind))
        self.clock = max(self.clock, due)
        self.send(deadline_reached(order_id, kind, due))

    # -- the warehouse and the carrier ---------------------------------------------------------------------------
    def ship(self, fulfilment_id: str, quantity: int | None = None) -> str:
        """Ship up to `quantity` open units (all by default) of a fulfilment request, line by line."""
        request = self.warehouse[fulfilment_id]
        request.shipments += 1
        shipment_id = f"{fulfilment_id}/S{request.shipments}"
        event_id, now = self.next_id("ship")
        left = request.open if quantity is None else quantity
        shipped = []
        for line in request.lines:
            taken = min(left, line.open)
            if taken:
                shipped.append(ShippedLine(line.line_claim_id, taken))
                line.open -= taken
                left -= taken
                self._to_sku(inv.Shipped(f"{event_id}/{line.line_claim_id}", now, line.sku, line.order_id,
                                         line.line_claim_id, request.location, taken))
        if shipped:
            self.send(ShipmentConfirmed(event_id, now, request.order_id, shipment_id, request.location,
                                        tuple(shipped), fulfilment_id))
        return shipment_id

    def short_pick(self, fulfilment_id: str, quantity: int) -> None:
        """Find units of the request's first open line missing. The SKU owner's ShortPickRecorded does not say
        which request it was, so the units come off that claim's oldest open requests there (as the saga counts)."""
        request = self.warehouse[fulfilment_id]
        line = next(line for line in request.lines if line.open)
        same = [each for other in self.warehouse.values() if (other.order_id, other.location) == (
            request.order_id, request.location) for each in other.lines if each.line_claim_id == line.line_claim_id]
        taken = min(quantity, sum(each.open for each in same))
        left = taken
        for each in same:
            step = min(left, each.open)
            each.open -= step
            left -= step
        event_id, now = self.next_id("short")
        self._to_sku(inv.ShortPicked(event_id, now, line.sku, line.order_id, line.line_claim_id, request.location,
                                     taken))

    def answer_cancel(self, fulfilment_id: str, accept: bool) -> None:
        request = self.warehouse[fulfilment_id]
        request.cancel_asked = False
        if accept:
            for line in request.lines:
                line.open = 0
        event_id, now = self.next_id("wms")
        self.send(FulfilmentCancelAnswered(event_id, now, request.order_id, fulfilment_id, accept,
                                           "" if accept else "already shipped"))

    def track(self, order_id: str, shipment_id: str, status: CarrierStatus) -> None:
        event_id, now = self.next_id("carrier")
        self.send(TrackingMilestone(event_id, now, order_id, shipment_id, status))

    # -- delivering -----------------------------------------------------------------------------------------------
    def step_inventory(self, sku: str) -> bool:
        queue = self.to_inventory.get(sku)
        if not queue:
            return False
        fact = queue.popleft()
        state = self.stock.get(sku) or inv.empty_inventory(sku)
        if isinstance(fact, inv.ReservationRequested) and not inv.is_known(state):
            event_id, now = self.next_id("unknown")
            request = ReserveLine(fact.order_id, "", fact.event_id, sku, fact.line_id, fact.quantity,
                                  fact.ordered_at, fact.preferred_locations, fact.max_locations)
            self.send(unknown_sku_answer(request, event_id, now))
            return True
        state, decisions = inv.apply_fact(state, fact, self.inventory_policy)
        self.stock[sku] = state
        for decision in decisions:
            event_id, now = self.next_id("inv")
            answer = order_fact(decision, event_id, now)
            if answer is not None:
                self.send(answer)
        return True

    def step_order(self, order_id: str) -> bool:
        queue = self.to_orders.get(order_id)
        if not queue:
            return False
        self.deliver(queue.popleft())
        return True

    def deliver(self, fact: OrderFact) -> tuple[OrderDecision, ...]:
        order = self.orders.get(fact.order_id) or new_order(fact.order_id)
        order, decisions = apply(order, fact, self.policy)
        self.orders[fact.order_id] = order
        self.applied.setdefault(fact.order_id, []).append(fact)
        self.decisions.extend(decisions)
        for decision in decisions:
            self._route(decision)
        return decisions

    def settle(self, limit: int = 10_000) -> None:
        """Deliver every queued message (SKU owners first, then orders) until nothing moves."""
        for _ in range(limit):
            moved = any([self.step_inventory(sku) for sku in list(self.to_inventory)])
            moved = any([self.step_order(order_id) for order_id in list(self.to_orders)]) or moved
            if not moved:
                return
        raise AssertionError("the world did not settle")

    # -- views ------------------------------------------------------------------------------------------------
    def inventory_claims(self) -> dict[str, int]:
        return {sku: sum(claim.held for claim in state.claims) for sku, state in self.stock.items()
                if any(claim.held for claim in state.claims)}

    def order_claims(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for order in self.orders.values():
            for sku, held in claims_by_sku(order).items():
                total[sku] = total.get(sku, 0) + held
        return total

    def open_requests(self, order_id: str | None = None) -> list[WarehouseOrder]:
        return [request for request in self.warehouse.values()
                if request.open and order_id in (None, request.order_id)]

    # -- routing ----------------------------------------------------------------------------------------------
    def _to_sku(self, fact: inv.InventoryFact) -> None:
        self.to_inventory.setdefault(fact.sku, deque()).append(fact)

    def _route(self, decision: OrderDecision) -> None:
        match decision:
            case ReserveLine() | ReleaseLine() | AllocateLine() | CancelAllocation():
                event_id, now = self.next_id("cmd")
                fact = inventory_fact(decision, event_id, now)
                assert fact is not None
                self._to_sku(fact)
            case FulfilmentRequested():
                self.warehouse[decision.fulfilment_id] = WarehouseOrder(
                    decision.fulfilment_id, decision.order_id, decision.location,
                    [WarehouseLine(decision.order_id, item.line_claim_id, item.sku, item.quantity)
                     for item in decision.lines])
            case FulfilmentCancelRequested():
                self.warehouse[decision.fulfilment_id].cancel_asked = True
            case ErpCommand():
                self.erp_inbox.append(decision)
            case DeadlineSet():
                self.timers[(decision.order_id, decision.kind)] = decision.due_at
            case DeadlineCleared():
                self.timers.pop((decision.order_id, decision.kind), None)

    def accept_requests(self) -> list[ErpCommand]:
        return [command for command in self.erp_inbox if command.command is ErpCommandKind.ACCEPT_ORDER]
