"""Duplicates change nothing; the status is derived and moves only along the transition table."""
from __future__ import annotations

import pytest

from processors.orders import (
    ACCEPTANCE_TRANSITIONS, STATUS_TRANSITIONS, TERMINAL, Acceptance, DuplicateIgnored, ErpVerdict, OrderException,
    OrderExceptionType, OrderStatus, PlacedLine, derive_status)
from processors.orders.facts import OrderPlaced
from tests.unit.orders.factories import OrderBook, Saga, business, only

CLOCK = PlacedLine("1", "RETRO-CLOCK", 3)


def test_a_redelivered_event_changes_nothing() -> None:
    book, saga = OrderBook(), Saga()
    answer = book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3))
    saga.feed(book.placed(CLOCK), answer)
    before = saga.order

    decisions = saga.feed(answer)

    assert saga.order is before
    assert decisions == (DuplicateIgnored("O-1001", "corr-O-1001", answer.event_id),)


def test_a_duplicate_order_placed_with_the_same_content_is_ignored() -> None:
    book, saga = OrderBook(), Saga()
    placed = book.placed(CLOCK)
    saga.feed(placed)
    before = saga.order
    again = OrderPlaced("resent-by-storefront", placed.occurred_at + 5000, placed.order_id, placed.customer,
                        placed.channel, placed.lines)

    decisions = saga.feed(again)

    assert business(saga.order) == business(before)
    assert [type(d) for d in decisions] == [DuplicateIgnored]
    assert saga.feed(again) == (DuplicateIgnored("O-1001", "corr-O-1001", again.event_id),)


def test_an_order_placed_again_with_other_content_is_a_conflict() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK))

    decisions = saga.feed(book.placed(PlacedLine("1", "RETRO-CLOCK", 4)))

    [exception] = only(OrderException, decisions)
    assert exception.exception_type is OrderExceptionType.DUPLICATE_ORDER_CONFLICT
    assert saga.order.lines[0].quantity == 3


@pytest.mark.parametrize("setup, verdict", [
    ((), ErpVerdict.CREDIT_RELEASED),
    ((ErpVerdict.ACCEPTED,), ErpVerdict.REJECTED),
    ((ErpVerdict.ACCEPTED,), ErpVerdict.CREDIT_HOLD),
    ((ErpVerdict.REJECTED,), ErpVerdict.ACCEPTED),
])
def test_an_illegal_acceptance_transition_is_refused_with_a_reason(setup: tuple[ErpVerdict, ...],
                                                                   verdict: ErpVerdict) -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)),
              *(book.erp(v) for v in setup))
    before = saga.order

    decisions = saga.feed(book.erp(verdict))

    [exception] = only(OrderException, decisions)
    assert exception.exception_type is OrderExceptionType.ILLEGAL_TRANSITION
    assert str(verdict) in exception.reason
    assert (saga.order.acceptance, saga.order.status, saga.order.lines) == (
        before.acceptance, before.status, before.lines)
    assert saga.order.version == before.version + 1


def test_a_verdict_the_order_already_reflects_is_a_duplicate() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.CREDIT_HOLD),
              book.erp(ErpVerdict.CREDIT_RELEASED))

    assert [type(d) for d in saga.feed(book.erp(ErpVerdict.ACCEPTED))] == [DuplicateIgnored]


def test_an_illegal_status_transition_is_refused_and_nothing_is_applied() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)))
    before = saga.order

    decisions = saga.feed(book.short("1", "WH-EAST", 1))  # a short pick of units no warehouse was asked for

    [exception] = only(OrderException, decisions)
    assert exception.exception_type is OrderExceptionType.ILLEGAL_TRANSITION
    assert "RESERVED to RECEIVED" in exception.reason
    assert saga.order.lines == before.lines and saga.order.status is OrderStatus.RESERVED


def test_the_stored_status_is_always_the_derived_one_and_the_timeline_records_each_move() -> None:
    book, saga = OrderBook(), Saga()
    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.ACCEPTED),
              book.allocated("1", "RETRO-CLOCK", ("WH-EAST", 3)))

    assert saga.order.status is derive_status(saga.order)
    assert [(e.axis, e.old, e.new) for e in saga.order.timeline] == [
        ("status", "", "RECEIVED"), ("status", "RECEIVED", "RESERVED"), ("acceptance", "PENDING", "ACCEPTED"),
        ("status", "RESERVED", "ACCEPTED"), ("status", "ACCEPTED", "ALLOCATED")]
    assert {e.correlation_id for e in saga.order.timeline} == {"corr-O-1001"}
    assert [e.caused_by for e in saga.order.timeline][-1] == saga.facts[-1].event_id


def test_the_timeline_is_bounded() -> None:
    from processors.orders import OrderPolicy
    from tests.unit.orders.factories import POLICY
    book, saga = OrderBook(), Saga(policy=OrderPolicy(POLICY.sourcing, POLICY.slas, timeline_limit=2))

    saga.feed(book.placed(CLOCK), book.reserved("1", "RETRO-CLOCK", ("WH-EAST", 3)), book.erp(ErpVerdict.ACCEPTED))

    assert [e.new for e in saga.order.timeline] == ["ACCEPTED", "ACCEPTED"]
    assert saga.order.timeline_dropped == 2


def test_the_transition_tables_cover_every_state_and_terminal_states_have_no_way_out() -> None:
    assert set(STATUS_TRANSITIONS) == {None, *OrderStatus}
    assert all(not STATUS_TRANSITIONS[status] for status in TERMINAL)
    assert all(status not in targets for status, targets in STATUS_TRANSITIONS.items())
    assert set(ACCEPTANCE_TRANSITIONS) == set(Acceptance)
    assert not ACCEPTANCE_TRANSITIONS[Acceptance.ACCEPTED] and not ACCEPTANCE_TRANSITIONS[Acceptance.REJECTED]


def test_fact_constructors_reject_impossible_values() -> None:
    with pytest.raises(ValueError, match="quantity must be positive"):
        PlacedLine("1", "RETRO-CLOCK", 0)
    with pytest.raises(ValueError, match="must not contain"):
        PlacedLine("1~r1", "RETRO-CLOCK", 1)
    with pytest.raises(ValueError, match="repeats a line id"):
        OrderPlaced("e", 1, "O", "C", "web", (CLOCK, CLOCK))
    with pytest.raises(ValueError, match="not 'O-2'"):
        from processors.orders import apply, new_order
        from tests.unit.orders.factories import POLICY
        apply(new_order("O-2"), OrderBook().placed(CLOCK), POLICY)
