"""Carrier tracking per shipment: milestones applied monotonically (by rank, then event time), problems as flags.

LABEL_CREATED < IN_TRANSIT < OUT_FOR_DELIVERY = AVAILABLE_FOR_PICKUP < DELIVERED. Carrier events arrive late and
out of order (DOMAIN §5.1): an update of lower rank, or of the same rank and no later time, changes nothing.
EXCEPTION, ATTEMPT_FAILED and RETURN_TO_SENDER are flags kept with their latest time; the first of each kind on a
shipment raises a delivery_exception.
"""
from __future__ import annotations

from processors.values import evolve
from processors.orders.decisions import OrderException, OrderExceptionType
from processors.orders.facts import CarrierStatus, TrackingMilestone
from processors.orders.policy import OrderPolicy
from processors.orders.state import Order, Shipment, TrackingFlag, line_index, shipment_of, with_line
from processors.orders.steps import Cause, Hold, Ignore, Outcome

C = CarrierStatus
MILESTONE_RANK: dict[CarrierStatus, int] = {
    C.LABEL_CREATED: 1, C.IN_TRANSIT: 2, C.OUT_FOR_DELIVERY: 3, C.AVAILABLE_FOR_PICKUP: 3, C.DELIVERED: 4}
FLAGS = frozenset({C.EXCEPTION, C.ATTEMPT_FAILED, C.RETURN_TO_SENDER})


def track(order: Order, fact: TrackingMilestone, policy: OrderPolicy, cause: Cause) -> Outcome:
    index = shipment_of(order, fact.shipment_id)
    if index is None:
        return Hold(f"tracking for shipment {fact.shipment_id}, which is not confirmed yet")
    shipment = order.shipments[index]
    if fact.status in FLAGS:
        return _flag(order, index, shipment, fact, cause)
    rank, at = MILESTONE_RANK[fact.status], fact.occurred_at
    if shipment.milestone is not None and shipment.milestone_at is not None and (rank, at) <= (
            MILESTONE_RANK[shipment.milestone], shipment.milestone_at):
        return Ignore(f"{fact.status} is not later than {shipment.milestone} for shipment {shipment.shipment_id}")
    order = _with_shipment(order, index, evolve(shipment, milestone=fact.status, milestone_at=at))
    if fact.status is C.DELIVERED and shipment.milestone is not C.DELIVERED:
        order = _delivered(order, shipment)
    return order, ()


def active_flags(shipment: Shipment) -> tuple[CarrierStatus, ...]:
    """Flags raised after the current milestone (a later milestone means the carrier moved on)."""
    since = shipment.milestone_at
    return tuple(flag.flag for flag in shipment.flags if since is None or flag.at > since)


def _flag(order: Order, index: int, shipment: Shipment, fact: TrackingMilestone, cause: Cause) -> Outcome:
    known = next((flag for flag in shipment.flags if flag.flag is fact.status), None)
    if known is not None and known.at >= fact.occurred_at:
        return Ignore(f"{fact.status} for shipment {shipment.shipment_id} is already recorded")
    flags = tuple(sorted((*(f for f in shipment.flags if f.flag is not fact.status),
                          TrackingFlag(fact.status, fact.occurred_at)), key=lambda flag: flag.flag))
    order = _with_shipment(order, index, evolve(shipment, flags=flags))
    if known is not None:
        return order, ()
    detail = f" ({fact.detail})" if fact.detail else ""
    reason = f"the carrier reports {fact.status}{detail} for shipment {shipment.shipment_id}"
    return order, (OrderException(*cause.head, OrderExceptionType.DELIVERY_EXCEPTION, reason, shipment.shipment_id),)


def _with_shipment(order: Order, index: int, shipment: Shipment) -> Order:
    return evolve(order, shipments=(*order.shipments[:index], shipment, *order.shipments[index + 1:]))


def _delivered(order: Order, shipment: Shipment) -> Order:
    for shipped in shipment.lines:
        at = line_index(order, shipped.line_id)
        if at is not None:
            line = order.lines[at]
            order = with_line(order, at, evolve(line, delivered=line.delivered + shipped.quantity))
    return order
