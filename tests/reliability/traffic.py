"""Mixed source traffic for the reliability suite, by family, with the per-key order each family needs.

A family generates its own records (disjoint SKUs per family) and knows which order matters: the stock family goes
through intake from the WMS and ERP topics and its answer does not depend on arrival order across topics (bases and
movements by event time); the reservations family is a SKU owner's command stream (what the order stage will send)
and must stay in order per SKU. An orders family (commerce → order stage) can be added later the same way: a
`Family` with `generate` and an answer in oracle.py.
"""
from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tests.integration import events
from topics import catalog
from topics.spec import TopicSpec

LOCATIONS = ("EAST", "WEST")


@dataclass(frozen=True)
class Sent:
    """One record as a producer sends it. `direct`: produced by distflow itself (keyed, Java partitioner)."""

    family: str
    spec: TopicSpec
    key: str
    record: dict[str, object]
    direct: bool = False

    @property
    def event_id(self) -> str:
        return str(self.record["envelope"]["event_id"])  # type: ignore[index]


@dataclass
class Stream:
    events: list[Sent]
    stock_skus: tuple[str, ...]
    reservation_skus: dict[str, str] = field(default_factory=dict)  # sku -> its one location
    opening: list[Sent] = field(default_factory=list)  # produced and drained before `events` (orders' stock)
    order_skus: tuple[str, ...] = ()

    def of(self, family: str) -> list[Sent]:
        return [sent for sent in self.events if sent.family == family]


def mixed_stream(seed: int, total: int, reservation_share: float = 0.2, stock_skus: int = 2500,
                 reservation_skus: int = 300, tag: str = "") -> Stream:
    """`total` events: stock facts for `stock_skus` SKUs and reservation traffic for `reservation_skus` SKUs,
    interleaved at random with each family's own order kept."""
    rng = random.Random(seed)
    tag = tag or uuid.uuid4().hex[:6].upper()
    stock = StockFamily(rng, tuple(f"SKU-S{tag}-{i:05d}" for i in range(stock_skus)))
    reservations = ReservationFamily(rng, {f"SKU-R{tag}-{i:04d}": rng.choice(LOCATIONS)
                                           for i in range(reservation_skus)})
    families = [(stock, 1 - reservation_share), (reservations, reservation_share)]
    generators = [iter(family) for family, _ in families]
    weights = [share for _, share in families]
    sent = [next(rng.choices(generators, weights)[0]) for _ in range(total)]
    return Stream(sent, stock.skus, reservations.locations)


def redelivered_and_reordered(events: Sequence[Sent], seed: int, duplicate_share: float = 0.1,
                              window: int = 200) -> list[Sent]:
    """The same events with `duplicate_share` of them delivered twice (the copy a little later) and the order
    shuffled across keys within windows of `window` records; the relative order of each key's records is kept."""
    rng = random.Random(seed)
    with_copies: list[Sent] = []
    pending: list[tuple[int, Sent]] = []
    for index, sent in enumerate(events):
        with_copies.append(sent)
        if rng.random() < duplicate_share:
            pending.append((index + rng.randrange(1, 50), sent))
        due = [copy for at, copy in pending if at <= index]
        pending = [(at, copy) for at, copy in pending if at > index]
        with_copies.extend(due)
    with_copies.extend(copy for _, copy in pending)
    return _shuffle_across_keys(with_copies, rng, window)


def _shuffle_across_keys(events: list[Sent], rng: random.Random, window: int) -> list[Sent]:
    """Within each window: a random interleaving of the per-key sequences (each key's own order unchanged)."""
    result: list[Sent] = []
    for start in range(0, len(events), window):
        by_key: dict[str, list[Sent]] = {}
        for sent in events[start:start + window]:
            by_key.setdefault(sent.key, []).append(sent)
        queues = [list(reversed(queue)) for queue in by_key.values()]
        while queues:
            pick = rng.randrange(len(queues))
            result.append(queues[pick].pop())
            if not queues[pick]:
                queues.pop(pick)
    return result


