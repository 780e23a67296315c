"""Early facts held and released or expired; deadlines set, cleared and fired (each SLA breach once)."""
from __future__ import annotations

from processors.orders import (
    DeadlineCleared, DeadlineKind, DeadlineSet, DuplicateIgnored, ErpVerdict, FactHeld, FactIgnored,
    OrderException, OrderExceptionType, OrderStatus, PlacedLine, ReserveLine)
from processors.orders.policy import OrderPolicy
from tests.unit.orders.factories import POLICY, OrderBook, Saga, business, only

CLOCK = PlacedLine("1", "RETRO-CLOCK", 3)
K = DeadlineKind


def test_facts_before_the_order_is_placed_are_held_until_it_is() -> None:
    book, saga = OrderBook(), Saga()
    early_cancel = book.cancel()
    early_erp = book.erp(ErpVerdict.ACCEPTED)

    held = saga.feed(early_erp, early_cancel)
    assert [type(d) for d in held if not isinstance(d, DeadlineSet)] == [FactHeld, FactHeld]
    assert saga.order.status is None
    assert [d.kind for d in saga.order.deadlines] == [K.HELD_FACT_TIMEOUT]

    decisions = saga.feed(book.placed(CLOCK))

    assert saga.order.status is OrderStatus.CANCELLED
    assert saga.order.acceptance.name == "ACCEPTED"
    assert [d.kind for d in only(DeadlineCleared, decisions)] == [K.HELD_FACT_TIMEOUT]
    assert only(ReserveLine, decisions)  # asked for before the held cancellation released it again


def test_a_held_fact_expires_with_an_exception() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.ACCEPTED))
    shipment = book.shipped("S1", "WH-EAST", ("1", 3))
    saga.feed(shipment)
    [timer] = [d for d in saga.order.deadlines if d.kind is K.HELD_FACT_TIMEOUT]
    assert timer.due_at == book.now + POLICY.slas.held_fact_timeout_ms

    decisions = saga.feed(book.deadline(K.HELD_FACT_TIMEOUT, timer.due_at))

    [exception] = only(OrderException, decisions)
    assert (exception.exception_type, exception.subject) == (OrderExceptionType.HELD_FACT_EXPIRED, shipment.event_id)
    assert saga.order.held == ()
    assert K.HELD_FACT_TIMEOUT not in {d.kind for d in saga.order.deadlines}
    assert [type(d) for d in saga.feed(shipment)] == [DuplicateIgnored]  # its event id is still remembered


def test_too_many_held_facts_expire_the_oldest() -> None:
    book, saga = OrderBook(), Saga(policy=OrderPolicy(POLICY.sourcing, POLICY.slas, max_held_facts=2))
    first, second, third = book.cancel(), book.cancel("1"), book.erp(ErpVerdict.ACCEPTED)

    decisions = saga.feed(first, second, third)

    [exception] = only(OrderException, decisions)
    assert exception.subject == first.event_id
    assert [held.fact for held in saga.order.held] == [second, third]


def test_sla_breaches_are_raised_once() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))
    due = saga.order.placed_at + POLICY.slas.acceptance_ms

    first = saga.feed(book.deadline(K.ACCEPTANCE_SLA, due))
    refired = saga.feed(book.deadline(K.ACCEPTANCE_SLA, due + 1))
    saga.feed(book.erp(ErpVerdict.ACCEPTED))

    assert [e.exception_type for e in only(OrderException, first)] == [OrderExceptionType.SLA_BREACH_ACCEPTANCE]
    assert [type(d) for d in refired] == [FactIgnored]
    assert saga.order.breached == (K.ACCEPTANCE_SLA,)
    assert K.ACCEPTANCE_SLA not in {d.kind for d in saga.order.deadlines}


def test_allocation_and_shipment_slas_run_from_acceptance_and_the_first_fulfilment_request() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.backordered("1", "RETRO-CLOCK", 1, ("WH-EAST", 2)),
              book.erp(ErpVerdict.ACCEPTED))
    accepted_at = saga.order.accepted_at
    timers = {d.kind: d.due_at for d in saga.order.deadlines}
    assert timers == {K.ALLOCATION_SLA: accepted_at + POLICY.slas.allocation_ms,
                      K.SHIPMENT_SLA: saga.order.fulfilments[0].requested_at + POLICY.slas.shipment_confirmation_ms}

    allocation = saga.feed(book.deadline(K.ALLOCATION_SLA, timers[K.ALLOCATION_SLA]))
    shipment = saga.feed(book.deadline(K.SHIPMENT_SLA, timers[K.SHIPMENT_SLA]))

    assert [e.exception_type for e in only(OrderException, allocation + shipment)] == [
        OrderExceptionType.SLA_BREACH_ALLOCATION, OrderExceptionType.SLA_BREACH_SHIPMENT]
    assert saga.order.deadlines == ()
    assert saga.order.status is OrderStatus.ACCEPTED


def test_an_sla_met_is_not_armed_again_when_the_order_falls_back() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.ACCEPTED),
              book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)))
    assert K.ALLOCATION_SLA in saga.order.closed_deadlines

    decisions = saga.feed(book.short("1", "WH-EAST", 1))

    assert saga.order.status is OrderStatus.ACCEPTED
    assert K.ALLOCATION_SLA not in {d.kind for d in only(DeadlineSet, decisions)}


def test_a_stale_timer_changes_nothing() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK))
    before = saga.order

    decisions = saga.feed(book.deadline(K.CREDIT_HOLD_TIMEOUT, book.now), book.deadline(K.ACCEPTANCE_SLA, book.now))

    assert business(saga.order) == business(before)
    assert [type(d) for d in decisions] == [FactIgnored, FactIgnored]


def test_terminal_orders_keep_no_timers() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))

    decisions = saga.feed(book.erp(ErpVerdict.REJECTED))

    assert saga.order.deadlines == ()
    assert [d.kind for d in only(DeadlineCleared, decisions)] == [K.ACCEPTANCE_SLA]
