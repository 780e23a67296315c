"""The state an order's owner keeps: one Order per order id, replaced (never mutated) by every change.

Quantities per line: requested (`quantity`), cancelled, shipped, delivered, returned, units on purchase orders
(supplier lines) and, for stocked lines, the claims at the SKU owners: reserved and allocated per location,
backordered. A line's first claim has the line's id; a re-sourced one (after a short pick) f"{line_id}~r{n}".
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from processors.inventory.dedupe import RecentKeys
from processors.inventory.quantities import LocationQuantity, total_of
from processors.values import evolve, fast_init
from processors.orders.facts import CarrierStatus, DeadlineKind, FulfilmentKind, OrderFact, ReturnedLine
from processors.orders.status import Acceptance, OrderStatus


@fast_init
@dataclass(frozen=True, slots=True)
class StockClaim:
    """The saga's view of one claim at the SKU owner, kept in step by its answers."""

    claim_id: str
    sku: str
    requested: int
    answered: bool = False
    unknown_sku: bool = False
    reserved: tuple[LocationQuantity, ...] = ()
    allocating: tuple[LocationQuantity, ...] = ()  # AllocateLine sent, answer not in yet (still in reserved)
    allocated: tuple[LocationQuantity, ...] = ()
    backordered: int = 0
    shipped: int = 0
    short: int = 0
    released: bool = False  # ReleaseLine sent: no more reservations or allocations for it
    allocation_cancels: tuple[str, ...] = ()  # locations a CancelAllocation was sent for

    @property
    def held(self) -> int:
        return total_of(self.reserved) + total_of(self.allocated)

    @property
    def needs_release(self) -> bool:
        """Compensating must release it: it may hold or queue units (or its answer is still out)."""
        return not self.released and (not self.answered or bool(self.reserved) or self.backordered > 0)


@fast_init
@dataclass(frozen=True, slots=True)
class OrderLine:
    line_id: str
    sku: str
    quantity: int
    kind: FulfilmentKind = FulfilmentKind.STOCKED
    supplier: str | None = None
    claims: tuple[StockClaim, ...] = ()  # stocked lines only
    supplier_ordered: int = 0  # units on CREATE_PURCHASE_ORDER commands (supplier lines only)
    shipped: int = 0
    delivered: int = 0
    cancelled: int = 0
    returned: int = 0
    cancel_requested: bool = False  # the customer asked to cancel the line (no re-sourcing any more)

    @property
    def stocked(self) -> bool:
        return self.kind is FulfilmentKind.STOCKED

    @property
    def open(self) -> int:
        """Units still meant for the customer: requested − cancelled."""
        return self.quantity - self.cancelled

    @property
    def reserved(self) -> int:
        return sum(total_of(claim.reserved) for claim in self.claims)

    @property
    def allocated(self) -> int:
        return sum(total_of(claim.allocated) for claim in self.claims)

    @property
    def backordered(self) -> int:
        return sum(claim.backordered for claim in self.claims if not claim.released)

    # on_hold and awaiting_answer are asked for every line on every fact (status, reactions): plain loops, a
    # generator per call was a tenth of the saga model's time

    @property
    def on_hold(self) -> bool:
        for claim in self.claims:
            if claim.unknown_sku and not claim.released:
                return True
        return False

    @property
    def awaiting_answer(self) -> bool:
        for claim in self.claims:
            if not claim.answered and not claim.released:
                return True
        return False

    @property
    def holds_units(self) -> bool:
        return not self.stocked or any(claim.held for claim in self.claims)

    @property
    def fully_allocated(self) -> bool:
        if not self.stocked:
            return self.supplier_ordered >= self.open
        return self.allocated + self.shipped >= self.open


class CancelState(StrEnum):
    NONE = "NONE"
    REQUESTED = "REQUESTED"  # FulfilmentCancelRequested sent, no answer yet
    CANCELLED = "CANCELLED"  # the warehouse accepted: the open units are cancelled


@fast_init
@dataclass(frozen=True, slots=True)
class FulfilmentLine:
    line_id: str
    claim_id: str
    sku: str
    quantity: int
    shipped: int = 0
    short: int = 0
    cancel: CancelState = CancelState.NONE

    @property
    def open(self) -> int:
        """Units the warehouse may still ship."""
        return 0 if self.cancel is CancelState.CANCELLED else self.quantity - self.shipped - self.short

    @property
    def cancel_pending(self) -> bool:
        """Asked to cancel, no answer yet, and units still open (once all shipped or short, it is moot)."""
        return self.cancel is CancelState.REQUESTED and self.open > 0


