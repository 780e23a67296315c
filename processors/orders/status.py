"""The order's two axes: financial acceptance (the ERP's, a small state machine) and the order status (derived
from the lines, never set by hand), each with its table of allowed transitions."""
from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from processors.orders.state import Order


class Acceptance(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    CREDIT_HOLD = "CREDIT_HOLD"
    REJECTED = "REJECTED"


class OrderStatus(StrEnum):
    RECEIVED = "RECEIVED"  # placed; some stocked line not answered yet
    RESERVED = "RESERVED"  # every unit held (reserved, or on a supplier line); waiting for the ERP
    PARTIALLY_BACKORDERED = "PARTIALLY_BACKORDERED"  # some units held, some backordered
    BACKORDERED = "BACKORDERED"  # nothing held, everything backordered
    ON_HOLD = "ON_HOLD"  # credit hold, or a line names an unknown SKU
    ACCEPTED = "ACCEPTED"  # the ERP accepted; not everything allocated (or on a purchase order) yet
    ALLOCATED = "ALLOCATED"  # every open unit allocated to a warehouse or on a purchase order
    CANCEL_REQUESTED = "CANCEL_REQUESTED"  # a warehouse is asked to cancel units and has not answered
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"  # every open unit shipped
    DELIVERED = "DELIVERED"  # every open unit delivered (returns do not change it)
    CANCELLED = "CANCELLED"  # every unit cancelled
    REJECTED = "REJECTED"  # the ERP rejected the order


S = OrderStatus
TERMINAL: frozenset[OrderStatus] = frozenset({S.DELIVERED, S.CANCELLED, S.REJECTED})

ACCEPTANCE_TRANSITIONS: dict[Acceptance, frozenset[Acceptance]] = {
    Acceptance.PENDING: frozenset({Acceptance.ACCEPTED, Acceptance.CREDIT_HOLD, Acceptance.REJECTED}),
    Acceptance.CREDIT_HOLD: frozenset({Acceptance.ACCEPTED, Acceptance.REJECTED}),
    Acceptance.ACCEPTED: frozenset(),
    Acceptance.REJECTED: frozenset(),
}

_BEFORE_ACCEPTANCE = frozenset({S.ON_HOLD, S.ACCEPTED, S.CANCELLED, S.REJECTED})
STATUS_TRANSITIONS: dict[OrderStatus | None, frozenset[OrderStatus]] = {
    None: frozenset({S.RECEIVED, S.RESERVED}),
    S.RECEIVED: _BEFORE_ACCEPTANCE | {S.RESERVED, S.PARTIALLY_BACKORDERED, S.BACKORDERED},
    S.RESERVED: _BEFORE_ACCEPTANCE | {S.ALLOCATED},
    S.PARTIALLY_BACKORDERED: _BEFORE_ACCEPTANCE | {S.RESERVED, S.BACKORDERED},
    S.BACKORDERED: _BEFORE_ACCEPTANCE | {S.RESERVED, S.PARTIALLY_BACKORDERED},
    S.ON_HOLD: frozenset({S.RECEIVED, S.RESERVED, S.PARTIALLY_BACKORDERED, S.BACKORDERED, S.ACCEPTED, S.ALLOCATED,
                          S.CANCEL_REQUESTED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED, S.REJECTED}),
    S.ACCEPTED: frozenset({S.ALLOCATED, S.ON_HOLD, S.CANCEL_REQUESTED, S.PARTIALLY_SHIPPED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.ACCEPTED, S.CANCEL_REQUESTED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.CANCEL_REQUESTED: frozenset({S.CANCELLED, S.ON_HOLD, S.ACCEPTED, S.ALLOCATED, S.PARTIALLY_SHIPPED,
                                   S.SHIPPED, S.DELIVERED}),
    S.PARTIALLY_SHIPPED: frozenset({S.CANCEL_REQUESTED, S.SHIPPED, S.DELIVERED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
}


def derive_status(order: Order) -> OrderStatus | None:
    """The status as a function of the lines and the acceptance (None before OrderPlaced); first rule that holds:
    CANCELLED, REJECTED, DELIVERED, CANCEL_REQUESTED, SHIPPED / PARTIALLY_SHIPPED, ON_HOLD, ALLOCATED / ACCEPTED,
    RECEIVED, RESERVED / PARTIALLY_BACKORDERED / BACKORDERED (docs/order-model.md §2)."""
    if order.placed_at is None:
        return None
    lines = [line for line in order.lines if line.open]
    if not lines:
        return S.CANCELLED
    if order.acceptance is Acceptance.REJECTED:
        return S.REJECTED
    if all(line.delivered >= line.open for line in lines):
        return S.DELIVERED
    if any(item.cancel_pending for fulfilment in order.fulfilments for item in fulfilment.lines):
        return S.CANCEL_REQUESTED
    if any(line.shipped for line in lines):
        return S.SHIPPED if all(line.shipped >= line.open for line in lines) else S.PARTIALLY_SHIPPED
    if order.acceptance is Acceptance.CREDIT_HOLD or any(line.on_hold for line in lines):
        return S.ON_HOLD
    if order.acceptance is Acceptance.ACCEPTED:
        return S.ALLOCATED if all(line.fully_allocated for line in lines) else S.ACCEPTED
    if any(line.awaiting_answer for line in lines):
        return S.RECEIVED
    backordered = sum(line.backordered for line in lines)
    if not backordered:
        return S.RESERVED
    return S.PARTIALLY_BACKORDERED if any(line.holds_units for line in lines) else S.BACKORDERED
