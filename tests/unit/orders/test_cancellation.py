"""Cancelling: at once before a warehouse holds the units, by request (which may be refused) after."""
from __future__ import annotations

from processors.orders import (
    CancelAllocation, DeadlineKind, ErpCommand, ErpCommandKind, ErpVerdict, FactIgnored,
    FulfilmentCancelRequested, FulfilmentRequested, OrderException, OrderExceptionType, OrderStatus, PlacedLine,
    ReleaseLine, claims_by_sku)
from tests.unit.orders.factories import OrderBook, Saga, business, only

CLOCK = PlacedLine("1", "RETRO-CLOCK", 3)
SPOON = PlacedLine("2", "MINIMALIST-SPOON", 2)


def allocated_order() -> tuple[OrderBook, Saga]:
    """Line 1 at WH-EAST (F1), line 2 at WH-WEST (F2), both allocated."""
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK, SPOON), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.reserved("2", "MINIMALIST-SPOON", ("WH-WEST", 2)), book.erp(ErpVerdict.ACCEPTED),
              book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.allocated("2", "MINIMALIST-SPOON", ("WH-WEST", 2)))
    assert saga.order.status is OrderStatus.ALLOCATED
    return book, saga


def test_cancelling_before_allocation_releases_at_once() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK, SPOON), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))

    decisions = saga.feed(book.cancel())

    assert [(r.sku, r.line_claim_id) for r in only(ReleaseLine, decisions)] == [
        ("RETRO-CLOCK", "1"), ("MINIMALIST-SPOON", "2")]  # line 2's answer is still out: released all the same
    assert saga.order.status is OrderStatus.CANCELLED
    assert not only(ErpCommand, decisions)  # the ERP never heard of the order
    saga.feed(book.backordered("2", "MINIMALIST-SPOON", 2), book.released("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.released("2", "MINIMALIST-SPOON"))
    assert claims_by_sku(saga.order) == {}
    assert saga.order.status is OrderStatus.CANCELLED


def test_cancelling_after_the_erp_was_asked_tells_the_erp() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))

    decisions = saga.feed(book.cancel())

    [command] = only(ErpCommand, decisions)
    assert command.command is ErpCommandKind.CANCEL_ORDER and command.lines[0].quantity == 3
    assert DeadlineKind.ACCEPTANCE_SLA not in {d.kind for d in saga.order.deadlines}


def test_cancelling_after_allocation_asks_the_warehouse_first() -> None:
    book, saga = allocated_order()

    decisions = saga.feed(book.cancel())

    assert not only(ReleaseLine, decisions)  # nothing is only reserved any more
    requests = only(FulfilmentCancelRequested, decisions)
    assert [(r.fulfilment_id, r.location, [(i.line_claim_id, i.quantity) for i in r.lines]) for r in requests] == [
        ("O-1001/F1", "WH-EAST", [("1", 3)]), ("O-1001/F2", "WH-WEST", [("2", 2)])]
    assert saga.order.status is OrderStatus.CANCEL_REQUESTED
    assert claims_by_sku(saga.order) == {"RETRO-CLOCK": 3, "MINIMALIST-SPOON": 2}


def test_the_warehouse_accepting_a_cancellation_gives_the_allocation_back() -> None:
    book, saga = allocated_order()
    saga.feed(book.cancel())

    first = saga.feed(book.cancel_answer("O-1001/F1", accepted=True))
    second = saga.feed(book.cancel_answer("O-1001/F2", accepted=True))

    assert [(c.line_claim_id, c.location) for c in only(CancelAllocation, first + second)] == [
        ("1", "WH-EAST"), ("2", "WH-WEST")]
    assert saga.order.status is OrderStatus.CANCELLED
    assert [c.command for c in only(ErpCommand, first + second)] == [ErpCommandKind.CANCEL_ORDER] * 2
    saga.feed(book.allocation_released("1", "RETRO-CLOCK", "WH-EAST", 3),
              book.allocation_released("2", "MINIMALIST-SPOON", "WH-WEST", 2))
    assert claims_by_sku(saga.order) == {}


def test_the_warehouse_refusing_a_cancellation_raises_a_late_cancellation_and_the_order_goes_on() -> None:
    book, saga = allocated_order()
    saga.feed(book.cancel())
    saga.feed(book.cancel_answer("O-1001/F2", accepted=True))

    decisions = saga.feed(book.cancel_answer("O-1001/F1", accepted=False, reason="already shipped"))

    [exception] = only(OrderException, decisions)
    assert (exception.exception_type, exception.subject) == (OrderExceptionType.LATE_CANCELLATION, "O-1001/F1")
    assert saga.order.status is OrderStatus.ALLOCATED
    assert (saga.order.lines[0].open, saga.order.lines[1].open) == (3, 0)
    saga.feed(book.shipped("S1", "WH-EAST", ("1", 3)))
    assert saga.order.status is OrderStatus.SHIPPED


