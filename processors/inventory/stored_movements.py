"""A plain stock movement (a receipt not against a PO line, an adjustment) applied to a SKU's stored record.

On hand moves and the movement is remembered (movements.move_physically, on the record). Declined (None) whatever
the model must decide: a movement at or before the location's base or older than its newest movement kept, a
location going short. Open claims stay as they are: a movement changes on hand, never a claim.
"""
from __future__ import annotations

from typing import Any

from processors.inventory.facts import InventoryAdjusted, ReceiptConfirmed
from processors.inventory.policy import InventoryPolicy
from processors.inventory.stored_rules import goes_short, published, stock_index

Record = dict[str, Any]
_KEPT_AS_IS = ("reserved", "allocated", "damaged", "quality_control", "hold", "incoming", "base_as_of")


def moved_on_record(record: Record, fact: ReceiptConfirmed | InventoryAdjusted, policy: InventoryPolicy,
                    published_before: dict[str, int]) -> tuple[dict[str, Any], None] | None:
    """The record's changed fields after the movement (locations); None: a case for the model."""
    if isinstance(fact, ReceiptConfirmed):
        if fact.po_line_id is not None:
            return None  # against a PO line: the model closes the incoming supply
        delta = fact.quantity
    else:
        delta = fact.delta
    location: str = fact.location
    locations: list[Record] = record.get("locations") or []
    index, found = stock_index(locations, location)
    stock = locations[index] if found else {"location": location}
    moved = _moved_stock(stock, delta, fact.occurred_at, policy.max_recent_movements)
    if moved is None or goes_short(stock if found else None, moved):
        return None
    published_before.setdefault(location, published(stock, policy) if found else 0)
    after = index + 1 if found else index
    return {"locations": [*locations[:index], moved, *locations[after:]]}, None


def _moved_stock(stock: Record, delta: int, at: int, kept: int) -> Record | None:
    """The location's record with on hand moved by `delta` and the movement remembered, or None when that is not
    this lane's to decide (at/before the base, older than the last kept)."""
    base = stock.get("base_as_of")
    if base is not None and at <= base:
        return None  # included in the base: the model keeps on hand as is
    movements: list[list[int]] = stock.get("movements") or []
    if movements and at < movements[-1][0]:
        return None  # out of order: the model inserts it among the kept ones
    moved_list = [*movements, [at, delta]]
    forgotten = stock.get("forgotten_through")
    if len(moved_list) > kept:
        latest_dropped = moved_list[len(moved_list) - kept - 1][0]
        moved_list = moved_list[len(moved_list) - kept:]
        forgotten = latest_dropped if forgotten is None else max(forgotten, latest_dropped)
    updated: Record = {"location": stock["location"]}
    on_hand = stock.get("on_hand", 0) + delta
    if on_hand:
        updated["on_hand"] = on_hand
    for name in _KEPT_AS_IS:
        if name in stock:
            updated[name] = stock[name]
    if moved_list:
        updated["movements"] = moved_list
    if forgotten is not None:
        updated["forgotten_through"] = forgotten
    return updated
