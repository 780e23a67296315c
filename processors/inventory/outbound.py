"""Units leaving for an order line (shipped) or found missing at pick (short): on hand and the claim both drop.

The claim is consumed at the location from allocated first, then from reserved (a shipment seen before its
allocation is reconciled against the reservation, never applied twice). Units beyond what the line held there
still leave on hand, and a ClaimMismatch tells operations.
"""
from __future__ import annotations

from processors.inventory.claims import LineClaim, find_claim
from processors.inventory.decisions import ClaimMismatch, InventoryDecision, ShortPickRecorded
from processors.inventory.facts import Shipped, ShortPicked
from processors.inventory.holdings import change_holding, settle
from processors.inventory.policy import InventoryPolicy
from processors.inventory.position import move_physically
from processors.inventory.quantities import quantity_at
from processors.inventory.state import SkuInventory, stock_at, with_stock
from processors.values import evolve

Outcome = tuple[SkuInventory, tuple[InventoryDecision, ...]]


def ship(state: SkuInventory, fact: Shipped, policy: InventoryPolicy) -> Outcome:
    state = _leave_on_hand(state, fact.location, fact.quantity, fact.occurred_at, policy)
    state, claim, matched = _consume(state, fact.order_id, fact.line_id, fact.location, fact.quantity)
    if claim is not None:
        state = settle(state, evolve(claim, shipped=claim.shipped + matched), fact.occurred_at, policy)
    return state, _mismatch(state, fact, fact.order_id, fact.line_id, fact.location, fact.quantity - matched)


def short_pick(state: SkuInventory, fact: ShortPicked, policy: InventoryPolicy) -> Outcome:
    state = _leave_on_hand(state, fact.location, fact.short_quantity, fact.occurred_at, policy)
    state, claim, matched = _consume(state, fact.order_id, fact.line_id, fact.location, fact.short_quantity)
    if claim is not None:
        state = settle(state, evolve(claim, short_picked=claim.short_picked + matched), fact.occurred_at, policy)
    recorded = ShortPickRecorded(
        state.sku, fact.event_id, fact.order_id, fact.line_id, fact.location, fact.short_quantity)
    unmatched = fact.short_quantity - matched
    return state, (recorded, *_mismatch(state, fact, fact.order_id, fact.line_id, fact.location, unmatched))


def _leave_on_hand(state: SkuInventory, location: str, quantity: int, at: int, policy: InventoryPolicy) -> SkuInventory:
    stock = move_physically(stock_at(state, location), -quantity, at, policy.max_recent_movements)
    return with_stock(state, stock)


def _consume(
    state: SkuInventory, order_id: str, line_id: str, location: str, quantity: int
) -> tuple[SkuInventory, LineClaim | None, int]:
    claim = find_claim(state.claims, order_id, line_id)
    if claim is None:
        return state, None, 0
    from_allocated = min(quantity, quantity_at(claim.allocated, location))
    from_reserved = min(quantity - from_allocated, quantity_at(claim.reserved, location))
    state, claim = change_holding(state, claim, location, -from_reserved, -from_allocated)
    return state, claim, from_allocated + from_reserved


def _mismatch(
    state: SkuInventory, fact: Shipped | ShortPicked, order_id: str, line_id: str, location: str, unmatched: int
) -> tuple[ClaimMismatch, ...]:
    if unmatched <= 0:
        return ()
    reason = f"{type(fact).__name__} of {unmatched} more unit(s) than the line held at {location}"
    return (ClaimMismatch(state.sku, fact.event_id, order_id, line_id, location, unmatched, reason),)