@fast_init
@dataclass(frozen=True, slots=True)
class Fulfilment:
    fulfilment_id: str
    location: str
    requested_at: int
    lines: tuple[FulfilmentLine, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class ShipmentLine:
    line_id: str
    claim_id: str  # the line id for supplier lines
    quantity: int


@fast_init
@dataclass(frozen=True, slots=True)
class TrackingFlag:
    flag: CarrierStatus
    at: int


@fast_init
@dataclass(frozen=True, slots=True)
class Shipment:
    shipment_id: str
    location: str
    shipped_at: int
    lines: tuple[ShipmentLine, ...]
    carrier: str = ""
    tracking_number: str = ""
    milestone: CarrierStatus | None = None
    milestone_at: int | None = None
    flags: tuple[TrackingFlag, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class Deadline:
    kind: DeadlineKind
    due_at: int


@fast_init
@dataclass(frozen=True, slots=True)
class HeldFact:
    fact: OrderFact
    expires_at: int
    reason: str


@fast_init
@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: int
    caused_by: str
    correlation_id: str
    axis: str  # "status" or "acceptance"
    old: str  # "" before the order was placed
    new: str
    reason: str


class ReturnStatus(StrEnum):
    REQUESTED = "REQUESTED"  # waiting for the ERP's RMA decision
    AUTHORISED = "AUTHORISED"  # the customer may send the units
    REFUSED = "REFUSED"  # closed: nothing comes back
    RECEIVED = "RECEIVED"  # every unit arrived and was dispositioned; the credit memo is asked of the ERP
    COMPLETED = "COMPLETED"  # credited


@fast_init
@dataclass(frozen=True, slots=True)
class ReturnCase:
    return_id: str
    requested_at: int
    lines: tuple[ReturnedLine, ...]
    status: ReturnStatus = ReturnStatus.REQUESTED
    received: int = 0
    restocked: int = 0
    scrapped: int = 0
    credit_memo_id: str = ""

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def open(self) -> bool:
        return self.status not in (ReturnStatus.REFUSED, ReturnStatus.COMPLETED)


@fast_init
@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    correlation_id: str = ""
    customer: str = ""
    channel: str = ""
    placed_at: int | None = None  # None: only early facts are known (held until OrderPlaced)
    fingerprint: str = ""  # of the placed content: a repeat with another content is a conflict
    lines: tuple[OrderLine, ...] = ()
    acceptance: Acceptance = Acceptance.PENDING
    acceptance_requested: bool = False  # ACCEPT_ORDER sent
    accepted_at: int | None = None
    credit_hold_since: int | None = None
    status: OrderStatus | None = None  # always derive_status(self), kept to check transitions
    fulfilments: tuple[Fulfilment, ...] = ()
    shipments: tuple[Shipment, ...] = ()
    deadlines: tuple[Deadline, ...] = ()  # sorted by kind
    closed_deadlines: tuple[DeadlineKind, ...] = ()  # armed once and met, breached or moot: never re-armed
    breached: tuple[DeadlineKind, ...] = ()
    held: tuple[HeldFact, ...] = ()  # in arrival order
    timeline: tuple[TimelineEntry, ...] = ()  # the latest `timeline_limit` transitions
    timeline_dropped: int = 0
    version: int = 0  # +1 for every fact with a new event id
    as_of: int | None = None  # latest event time applied
    seen_events: RecentKeys = RecentKeys()
    returns: tuple[ReturnCase, ...] = ()


def new_order(order_id: str) -> Order:
    return Order(order_id)


def line_index(order: Order, line_id: str) -> int | None:
    for index, line in enumerate(order.lines):
        if line.line_id == line_id:
            return index
    return None


def claim_position(order: Order, claim_id: str) -> tuple[int, int] | None:
    """(line index, claim index) of a claim, or None."""
    for line_at, line in enumerate(order.lines):
        for claim_at, claim in enumerate(line.claims):
            if claim.claim_id == claim_id:
                return line_at, claim_at
    return None


def with_line(order: Order, index: int, line: OrderLine) -> Order:
    return evolve(order, lines=(*order.lines[:index], line, *order.lines[index + 1:]))


def with_claim(line: OrderLine, index: int, claim: StockClaim) -> OrderLine:
    return evolve(line, claims=(*line.claims[:index], claim, *line.claims[index + 1:]))


def with_fulfilment(order: Order, index: int, fulfilment: Fulfilment) -> Order:
    return evolve(order, fulfilments=(*order.fulfilments[:index], fulfilment, *order.fulfilments[index + 1:]))


def deadline_of(order: Order, kind: DeadlineKind) -> Deadline | None:
    for deadline in order.deadlines:
        if deadline.kind is kind:
            return deadline
    return None


def shipment_of(order: Order, shipment_id: str) -> int | None:
    for index, shipment in enumerate(order.shipments):
        if shipment.shipment_id == shipment_id:
            return index
    return None


def claims_by_sku(order: Order) -> dict[str, int]:
    """Units the order holds at each SKU owner (reserved + allocated), SKUs holding nothing left out: summed over
    open orders, it must equal the inventory's reserved + allocated per SKU once all answers are in."""
    held: dict[str, int] = {}
    for line in order.lines:
        for claim in line.claims:
            if claim.held:
                held[claim.sku] = held.get(claim.sku, 0) + claim.held
    return held


def is_placed(order: Order) -> bool:
    return order.placed_at is not None
