"""Per-event cost of apply_fact / apply_facts on a realistic mix (not a test: run it by hand).

    .venv/bin/python -m tests.unit.processors.measure_cost
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator

from processors.inventory import (
    AllocationRequested, InventoryAdjusted, InventoryFact, InventoryPolicy, OnHandSnapshot, ReceiptConfirmed,
    ReservationReleased, ReservationRequested, Shipped, apply_fact, apply_facts, empty_inventory)

SKU = "RETRO-CLOCK"
LOCATIONS = ("WH-EAST", "WH-WEST", "WH-NORTH", "STORE-1", "STORE-2")


def traffic(events: int, open_orders: int = 100) -> Iterator[InventoryFact]:
    """Receipts keep stock flowing; each order reserves two lines, which stay open for `open_orders` orders,
    then one is allocated and shipped and the other released; shrinkage and ERP snapshots now and then."""
    at = 1_700_000_000_000
    for n in range(events // 8):
        at += 25
        location = LOCATIONS[n % len(LOCATIONS)]
        order, old = f"O-{n}", f"O-{n - open_orders}"
        old_location = LOCATIONS[(n - open_orders) % len(LOCATIONS)]
        yield ReceiptConfirmed(f"r-{n}", at, SKU, location, 3)
        yield ReservationRequested(f"q-{n}", at + 1, SKU, order, "1", 2, at, (location,), 2)
        yield ReservationRequested(f"q2-{n}", at + 2, SKU, order, "2", 1, at, (), 1)
        yield AllocationRequested(f"a-{n}", at + 3, SKU, old, "1")
        yield Shipped(f"s-{n}", at + 4, SKU, old, "1", old_location, 2)
        yield ReservationReleased(f"x-{n}", at + 5, SKU, old, "2")
        yield InventoryAdjusted(f"j-{n}", at + 6, SKU, location, 1 if n % 2 else -1, "correction")
        yield OnHandSnapshot(f"p-{n}", at + 7, SKU, location, 200, at - 50) if n % 50 == 0 else InventoryAdjusted(
            f"k-{n}", at + 7, SKU, location, 1, "found")


def measure(label: str, facts: list[InventoryFact], batch: int) -> None:
    policy = InventoryPolicy(default_safety_stock=1)
    state = empty_inventory(SKU)
    started = time.perf_counter()
    if batch == 1:
        for fact in facts:
            state, _ = apply_fact(state, fact, policy)
    else:
        for start in range(0, len(facts), batch):
            state, _ = apply_facts(state, facts[start : start + batch], policy)
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed / len(facts) * 1e6:.1f} µs/event, {len(facts) / elapsed:,.0f} events/s "
          f"(open claims {len(state.claims)}, backorders {len(state.backorders)}, version {state.version})")


def measure_by_type(facts: list[InventoryFact]) -> None:
    policy = InventoryPolicy(default_safety_stock=1)
    state, spent = empty_inventory(SKU), defaultdict(list)
    clock = time.perf_counter
    for fact in facts:
        started = clock()
        state, _ = apply_fact(state, fact, policy)
        spent[type(fact).__name__].append(clock() - started)
    for name, times in sorted(spent.items()):
        print(f"  {name:22} {sum(times) / len(times) * 1e6:5.1f} µs")


if __name__ == "__main__":
    facts = list(traffic(80_000))
    measure("apply_fact, one SKU", facts, 1)
    measure("apply_facts, batches of 100", facts, 100)
    measure_by_type(facts)
