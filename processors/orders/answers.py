"""The SKU owners' answers about line claims, kept in the order's view of each claim.

First answers (RESERVED, PARTIAL, BACKORDERED) and ALLOCATED carry snapshots of the claim at the SKU owner;
FILLED and ALLOCATION_RELEASED carry what changed. Answers for one claim come from one SKU owner in the order it
made them, so applying them in arrival order keeps the view equal to the SKU owner's.
"""
from __future__ import annotations

from collections.abc import Callable

from processors.inventory.quantities import LocationQuantity, merged, quantity_at, with_added
from processors.values import evolve
from processors.orders.decisions import OrderException, OrderExceptionType
from processors.orders.facts import AnswerStatus, ReservationAnswer
from processors.orders.policy import OrderPolicy
from processors.orders.state import Order, StockClaim, claim_position, with_claim, with_line
from processors.orders.steps import Cause, Hold, Ignore, Outcome, illegal


def answer(order: Order, fact: ReservationAnswer, policy: OrderPolicy, cause: Cause) -> Outcome:
    position = claim_position(order, fact.line_claim_id)
    if position is None:
        return Hold(f"no claim {fact.line_claim_id} on this order yet")
    line_at, claim_at = position
    line = order.lines[line_at]
    claim = line.claims[claim_at]
    if fact.sku != claim.sku:
        return illegal(f"an answer about SKU {fact.sku} for claim {claim.claim_id}, which claims SKU {claim.sku}",
                       claim.claim_id)
    updated = _UPDATES[fact.status](claim, fact)
    if isinstance(updated, Ignore):
        return updated
    order = with_line(order, line_at, with_claim(line, claim_at, updated))
    if fact.status is not AnswerStatus.UNKNOWN_SKU:
        return order, ()
    reason = (f"line {line.line_id} names SKU {claim.sku}, which the inventory has never seen: the order is on hold "
              f"until the line is cancelled or its reservation is asked for again")
    return order, (OrderException(*cause.head, OrderExceptionType.UNKNOWN_SKU, reason, line.line_id),)


def _first_answer(claim: StockClaim, fact: ReservationAnswer) -> StockClaim | Ignore:
    if claim.answered and not claim.unknown_sku:
        return Ignore(f"claim {claim.claim_id} was answered before", duplicate=True)
    return evolve(claim, answered=True, unknown_sku=False, reserved=fact.reserved, allocated=fact.allocated,
                  backordered=fact.backordered)


def _released(claim: StockClaim, fact: ReservationAnswer) -> StockClaim:
    """The reservation is given back and the backorder dropped; allocations stay (only a warehouse lets go)."""
    return evolve(claim, answered=True, reserved=(), allocating=(), backordered=0)


def _closed(claim: StockClaim, fact: ReservationAnswer) -> StockClaim:
    return evolve(claim, answered=True, reserved=(), allocating=(), allocated=(), backordered=0)


def _filled(claim: StockClaim, fact: ReservationAnswer) -> StockClaim:
    return evolve(claim, reserved=merged(claim.reserved, fact.reserved), backordered=fact.backordered)


def _allocated(claim: StockClaim, fact: ReservationAnswer) -> StockClaim:
    """`allocated` moved now; `reserved` is what stays reserved. An allocation request moves everything reserved
    at its location, so what was being allocated and is no longer reserved there is answered."""
    allocating = tuple(
        LocationQuantity(location, left) for location, asked in claim.allocating
        if (left := min(asked - quantity_at(fact.allocated, location), quantity_at(fact.reserved, location))) > 0)
    return evolve(claim, reserved=fact.reserved, allocating=allocating,
                  allocated=merged(claim.allocated, fact.allocated))


def _allocation_released(claim: StockClaim, fact: ReservationAnswer) -> StockClaim:
    allocated = claim.allocated
    for location, quantity in fact.released:
        allocated = with_added(allocated, location, -min(quantity, quantity_at(allocated, location)))
    return evolve(claim, allocated=allocated)


def _unknown_sku(claim: StockClaim, fact: ReservationAnswer) -> StockClaim | Ignore:
    if claim.answered:
        return Ignore(f"claim {claim.claim_id} was answered before", duplicate=True)
    return evolve(claim, answered=True, unknown_sku=True)


_UPDATES: dict[AnswerStatus, Callable[[StockClaim, ReservationAnswer], StockClaim | Ignore]] = {
    AnswerStatus.RESERVED: _first_answer,
    AnswerStatus.PARTIAL: _first_answer,
    AnswerStatus.BACKORDERED: _first_answer,
    AnswerStatus.RELEASED: _released,
    AnswerStatus.CLOSED: _closed,
    AnswerStatus.FILLED: _filled,
    AnswerStatus.ALLOCATED: _allocated,
    AnswerStatus.ALLOCATION_RELEASED: _allocation_released,
    AnswerStatus.UNKNOWN_SKU: _unknown_sku,
}