class StockFamily:
    """WMS movements, receipts (some against PO lines), adjustments, counts, shipments, returns; ERP on-hand
    snapshots and supply figures. Every record is validated by intake and re-keyed onto the SKU's owner."""

    name = "stock"

    def __init__(self, rng: random.Random, skus: tuple[str, ...]) -> None:
        self.rng, self.skus = rng, skus
        self.rough_on_hand: dict[tuple[str, str], int] = {}
        self.po_lines: dict[tuple[str, str], list[str]] = {}

    def __iter__(self) -> Iterator[Sent]:
        while True:
            sku, location = self.rng.choice(self.skus), self.rng.choice(LOCATIONS)
            yield self._next(sku, location)

    def _next(self, sku: str, location: str) -> Sent:
        roll, here = self.rng.random(), self.rough_on_hand.get((sku, location), 0)
        if roll < 0.38 or here < 5:
            return self._receipt(sku, location)
        if roll < 0.52:
            delta = self.rng.choice((-3, -2, -1, 1, 2, 3))
            return self._move(sku, location, "ADJUSTED", delta)
        if roll < 0.57:
            counted = max(0, here + self.rng.randrange(-2, 3))
            return self._move(sku, location, "COUNTED", counted, absolute=True)
        if roll < 0.66:
            figure = max(0, here + self.rng.randrange(-3, 4))
            self.rough_on_hand[(sku, location)] = figure
            return Sent(self.name, catalog.ON_HAND_SNAPSHOTS, sku, events.on_hand_snapshot(sku, location, figure))
        if roll < 0.76:
            return self._supply(sku, location)
        if roll < 0.88:
            return self._shipment(sku, location, self.rng.randrange(1, 4))
        return self._return(sku, location)

    def _move(self, sku: str, location: str, kind: str, quantity: int, absolute: bool = False,
              reference: str | None = None) -> Sent:
        self.rough_on_hand[(sku, location)] = quantity if absolute else self.rough_on_hand.get((sku, location),
                                                                                              0) + quantity
        record = events.movement(sku, location, kind, quantity, reference=reference)
        return Sent(self.name, catalog.INVENTORY_MOVEMENTS, sku, record)

    def _receipt(self, sku: str, location: str) -> Sent:
        lines = self.po_lines.get((sku, location))
        reference = self.rng.choice(lines) if lines and self.rng.random() < 0.4 else None
        return self._move(sku, location, "RECEIVED", self.rng.randrange(1, 20), reference=reference)

    def _supply(self, sku: str, location: str) -> Sent:
        lines = self.po_lines.setdefault((sku, location), [])
        if not lines or self.rng.random() < 0.3:
            lines.append(f"PO-{uuid.uuid4().hex[:8]}-{len(lines) + 1}")
        line = self.rng.choice(lines)
        status = self.rng.choices(("OPEN", "RECEIVED", "CANCELLED"), (0.8, 0.1, 0.1))[0]
        record = {"envelope": events.envelope("SupplyExpected", "erp"), "po_id": line.rsplit("-", 1)[0],
                  "po_line_id": line, "sku": sku, "location": location, "quantity": self.rng.randrange(0, 60),
                  "expected_at": None, "status": status, "supplier_id": None}
        return Sent(self.name, catalog.INCOMING_SUPPLY, sku, record)

    def _shipment(self, sku: str, location: str, quantity: int) -> Sent:
        self.rough_on_hand[(sku, location)] = self.rough_on_hand.get((sku, location), 0) - quantity
        order = f"ORD-X{uuid.uuid4().hex[:10]}"
        record = {"envelope": events.envelope("ShipmentConfirmed", "wms", correlation_id=f"corr-{order}"),
                  "shipment_id": f"SHP-{uuid.uuid4().hex[:10]}", "order_id": order,
                  "fulfilment_id": f"FUL-{uuid.uuid4().hex[:8]}", "location": location, "carrier": "ACME",
                  "tracking_number": uuid.uuid4().hex[:12], "lines": [
                      {"line_id": "1", "sku": sku, "quantity": quantity}]}
        return Sent(self.name, catalog.SHIPMENTS, sku, record)

    def _return(self, sku: str, location: str) -> Sent:
        quantity = self.rng.randrange(1, 3)
        disposition = self.rng.choice(("PENDING_INSPECTION", "RESTOCK", "SCRAP"))
        if disposition == "RESTOCK":
            self.rough_on_hand[(sku, location)] = self.rough_on_hand.get((sku, location), 0) + quantity
        order = f"ORD-X{uuid.uuid4().hex[:10]}"
        record = {"envelope": events.envelope("ReturnReceived", "wms", correlation_id=f"corr-{order}"),
                  "return_id": f"RET-{uuid.uuid4().hex[:10]}", "order_id": order, "location": location,
                  "lines": [{"line_id": "1", "sku": sku, "quantity": quantity, "disposition": disposition}]}
        return Sent(self.name, catalog.RETURN_RECEIPTS, sku, record)


