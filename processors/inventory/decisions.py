"""What a SKU's owner decides: immutable outputs for the shell to publish. `caused_by` is the fact's event id."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from processors.inventory.quantities import LocationQuantity
from processors.values import fast_init


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"  # everything asked for is held (reserved or allocated)
    PARTIAL = "PARTIAL"  # part is held, the rest is backordered
    BACKORDERED = "BACKORDERED"  # nothing is held, everything is backordered
    RELEASED = "RELEASED"  # the line gave back its reservation and left the backorder queue
    CLOSED = "CLOSED"  # the line holds nothing any more (shipped, short-picked, allocation cancelled)


@fast_init
@dataclass(frozen=True, slots=True)
class InventoryDecision:
    sku: str
    caused_by: str


@fast_init
@dataclass(frozen=True, slots=True)
class AvailabilityChanged(InventoryDecision):
    """A published available-to-promise figure changed; carries all of them (floored at 0)."""

    locations: tuple[LocationQuantity, ...]
    total: int
    version: int
    as_of: int


@fast_init
@dataclass(frozen=True, slots=True)
class ShortfallDetected(InventoryDecision):
    """Claims at a location just came to exceed its sellable stock (raised once per transition)."""

    location: str
    sellable: int  # on hand − unavailable
    claimed: int  # reserved + allocated

    @property
    def shortfall(self) -> int:
        return self.claimed - self.sellable


@fast_init
@dataclass(frozen=True, slots=True)
class DriftDetected(InventoryDecision):
    """An ERP snapshot, reconciled with the WMS movements after it, disagrees with our on hand."""

    location: str
    snapshot_on_hand: int
    snapshot_as_of: int
    reconciled_on_hand: int  # snapshot + movements after as_of: the new on hand
    previous_on_hand: int  # ours, just before the snapshot

    @property
    def difference(self) -> int:
        return self.reconciled_on_hand - self.previous_on_hand


@fast_init
@dataclass(frozen=True, slots=True)
class ReservationAnswered(InventoryDecision):
    order_id: str
    line_id: str
    status: ReservationStatus
    requested: int
    reserved: tuple[LocationQuantity, ...]
    allocated: tuple[LocationQuantity, ...]
    backordered: int
    released: tuple[LocationQuantity, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class BackorderFilled(InventoryDecision):
    """Stock came back and was reserved for a backordered line, first in first out."""

    order_id: str
    line_id: str
    filled: tuple[LocationQuantity, ...]
    still_backordered: int


@fast_init
@dataclass(frozen=True, slots=True)
class LineAllocated(InventoryDecision):
    order_id: str
    line_id: str
    allocated: tuple[LocationQuantity, ...]  # moved from reserved by this request (may be empty)
    still_reserved: tuple[LocationQuantity, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class AllocationReleased(InventoryDecision):
    """A cancelled allocation went back to available; the saga may re-source `quantity`."""

    order_id: str
    line_id: str
    location: str
    quantity: int


@fast_init
@dataclass(frozen=True, slots=True)
class ShortPickRecorded(InventoryDecision):
    order_id: str
    line_id: str
    location: str
    short_quantity: int


@fast_init
@dataclass(frozen=True, slots=True)
class ClaimMismatch(InventoryDecision):
    """Units left a location for a line that held fewer of them there (on hand still moved)."""

    order_id: str
    line_id: str
    location: str
    unmatched: int
    reason: str


@fast_init
@dataclass(frozen=True, slots=True)
class StaleFactIgnored(InventoryDecision):
    location: str
    reason: str


@fast_init
@dataclass(frozen=True, slots=True)
class DuplicateIgnored(InventoryDecision):
    """The event id was already applied: nothing changed."""
