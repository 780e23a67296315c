"""What the storefront, the SKU owners, the ERP, the warehouses, the carriers and the timers tell an order's owner.

Every fact carries the source's event id (the idempotency key), its event time in epoch milliseconds, the order id
and, optionally, the envelope's correlation id. Constructors reject impossible values with ValueError, so the shell
can dead-letter a bad record with a reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from processors.inventory.quantities import LocationQuantity
from processors.values import fast_init

CLAIM_SEPARATOR = "~"  # re-sourced claims are f"{line_id}~r{n}", so a line id may not contain it


class FulfilmentKind(StrEnum):
    STOCKED = "STOCKED"  # shipped from our warehouses: reserved, allocated, fulfilled
    SPECIAL_ORDER = "SPECIAL_ORDER"  # bought for this line; the vendor ships to our warehouse, earmarked
    DROP_SHIP = "DROP_SHIP"  # the vendor ships straight to the customer


class AnswerStatus(StrEnum):
    """What the SKU owner said about one line claim (the inventory model's decisions, plus UNKNOWN_SKU)."""

    RESERVED = "RESERVED"  # first answer: everything held (reserved, allocated: snapshots)
    PARTIAL = "PARTIAL"  # first answer: part held, `backordered` queued
    BACKORDERED = "BACKORDERED"  # first answer: nothing held, everything queued
    RELEASED = "RELEASED"  # the claim gave back its reservation and left the queue
    CLOSED = "CLOSED"  # the claim holds nothing any more (a request after its own release)
    FILLED = "FILLED"  # a backorder fill: `reserved` = units added now, `backordered` = still queued
    ALLOCATED = "ALLOCATED"  # `allocated` = units moved now, `reserved` = still reserved (snapshot)
    ALLOCATION_RELEASED = "ALLOCATION_RELEASED"  # `released` = units given back from allocated
    UNKNOWN_SKU = "UNKNOWN_SKU"  # the shell: the SKU was never seen, nothing was reserved


class ErpVerdict(StrEnum):
    ACCEPTED = "ACCEPTED"
    CREDIT_HOLD = "CREDIT_HOLD"
    CREDIT_RELEASED = "CREDIT_RELEASED"
    REJECTED = "REJECTED"


class CarrierStatus(StrEnum):
    """Normalised carrier status (DOMAIN §5.1); the translator maps each carrier's words onto these."""

    LABEL_CREATED = "LABEL_CREATED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    AVAILABLE_FOR_PICKUP = "AVAILABLE_FOR_PICKUP"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"  # a flag, not a milestone
    ATTEMPT_FAILED = "ATTEMPT_FAILED"  # a flag
    RETURN_TO_SENDER = "RETURN_TO_SENDER"  # a flag


class DeadlineKind(StrEnum):
    ACCEPTANCE_SLA = "ACCEPTANCE_SLA"  # the ERP must decide by placed_at + acceptance_ms
    CREDIT_HOLD_TIMEOUT = "CREDIT_HOLD_TIMEOUT"  # a credit hold not released by then cancels the order
    ALLOCATION_SLA = "ALLOCATION_SLA"  # everything allocated by accepted_at + allocation_ms
    SHIPMENT_SLA = "SHIPMENT_SLA"  # everything shipped by first fulfilment request + shipment_confirmation_ms
    HELD_FACT_TIMEOUT = "HELD_FACT_TIMEOUT"  # the earliest expiry of a held (early) fact
    RETURN_SLA = "RETURN_SLA"  # the order's first return completed (credited or refused) by requested + return_ms


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@fast_init
@dataclass(frozen=True, slots=True)
class OrderFact:
    event_id: str
    occurred_at: int
    order_id: str
    correlation_id: str = field(default="", kw_only=True)


@fast_init
@dataclass(frozen=True, slots=True)
class PlacedLine:
    line_id: str
    sku: str
    quantity: int
    fulfilment_kind: FulfilmentKind = FulfilmentKind.STOCKED
    supplier: str | None = None

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"line {self.line_id}: quantity must be positive, got {self.quantity}")
        _require(bool(self.line_id) and CLAIM_SEPARATOR not in self.line_id,
                 f"line id {self.line_id!r} must be non-empty and must not contain {CLAIM_SEPARATOR!r}")
        _require(bool(self.sku), f"line {self.line_id}: the SKU is empty")


@fast_init
@dataclass(frozen=True, slots=True)
class OrderPlaced(OrderFact):
    """The customer's order. `placed_at` is occurred_at unless the source says otherwise."""

    customer: str
    channel: str
    lines: tuple[PlacedLine, ...]
    placed_at: int | None = None

    def __post_init__(self) -> None:
        _require(bool(self.lines), f"order {self.order_id} has no lines")
        ids = [line.line_id for line in self.lines]
        _require(len(set(ids)) == len(ids), f"order {self.order_id} repeats a line id: {ids}")


@fast_init
@dataclass(frozen=True, slots=True)
class ReservationAnswer(OrderFact):
    """The SKU owner about one line claim; which fields are snapshots and which are deltas depends on the status."""

    line_claim_id: str
    sku: str
    status: AnswerStatus
    reserved: tuple[LocationQuantity, ...] = ()
    allocated: tuple[LocationQuantity, ...] = ()
    backordered: int = 0
    released: tuple[LocationQuantity, ...] = ()

    def __post_init__(self) -> None:
        _require(self.backordered >= 0, f"backordered cannot be negative, got {self.backordered}")
        pairs = (*self.reserved, *self.allocated, *self.released)
        _require(all(pair.quantity > 0 for pair in pairs), "answered quantities must be positive")


