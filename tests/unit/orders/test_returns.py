"""Returns: requested → authorised or refused → received and dispositioned → credit memo → completed."""
from __future__ import annotations

from processors.orders import (
    CreditMemoIssued, DeadlineKind, Disposition, ErpCommand, ErpCommandKind, ErpVerdict, FactHeld, OrderException,
    OrderExceptionType, OrderStatus, PlacedLine, ReceivedLine, ReturnedLine, ReturnGoodsReceived, ReturnRequested,
    ReturnStatus, RmaDecided, fact_from_record, fact_to_record, from_record, to_record)
from tests.unit.orders.factories import OrderBook, Saga, only

CLOCK = PlacedLine("1", "RETRO-CLOCK", 3)


def shipped_order() -> tuple[OrderBook, Saga]:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.ACCEPTED),
              book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.shipped("S1", "WH-EAST", ("1", 3), fulfilment_id="O-1001/F1"))
    return book, saga


def head(book: OrderBook) -> tuple[str, int, str]:
    return book._stamp()  # noqa: SLF001 - the factories' event id and clock


def test_a_return_is_authorised_received_credited_and_completed() -> None:
    book, saga = shipped_order()

    asked = saga.feed(ReturnRequested(*head(book), return_id="R-1", lines=(ReturnedLine("1", 2),)))
    saga.feed(RmaDecided(*head(book), return_id="R-1", authorised=True))
    received = saga.feed(ReturnGoodsReceived(*head(book), return_id="R-1", location="WH-EAST", lines=(
        ReceivedLine("1", 1, Disposition.RESTOCK), ReceivedLine("1", 1, Disposition.SCRAP))))
    saga.feed(CreditMemoIssued(*head(book), return_id="R-1", credit_memo_id="CM-9"))

    assert [c.command for c in only(ErpCommand, asked)] == [ErpCommandKind.AUTHORISE_RETURN]
    assert [c.command for c in only(ErpCommand, received)] == [ErpCommandKind.ISSUE_CREDIT_MEMO]
    [case] = saga.order.returns
    assert (case.status, case.restocked, case.scrapped, case.credit_memo_id) == (ReturnStatus.COMPLETED, 1, 1, "CM-9")
    assert saga.order.lines[0].returned == 2
    assert DeadlineKind.RETURN_SLA not in {d.kind for d in saga.order.deadlines}  # met: the window closed


def test_a_refused_rma_closes_the_return_with_an_exception_and_nothing_returned() -> None:
    book, saga = shipped_order()
    saga.feed(ReturnRequested(*head(book), return_id="R-2", lines=(ReturnedLine("1", 1),)))

    decisions = saga.feed(RmaDecided(*head(book), return_id="R-2", authorised=False, reason="outside 30 days"))

    [exception] = only(OrderException, decisions)
    assert exception.exception_type is OrderExceptionType.RMA_REFUSED and "outside 30 days" in exception.reason
    assert saga.order.returns[0].status is ReturnStatus.REFUSED and saga.order.lines[0].returned == 0


def test_goods_before_the_authorisation_and_a_memo_before_the_goods_wait_for_them() -> None:
    book, saga = shipped_order()
    saga.feed(ReturnRequested(*head(book), return_id="R-3", lines=(ReturnedLine("1", 1),)))

    early = saga.feed(ReturnGoodsReceived(*head(book), return_id="R-3", location="WH-EAST",
                                          lines=(ReceivedLine("1", 1, Disposition.RESTOCK),)))
    earlier = saga.feed(CreditMemoIssued(*head(book), return_id="R-3", credit_memo_id="CM-1"))
    assert only(FactHeld, early) and only(FactHeld, earlier)

    saga.feed(RmaDecided(*head(book), return_id="R-3", authorised=True))

    assert saga.order.returns[0].status is ReturnStatus.COMPLETED and not saga.order.held


def test_more_returned_than_shipped_waits_and_an_unknown_line_is_refused() -> None:
    book, saga = shipped_order()
    too_many = saga.feed(ReturnRequested(*head(book), return_id="R-4", lines=(ReturnedLine("1", 4),)))
    unknown = saga.feed(ReturnRequested(*head(book), return_id="R-5", lines=(ReturnedLine("9", 1),)))
    assert only(FactHeld, too_many)
    assert [e.exception_type for e in only(OrderException, unknown)] == [OrderExceptionType.ILLEGAL_TRANSITION]


def test_a_return_past_its_sla_is_breached_once_and_returns_never_change_the_order_status() -> None:
    book, saga = shipped_order()
    status = saga.order.status
    saga.feed(ReturnRequested(*head(book), return_id="R-6", lines=(ReturnedLine("1", 1),)))
    [deadline] = [d for d in saga.order.deadlines if d.kind is DeadlineKind.RETURN_SLA]

    first = saga.feed(book.deadline(DeadlineKind.RETURN_SLA, deadline.due_at))
    again = saga.feed(book.deadline(DeadlineKind.RETURN_SLA, deadline.due_at + 1))

    assert [e.exception_type for e in only(OrderException, first)] == [OrderExceptionType.SLA_BREACH_RETURN]
    assert not only(OrderException, again)
    assert saga.order.status is status is not None and status is OrderStatus.SHIPPED


def test_orders_with_returns_and_return_facts_survive_the_record_layout() -> None:
    book, saga = shipped_order()
    fact = ReturnGoodsReceived(*head(book), return_id="R-7", location="WH-EAST",
                               lines=(ReceivedLine("1", 1, Disposition.SCRAP),))
    saga.feed(ReturnRequested(*head(book), return_id="R-7", lines=(ReturnedLine("1", 1),)))
    assert fact_from_record(fact_to_record(fact)) == fact
    assert from_record(to_record(saga.order)) == saga.order
