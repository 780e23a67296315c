"""Order lines asking for stock and letting it go: reserve what is available, backorder the rest."""
from __future__ import annotations

from processors.inventory.claims import (
    Backorder, LineClaim, backorder_for, find_claim, line_key, queued, without_backorder)
from processors.inventory.decisions import ReservationAnswered, ReservationStatus
from processors.inventory.facts import ReservationReleased, ReservationRequested
from processors.inventory.holdings import change_holding, remember_closed, reserve, settle
from processors.inventory.policy import InventoryPolicy
from processors.inventory.quantities import LocationQuantity, total_of
from processors.inventory.sourcing import plan_sources
from processors.inventory.state import SkuInventory
from processors.values import evolve

Outcome = tuple[SkuInventory, tuple[ReservationAnswered, ...]]


def request_reservation(state: SkuInventory, fact: ReservationRequested, policy: InventoryPolicy) -> Outcome:
    """Reserve from the ranked locations up to max_locations; queue any shortfall as a backorder.
    A line already known is answered with what it holds now, and nothing changes."""
    claim = find_claim(state.claims, fact.order_id, fact.line_id)
    if claim is not None:
        return state, (standing_answer(state, claim, fact.event_id),)
    if line_key(fact.order_id, fact.line_id) in state.closed_lines:
        closed = LineClaim(fact.order_id, fact.line_id, fact.quantity, fact.max_locations)
        return state, (_answer(state, closed, ReservationStatus.CLOSED, 0, fact.event_id),)
    claim = LineClaim(fact.order_id, fact.line_id, fact.quantity, fact.max_locations)
    plan = plan_sources(
        state.locations, fact.quantity, fact.preferred_locations, fact.max_locations, frozenset(), policy)
    state, claim = reserve(state, claim, plan)
    shortfall = fact.quantity - total_of(plan)
    if shortfall:
        entry = Backorder(fact.order_id, fact.line_id, shortfall, fact.ordered_at, fact.preferred_locations)
        state = evolve(state, backorders=queued(state.backorders, entry))
    return state, (standing_answer(state, claim, fact.event_id),)


def release_reservation(state: SkuInventory, fact: ReservationReleased, policy: InventoryPolicy) -> Outcome:
    """Give back exactly what the line holds as reserved and drop its backorder; allocations stay (only the
    warehouse can cancel those). An unknown line is remembered as closed, so a late request never reserves."""
    claim = find_claim(state.claims, fact.order_id, fact.line_id)
    if claim is None:
        state = remember_closed(state, fact.order_id, fact.line_id, fact.occurred_at, policy)
        nothing = LineClaim(fact.order_id, fact.line_id, 0, 1)
        return state, (_answer(state, nothing, ReservationStatus.RELEASED, 0, fact.event_id),)
    released = claim.reserved
    for pair in released:
        state, claim = change_holding(state, claim, pair.location, -pair.quantity, 0)
    state = evolve(state, backorders=without_backorder(state.backorders, fact.order_id, fact.line_id))
    claim = evolve(claim, released=True)
    state = settle(state, claim, fact.occurred_at, policy)
    return state, (_answer(state, claim, ReservationStatus.RELEASED, 0, fact.event_id, released),)


def standing_answer(state: SkuInventory, claim: LineClaim, caused_by: str) -> ReservationAnswered:
    entry = backorder_for(state.backorders, claim.order_id, claim.line_id)
    backordered = entry.outstanding if entry is not None else 0
    return _answer(state, claim, _status(claim, backordered), backordered, caused_by)


def _status(claim: LineClaim, backordered: int) -> ReservationStatus:
    if claim.released:
        return ReservationStatus.RELEASED
    if backordered == 0:
        return ReservationStatus.RESERVED
    return ReservationStatus.PARTIAL if claim.held else ReservationStatus.BACKORDERED


def _answer(
    state: SkuInventory, claim: LineClaim, status: ReservationStatus, backordered: int, caused_by: str,
    released: tuple[LocationQuantity, ...] = (),
) -> ReservationAnswered:
    return ReservationAnswered(
        state.sku, caused_by, claim.order_id, claim.line_id, status, claim.requested,
        claim.reserved, claim.allocated, backordered, released)
