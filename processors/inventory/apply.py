"""The SKU owner's one entry point: apply facts to a SkuInventory, get the new value and the decisions.

Per fact: skip a duplicate event id (DuplicateIgnored, state unchanged), run the fact's handler, fill backorders
from whatever became available, stamp (version + 1, as_of, remember the event id), then raise ShortfallDetected
for locations that just went short. AvailabilityChanged is emitted when a published figure differs from before:
after each fact with apply_fact, once for the net change of the whole batch with apply_facts.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from processors.inventory import allocations, movements, outbound, reservations
from processors.inventory.availability import availability_changed, publication_changed, shortfalls_raised
from processors.inventory.backorders import fill_backorders
from processors.inventory.decisions import DuplicateIgnored, InventoryDecision
from processors.inventory.facts import (
    AllocationCancelled, AllocationRequested, CycleCounted, InventoryAdjusted, InventoryFact, OnHandSnapshot,
    ReceiptConfirmed, ReservationReleased, ReservationRequested, ReturnDispositioned, ReturnReceived, Shipped,
    ShortPicked, StatusMoved, SupplyExpected)
from processors.inventory.policy import InventoryPolicy
from processors.inventory.state import SkuInventory
from processors.values import evolve

Decisions = tuple[InventoryDecision, ...]
Handler = Callable[[SkuInventory, Any, InventoryPolicy], tuple[SkuInventory, Decisions]]

HANDLERS: dict[type[InventoryFact], Handler] = {
    ReceiptConfirmed: movements.receive,
    InventoryAdjusted: movements.adjust,
    CycleCounted: movements.count,
    OnHandSnapshot: movements.take_snapshot,
    StatusMoved: movements.move_between_statuses,
    SupplyExpected: movements.expect,
    ReturnReceived: movements.receive_return,
    ReturnDispositioned: movements.disposition_return,
    ReservationRequested: reservations.request_reservation,
    ReservationReleased: reservations.release_reservation,
    AllocationRequested: allocations.allocate,
    AllocationCancelled: allocations.cancel_allocation,
    Shipped: outbound.ship,
    ShortPicked: outbound.short_pick,
}


def apply_fact(state: SkuInventory, fact: InventoryFact, policy: InventoryPolicy) -> tuple[SkuInventory, Decisions]:
    changed, decisions = _apply_one(state, fact, policy)
    if changed is not state and publication_changed(state, changed, policy):
        decisions = (*decisions, availability_changed(changed, policy, fact.event_id))
    return changed, decisions


def apply_facts(
    state: SkuInventory, facts: Iterable[InventoryFact], policy: InventoryPolicy
) -> tuple[SkuInventory, Decisions]:
    """Apply a batch of one SKU's facts in order: every decision, but at most one AvailabilityChanged (net)."""
    current, decisions, last_event_id = state, [], None
    for fact in facts:
        current, emitted = _apply_one(current, fact, policy)
        decisions.extend(emitted)
        last_event_id = fact.event_id
    if last_event_id is not None and current is not state and publication_changed(state, current, policy):
        decisions.append(availability_changed(current, policy, last_event_id))
    return current, tuple(decisions)


def _apply_one(state: SkuInventory, fact: InventoryFact, policy: InventoryPolicy) -> tuple[SkuInventory, Decisions]:
    if fact.sku != state.sku:
        raise ValueError(f"fact {fact.event_id} is for SKU {fact.sku!r}, not {state.sku!r}")
    if fact.event_id in state.seen_events:
        return state, (DuplicateIgnored(state.sku, fact.event_id),)
    handler = HANDLERS.get(type(fact))
    if handler is None:
        raise TypeError(f"no inventory handler for {type(fact).__name__}")
    changed, decisions = handler(state, fact, policy)
    changed, filled = fill_backorders(changed, policy, fact.event_id)
    changed = _stamped(changed, fact, policy)
    return changed, (*decisions, *filled, *shortfalls_raised(state, changed, fact.event_id))


def _stamped(state: SkuInventory, fact: InventoryFact, policy: InventoryPolicy) -> SkuInventory:
    as_of = fact.occurred_at if state.as_of is None else max(state.as_of, fact.occurred_at)
    seen = state.seen_events.remember(
        fact.event_id, fact.occurred_at, as_of, policy.dedupe_window_size, policy.dedupe_window_ms)
    return evolve(state, version=state.version + 1, as_of=as_of, seen_events=seen)
