"""Placement, the SKU owners' answers, the ERP's verdict and what the saga does next."""
from __future__ import annotations

from processors.orders import (
    AllocateLine, DeadlineKind, DeadlineSet, ErpCommand, ErpCommandKind, ErpPriority, ErpVerdict, FulfilmentKind,
    FulfilmentRequested, OrderException, OrderExceptionType, OrderStatus, OrderStatusChanged, PlacedLine,
    ReleaseLine, ReserveLine, claims_by_sku)
from tests.unit.orders.factories import POLICY, OrderBook, Saga, at, only

CLOCK = PlacedLine("1", "RETRO-CLOCK", 3)
SPOON = PlacedLine("2", "MINIMALIST-SPOON", 2)


def reserved_order(*lines: PlacedLine) -> tuple[OrderBook, Saga]:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(*(lines or (CLOCK, SPOON))))
    saga.feed(book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))
    if not lines:
        saga.feed(book.reserved("2", "MINIMALIST-SPOON", ("WH-EAST", 1), ("WH-WEST", 1)))
    return book, saga


def test_placing_an_order_asks_each_stocked_sku_owner_for_its_line() -> None:
    book, saga = OrderBook(), Saga()

    decisions = saga.feed(book.placed(CLOCK, SPOON))

    requests = only(ReserveLine, decisions)
    assert [(r.sku, r.line_claim_id, r.quantity) for r in requests] == [
        ("RETRO-CLOCK", "1", 3), ("MINIMALIST-SPOON", "2", 2)]
    assert all(r.preferred_locations == ("WH-EAST", "WH-WEST") and r.max_locations == 2 for r in requests)
    assert all(r.ordered_at == saga.order.placed_at and r.correlation_id == "corr-O-1001" for r in requests)
    assert saga.order.status is OrderStatus.RECEIVED
    assert only(DeadlineSet, decisions) == [DeadlineSet(
        "O-1001", "corr-O-1001", saga.facts[0].event_id, DeadlineKind.ACCEPTANCE_SLA,
        saga.order.placed_at + POLICY.slas.acceptance_ms)]


def test_an_order_is_reserved_once_every_line_is_answered_with_stock() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK, SPOON), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))
    assert saga.order.status is OrderStatus.RECEIVED

    saga.feed(book.reserved("2", "MINIMALIST-SPOON", ("WH-EAST", 1), ("WH-WEST", 1)))

    assert saga.order.status is OrderStatus.RESERVED
    assert claims_by_sku(saga.order) == {"RETRO-CLOCK": 3, "MINIMALIST-SPOON": 2}


def test_an_order_with_some_units_backordered_is_partially_backordered() -> None:
    book, saga = OrderBook(), Saga()

    saga.feed(book.placed(CLOCK, SPOON), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.backordered("2", "MINIMALIST-SPOON", 2))

    assert saga.order.status is OrderStatus.PARTIALLY_BACKORDERED
    assert saga.order.lines[1].backordered == 2


def test_an_order_with_nothing_in_stock_is_backordered() -> None:
    book, saga = OrderBook(), Saga()

    saga.feed(book.placed(CLOCK, SPOON), book.backordered("1", "RETRO-CLOCK", 3),
              book.backordered("2", "MINIMALIST-SPOON", 1, ("WH-WEST", 1)))
    assert saga.order.status is OrderStatus.PARTIALLY_BACKORDERED
    saga.feed(book.cancel("2"))

    assert saga.order.status is OrderStatus.BACKORDERED


def test_the_erp_is_asked_to_accept_once_every_line_is_reserved_or_backordered_and_only_once() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK, SPOON), book.backordered("1", "RETRO-CLOCK", 3))
    assert not only(ErpCommand, saga.decisions)

    saga.feed(book.reserved("2", "MINIMALIST-SPOON", ("WH-EAST", 2)))
    saga.feed(book.filled("1", "RETRO-CLOCK", 0, ("WH-EAST", 3)))

    [command] = only(ErpCommand, saga.decisions)
    assert (command.command, command.priority, command.command_id) == (
        ErpCommandKind.ACCEPT_ORDER, ErpPriority.CHECKOUT_CRITICAL, "O-1001/accept")
    assert [(line.line_id, line.quantity) for line in command.lines] == [("1", 3), ("2", 2)]
    assert saga.order.status is OrderStatus.RESERVED


