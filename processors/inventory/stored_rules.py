"""The model's rules restated on a SKU's stored record (the layout records.to_record writes): sellable and published
figures, the location lookup and the dedupe memory. Shared by the stored-record lane's steps
(stored_movements.py, stored_reservations.py); tests/unit/processors/test_stored_record.py ties them to the model."""
from __future__ import annotations

from bisect import bisect_left
from operator import itemgetter
from typing import Any

from processors.inventory.decisions import AvailabilityChanged
from processors.inventory.dedupe import CHUNKS_PER_WINDOW
from processors.inventory.policy import InventoryPolicy
from processors.inventory.quantities import LocationQuantity

Record = dict[str, Any]
location_of = itemgetter("location")


def availability_of_record(record: Record, policy: InventoryPolicy, caused_by: str) -> AvailabilityChanged:
    """What availability_changed(from_record(record), ...) gives, read from the record."""
    safety_stock_at = policy.safety_stock_at
    figures = [LocationQuantity(stock["location"], max(0, sellable(stock) - safety_stock_at(stock["location"])))
               for stock in record.get("locations", ())]
    return AvailabilityChanged(record["sku"], caused_by, tuple(figures), sum(f.quantity for f in figures),
                               record["version"], record.get("as_of") or 0)


def is_stocked_record(record: Record) -> bool:
    """inv.is_known for a stored record: some fact created a location."""
    return bool(record.get("locations"))


def stock_index(locations: list[Record], location: str) -> tuple[int, bool]:
    """Where `location` is (or would go) in the record's sorted locations, and whether it is there."""
    index = bisect_left(locations, location, key=location_of)
    return index, index < len(locations) and locations[index]["location"] == location


def stock_record(record: Record, location: str) -> Record:
    """The stock of a location the record has."""
    locations: list[Record] = record["locations"]
    return locations[stock_index(locations, location)[0]]


def sellable(stock: Record) -> int:
    get = stock.get
    return (get("on_hand", 0) - get("damaged", 0) - get("quality_control", 0) - get("hold", 0)
            - get("reserved", 0) - get("allocated", 0))


def published(stock: Record, policy: InventoryPolicy) -> int:
    return max(0, sellable(stock) - policy.safety_stock_at(stock["location"]))


def goes_short(before: Record | None, after: Record) -> bool:
    """A shortfall starts (claims come to exceed sellable stock): the model raises it, so the lane declines."""
    return sellable(after) < 0 and (before is None or sellable(before) >= 0)


def remembered(seen: Record, event_id: str, at: int, now: int, policy: InventoryPolicy) -> Record | None:
    """RecentKeys.remember on the record of the window, when the key is new and no chunk seals; else None."""
    filling: list[str] = seen.get("filling") or []
    sealed: list[list[Any]] = seen.get("sealed") or []
    if event_id in filling or any(event_id in keys for _, keys in sealed):
        return None  # a duplicate: the model ignores it and says so
    since = seen.get("filling_since")
    since = now if since is None else since
    if len(filling) + 1 >= max(1, policy.dedupe_window_size // CHUNKS_PER_WINDOW) \
            or now - since >= policy.dedupe_window_ms // CHUNKS_PER_WINDOW:
        return None  # the chunk would seal (once per size/8 facts): the model does it
    newest = seen.get("filling_newest_at")
    newest = at if newest is None else max(at, newest)
    oldest_kept_at, start = now - policy.dedupe_window_ms, 0
    while start < len(sealed) and sealed[start][0] < oldest_kept_at:
        start += 1
    updated: Record = {}
    if sealed[start:]:
        updated["sealed"] = sealed[start:] if start else sealed
    updated["filling"] = [*filling, event_id]
    updated["filling_since"] = since
    updated["filling_newest_at"] = newest
    return updated


def holds_key(window: Record, key: str) -> bool:
    """`key in RecentKeys` on the record of a window (closed lines, seen events)."""
    return key in (window.get("filling") or ()) or any(key in keys for _, keys in window.get("sealed") or ())
