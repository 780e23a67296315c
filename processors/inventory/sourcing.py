"""Where a line's units come from: preferred locations in the caller's order, then the most available first."""
from __future__ import annotations

from processors.inventory.availability import available_to_promise
from processors.inventory.policy import InventoryPolicy
from processors.inventory.position import LocationStock
from processors.inventory.quantities import LocationQuantity


def plan_sources(
    locations: tuple[LocationStock, ...],
    quantity: int,
    preferred: tuple[str, ...],
    max_locations: int,
    held: frozenset[str],
    policy: InventoryPolicy,
) -> tuple[LocationQuantity, ...]:
    """Up to `quantity` units from locations with positive ATP, greedily in ranking order.

    The line may use at most `max_locations` locations in all; locations it already holds count towards that
    limit and can always take more. Returns (location, quantity) pairs sorted by location; may be empty.
    """
    ranked = _ranked(locations, preferred, policy)
    new_locations_left = max(0, max_locations - len(held))
    remaining, plan = quantity, []
    for location, available in ranked:
        if remaining == 0:
            break
        if location not in held:
            if new_locations_left == 0:
                continue
            new_locations_left -= 1
        taken = min(remaining, available)
        plan.append(LocationQuantity(location, taken))
        remaining -= taken
    return tuple(sorted(plan))


def _ranked(
    locations: tuple[LocationStock, ...], preferred: tuple[str, ...], policy: InventoryPolicy
) -> list[tuple[str, int]]:
    rank = {location: index for index, location in enumerate(preferred)}
    candidates = [(stock.location, available_to_promise(stock, policy)) for stock in locations]
    positive = [(location, available) for location, available in candidates if available > 0]
    return sorted(positive, key=lambda pair: (rank.get(pair[0], len(rank)), -pair[1], pair[0]))