def test_acceptance_allocates_reserved_lines_with_one_fulfilment_request_per_location() -> None:
    book, saga = reserved_order()

    decisions = saga.feed(book.erp(ErpVerdict.ACCEPTED))

    assert [(d.line_claim_id, d.location) for d in only(AllocateLine, decisions)] == [
        ("1", "WH-EAST"), ("2", "WH-EAST"), ("2", "WH-WEST")]
    requests = only(FulfilmentRequested, decisions)
    assert [(r.fulfilment_id, r.location, [(i.line_claim_id, i.quantity) for i in r.lines]) for r in requests] == [
        ("O-1001/F1", "WH-EAST", [("1", 3), ("2", 1)]), ("O-1001/F2", "WH-WEST", [("2", 1)])]
    assert saga.order.status is OrderStatus.ACCEPTED

    saga.feed(book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.allocated("2", "MINIMALIST-SPOON", ("WH-EAST", 1), still=(("WH-WEST", 1),)))
    assert saga.order.status is OrderStatus.ACCEPTED
    saga.feed(book.allocated("2", "MINIMALIST-SPOON", ("WH-WEST", 1)))

    assert saga.order.status is OrderStatus.ALLOCATED
    assert claims_by_sku(saga.order) == {"RETRO-CLOCK": 3, "MINIMALIST-SPOON": 2}
    assert not only(AllocateLine, saga.last)


def test_supplier_lines_go_on_a_purchase_order_and_never_reserve_stock() -> None:
    book, saga = OrderBook(), Saga()
    special = PlacedLine("2", "WALNUT-DESK", 1, FulfilmentKind.SPECIAL_ORDER, "WOODWORKS")
    drop_shipped_by_policy = PlacedLine("3", "FERN-POT", 4)

    saga.feed(book.placed(CLOCK, special, drop_shipped_by_policy))
    assert [r.sku for r in only(ReserveLine, saga.decisions)] == ["RETRO-CLOCK"]
    saga.feed(book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.ACCEPTED))

    orders = [c for c in only(ErpCommand, saga.decisions) if c.command is ErpCommandKind.CREATE_PURCHASE_ORDER]
    assert [(c.supplier, [(line.line_id, line.quantity, line.fulfilment_kind) for line in c.lines], c.expected_by)
            for c in orders] == [
        ("GREENHOUSE-CO", [("3", 4, FulfilmentKind.DROP_SHIP)], saga.order.as_of + 3 * 86_400_000),
        ("WOODWORKS", [("2", 1, FulfilmentKind.SPECIAL_ORDER)], saga.order.as_of + 7 * 86_400_000)]
    assert claims_by_sku(saga.order) == {"RETRO-CLOCK": 3}
    saga.feed(book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)))
    assert saga.order.status is OrderStatus.ALLOCATED


def test_an_order_of_supplier_lines_only_is_offered_to_the_erp_at_once() -> None:
    book, saga = OrderBook(), Saga()

    saga.feed(book.placed(PlacedLine("1", "FERN-POT", 2)))
    assert saga.order.status is OrderStatus.RESERVED
    assert only(ErpCommand, saga.last)[0].command is ErpCommandKind.ACCEPT_ORDER
    saga.feed(book.erp(ErpVerdict.ACCEPTED))

    assert saga.order.status is OrderStatus.ALLOCATED


def test_a_backorder_filled_after_acceptance_is_allocated_then() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.backordered("1", "RETRO-CLOCK", 2, ("WH-EAST", 1)),
              book.erp(ErpVerdict.ACCEPTED), book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 1)))
    assert saga.order.status is OrderStatus.ACCEPTED

    decisions = saga.feed(book.filled("1", "RETRO-CLOCK", 0, ("WH-WEST", 2)))

    assert [(d.line_claim_id, d.location) for d in only(AllocateLine, decisions)] == [("1", "WH-WEST")]
    [request] = only(FulfilmentRequested, decisions)
    assert (request.fulfilment_id, request.location, request.lines[0].quantity) == ("O-1001/F2", "WH-WEST", 2)
    saga.feed(book.allocated("1", "RETRO-CLOCK", ("WH-WEST", 2)))
    assert saga.order.status is OrderStatus.ALLOCATED


def test_credit_hold_puts_the_order_on_hold_with_a_timeout() -> None:
    book, saga = reserved_order()

    decisions = saga.feed(book.erp(ErpVerdict.CREDIT_HOLD, "over the credit limit"))

    assert saga.order.status is OrderStatus.ON_HOLD
    assert not only(AllocateLine, decisions)
    hold = next(d for d in only(DeadlineSet, decisions) if d.kind is DeadlineKind.CREDIT_HOLD_TIMEOUT)
    assert hold.due_at == saga.order.credit_hold_since + POLICY.slas.credit_hold_timeout_ms


