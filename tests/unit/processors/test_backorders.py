from processors.inventory import (
    BackorderFilled, LocationQuantity, ReservationAnswered, ReservationStatus, StockStatus, stock_at)
from tests.unit.processors.factories import FactBook, only, run

EAST, WEST = "WH-EAST", "WH-WEST"


def filled(decisions: list) -> list[tuple[str, tuple[LocationQuantity, ...], int]]:
    return [(d.order_id, d.filled, d.still_backordered) for d in only(BackorderFilled, decisions)]


def test_receipt_fills_backorders_first_in_first_out() -> None:
    book = FactBook()
    waiting, _ = run([book.order("O-late", 2, ordered_at=300), book.order("O-early", 2, ordered_at=100),
                      book.order("O-middle", 2, ordered_at=200)])

    state, decisions = run([book.receipt(EAST, 3)], state=waiting)

    assert filled(decisions) == [("O-early", (LocationQuantity(EAST, 2),), 0),
                                 ("O-middle", (LocationQuantity(EAST, 1),), 1)]
    assert [(entry.order_id, entry.outstanding) for entry in state.backorders] == [("O-middle", 1), ("O-late", 2)]


def test_backorders_ordered_at_the_same_time_fill_by_order_id() -> None:
    book = FactBook()
    waiting, _ = run([book.order("O-b", 1, ordered_at=100), book.order("O-a", 1, ordered_at=100)])

    _, decisions = run([book.receipt(EAST, 1)], state=waiting)

    assert [order for order, _, _ in filled(decisions)] == ["O-a"]


def test_a_repeat_request_after_the_fill_answers_what_the_line_holds_now() -> None:
    book = FactBook()
    state, _ = run([book.order("O-1", 2), book.receipt(EAST, 2)])

    _, decisions = run([book.order("O-1", 2)], state=state)

    (answer,) = only(ReservationAnswered, decisions)
    assert (answer.status, answer.reserved, answer.backordered) == (
        ReservationStatus.RESERVED, (LocationQuantity(EAST, 2),), 0)


def test_a_cancelled_allocation_goes_to_the_backorder_queue_first() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 2), book.order("O-1", 2), book.allocation("O-1"), book.order("O-2", 1)])

    state, decisions = run([book.allocation_cancelled("O-1", EAST)], state=state)

    assert filled(decisions) == [("O-2", (LocationQuantity(EAST, 1),), 0)]
    assert stock_at(state, EAST).reserved == 1 and stock_at(state, EAST).allocated == 0


def test_units_back_from_damaged_fill_backorders() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 1), book.status_move(EAST, 1, StockStatus.AVAILABLE, StockStatus.DAMAGED),
                    book.order("O-1", 1)])

    _, decisions = run([book.status_move(EAST, 1, StockStatus.DAMAGED, StockStatus.AVAILABLE)], state=state)

    assert filled(decisions) == [("O-1", (LocationQuantity(EAST, 1),), 0)]


def test_a_fill_respects_the_lines_location_limit_and_the_next_line_may_take_the_stock() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 1), book.order("O-1", 3, max_locations=1), book.order("O-2", 1)])

    state, decisions = run([book.receipt(WEST, 1)], state=state)

    assert filled(decisions) == [("O-2", (LocationQuantity(WEST, 1),), 0)]
    assert [(entry.order_id, entry.outstanding) for entry in state.backorders] == [("O-1", 2)]


def test_a_released_line_leaves_the_queue_and_is_never_filled() -> None:
    book = FactBook()
    state, _ = run([book.order("O-1", 1), book.order("O-2", 1), book.release("O-1")])

    _, decisions = run([book.receipt(EAST, 1)], state=state)

    assert [order for order, _, _ in filled(decisions)] == ["O-2"]
