"""Reservations becoming hard claims (a fulfilment request is out) and warehouses cancelling them."""
from __future__ import annotations

from processors.inventory.claims import find_claim, with_claim
from processors.inventory.decisions import AllocationReleased, LineAllocated
from processors.inventory.facts import AllocationCancelled, AllocationRequested
from processors.inventory.holdings import change_holding, settle
from processors.inventory.policy import InventoryPolicy
from processors.inventory.quantities import quantity_at
from processors.inventory.state import SkuInventory
from processors.values import evolve


def allocate(
    state: SkuInventory, fact: AllocationRequested, policy: InventoryPolicy
) -> tuple[SkuInventory, tuple[LineAllocated, ...]]:
    """Move the line's reservation at the location (every location when none is named) to allocated."""
    claim = find_claim(state.claims, fact.order_id, fact.line_id)
    if claim is None:
        return state, (LineAllocated(state.sku, fact.event_id, fact.order_id, fact.line_id, (), ()),)
    moving = tuple(pair for pair in claim.reserved if fact.location in (None, pair.location))
    for pair in moving:
        state, claim = change_holding(state, claim, pair.location, -pair.quantity, pair.quantity)
    state = evolve(state, claims=with_claim(state.claims, claim))
    decision = LineAllocated(state.sku, fact.event_id, fact.order_id, fact.line_id, moving, claim.reserved)
    return state, (decision,)


def cancel_allocation(
    state: SkuInventory, fact: AllocationCancelled, policy: InventoryPolicy
) -> tuple[SkuInventory, tuple[AllocationReleased, ...]]:
    """The line's whole allocation at the location goes back to available (backorders fill from it next)."""
    claim = find_claim(state.claims, fact.order_id, fact.line_id)
    quantity = quantity_at(claim.allocated, fact.location) if claim is not None else 0
    if claim is not None and quantity:
        state, claim = change_holding(state, claim, fact.location, 0, -quantity)
        state = settle(state, claim, fact.occurred_at, policy)
    decision = AllocationReleased(state.sku, fact.event_id, fact.order_id, fact.line_id, fact.location, quantity)
    return state, (decision,)
