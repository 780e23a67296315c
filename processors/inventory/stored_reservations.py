"""A new order line's reservation applied to a SKU's stored record, when the stock is there for all of it.

The model's rule (reservations.request_reservation with sourcing.plan_sources): preferred locations in the caller's
order, then the most available first, at most max_locations; the line's claim holds what it took per location and
each location's reserved total grows by as much. Declined (None) whatever else the model must decide: a SKU with no
location (the stage answers "unknown SKU"), a line already known (it is answered with what it holds) or closed, a
shortfall (the rest would be backordered), a location going short.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Any

from processors.inventory.claims import line_key
from processors.inventory.decisions import ReservationAnswered, ReservationStatus
from processors.inventory.facts import ReservationRequested
from processors.inventory.policy import InventoryPolicy
from processors.inventory.quantities import LocationQuantity
from processors.inventory.stored_rules import goes_short, holds_key, published, sellable

Record = dict[str, Any]
_STOCK_FIELDS = ("location", "on_hand", "reserved", "allocated", "damaged", "quality_control", "hold", "incoming",
                 "base_as_of", "movements", "forgotten_through")  # records._stock_record's order


def reserved_on_record(record: Record, fact: ReservationRequested, policy: InventoryPolicy,
                       published_before: dict[str, int]) -> tuple[dict[str, Any], ReservationAnswered] | None:
    """The record's changed fields (locations, claims) and the line's answer; None: a case for the model."""
    locations: list[Record] = record.get("locations") or []
    claims: list[Record] = record.get("claims") or []
    index = bisect_left(claims, (fact.order_id, fact.line_id), key=_claim_order)
    if not locations or (index < len(claims) and _claim_order(claims[index]) == (fact.order_id, fact.line_id)):
        return None
    if holds_key(record.get("closed_lines") or {}, line_key(fact.order_id, fact.line_id)):
        return None
    plan = _planned(locations, fact, policy)
    if plan is None:
        return None
    updated = list(locations)
    for position, quantity in plan:
        stock = locations[position]
        reserved = _with_reserved(stock, quantity)
        if goes_short(stock, reserved):
            return None
        published_before.setdefault(stock["location"], published(stock, policy))
        updated[position] = reserved
    taken = [[locations[position]["location"], quantity] for position, quantity in plan]
    claim = {"order_id": fact.order_id, "line_id": fact.line_id, "requested": fact.quantity,
             "max_locations": fact.max_locations, "reserved": taken}
    answer = ReservationAnswered(record["sku"], fact.event_id, fact.order_id, fact.line_id,
                                 ReservationStatus.RESERVED, fact.quantity,
                                 tuple(LocationQuantity(location, quantity) for location, quantity in taken), (), 0)
    return {"locations": updated, "claims": [*claims[:index], claim, *claims[index:]]}, answer


def _planned(locations: list[Record], fact: ReservationRequested, policy: InventoryPolicy
             ) -> list[tuple[int, int]] | None:
    """(position in `locations`, units) in location order, all of the quantity; None: a shortfall."""
    rank = {location: index for index, location in enumerate(fact.preferred_locations)}
    safety_stock_at = policy.safety_stock_at
    candidates = [(rank.get(stock["location"], len(rank)), -(sellable(stock) - safety_stock_at(stock["location"])),
                   stock["location"], position) for position, stock in enumerate(locations)]
    ranked = sorted(candidate for candidate in candidates if candidate[1] < 0)  # positive availability only
    remaining, plan = fact.quantity, []
    for _, negated, _, position in ranked[:fact.max_locations]:
        available = -negated
        taken = min(remaining, available)
        plan.append((position, taken))
        remaining -= taken
        if remaining == 0:
            return sorted(plan)
    return None


def _with_reserved(stock: Record, quantity: int) -> Record:
    """The location's record with `quantity` more reserved, in to_record's key order (reserved may be new)."""
    reserved = stock.get("reserved", 0) + quantity
    return {name: reserved if name == "reserved" else stock[name] for name in _STOCK_FIELDS
            if name in stock or (name == "reserved" and reserved)}


def _claim_order(claim: Record) -> tuple[str, str]:
    return (claim["order_id"], claim["line_id"])