def test_a_credit_hold_not_released_in_time_cancels_the_order_and_releases_exactly_what_was_reserved() -> None:
    book, saga = reserved_order()
    saga.feed(book.erp(ErpVerdict.CREDIT_HOLD))
    due = saga.order.credit_hold_since + POLICY.slas.credit_hold_timeout_ms

    decisions = saga.feed(book.deadline(DeadlineKind.CREDIT_HOLD_TIMEOUT, due))

    assert [(r.sku, r.line_claim_id) for r in only(ReleaseLine, decisions)] == [
        ("RETRO-CLOCK", "1"), ("MINIMALIST-SPOON", "2")]
    assert saga.order.status is OrderStatus.CANCELLED
    assert [e.exception_type for e in only(OrderException, decisions)] == [OrderExceptionType.CREDIT_HOLD_TIMEOUT]
    [cancel] = [c for c in only(ErpCommand, decisions) if c.command is ErpCommandKind.CANCEL_ORDER]
    assert [(line.line_id, line.quantity) for line in cancel.lines] == [("1", 3), ("2", 2)]
    saga.feed(book.released("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.released("2", "MINIMALIST-SPOON", ("WH-EAST", 1), ("WH-WEST", 1)))
    assert claims_by_sku(saga.order) == {}


def test_credit_released_before_the_deadline_proceeds_to_allocation() -> None:
    book, saga = reserved_order()
    saga.feed(book.erp(ErpVerdict.CREDIT_HOLD))
    due = saga.order.credit_hold_since + POLICY.slas.credit_hold_timeout_ms

    decisions = saga.feed(book.erp(ErpVerdict.CREDIT_RELEASED))
    late_timer = saga.feed(book.deadline(DeadlineKind.CREDIT_HOLD_TIMEOUT, due))

    assert saga.order.status is OrderStatus.ACCEPTED
    assert len(only(AllocateLine, decisions)) == 3
    assert any(d.kind is DeadlineKind.CREDIT_HOLD_TIMEOUT for d in decisions if hasattr(d, "kind"))
    assert not only(ReleaseLine, late_timer) and not only(OrderException, late_timer)


def test_an_erp_rejection_releases_what_was_reserved_and_rejects_the_order() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK, SPOON), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.backordered("2", "MINIMALIST-SPOON", 2))

    decisions = saga.feed(book.erp(ErpVerdict.REJECTED, "customer blocked"))

    assert [r.line_claim_id for r in only(ReleaseLine, decisions)] == ["1", "2"]
    assert saga.order.status is OrderStatus.REJECTED
    [exception] = only(OrderException, decisions)
    assert exception.exception_type is OrderExceptionType.ERP_REJECTED and "customer blocked" in exception.reason
    [change] = only(OrderStatusChanged, decisions)
    assert (change.old_status, change.new_status) == (OrderStatus.PARTIALLY_BACKORDERED, OrderStatus.REJECTED)


def test_an_unknown_sku_puts_the_order_on_hold_with_an_exception() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK, SPOON), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))

    decisions = saga.feed(book.unknown_sku("2", "MINIMALIST-SPOON"))

    assert saga.order.status is OrderStatus.ON_HOLD
    [exception] = only(OrderException, decisions)
    assert (exception.exception_type, exception.subject) == (OrderExceptionType.UNKNOWN_SKU, "2")
    assert not only(ErpCommand, saga.decisions)
    saga.feed(book.reserved("2", "MINIMALIST-SPOON", ("WH-WEST", 2)))  # the reservation is asked for again
    assert saga.order.status is OrderStatus.RESERVED
    assert only(ErpCommand, saga.last)[0].command is ErpCommandKind.ACCEPT_ORDER


def test_cancelling_the_unknown_line_lets_the_rest_of_the_order_go_on() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK, SPOON), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              book.unknown_sku("2", "MINIMALIST-SPOON"))

    decisions = saga.feed(book.cancel("2"))

    assert not only(ReleaseLine, decisions)  # nothing was reserved for it anywhere
    assert saga.order.status is OrderStatus.RESERVED
    assert only(ErpCommand, decisions)[0].command is ErpCommandKind.ACCEPT_ORDER


def test_a_late_first_answer_after_acceptance_is_allocated_at_once() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.erp(ErpVerdict.ACCEPTED))
    assert saga.order.status is OrderStatus.ACCEPTED

    decisions = saga.feed(book.reserved("1", "RETRO-CLOCK", ("WH-WEST", 3)))

    assert [(d.location) for d in only(AllocateLine, decisions)] == ["WH-WEST"]
    assert len(only(FulfilmentRequested, decisions)) == 1
    assert not only(ErpCommand, saga.decisions)  # the ERP had decided already


def test_reserved_units_of_other_lines_wait_while_a_line_is_on_hold_after_acceptance() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK, SPOON), book.erp(ErpVerdict.ACCEPTED),
              book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))
    saga.feed(book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)))

    decisions = saga.feed(book.unknown_sku("2", "MINIMALIST-SPOON"))

    assert saga.order.status is OrderStatus.ON_HOLD
    assert at(("WH-EAST", 3)) == saga.order.lines[0].claims[0].allocated
    assert not only(AllocateLine, decisions)
