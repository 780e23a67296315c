"""The state one SKU's owner keeps: one value per SKU, replaced (never mutated) by every change."""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from processors.inventory.claims import Backorder, LineClaim
from processors.inventory.dedupe import RecentKeys
from processors.inventory.position import LocationStock
from processors.values import evolve, fast_init


@fast_init
@dataclass(frozen=True, slots=True)
class SkuInventory:
    sku: str
    version: int = 0  # +1 for every applied (non-duplicate) fact
    as_of: int | None = None  # latest event time applied
    locations: tuple[LocationStock, ...] = ()  # sorted by location
    claims: tuple[LineClaim, ...] = ()  # open order lines, sorted by (order_id, line_id)
    backorders: tuple[Backorder, ...] = ()  # in fill order
    closed_lines: RecentKeys = RecentKeys()  # lines that hold nothing any more: a late repeat never re-reserves
    seen_events: RecentKeys = RecentKeys()  # event ids applied recently (dedupe)


def empty_inventory(sku: str) -> SkuInventory:
    return SkuInventory(sku)


def is_known(state: SkuInventory) -> bool:
    """True once any fact created a location for the SKU; the caller decides what a claim on an unknown SKU means."""
    return bool(state.locations)


def _location_of(stock: LocationStock) -> str:
    return stock.location


def stock_at(state: SkuInventory, location: str) -> LocationStock:
    """The SKU's stock at `location` (a new empty one if the location was never seen)."""
    locations = state.locations
    index = bisect_left(locations, location, key=_location_of)
    if index < len(locations) and locations[index].location == location:
        return locations[index]
    return LocationStock(location)


def with_stock(state: SkuInventory, stock: LocationStock) -> SkuInventory:
    locations = state.locations
    index = bisect_left(locations, stock.location, key=_location_of)
    replaces = index < len(locations) and locations[index].location == stock.location
    after = index + 1 if replaces else index
    return evolve(state, locations=(*locations[:index], stock, *locations[after:]))