class ReservationFamily:
    """What the order stage sends a SKU's owner (reserve, release, allocate, ship), mixed with the receipts and
    adjustments of those SKUs; every SKU lives at one location. Sent in order per SKU, like one owner's input."""

    name = "reservations"

    def __init__(self, rng: random.Random, locations: dict[str, str]) -> None:
        self.rng, self.locations = rng, locations
        self.skus = tuple(locations)
        self.started: set[str] = set()
        self.lines: dict[str, list[tuple[str, str, int]]] = {}  # sku -> open lines (order, line, quantity)
        self.allocated: dict[str, list[tuple[str, str, int]]] = {}

    def __iter__(self) -> Iterator[Sent]:
        while True:
            yield self._next(self.rng.choice(self.skus))

    def _next(self, sku: str) -> Sent:
        location = self.locations[sku]
        if sku not in self.started:
            self.started.add(sku)
            return self._command(sku, "RECEIVE", location=location, quantity=self.rng.randrange(5, 30))
        roll, lines = self.rng.random(), self.lines.setdefault(sku, [])
        if roll < 0.18:
            return self._command(sku, "RECEIVE", location=location, quantity=self.rng.randrange(1, 10))
        if roll < 0.23:
            return self._command(sku, "ADJUST", location=location, quantity=-self.rng.randrange(1, 3),
                                 reason="DAMAGE")
        if roll < 0.63 or not lines:
            order, quantity = f"ORD-R{uuid.uuid4().hex[:10]}", self.rng.randrange(1, 6)
            lines.append((order, "1", quantity))
            return self._command(sku, "RESERVE", order_id=order, line_id="1", quantity=quantity,
                                 ordered_at=events.next_event_time())
        if roll < 0.75:
            order, line, _ = lines.pop(self.rng.randrange(len(lines)))
            return self._command(sku, "RELEASE", order_id=order, line_id=line)
        shipping = self.allocated.setdefault(sku, [])
        if roll < 0.90 or not shipping:
            taken = lines.pop(self.rng.randrange(len(lines)))
            shipping.append(taken)
            return self._command(sku, "ALLOCATE", order_id=taken[0], line_id=taken[1])
        order, line, quantity = shipping.pop(self.rng.randrange(len(shipping)))
        return self._command(sku, "SHIP", location=location, order_id=order, line_id=line, quantity=quantity)

    def _command(self, sku: str, kind: str, **fields: object) -> Sent:
        record: dict[str, object] = {
            "envelope": events.envelope(kind, "distflow", event_id=f"{kind.lower()}:{uuid.uuid4().hex}"),
            "command": kind, "sku": sku, "location": None, "quantity": 0, "order_id": None, "line_id": None,
            "ordered_at": None, "preferred_locations": [], "max_locations": 1, "reason": None, "reference": None,
            "from_status": None, "to_status": None, "as_of": None}
        record.update(fields)
        return Sent(self.name, catalog.INVENTORY_COMMANDS, sku, record, direct=True)


# --- orders family: storefront orders through intake and the order saga ----------------------------------------------
ORDER_LOCATION = "EAST"


class OrdersFamily:
    """Orders of 1-3 lines on the family's own SKUs, then (later in the stream) the ERP's verdict or the customer's
    cancellation. Stock is ample (opening stock above all demand), so no order waits for another and the answer does
    not depend on how the SKU owners interleave them."""

    name = "orders"

    def __init__(self, rng: random.Random, skus: tuple[str, ...], tag: str) -> None:
        self.rng, self.skus, self.tag = rng, skus, tag
        self.placed: list[str] = []  # awaiting a follow-up
        self.count = 0

    def opening(self, orders: int) -> list[Sent]:
        """On-hand for every SKU before any order: each SKU can take every order of the stream three units deep."""
        figure = 3 * 3 * orders
        return [Sent(self.name, catalog.ON_HAND_SNAPSHOTS, sku, events.on_hand_snapshot(sku, ORDER_LOCATION, figure))
                for sku in self.skus]

    def __iter__(self) -> Iterator[Sent]:
        while True:
            if self.placed and self.rng.random() < 0.5:
                yield self._follow_up(self.placed.pop(self.rng.randrange(len(self.placed))))
            else:
                yield self._place()

    def _place(self) -> Sent:
        self.count += 1
        order_id = f"O-{self.tag}-{self.count:06d}"
        skus = self.rng.sample(self.skus, self.rng.randrange(1, 4))
        lines = [events.order_line(f"L{n}", sku, self.rng.randrange(1, 4)) for n, sku in enumerate(skus, start=1)]
        self.placed.append(order_id)
        return Sent(self.name, catalog.ORDERS, order_id, events.order_placed(order_id, lines))

    def _follow_up(self, order_id: str) -> Sent:
        roll = self.rng.random()
        if roll < 0.75:
            return Sent(self.name, catalog.ORDER_DECISIONS, order_id, events.erp_decision(order_id, "ACCEPTED"))
        if roll < 0.88:
            return Sent(self.name, catalog.ORDER_DECISIONS, order_id, events.erp_decision(order_id, "REJECTED"))
        return Sent(self.name, catalog.ORDER_CANCELLATIONS, order_id, events.cancellation(order_id))


def with_orders(stream: Stream, seed: int, orders_share: float, order_skus: int = 200) -> Stream:
    """The stream with an orders family interleaved (each order's own records kept in order); its opening stock is
    in `stream.opening`, to be produced and drained first."""
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:6].upper()
    family = OrdersFamily(rng, tuple(f"SKU-O{tag}-{i:04d}" for i in range(order_skus)), tag)
    generator = iter(family)
    mixed: list[Sent] = []
    for sent in stream.events:
        mixed.append(sent)
        if rng.random() < orders_share:
            mixed.append(next(generator))
    return Stream(mixed, stream.stock_skus, stream.reservation_skus, opening=family.opening(family.count),
                  order_skus=family.skus)
