"""Moving what a line holds: the line's claim and its locations' totals always change together."""
from __future__ import annotations

from processors.inventory.claims import LineClaim, backorder_for, line_key, with_claim, without_claim
from processors.inventory.policy import InventoryPolicy
from processors.inventory.position import with_claims
from processors.inventory.quantities import LocationQuantity, with_added
from processors.inventory.state import SkuInventory, stock_at, with_stock
from processors.values import evolve


def change_holding(
    state: SkuInventory, claim: LineClaim, location: str, reserved_delta: int, allocated_delta: int
) -> tuple[SkuInventory, LineClaim]:
    """Adjust the line's reserved/allocated at one location; the claim is returned, not yet stored (see settle)."""
    if reserved_delta == 0 and allocated_delta == 0:
        return state, claim
    state = with_stock(state, with_claims(stock_at(state, location), reserved_delta, allocated_delta))
    claim = evolve(
        claim,
        reserved=with_added(claim.reserved, location, reserved_delta),
        allocated=with_added(claim.allocated, location, allocated_delta),
    )
    return state, claim


def reserve(
    state: SkuInventory, claim: LineClaim, plan: tuple[LocationQuantity, ...]
) -> tuple[SkuInventory, LineClaim]:
    """The line takes `plan` as reserved; the claim is stored (even with nothing reserved) and returned."""
    for pair in plan:
        state, claim = change_holding(state, claim, pair.location, pair.quantity, 0)
    return evolve(state, claims=with_claim(state.claims, claim)), claim


def settle(state: SkuInventory, claim: LineClaim, at: int, policy: InventoryPolicy) -> SkuInventory:
    """Store the claim, or close it when it holds nothing and waits for nothing."""
    if claim.reserved or claim.allocated or backorder_for(state.backorders, claim.order_id, claim.line_id):
        return evolve(state, claims=with_claim(state.claims, claim))
    state = evolve(state, claims=without_claim(state.claims, claim.order_id, claim.line_id))
    return remember_closed(state, claim.order_id, claim.line_id, at, policy)


def remember_closed(state: SkuInventory, order_id: str, line_id: str, at: int, policy: InventoryPolicy) -> SkuInventory:
    key = line_key(order_id, line_id)
    if key in state.closed_lines:
        return state
    now = at if state.as_of is None else max(at, state.as_of)
    closed = state.closed_lines.remember(key, at, now, policy.dedupe_window_size, policy.dedupe_window_ms)
    return evolve(state, closed_lines=closed)
