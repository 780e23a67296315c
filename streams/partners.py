"""Demo partners that answer what distflow asks: an ERP, the warehouses and a carrier.

The demo's traffic is otherwise open-loop (orders, stock movements); what distflow decides (ERP commands,
fulfilment requests) is answered here as the real systems would, a little later and not always yes:
- ERP: ACCEPT_ORDER → accepted (most), credit hold (then released, or left to time out) or rejected.
- Suppliers: CREATE_PURCHASE_ORDER (drop-ship and special-order lines) → the supplier ships the lines from its own
  location a few seconds later (the demo's compressed lead time), and the carrier follows.
- WMS: a fulfilment request is picked (sometimes one unit short) and shipped from its location after a delay; a
  cancel request is accepted if the parcel has not left yet, refused otherwise.
- Carrier: milestones for each parcel, label created … delivered.
- Customers and returns: some delivered parcels come back (return request → the ERP authorises most RMAs → the
  warehouse receives the unit, restocked or scrapped → the ERP issues the credit memo when asked).
Seeded and driven by the caller's clock, so a run is reproducible and testable without a broker.
"""
from __future__ import annotations

import heapq
import json
import random
import uuid
from dataclasses import dataclass, field

from streams.simulator import MILESTONES, SimulatedEvent
from topics import catalog

Record = dict[str, object]


