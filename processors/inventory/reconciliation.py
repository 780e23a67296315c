"""Absolute on-hand figures (WMS cycle counts, ERP snapshots) become a new base, reconciled with later movements.

Rule (DOMAIN §8.5, Fluent's LAST_ON_HAND): a figure as of T is the truth at T. Movements that occurred after T
are re-applied on top of it; movements at or before T are assumed included. A figure older than the current base,
or older than a movement already forgotten from the bounded window, cannot be reconciled and is ignored.
"""
from __future__ import annotations

from processors.inventory.position import LocationStock
from processors.values import evolve


def why_not_rebase(stock: LocationStock, as_of: int) -> str | None:
    if stock.base_as_of is not None and as_of < stock.base_as_of:
        return f"on hand as of {as_of} is older than the current base as of {stock.base_as_of}"
    if stock.forgotten_through is not None and as_of < stock.forgotten_through:
        return f"on hand as of {as_of} predates movements forgotten through {stock.forgotten_through}"
    return None


def rebased(stock: LocationStock, on_hand: int, as_of: int) -> LocationStock:
    """The stock with `on_hand` as of `as_of` as its new base; call only when why_not_rebase is None."""
    later = tuple(movement for movement in stock.movements if movement.occurred_at > as_of)
    reconciled = on_hand + sum(movement.delta for movement in later)
    return evolve(stock, on_hand=reconciled, base_as_of=as_of, movements=later, forgotten_through=None)


def is_drift(previous_on_hand: int, reconciled_on_hand: int, tolerance: int) -> bool:
    return abs(reconciled_on_hand - previous_on_hand) > tolerance


def is_opening_balance(stock: LocationStock) -> bool:
    """The location's first figure ever (nothing known there before): a starting point, not a disagreement."""
    return (stock.base_as_of is None and not stock.movements and stock.forgotten_through is None
            and stock.on_hand == 0)
