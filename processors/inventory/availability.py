"""Available to promise: computed per location, published floored at 0, watched for changes and shortfalls.

ATP(location) = on hand − reserved − allocated − unavailable − safety stock. The internal value may be negative;
what storefronts see never is. A shortfall is raised when claims come to exceed sellable stock (on hand −
unavailable): dipping into safety stock only publishes 0, it is not an oversell (DOMAIN §5.2 "claims exceed on hand").
"""
from __future__ import annotations

from collections.abc import Iterator

from processors.inventory.decisions import AvailabilityChanged, ShortfallDetected
from processors.inventory.policy import InventoryPolicy
from processors.inventory.position import LocationStock
from processors.inventory.quantities import LocationQuantity
from processors.inventory.state import SkuInventory


def available_to_promise(stock: LocationStock, policy: InventoryPolicy) -> int:
    return stock.sellable - policy.safety_stock_at(stock.location)


def published_at(stock: LocationStock | None, policy: InventoryPolicy) -> int:
    if stock is None:
        return 0
    return max(0, available_to_promise(stock, policy))


def published_availability(state: SkuInventory, policy: InventoryPolicy) -> tuple[tuple[LocationQuantity, ...], int]:
    """Per-location published ATP and the network total (the sum of the published values)."""
    safety_stock_at = policy.safety_stock_at
    figures = [(stock.location, max(0, stock.sellable - safety_stock_at(stock.location))) for stock in state.locations]
    return tuple(LocationQuantity._make(figure) for figure in figures), sum(quantity for _, quantity in figures)


def changed_stocks(before: SkuInventory, after: SkuInventory) -> Iterator[tuple[LocationStock | None, LocationStock]]:
    """(old, new) for every location whose stock value was replaced; locations are never removed."""
    old, new = before.locations, after.locations
    if old is new:
        return
    if len(old) == len(new):
        yield from ((was, now) for was, now in zip(old, new) if was is not now)
        return
    by_location = {stock.location: stock for stock in old}
    for now in new:
        was = by_location.get(now.location)
        if was is not now:
            yield was, now


def publication_changed(before: SkuInventory, after: SkuInventory, policy: InventoryPolicy) -> bool:
    return any(published_at(was, policy) != published_at(now, policy) for was, now in changed_stocks(before, after))


def availability_changed(state: SkuInventory, policy: InventoryPolicy, caused_by: str) -> AvailabilityChanged:
    locations, total = published_availability(state, policy)
    return AvailabilityChanged(state.sku, caused_by, locations, total, state.version, state.as_of or 0)


def shortfalls_raised(before: SkuInventory, after: SkuInventory, caused_by: str) -> tuple[ShortfallDetected, ...]:
    """One ShortfallDetected per location that went from covered to short with this change."""
    return tuple(
        ShortfallDetected(after.sku, caused_by, now.location, now.on_hand - now.unavailable, now.claimed)
        for was, now in changed_stocks(before, after)
        if now.sellable < 0 and (was is None or was.sellable >= 0)
    )
