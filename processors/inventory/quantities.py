"""Quantities held per location: small sorted tuples of (location, quantity), never holding a zero."""
from __future__ import annotations

from typing import NamedTuple


class LocationQuantity(NamedTuple):
    location: str
    quantity: int


def quantity_at(pairs: tuple[LocationQuantity, ...], location: str) -> int:
    for pair in pairs:
        if pair.location == location:
            return pair.quantity
    return 0


def total_of(pairs: tuple[LocationQuantity, ...]) -> int:
    return sum(pair.quantity for pair in pairs)


def with_added(pairs: tuple[LocationQuantity, ...], location: str, delta: int) -> tuple[LocationQuantity, ...]:
    """The pairs with `delta` added at `location`; a location whose quantity reaches 0 disappears."""
    if delta == 0:  # sorted and zero-free already (this module's invariant): nothing to do
        return pairs
    if not pairs:
        return (LocationQuantity(location, delta),)
    kept = tuple(pair for pair in pairs if pair.location != location)
    quantity = quantity_at(pairs, location) + delta
    if quantity == 0:
        return kept
    return tuple(sorted((*kept, LocationQuantity(location, quantity))))


def merged(left: tuple[LocationQuantity, ...], right: tuple[LocationQuantity, ...]) -> tuple[LocationQuantity, ...]:
    result = left
    for pair in right:
        result = with_added(result, pair.location, pair.quantity)
    return result
