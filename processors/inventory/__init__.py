"""The pure inventory model of one SKU: facts in, a new SkuInventory and decisions out (standard library only).

Start at apply.py; docs/inventory-model.md explains the quantities, the reconciliation rule and the guarantees.
"""
from processors.inventory.apply import apply_fact, apply_facts
from processors.inventory.availability import available_to_promise, published_availability
from processors.inventory.claims import Backorder, LineClaim
from processors.inventory.decisions import (
    AllocationReleased, AvailabilityChanged, BackorderFilled, ClaimMismatch, DriftDetected, DuplicateIgnored,
    InventoryDecision, LineAllocated, ReservationAnswered, ReservationStatus, ShortfallDetected, ShortPickRecorded,
    StaleFactIgnored)
from processors.inventory.facts import (
    AllocationCancelled, AllocationRequested, CycleCounted, Disposition, InventoryAdjusted, InventoryFact,
    OnHandSnapshot, ReceiptConfirmed, ReservationReleased, ReservationRequested, ReturnDispositioned,
    ReturnReceived, Shipped, ShortPicked, StatusMoved, StockStatus, SupplyExpected, SupplyStatus)
from processors.inventory.policy import InventoryPolicy
from processors.inventory.position import LocationStock
from processors.inventory.quantities import LocationQuantity
from processors.inventory.records import SkuRecord, from_record, to_record
from processors.inventory.state import SkuInventory, empty_inventory, is_known, stock_at
from processors.inventory.stored_record import StoredChange, apply_on_stored_record
from processors.inventory.stored_rules import availability_of_record, is_stocked_record

__all__ = [
    "AllocationCancelled", "AllocationReleased", "AllocationRequested", "AvailabilityChanged", "Backorder",
    "BackorderFilled", "ClaimMismatch", "CycleCounted", "Disposition", "DriftDetected", "DuplicateIgnored",
    "InventoryAdjusted", "InventoryDecision", "InventoryFact", "InventoryPolicy", "LineAllocated", "LineClaim",
    "LocationQuantity", "LocationStock", "OnHandSnapshot", "ReceiptConfirmed", "ReservationAnswered",
    "ReservationReleased", "ReservationRequested", "ReservationStatus", "ReturnDispositioned", "ReturnReceived",
    "Shipped", "ShortPickRecorded", "ShortPicked", "ShortfallDetected", "SkuInventory", "SkuRecord",
    "StaleFactIgnored", "StatusMoved", "StockStatus", "StoredChange", "SupplyExpected", "SupplyStatus", "apply_fact",
    "apply_facts", "apply_on_stored_record", "availability_of_record", "available_to_promise", "empty_inventory",
    "from_record", "is_known", "is_stocked_record", "published_availability", "stock_at", "to_record",
]
