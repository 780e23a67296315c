"""One SKU at one location: physical quantities, unavailable statuses, claims totals, incoming supply.

On hand is a base (the latest count or ERP snapshot, as of `base_as_of`) plus the physical movements that
occurred after it; a movement that occurred at or before the base is assumed included in it (DOMAIN §8.5).
The movements after the base are kept (bounded) so that a snapshot as of an earlier time can be re-based.
"""
from __future__ import annotations

from bisect import insort
from dataclasses import dataclass

from processors.inventory.facts import StockStatus
from processors.inventory.supply import IncomingLine
from processors.values import evolve, fast_init

_STATUS_FIELDS = {
    StockStatus.DAMAGED: "damaged",
    StockStatus.QUALITY_CONTROL: "quality_control",
    StockStatus.HOLD: "hold",
}


@fast_init
@dataclass(frozen=True, slots=True, order=True)
class Movement:
    occurred_at: int
    delta: int


@fast_init
@dataclass(frozen=True, slots=True)
class LocationStock:
    location: str
    on_hand: int = 0
    reserved: int = 0  # sum of the lines' reservations here
    allocated: int = 0  # sum of the lines' allocations here
    damaged: int = 0
    quality_control: int = 0
    hold: int = 0
    incoming: tuple[IncomingLine, ...] = ()
    base_as_of: int | None = None
    movements: tuple[Movement, ...] = ()  # physical movements after base_as_of, by event time
    forgotten_through: int | None = None  # latest event time of a movement dropped from `movements`

    @property
    def unavailable(self) -> int:
        return self.damaged + self.quality_control + self.hold

    @property
    def claimed(self) -> int:
        return self.reserved + self.allocated

    @property
    def sellable(self) -> int:
        """On hand − unavailable − reserved − allocated: available to promise before safety stock."""
        return self.on_hand - self.damaged - self.quality_control - self.hold - self.reserved - self.allocated


def is_after_base(stock: LocationStock, at: int) -> bool:
    return stock.base_as_of is None or at > stock.base_as_of


def move_physically(stock: LocationStock, delta: int, at: int, movements_kept: int) -> LocationStock:
    """On hand moves by `delta`, unless the movement occurred at or before the base (then it is included)."""
    if not is_after_base(stock, at):
        return stock
    movements, forgotten = _remember_movement(stock, Movement(at, delta), movements_kept)
    return evolve(stock, on_hand=stock.on_hand + delta, movements=movements, forgotten_through=forgotten)


def _remember_movement(
    stock: LocationStock, movement: Movement, kept: int
) -> tuple[tuple[Movement, ...], int | None]:
    if not stock.movements or movement.occurred_at >= stock.movements[-1].occurred_at:
        movements = (*stock.movements, movement)
    else:
        listed = list(stock.movements)
        insort(listed, movement)
        movements = tuple(listed)
    forgotten = stock.forgotten_through
    if len(movements) > kept:
        dropped, movements = movements[: len(movements) - kept], movements[len(movements) - kept :]
        latest_dropped = dropped[-1].occurred_at
        forgotten = latest_dropped if forgotten is None else max(forgotten, latest_dropped)
    return movements, forgotten


def move_status(stock: LocationStock, quantity: int, from_status: StockStatus, to_status: StockStatus) -> LocationStock:
    """Units change status; on hand does not. Never takes more than an unavailable status holds; taking more than
    is sellable from AVAILABLE is the WMS's physical truth (claims may then exceed stock: a shortfall)."""
    if from_status == to_status:
        return stock
    changes: dict[str, int] = {}
    moved = quantity
    if from_status in _STATUS_FIELDS:
        held = getattr(stock, _STATUS_FIELDS[from_status])
        moved = min(quantity, held)
        changes[_STATUS_FIELDS[from_status]] = held - moved
    if to_status in _STATUS_FIELDS:
        changes[_STATUS_FIELDS[to_status]] = getattr(stock, _STATUS_FIELDS[to_status]) + moved
    return evolve(stock, **changes)


def with_claims(stock: LocationStock, reserved_delta: int, allocated_delta: int) -> LocationStock:
    return evolve(stock, reserved=stock.reserved + reserved_delta, allocated=stock.allocated + allocated_delta)