def test_cancelling_one_line_leaves_the_others_to_ship() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK, SPOON), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.backordered("2", "MINIMALIST-SPOON", 2), book.erp(ErpVerdict.ACCEPTED),
              book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)))
    assert saga.order.status is OrderStatus.ACCEPTED

    decisions = saga.feed(book.cancel("2"))

    assert [r.line_claim_id for r in only(ReleaseLine, decisions)] == ["2"]
    assert saga.order.status is OrderStatus.ALLOCATED
    saga.feed(book.filled("2", "MINIMALIST-SPOON", 0, ("WH-WEST", 2)))  # filled before the release got there
    assert not only(FulfilmentRequested, saga.last)
    saga.feed(book.released("2", "MINIMALIST-SPOON", ("WH-WEST", 2)))
    assert claims_by_sku(saga.order) == {"RETRO-CLOCK": 3}


def test_cancelling_a_shipped_order_is_a_late_cancellation() -> None:
    book, saga = allocated_order()
    saga.feed(book.shipped("S1", "WH-EAST", ("1", 3)), book.shipped("S2", "WH-WEST", ("2", 2)))

    decisions = saga.feed(book.cancel())

    [exception] = only(OrderException, decisions)
    assert exception.exception_type is OrderExceptionType.LATE_CANCELLATION
    assert saga.order.status is OrderStatus.SHIPPED


def test_cancelling_a_cancelled_order_changes_nothing() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.cancel())
    before = saga.order

    decisions = saga.feed(book.cancel())

    assert business(saga.order) == business(before)
    assert [type(d) for d in decisions] == [FactIgnored]


def test_a_short_pick_while_cancelling_is_not_resourced() -> None:
    book, saga = allocated_order()
    saga.feed(book.cancel("1"))

    saga.feed(book.short("1", "WH-EAST", 1), book.cancel_answer("O-1001/F1", accepted=True))

    line = saga.order.lines[0]
    assert (len(line.claims), line.cancelled, line.open) == (1, 3, 0)
    assert saga.order.status is OrderStatus.ALLOCATED


def test_a_cancellation_accepted_after_a_held_shipment_counts_only_what_the_shipment_left_open() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.ACCEPTED),
              book.cancel())
    saga.feed(book.shipped("S1", "WH-EAST", ("1", 1), fulfilment_id="O-1001/F1"))  # held: allocation not known

    saga.feed(book.cancel_answer("O-1001/F1", accepted=True))  # the warehouse shipped one, then cancelled the rest
    assert len(saga.order.held) == 2
    saga.feed(book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)))

    line = saga.order.lines[0]
    assert (line.shipped, line.cancelled, saga.order.held) == (1, 2, ())
    assert saga.order.status is OrderStatus.SHIPPED
    assert [(c.line_claim_id, c.location) for c in only(CancelAllocation, saga.last)] == [("1", "WH-EAST")]


def test_a_short_pick_is_counted_first_against_a_request_whose_cancellation_was_accepted() -> None:
    """The SKU owner's short pick does not say which request it was, and may predate an answer already applied:
    taken from the live request, its unit would be cancelled and its allocation given back while the warehouse
    still holds it."""
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(SPOON), book.backordered("2", "MINIMALIST-SPOON", 1, ("WH-WEST", 1)),
              book.erp(ErpVerdict.ACCEPTED), book.allocated("2", "MINIMALIST-SPOON", ("WH-WEST", 1)),
              book.filled("2", "MINIMALIST-SPOON", 0, ("WH-WEST", 1)),
              book.allocated("2", "MINIMALIST-SPOON", ("WH-WEST", 1)))
    assert [f.fulfilment_id for f in saga.order.fulfilments] == ["O-1001/F1", "O-1001/F2"]
    saga.feed(book.cancel(), book.cancel_answer("O-1001/F1", accepted=True))

    decisions = saga.feed(book.short("2", "WH-WEST", 1))

    first, second = (f.lines[0] for f in saga.order.fulfilments)
    assert (first.short, second.short, second.open) == (1, 0, 1)
    assert saga.order.lines[0].cancelled == 1  # counted when the answer came, not again
    assert not only(CancelAllocation, decisions)  # the second request may still ship
    assert saga.order.status is OrderStatus.CANCEL_REQUESTED
    saga.feed(book.shipped("S1", "WH-WEST", ("2", 1), fulfilment_id="O-1001/F2"))
    line = saga.order.lines[0]
    assert (line.shipped, line.cancelled, saga.order.held) == (1, 1, ())
    assert saga.order.status is OrderStatus.SHIPPED