@fast_init
@dataclass(frozen=True, slots=True)
class ErpDecision(OrderFact):
    verdict: ErpVerdict
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class CancellationRequested(OrderFact):
    """The customer cancels the whole order (no line ids) or whole lines."""

    line_ids: tuple[str, ...] = ()
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class FulfilmentCancelAnswered(OrderFact):
    """The warehouse accepted or refused (usually: it already shipped) a FulfilmentCancelRequested."""

    fulfilment_id: str
    accepted: bool
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class PickShort(OrderFact):
    """The picker found fewer units than allocated (the SKU owner's ShortPickRecorded): re-source them."""

    line_claim_id: str
    location: str
    short_quantity: int
    fulfilment_id: str | None = None  # when the source knows it; else the claim's oldest open request there

    def __post_init__(self) -> None:
        _require(self.short_quantity > 0, f"short quantity must be positive, got {self.short_quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class ShippedLine:
    line_claim_id: str  # the claim id from the fulfilment request; a supplier line's own line id
    quantity: int

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"shipped quantity must be positive, got {self.quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class ShipmentConfirmed(OrderFact):
    """Units left `location` (a warehouse, or the supplier for drop-ship lines) in one parcel."""

    shipment_id: str
    location: str
    lines: tuple[ShippedLine, ...]
    fulfilment_id: str | None = None
    carrier: str = ""
    tracking_number: str = ""

    def __post_init__(self) -> None:
        _require(bool(self.lines), f"shipment {self.shipment_id} has no lines")


@fast_init
@dataclass(frozen=True, slots=True)
class TrackingMilestone(OrderFact):
    """A carrier status for one shipment; occurred_at is the carrier's event time."""

    shipment_id: str
    status: CarrierStatus
    detail: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class DeadlineReached(OrderFact):
    """The shell's timer for a stored deadline fired; occurred_at is the time it fired (`at`)."""

    deadline_kind: DeadlineKind

    @property
    def at(self) -> int:
        return self.occurred_at


def deadline_reached(order_id: str, kind: DeadlineKind, at: int) -> DeadlineReached:
    """The timer fact with a deterministic event id, so a re-fired timer is a duplicate."""
    return DeadlineReached(f"deadline:{order_id}:{kind}:{at}", at, order_id, kind)


@fast_init
@dataclass(frozen=True, slots=True)
class ReturnedLine:
    line_id: str
    quantity: int

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"returned quantity must be positive, got {self.quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class ReturnRecorded(OrderFact):
    """Units of delivered lines came back (the returns workflow itself is not modelled yet)."""

    lines: tuple[ReturnedLine, ...]
    return_id: str = ""

    def __post_init__(self) -> None:
        _require(bool(self.lines), "a return needs at least one line")


class Disposition(StrEnum):
    PENDING_INSPECTION = "PENDING_INSPECTION"  # in quality control, not decided yet
    RESTOCK = "RESTOCK"  # back on the shelf: availability rises (the SKU owner's business)
    SCRAP = "SCRAP"


@fast_init
@dataclass(frozen=True, slots=True)
class ReturnRequested(OrderFact):
    """The customer asks to return shipped units (RMA request); the ERP authorises or refuses."""

    return_id: str
    lines: tuple[ReturnedLine, ...]

    def __post_init__(self) -> None:
        _require(bool(self.return_id), "a return needs a return id")
        _require(bool(self.lines), "a return needs at least one line")


@fast_init
@dataclass(frozen=True, slots=True)
class RmaDecided(OrderFact):
    return_id: str
    authorised: bool
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class ReceivedLine:
    line_id: str
    quantity: int
    disposition: Disposition

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"received quantity must be positive, got {self.quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class ReturnGoodsReceived(OrderFact):
    """Returned units arrived at a warehouse (into quality control) with their disposition, if decided."""

    return_id: str
    location: str
    lines: tuple[ReceivedLine, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class CreditMemoIssued(OrderFact):
    return_id: str
    credit_memo_id: str


FACT_TYPES: tuple[type[OrderFact], ...] = (
    OrderPlaced, ReservationAnswer, ErpDecision, CancellationRequested, FulfilmentCancelAnswered, PickShort,
    ShipmentConfirmed, TrackingMilestone, DeadlineReached, ReturnRecorded, ReturnRequested, RmaDecided,
    ReturnGoodsReceived, CreditMemoIssued)


def describe(fact: OrderFact) -> str:
    """A short account of the fact, for transition reasons and the timeline."""
    match fact:
        case ReservationAnswer():
            return f"ReservationAnswer {fact.status} for claim {fact.line_claim_id}"
        case ErpDecision():
            return f"ErpDecision {fact.verdict}" + (f" ({fact.reason})" if fact.reason else "")
        case CancellationRequested():
            return "CancellationRequested " + (f"of line(s) {', '.join(fact.line_ids)}" if fact.line_ids else
                                               "of the whole order")
        case FulfilmentCancelAnswered():
            return f"FulfilmentCancelAnswered {'accepted' if fact.accepted else 'refused'} for {fact.fulfilment_id}"
        case PickShort():
            return f"PickShort of {fact.short_quantity} for claim {fact.line_claim_id} at {fact.location}"
        case ShipmentConfirmed():
            return f"ShipmentConfirmed {fact.shipment_id} from {fact.location}"
        case TrackingMilestone():
            return f"TrackingMilestone {fact.status} for {fact.shipment_id}"
        case DeadlineReached():
            return f"DeadlineReached {fact.deadline_kind}"
        case RmaDecided():
            return f"RmaDecided {'authorised' if fact.authorised else 'refused'} for return {fact.return_id}"
    return type(fact).__name__