@dataclass
class Partners:
    seed: int = 11
    rng: random.Random = field(init=False)
    _scheduled: list[tuple[int, int, SimulatedEvent]] = field(default_factory=list, init=False)
    _pending_fulfilments: dict[str, Record] = field(default_factory=dict, init=False)
    _returns: dict[str, tuple[str, str, str, Record]] = field(default_factory=dict, init=False)  # id → order, loc, corr, line
    _sequence: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # -- what distflow sent ------------------------------------------------------------------------------------------
    def erp_command(self, command: Record, now_ms: int) -> None:
        if command["command"] in ("AUTHORISE_RETURN", "ISSUE_CREDIT_MEMO"):
            self._return_step(command, now_ms)
            return
        if command["command"] == "CREATE_PURCHASE_ORDER":
            self._purchase_order(command, now_ms)
            return
        if command["command"] != "ACCEPT_ORDER":
            return  # cancellations are acknowledged silently by this ERP
        order_id, correlation = str(command["order_id"]), _correlation(command)
        roll = self.rng.random()
        later = now_ms + self.rng.randrange(200, 1_500)
        if roll < 0.92:
            self._decide(order_id, "ACCEPTED", None, correlation, later)
        elif roll < 0.97:
            self._decide(order_id, "CREDIT_HOLD", "credit limit exceeded", correlation, later)
            if self.rng.random() < 0.6:
                self._decide(order_id, "CREDIT_RELEASED", "payment received", correlation,
                             later + self.rng.randrange(2_000, 10_000))
        else:
            self._decide(order_id, "REJECTED", "account blocked", correlation, later)

    def fulfilment_request(self, request: Record, now_ms: int) -> None:
        fulfilment_id = str(request["fulfilment_id"])
        if request["kind"] == "CANCEL_REQUEST":
            accepted = self._pending_fulfilments.pop(fulfilment_id, None) is not None
            self._at(now_ms + 300, catalog.FULFILMENT_CANCELLATIONS, str(request["order_id"]), {
                "envelope": self._envelope("FulfilmentCancelAnswered", "wms", _correlation(request), now_ms + 300),
                "order_id": request["order_id"], "fulfilment_id": fulfilment_id, "location": request["location"],
                "accepted": accepted, "reason": None if accepted else "already shipped"})
            return
        self._pending_fulfilments[fulfilment_id] = request
        self._pending_fulfilments_due(fulfilment_id, now_ms + self.rng.randrange(1_000, 4_000))

    # -- what the partners send now ------------------------------------------------------------------------------------
    def due(self, now_ms: int) -> list[SimulatedEvent]:
        ready: list[SimulatedEvent] = []
        while self._scheduled and self._scheduled[0][0] <= now_ms:
            _, _, event = heapq.heappop(self._scheduled)
            if event.topic is _SHIP_MARKER:
                ready.extend(self._ship(str(event.key), now_ms))
            else:
                ready.append(event)
        return ready

    # -- internals -------------------------------------------------------------------------------------------------------
    def _decide(self, order_id: str, decision: str, reason: str | None, correlation: str, at: int) -> None:
        self._at(at, catalog.ORDER_DECISIONS, order_id, {
            "envelope": self._envelope("OrderDecision", "erp", correlation, at), "order_id": order_id,
            "decision": decision, "reason": reason, "erp_order_number": f"SO-{order_id}"})

    def _pending_fulfilments_due(self, fulfilment_id: str, at: int) -> None:
        self._sequence += 1
        heapq.heappush(self._scheduled, (at, self._sequence, SimulatedEvent(_SHIP_MARKER, fulfilment_id, {})))

    def _ship(self, fulfilment_id: str, now_ms: int) -> list[SimulatedEvent]:
        request = self._pending_fulfilments.pop(fulfilment_id, None)
        if request is None:
            return []  # cancelled before it left
        order_id, location, correlation = str(request["order_id"]), str(request["location"]), _correlation(request)
        lines: list[Record] = [dict(line) for line in request["lines"]]  # type: ignore[attr-defined]
        events = []
        short = 1 if self.rng.random() < 0.04 and int(lines[0]["quantity"]) > 1 else 0  # type: ignore[call-overload]
        picked = [{"line_id": line["line_id"], "sku": line["sku"],
                   "picked_quantity": int(line["quantity"]) - (short if n == 0 else 0),  # type: ignore[call-overload]
                   "short_quantity": short if n == 0 else 0} for n, line in enumerate(lines)]
        if short:
            events.append(SimulatedEvent(catalog.PICKS, order_id, {
                "envelope": self._envelope("PickConfirmed", "wms", correlation, now_ms), "order_id": order_id,
                "fulfilment_id": fulfilment_id, "location": location, "lines": picked}))
        shipment_id = f"SHP-{fulfilment_id.replace('/', '-')}"
        shipped = [{"line_id": p["line_id"], "sku": p["sku"], "quantity": p["picked_quantity"]} for p in picked
                   if int(p["picked_quantity"])]  # type: ignore[call-overload]
        if shipped:
            events.append(SimulatedEvent(catalog.SHIPMENTS, order_id, {
                "envelope": self._envelope("ShipmentConfirmed", "wms", correlation, now_ms + 1),
                "shipment_id": shipment_id, "order_id": order_id, "fulfilment_id": fulfilment_id,
                "location": location, "carrier": "UPS", "tracking_number": f"1Z{self.rng.randrange(10**9):09d}",
                "lines": shipped}))
            if self.rng.random() < 0.1:  # the customer sends one unit of the first line back after delivery
                self._request_return(order_id, location, correlation, shipped[0], now_ms + 15_000)
            self._track(shipment_id, order_id, correlation, now_ms)
        return events

    def _track(self, shipment_id: str, order_id: str, correlation: str, at: int) -> None:
        for milestone in MILESTONES:
            at += self.rng.randrange(500, 3_000)
            self._at(at, catalog.TRACKING, shipment_id, {
                "envelope": self._envelope("TrackingMilestone", "carrier", correlation, at),
                "shipment_id": shipment_id, "order_id": order_id, "carrier": "UPS", "tracking_number": "1Z",
                "milestone": milestone, "detail": None, "milestone_at": at})

    def _purchase_order(self, command: Record, now_ms: int) -> None:
        """The supplier ships the purchase order's lines from its own location (its shipments never touch our
        stock: the demo's sourcing policy lists the suppliers). A PO without a supplier or lines is not answered."""
        payload: Record = command.get("payload") or {}  # type: ignore[assignment]
        supplier, order_id = payload.get("supplier"), str(command["order_id"])
        lines = json.loads(str(payload.get("lines") or "[]"))
        if not supplier or not lines:
            return
        self._sequence += 1
        shipment_id, at = f"SHP-{order_id}-{supplier}-{self._sequence}", now_ms + self.rng.randrange(3_000, 8_000)
        correlation = _correlation(command)
        self._at(at, catalog.SHIPMENTS, order_id, {
            "envelope": self._envelope("ShipmentConfirmed", "wms", correlation, at), "shipment_id": shipment_id,
            "order_id": order_id, "fulfilment_id": "", "location": str(supplier), "carrier": "UPS",
            "tracking_number": f"1Z{self.rng.randrange(10**9):09d}",
            "lines": [{"line_id": line["line_id"], "sku": line["sku"], "quantity": int(line["quantity"])}
                      for line in lines]})
        self._track(shipment_id, order_id, correlation, at)

    def _request_return(self, order_id: str, location: str, correlation: str, line: Record, at: int) -> None:
        self._sequence += 1
        return_id = f"RET-{order_id}-{self._sequence}"
        self._returns[return_id] = (order_id, location, correlation, line)
        self._at(at, catalog.RETURN_REQUESTS, return_id, {
            "envelope": self._envelope("ReturnRequested", "commerce", correlation, at), "return_id": return_id,
            "order_id": order_id, "lines": [{"line_id": _order_line(line), "sku": line["sku"], "quantity": 1,
                                             "reason": "damaged in transit"}]})

    def _return_step(self, command: Record, now_ms: int) -> None:
        return_id = str(command["command_id"]).rsplit("/", 1)[-1]
        known = self._returns.get(return_id)
        if known is None:
            return
        order_id, location, correlation, line = known
        if command["command"] == "ISSUE_CREDIT_MEMO":
            del self._returns[return_id]
            self._at(now_ms + 1_000, catalog.CREDIT_MEMOS, return_id, {
                "envelope": self._envelope("CreditMemoIssued", "erp", correlation, now_ms + 1_000),
                "return_id": return_id, "credit_memo_id": f"CM-{return_id}", "amount": "10.00", "currency": "USD",
                "order_id": order_id})
            return
        authorised = self.rng.random() < 0.85
        self._at(now_ms + 800, catalog.RMA_DECISIONS, return_id, {
            "envelope": self._envelope("RmaDecision", "erp", correlation, now_ms + 800), "return_id": return_id,
            "order_id": order_id, "decision": "AUTHORISED" if authorised else "REFUSED",
            "rma_number": f"RMA-{return_id}", "reason": None if authorised else "outside the return window"})
        if not authorised:
            del self._returns[return_id]
            return
        disposition = "RESTOCK" if self.rng.random() < 0.7 else "SCRAP"
        self._at(now_ms + 5_000, catalog.RETURN_RECEIPTS, return_id, {
            "envelope": self._envelope("ReturnReceived", "wms", correlation, now_ms + 5_000), "return_id": return_id,
            "order_id": order_id, "location": location,
            "lines": [{"line_id": _order_line(line), "sku": line["sku"], "quantity": 1, "disposition": disposition}]})

    def _at(self, at: int, topic: catalog.TopicSpec, key: str, record: Record) -> None:
        self._sequence += 1
        heapq.heappush(self._scheduled, (at, self._sequence, SimulatedEvent(topic, key, record)))

    def _envelope(self, event_type: str, source: str, correlation: str, at: int) -> Record:
        return {"event_id": str(uuid.UUID(int=self.rng.getrandbits(128))), "event_type": event_type,
                "source": source, "correlation_id": correlation, "causation_id": None, "occurred_at": at,
                "produced_at": at}


_SHIP_MARKER = catalog.FULFILMENT_REQUESTS  # an internal timer entry: ship this fulfilment now


def _order_line(shipped: Record) -> str:
    """The customer returns an order line; the warehouse shipped a claim of it ("L1~r1" after a re-sourcing)."""
    return str(shipped["line_id"]).split("~", 1)[0]


def _correlation(record: Record) -> str:
    envelope: Record = record["envelope"]  # type: ignore[assignment]
    return str(envelope.get("correlation_id") or envelope["event_id"])
