"""The answer the pipeline must reach, computed here from the records sent and the documented rules
(docs/inventory-model.md) alone: this module imports nothing from processors/ or streams/.

Stock family: on hand at a location is the latest absolute figure (count or ERP snapshot, by event time) plus the
physical movements that occurred after it; units in quality control are returns not yet dispositioned; incoming is
each open PO line's latest ERP figure minus the receipts against it after that figure. None of it depends on the
order the records arrive in. Reservations family: one owner applies its SKUs' commands in order, so the answer is a
small sequential simulation (reserve what is available, backorder the rest first in first out, release gives back
the reservation, allocate turns it into an allocation, a shipment consumes allocated first).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.reliability.traffic import Sent

Key = tuple[str, str]  # (sku, location)


@dataclass(frozen=True)
class Position:
    on_hand: int = 0
    reserved: int = 0
    allocated: int = 0
    quality_control: int = 0
    incoming: int = 0

    @property
    def available(self) -> int:
        """What a storefront may sell: never below zero (no safety stock in these tests)."""
        return max(0, self.on_hand - self.reserved - self.allocated - self.quality_control)


def unique_events(sent: Iterable[Sent]) -> list[Sent]:
    """The first delivery of every event id (a redelivery changes nothing)."""
    seen: set[str] = set()
    first = []
    for record in sent:
        if record.event_id not in seen:
            seen.add(record.event_id)
            first.append(record)
    return first


def expected_positions(sent: Iterable[Sent]) -> dict[Key, Position]:
    events = unique_events(sent)
    positions = stock_positions(e for e in events if e.family == "stock")
    positions.update(reservation_positions(e for e in events if e.family == "reservations"))
    return positions


# --- stock family: bases and movements by event time ---------------------------------------------------------------

@dataclass
class _Ledger:
    base: tuple[int, int] | None = None  # (as of, figure)
    movements: list[tuple[int, int]] = field(default_factory=list)  # (occurred at, delta)
    quality_control: int = 0
    supply: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # po line -> (as of, quantity, status)
    receipts: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # po line -> (occurred at, quantity)

    def rebase(self, at: int, figure: int) -> None:
        if self.base is None or at > self.base[0]:
            self.base = (at, figure)

    def position(self) -> Position:
        since = self.base[0] if self.base else None
        on_hand = (self.base[1] if self.base else 0) + sum(
            delta for at, delta in self.movements if since is None or at > since)
        return Position(on_hand=on_hand, quality_control=self.quality_control, incoming=self._incoming())

    def _incoming(self) -> int:
        total = 0
        for line, (as_of, quantity, status) in self.supply.items():
            if status == "OPEN":
                later = sum(q for at, q in self.receipts.get(line, ()) if at > as_of)
                total += max(0, quantity - later)
        return total


def stock_positions(events: Iterable[Sent]) -> dict[Key, Position]:
    ledgers: dict[Key, _Ledger] = {}
    for sent in events:
        record = sent.record
        at = int(record["envelope"]["occurred_at"])  # type: ignore[index]
        spec = sent.spec.name
        if spec.endswith("inventory-movements"):
            _movement(ledgers.setdefault((sent.key, str(record["location"])), _Ledger()), record, at)
        elif spec.endswith("on-hand-snapshots"):
            ledgers.setdefault((sent.key, str(record["location"])), _Ledger()).rebase(
                int(record["as_of"]), int(record["on_hand"]))  # type: ignore[call-overload]
        elif spec.endswith("incoming-supply"):
            ledger = ledgers.setdefault((sent.key, str(record["location"])), _Ledger())
            line = str(record["po_line_id"])
            if line not in ledger.supply or at > ledger.supply[line][0]:
                ledger.supply[line] = (at, int(record["quantity"]), str(record["status"]))  # type: ignore[call-overload]
        elif spec.endswith("shipments"):
            for line in record["lines"]:  # type: ignore[attr-defined]
                key = (str(line["sku"]), str(record["location"]))
                ledgers.setdefault(key, _Ledger()).movements.append((at, -int(line["quantity"])))
        elif spec.endswith("return-receipts"):
            for line in record["lines"]:  # type: ignore[attr-defined]
                ledger = ledgers.setdefault((str(line["sku"]), str(record["location"])), _Ledger())
                quantity = int(line["quantity"])
                ledger.movements.append((at, quantity))
                if line["disposition"] == "SCRAP":
                    ledger.movements.append((at, -quantity))
                elif line["disposition"] != "RESTOCK":
                    ledger.quality_control += quantity
        else:
            raise AssertionError(f"the stock oracle does not know {spec}")
    return {key: ledger.position() for key, ledger in ledgers.items()}


def _movement(ledger: _Ledger, record: dict[str, object], at: int) -> None:
    kind, quantity = record["movement_type"], int(record["quantity"])  # type: ignore[call-overload]
    if kind == "COUNTED":
        ledger.rebase(at, quantity)
        return
    ledger.movements.append((at, quantity))
    if kind == "RECEIVED" and record.get("reference"):
        ledger.receipts.setdefault(str(record["reference"]), []).append((at, quantity))


# --- reservations family: one SKU owner, in order ------------------------------------------------------------------

@dataclass
class _Line:
    requested: int
    reserved: int = 0
    allocated: int = 0
    outstanding: int = 0


@dataclass
class _Owner:
    location: str = ""
    on_hand: int = 0
    lines: dict[tuple[str, str], _Line] = field(default_factory=dict)
    closed: set[tuple[str, str]] = field(default_factory=set)
    queue: list[tuple[str, str]] = field(default_factory=list)  # backordered lines, first in first out

    @property
    def free(self) -> int:
        return self.on_hand - sum(line.reserved + line.allocated for line in self.lines.values())

    def apply(self, record: dict[str, object]) -> None:
        kind, quantity = str(record["command"]), int(record["quantity"])  # type: ignore[call-overload]
        line_key = (str(record["order_id"]), str(record["line_id"]))
        if kind in ("RECEIVE", "ADJUST"):
            self.location = str(record["location"])
            self.on_hand += quantity
        elif kind == "RESERVE":
            self._reserve(line_key, quantity)
        elif kind == "RELEASE":
            self._release(line_key)
        elif kind == "ALLOCATE":
            line = self.lines.get(line_key)
            if line is not None:
                line.allocated, line.reserved = line.allocated + line.reserved, 0
        elif kind == "SHIP":
            self._ship(line_key, quantity)
        else:
            raise AssertionError(f"the reservations oracle does not know {kind}")
        self._fill()

    def _reserve(self, key: tuple[str, str], quantity: int) -> None:
        if key in self.lines or key in self.closed:
            return
        taken = min(quantity, max(0, self.free))
        self.lines[key] = _Line(quantity, reserved=taken, outstanding=quantity - taken)
        if taken < quantity:
            self.queue.append(key)

    def _release(self, key: tuple[str, str]) -> None:
        line = self.lines.get(key)
        if line is None:
            self.closed.add(key)
            return
        line.reserved, line.outstanding = 0, 0
        if key in self.queue:
            self.queue.remove(key)
        self._settle(key)

    def _ship(self, key: tuple[str, str], quantity: int) -> None:
        self.on_hand -= quantity
        line = self.lines.get(key)
        if line is None:
            return
        from_allocated = min(quantity, line.allocated)
        from_reserved = min(quantity - from_allocated, line.reserved)
        line.allocated -= from_allocated
        line.reserved -= from_reserved
        self._settle(key)

    def _settle(self, key: tuple[str, str]) -> None:
        line = self.lines[key]
        if not (line.reserved or line.allocated or line.outstanding):
            del self.lines[key]
            self.closed.add(key)

    def _fill(self) -> None:
        for key in list(self.queue):
            if self.free <= 0:
                return
            line = self.lines[key]
            taken = min(line.outstanding, self.free)
            line.reserved += taken
            line.outstanding -= taken
            if not line.outstanding:
                self.queue.remove(key)

    def position(self) -> Position:
        return Position(on_hand=self.on_hand, reserved=sum(line.reserved for line in self.lines.values()),
                        allocated=sum(line.allocated for line in self.lines.values()))


def reservation_positions(events: Iterable[Sent]) -> dict[Key, Position]:
    owners: dict[str, _Owner] = {}
    for sent in events:
        owners.setdefault(sent.key, _Owner()).apply(sent.record)
    return {(sku, owner.location): owner.position() for sku, owner in owners.items()}


LineKey = tuple[str, str, str]  # (sku, order id, line id)


def reservation_lines(sent: Iterable[Sent]) -> dict[LineKey, tuple[int, int]]:
    """Per open order line of the reservations family: (reserved, allocated) it holds at the end."""
    owners: dict[str, _Owner] = {}
    for record in unique_events(sent):
        if record.family == "reservations":
            owners.setdefault(record.key, _Owner()).apply(record.record)
    return {(sku, order, line): (held.reserved, held.allocated)
            for sku, owner in owners.items() for (order, line), held in owner.lines.items()
            if held.reserved or held.allocated}


# --- orders family: ample stock, so each order's fate follows from its own records -------------------------------------
@dataclass(frozen=True)
class OrderOutcome:
    status: str  # ALLOCATED (accepted), REJECTED, CANCELLED (before allocation), RESERVED (no verdict yet)
    lines: tuple[tuple[str, str, int], ...]  # (line id, sku, quantity)

    @property
    def holds(self) -> tuple[int, int]:
        """(reserved, allocated) units the order still claims at the end."""
        units = sum(quantity for _, _, quantity in self.lines)
        return {"RESERVED": (units, 0), "ALLOCATED": (0, units)}.get(self.status, (0, 0))


def order_outcomes(sent: Iterable[Sent]) -> dict[str, OrderOutcome]:
    """The first verdict or cancellation decides; a later one finds a closed or allocated order."""
    outcomes: dict[str, OrderOutcome] = {}
    for event in unique_events(e for e in sent if e.family == "orders"):
        record = event.record
        order_id = str(record["order_id"])
        if event.spec.name == "commerce.orders":
            lines = tuple((str(l["line_id"]), str(l["sku"]), int(l["quantity"])) for l in record["lines"])  # type: ignore[attr-defined]
            outcomes[order_id] = OrderOutcome("RESERVED", lines)
        elif outcomes[order_id].status == "RESERVED":
            status = {"ACCEPTED": "ALLOCATED", "REJECTED": "REJECTED"}.get(str(record.get("decision")), "CANCELLED")
            outcomes[order_id] = OrderOutcome(status, outcomes[order_id].lines)
    return outcomes


def order_positions(opening: Iterable[Sent], outcomes: dict[str, OrderOutcome]) -> dict[Key, Position]:
    """On hand from the opening figures (nothing ships), held units from the orders' outcomes."""
    held: dict[Key, list[int]] = {}
    on_hand: dict[Key, int] = {}
    for event in opening:
        on_hand[(str(event.record["sku"]), str(event.record["location"]))] = int(event.record["on_hand"])  # type: ignore[call-overload]
    for outcome in outcomes.values():
        reserved, allocated = outcome.holds
        for _, sku, quantity in outcome.lines:
            key = (sku, "EAST")
            totals = held.setdefault(key, [0, 0])
            totals[0] += quantity if reserved else 0
            totals[1] += quantity if allocated else 0
    return {key: Position(on_hand=figure, reserved=held.get(key, [0, 0])[0], allocated=held.get(key, [0, 0])[1])
            for key, figure in on_hand.items()}
