"""Order ⇄ JSON-compatible records, and facts ⇄ records (held facts travel inside the order's record)."""
from __future__ import annotations

import json

import pytest

from processors.inventory import LocationQuantity
from processors.orders import (
    CarrierStatus, DeadlineKind, ErpVerdict, FulfilmentKind, Order, PlacedLine, fact_from_record, fact_to_record,
    from_record, new_order, to_record)
from tests.unit.orders.factories import OrderBook, Saga


def busy_order() -> Order:
    """Every kind of value in one order: claims, fulfilments, cancellations, shipments with flags, held facts,
    deadlines, breaches, a timeline and remembered event ids."""
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(PlacedLine("1", "RETRO-CLOCK", 3), PlacedLine("2", "MINIMALIST-SPOON", 2),
                          PlacedLine("3", "WALNUT-DESK", 1, FulfilmentKind.SPECIAL_ORDER, "WOODWORKS")),
              book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 2), ("WH-WEST", 1)),
              book.backordered("2", "MINIMALIST-SPOON", 1, ("WH-WEST", 1)),
              book.deadline(DeadlineKind.ACCEPTANCE_SLA, book.now + 30 * 60 * 1000),
              book.erp(ErpVerdict.ACCEPTED),
              book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 2), still=(("WH-WEST", 1),)),
              book.shipped("S1", "WH-EAST", ("1", 2)), book.tracking("S1", CarrierStatus.EXCEPTION),
              book.short("1", "WH-WEST", 1), book.cancel("2"), book.shipped("S9", "WH-EAST", ("4", 1)))
    assert saga.order.held and saga.order.breached and saga.order.fulfilments and saga.order.deadlines
    return saga.order


@pytest.mark.parametrize("order", [new_order("O-1"), busy_order()], ids=["new", "busy"])
def test_an_order_survives_a_round_trip_through_json(order: Order) -> None:
    record = to_record(order)

    restored = from_record(json.loads(json.dumps(record)))

    assert restored == order
    assert to_record(restored) == record


def test_a_record_leaves_out_defaults_and_carries_its_format() -> None:
    assert to_record(new_order("O-1")) == {"format": 1, "order_id": "O-1"}


def test_an_unknown_record_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown order record format 7"):
        from_record({"format": 7, "order_id": "O-1"})


def test_every_fact_survives_a_round_trip() -> None:
    book = OrderBook()
    facts = [book.placed(PlacedLine("1", "RETRO-CLOCK", 3)), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)),
             book.released("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.REJECTED, "blocked"),
             book.cancel("1"), book.cancel_answer("O-1001/F1", False, "shipped"), book.short("1", "WH-EAST", 1),
             book.shipped("S1", "WH-EAST", ("1", 2), fulfilment_id="O-1001/F1"),
             book.tracking("S1", CarrierStatus.DELIVERED), book.deadline(DeadlineKind.SHIPMENT_SLA, 5),
             book.returned(("1", 1))]

    for fact in facts:
        record = json.loads(json.dumps(fact_to_record(fact)))
        assert fact_from_record(record) == fact
        assert record["type"] == type(fact).__name__


def test_location_quantities_are_stored_as_pairs() -> None:
    record = fact_to_record(OrderBook().reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))

    assert record["reserved"] == [["WH-EAST", 3]]
    assert fact_from_record(record).reserved == (LocationQuantity("WH-EAST", 3),)  # type: ignore[attr-defined]
