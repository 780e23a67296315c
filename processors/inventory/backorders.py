"""Filling the backorder queue, first in first out, whenever stock is available to promise again."""
from __future__ import annotations

from processors.inventory.availability import available_to_promise
from processors.inventory.claims import Backorder, find_claim
from processors.inventory.decisions import BackorderFilled
from processors.inventory.holdings import reserve
from processors.inventory.policy import InventoryPolicy
from processors.inventory.quantities import total_of
from processors.inventory.sourcing import plan_sources
from processors.inventory.state import SkuInventory
from processors.values import evolve


def _any_available(state: SkuInventory, policy: InventoryPolicy) -> bool:
    return any(available_to_promise(stock, policy) > 0 for stock in state.locations)


def fill_backorders(
    state: SkuInventory, policy: InventoryPolicy, caused_by: str
) -> tuple[SkuInventory, tuple[BackorderFilled, ...]]:
    """Reserve available stock for queued lines in fill order; a line that cannot use a location (its
    max_locations is reached) is passed over for that location, and the next line may take it."""
    if not state.backorders or not _any_available(state, policy):
        return state, ()
    queue = state.backorders
    waiting: list[Backorder] = []
    filled: list[BackorderFilled] = []
    for position, entry in enumerate(queue):
        if not _any_available(state, policy):
            waiting.extend(queue[position:])
            break
        state, entry, decision = _fill_one(state, entry, policy, caused_by)
        if decision is not None:
            filled.append(decision)
        if entry.outstanding:
            waiting.append(entry)
    return evolve(state, backorders=tuple(waiting)), tuple(filled)


def _fill_one(
    state: SkuInventory, entry: Backorder, policy: InventoryPolicy, caused_by: str
) -> tuple[SkuInventory, Backorder, BackorderFilled | None]:
    claim = find_claim(state.claims, entry.order_id, entry.line_id)
    if claim is None:  # cannot happen: a queued line always has a claim
        return state, evolve(entry, outstanding=0), None
    plan = plan_sources(
        state.locations, entry.outstanding, entry.preferred_locations, claim.max_locations,
        claim.held_locations, policy)
    if not plan:
        return state, entry, None
    entry = evolve(entry, outstanding=entry.outstanding - total_of(plan))
    decision = BackorderFilled(state.sku, caused_by, entry.order_id, entry.line_id, plan, entry.outstanding)
    state, _ = reserve(state, claim, plan)
    return state, entry, decision
