"""What the WMS, the ERP and the order saga tell a SKU's owner: immutable inputs in business words.

Every fact carries the source's event id (the idempotency key), its event time in epoch milliseconds and the SKU.
Constructors reject impossible quantities with ValueError, so the shell can dead-letter a bad record with a reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from processors.values import fast_init


class StockStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    DAMAGED = "DAMAGED"
    QUALITY_CONTROL = "QUALITY_CONTROL"
    HOLD = "HOLD"


class SupplyStatus(StrEnum):
    OPEN = "OPEN"
    CANCELLED = "CANCELLED"
    RECEIVED = "RECEIVED"


class Disposition(StrEnum):
    RESTOCK = "RESTOCK"
    SCRAP = "SCRAP"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@fast_init
@dataclass(frozen=True, slots=True)
class InventoryFact:
    event_id: str
    occurred_at: int
    sku: str


@fast_init
@dataclass(frozen=True, slots=True)
class ReceiptConfirmed(InventoryFact):
    """Units received at a location, optionally against a purchase-order line."""

    location: str
    quantity: int
    po_line_id: str | None = None

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"receipt quantity must be positive, got {self.quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class InventoryAdjusted(InventoryFact):
    """A signed correction of on hand (shrinkage, found stock, correction...)."""

    location: str
    delta: int
    reason: str


@fast_init
@dataclass(frozen=True, slots=True)
class CycleCounted(InventoryFact):
    """The WMS counted the location: on hand was `counted` at occurred_at (absolute)."""

    location: str
    counted: int

    def __post_init__(self) -> None:
        _require(self.counted >= 0, f"a count cannot be negative, got {self.counted}")


@fast_init
@dataclass(frozen=True, slots=True)
class StatusMoved(InventoryFact):
    """Units moved between available and an unavailable status; on hand is unchanged."""

    location: str
    quantity: int
    from_status: StockStatus
    to_status: StockStatus

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"status move quantity must be positive, got {self.quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class SupplyExpected(InventoryFact):
    """The ERP's current figure for one purchase-order line (absolute, so repeats change nothing)."""

    location: str
    po_line_id: str
    quantity: int
    status: SupplyStatus

    def __post_init__(self) -> None:
        _require(self.quantity >= 0, f"expected supply cannot be negative, got {self.quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class OnHandSnapshot(InventoryFact):
    """The ERP's authoritative on hand at a location as of `as_of` (a new base, see docs/inventory-model.md)."""

    location: str
    on_hand: int
    as_of: int


@fast_init
@dataclass(frozen=True, slots=True)
class ReservationRequested(InventoryFact):
    """The order saga asks for one order line; a repeat of the same (order_id, line_id) changes nothing."""

    order_id: str
    line_id: str
    quantity: int
    ordered_at: int
    preferred_locations: tuple[str, ...] = ()
    max_locations: int = 1

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"reservation quantity must be positive, got {self.quantity}")
        _require(self.max_locations >= 1, f"max_locations must be at least 1, got {self.max_locations}")


@fast_init
@dataclass(frozen=True, slots=True)
class ReservationReleased(InventoryFact):
    """The line gives back what it holds as reserved and leaves the backorder queue (allocations stay)."""

    order_id: str
    line_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class AllocationRequested(InventoryFact):
    """The line's reservation at `location` (all its locations when None) becomes a hard claim."""

    order_id: str
    line_id: str
    location: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class AllocationCancelled(InventoryFact):
    """The warehouse cancelled or rejected the fulfilment: the line's allocation there returns to available."""

    order_id: str
    line_id: str
    location: str


@fast_init
@dataclass(frozen=True, slots=True)
class ShortPicked(InventoryFact):
    """The picker found `short_quantity` fewer units than allocated: they are not on hand."""

    order_id: str
    line_id: str
    location: str
    short_quantity: int

    def __post_init__(self) -> None:
        _require(self.short_quantity > 0, f"short quantity must be positive, got {self.short_quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class Shipped(InventoryFact):
    order_id: str
    line_id: str
    location: str
    quantity: int

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"shipped quantity must be positive, got {self.quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class ReturnReceived(InventoryFact):
    """Returned units arrive into quality control: on hand but not sellable."""

    location: str
    quantity: int

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"returned quantity must be positive, got {self.quantity}")


@fast_init
@dataclass(frozen=True, slots=True)
class ReturnDispositioned(InventoryFact):
    """Inspected returns leave quality control: restocked (sellable) or scrapped (gone)."""

    location: str
    quantity: int
    disposition: Disposition

    def __post_init__(self) -> None:
        _require(self.quantity > 0, f"dispositioned quantity must be positive, got {self.quantity}")
