"""The line statuses of status records and order views say what the model's OrderLine properties say."""
from __future__ import annotations

from processors import orders as o
from streams.agents.order_outputs import line_statuses
from tests.unit.orders.factories import POLICY
from tests.unit.orders.measure_cost import life_of
from tests.unit.orders.test_records import busy_order


def by_properties(order: o.Order) -> list[dict[str, object]]:
    return [{"line_id": line.line_id, "sku": line.sku, "requested": line.quantity, "reserved": line.reserved,
             "backordered": line.backordered,
             "allocated": line.allocated if line.stocked else max(0, line.supplier_ordered - line.shipped),
             "shipped": line.shipped, "delivered": line.delivered, "cancelled": line.cancelled,
             "returned": line.returned} for line in order.lines]


def test_line_statuses_match_the_line_properties_through_a_life_cycle_and_a_busy_order() -> None:
    order, seen = o.new_order("O-5"), []
    for fact in life_of("O-5"):
        order, _ = o.apply(order, fact, POLICY)
        assert line_statuses(order) == by_properties(order)
        seen.extend(line_statuses(order))
    busy = busy_order()
    assert line_statuses(busy) == by_properties(busy)
    for field in ("reserved", "backordered", "allocated", "shipped", "delivered"):  # every sum was exercised
        assert any(line[field] for line in seen), field
