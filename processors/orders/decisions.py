"""What an order's owner decides: immutable outputs for the shell to publish.

Every decision carries the order id, the order's correlation id and `caused_by` (the event id of the fact that led
to it). Ids inside decisions (fulfilment ids, ERP command ids, claim ids) are derived from the state and the fact,
so a replay produces the same ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from processors.orders.facts import DeadlineKind, FulfilmentKind
from processors.orders.status import Acceptance, OrderStatus
from processors.values import fast_init


class ErpCommandKind(StrEnum):
    ACCEPT_ORDER = "ACCEPT_ORDER"
    CREATE_PURCHASE_ORDER = "CREATE_PURCHASE_ORDER"
    CANCEL_ORDER = "CANCEL_ORDER"
    AUTHORISE_RETURN = "AUTHORISE_RETURN"
    ISSUE_CREDIT_MEMO = "ISSUE_CREDIT_MEMO"


class ErpPriority(StrEnum):
    """The ERP rate limiter's queues, served strictly in this order (the erp_command schema's enum)."""

    CHECKOUT_CRITICAL = "CHECKOUT_CRITICAL"  # a customer is waiting: first through the rate limit
    NORMAL = "NORMAL"  # cancellations, purchase orders for supplier lines
    BACKGROUND = "BACKGROUND"  # housekeeping that can wait out a promotion spike


class OrderExceptionType(StrEnum):
    UNKNOWN_SKU = "unknown_sku"
    ERP_REJECTED = "erp_rejected"
    CREDIT_HOLD_TIMEOUT = "credit_hold_timeout"
    LATE_CANCELLATION = "late_cancellation"
    ILLEGAL_TRANSITION = "illegal_transition"
    SLA_BREACH_ACCEPTANCE = "sla_breach_acceptance"
    SLA_BREACH_ALLOCATION = "sla_breach_allocation"
    SLA_BREACH_SHIPMENT = "sla_breach_shipment"
    HELD_FACT_EXPIRED = "held_fact_expired"
    DUPLICATE_ORDER_CONFLICT = "duplicate_order_conflict"
    DELIVERY_EXCEPTION = "delivery_exception"
    RMA_REFUSED = "rma_refused"
    SLA_BREACH_RETURN = "sla_breach_return"


@fast_init
@dataclass(frozen=True, slots=True)
class OrderDecision:
    order_id: str
    correlation_id: str
    caused_by: str


@fast_init
@dataclass(frozen=True, slots=True)
class ReserveLine(OrderDecision):
    """Ask the SKU owner for one line claim (the inventory model's ReservationRequested)."""

    sku: str
    line_claim_id: str
    quantity: int
    ordered_at: int
    preferred_locations: tuple[str, ...]
    max_locations: int


@fast_init
@dataclass(frozen=True, slots=True)
class ReleaseLine(OrderDecision):
    """Give back the claim's reservation and leave the backorder queue (ReservationReleased)."""

    sku: str
    line_claim_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class AllocateLine(OrderDecision):
    """The claim's reservation at `location` becomes a hard claim (AllocationRequested)."""

    sku: str
    line_claim_id: str
    location: str


@fast_init
@dataclass(frozen=True, slots=True)
class CancelAllocation(OrderDecision):
    """The warehouse accepted a cancellation: the claim's allocation there goes back (AllocationCancelled)."""

    sku: str
    line_claim_id: str
    location: str


class FulfilmentItem(NamedTuple):
    line_id: str
    line_claim_id: str  # what the warehouse echoes back on shipments
    sku: str
    quantity: int


@fast_init
@dataclass(frozen=True, slots=True)
class FulfilmentRequested(OrderDecision):
    """One location is asked to ship these units (Shopify's fulfilment order)."""

    fulfilment_id: str
    location: str
    lines: tuple[FulfilmentItem, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class FulfilmentCancelRequested(OrderDecision):
    """Ask the warehouse to cancel these still open units; it answers with FulfilmentCancelAnswered."""

    fulfilment_id: str
    location: str
    lines: tuple[FulfilmentItem, ...]


class ErpLine(NamedTuple):
    line_id: str
    sku: str
    quantity: int
    fulfilment_kind: FulfilmentKind


@fast_init
@dataclass(frozen=True, slots=True)
class ErpCommand(OrderDecision):
    command_id: str  # idempotency key for the ERP
    command: ErpCommandKind
    priority: ErpPriority
    lines: tuple[ErpLine, ...]
    customer: str = ""
    supplier: str | None = None  # CREATE_PURCHASE_ORDER only (None: the ERP's default vendor)
    expected_by: int | None = None  # CREATE_PURCHASE_ORDER: ordered_at + the supplier's lead time
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class OrderStatusChanged(OrderDecision):
    old_status: OrderStatus | None  # None: the order was just placed
    new_status: OrderStatus
    acceptance: Acceptance
    reason: str
    at: int


@fast_init
@dataclass(frozen=True, slots=True)
class OrderException(OrderDecision):
    """A business exception for an owned queue; `subject` names the line, fulfilment, shipment or fact."""

    exception_type: OrderExceptionType
    reason: str
    subject: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class DeadlineSet(OrderDecision):
    """(Re)schedule the order's timer of this kind; feed DeadlineReached when it passes."""

    kind: DeadlineKind
    due_at: int


@fast_init
@dataclass(frozen=True, slots=True)
class DeadlineCleared(OrderDecision):
    kind: DeadlineKind


@fast_init
@dataclass(frozen=True, slots=True)
class FactHeld(OrderDecision):
    """The fact arrived before the state it refers to; it is applied when that arrives, or expires."""

    reason: str
    expires_at: int


@fast_init
@dataclass(frozen=True, slots=True)
class FactIgnored(OrderDecision):
    """The fact changed nothing (a stale timer or carrier status, a cancellation of a closed order...)."""

    reason: str


@fast_init
@dataclass(frozen=True, slots=True)
class DuplicateIgnored(OrderDecision):
    """The event id was already applied, or the same business fact came again under a new id."""
