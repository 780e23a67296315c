"""Open claims of order lines on a SKU: what each line holds as reserved and as allocated, per location."""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from processors.inventory.quantities import LocationQuantity, total_of
from processors.values import fast_init


@fast_init
@dataclass(frozen=True, slots=True)
class LineClaim:
    order_id: str
    line_id: str
    requested: int
    max_locations: int
    reserved: tuple[LocationQuantity, ...] = ()
    allocated: tuple[LocationQuantity, ...] = ()
    shipped: int = 0
    short_picked: int = 0
    released: bool = False  # the customer side let go; only allocations (if any) are still held

    @property
    def held(self) -> int:
        return total_of(self.reserved) + total_of(self.allocated)

    @property
    def held_locations(self) -> frozenset[str]:
        return frozenset(pair.location for pair in (*self.reserved, *self.allocated))


@fast_init
@dataclass(frozen=True, slots=True)
class Backorder:
    """A line's shortfall waiting for stock, filled first in first out by (ordered_at, order_id, line_id)."""

    order_id: str
    line_id: str
    outstanding: int
    ordered_at: int
    preferred_locations: tuple[str, ...] = ()

    @property
    def fill_order(self) -> tuple[int, str, str]:
        return (self.ordered_at, self.order_id, self.line_id)


def line_key(order_id: str, line_id: str) -> str:
    """One string per order line (for the closed-lines memory)."""
    return f"{order_id}\x1f{line_id}"


def _claim_order(claim: LineClaim) -> tuple[str, str]:
    return (claim.order_id, claim.line_id)


def find_claim(claims: tuple[LineClaim, ...], order_id: str, line_id: str) -> LineClaim | None:
    index = bisect_left(claims, (order_id, line_id), key=_claim_order)
    if index < len(claims) and _claim_order(claims[index]) == (order_id, line_id):
        return claims[index]
    return None


def with_claim(claims: tuple[LineClaim, ...], claim: LineClaim) -> tuple[LineClaim, ...]:
    index = bisect_left(claims, _claim_order(claim), key=_claim_order)
    replaces = index < len(claims) and _claim_order(claims[index]) == _claim_order(claim)
    return (*claims[:index], claim, *claims[index + 1 if replaces else index :])


def without_claim(claims: tuple[LineClaim, ...], order_id: str, line_id: str) -> tuple[LineClaim, ...]:
    index = bisect_left(claims, (order_id, line_id), key=_claim_order)
    if index < len(claims) and _claim_order(claims[index]) == (order_id, line_id):
        return (*claims[:index], *claims[index + 1 :])
    return claims


def backorder_for(queue: tuple[Backorder, ...], order_id: str, line_id: str) -> Backorder | None:
    for entry in queue:
        if entry.order_id == order_id and entry.line_id == line_id:
            return entry
    return None


def queued(queue: tuple[Backorder, ...], entry: Backorder) -> tuple[Backorder, ...]:
    """The queue with `entry` in its fill place (ordered_at, then order_id, then line_id)."""
    index = bisect_left(queue, entry.fill_order, key=_fill_order)
    return (*queue[:index], entry, *queue[index:])


def without_backorder(queue: tuple[Backorder, ...], order_id: str, line_id: str) -> tuple[Backorder, ...]:
    return tuple(entry for entry in queue if entry.order_id != order_id or entry.line_id != line_id)


def _fill_order(entry: Backorder) -> tuple[int, str, str]:
    return entry.fill_order
