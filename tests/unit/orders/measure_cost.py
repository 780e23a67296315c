"""Per-fact cost of the order saga on a realistic life cycle (not a test: run it by hand).

    .venv/bin/python -m tests.unit.orders.measure_cost

Each order: placed with two stocked lines and a drop-shipped one, both stocked lines answered (one partly
backordered, then filled), accepted, allocated, one short pick re-sourced, shipped in two parcels, tracked to
delivery; a duplicate and a stale timer on the way. About 20 facts per order.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

from processors.orders import (
    CarrierStatus, DeadlineKind, ErpVerdict, OrderFact, PlacedLine, apply, new_order, to_record)
from tests.unit.orders.factories import POLICY, OrderBook


def life_of(order_id: str) -> Iterator[OrderFact]:
    book = OrderBook(order_id)
    yield book.placed(PlacedLine("1", "RETRO-CLOCK", 3), PlacedLine("2", "MINIMALIST-SPOON", 2),
                      PlacedLine("3", "FERN-POT", 1))
    answer = book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 2), ("WH-WEST", 1))
    yield answer
    yield answer
    yield book.backordered("2", "MINIMALIST-SPOON", 1, ("WH-EAST", 1))
    yield book.erp(ErpVerdict.ACCEPTED)
    yield book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 2), still=(("WH-WEST", 1),))
    yield book.allocated("1", "RETRO-CLOCK", ("WH-WEST", 1))
    yield book.allocated("2", "MINIMALIST-SPOON", ("WH-EAST", 1))
    yield book.filled("2", "MINIMALIST-SPOON", 0, ("WH-EAST", 1))
    yield book.allocated("2", "MINIMALIST-SPOON", ("WH-EAST", 1))
    yield book.short("1", "WH-WEST", 1)
    yield book.reserved("1~r1", "RETRO-CLOCK", ("WH-EAST", 1))
    yield book.allocated("1~r1", "RETRO-CLOCK", ("WH-EAST", 1))
    yield book.deadline(DeadlineKind.ACCEPTANCE_SLA, book.now)
    yield book.shipped("S1", "WH-EAST", ("1", 2), ("2", 2), ("1~r1", 1))
    yield book.shipped("S2", "GREENHOUSE-CO", ("3", 1))
    for shipment in ("S1", "S2"):
        yield book.tracking(shipment, CarrierStatus.IN_TRANSIT)
        yield book.tracking(shipment, CarrierStatus.DELIVERED)


def main(orders: int = 2000) -> None:
    lives = [list(life_of(f"O-{n}")) for n in range(orders)]
    facts = sum(len(life) for life in lives)
    started = time.perf_counter()
    finals = []
    for life in lives:
        order = new_order(life[0].order_id)
        for fact in life:
            order, _ = apply(order, fact, POLICY)
        assert order.status is not None and order.status.name == "DELIVERED", order.status
        finals.append(order)
    applied = time.perf_counter() - started
    started = time.perf_counter()
    sizes = [len(str(to_record(order))) for order in finals]
    recorded = time.perf_counter() - started
    print(f"{facts} facts over {orders} orders: {applied / facts * 1e6:.1f} µs per fact ({facts / applied:,.0f} "
          f"facts/s); to_record {recorded / orders * 1e6:.0f} µs per order (~{sum(sizes) // orders} chars)")


if __name__ == "__main__":
    main()
