from processors.inventory import (
    Disposition, InventoryPolicy, StaleFactIgnored, StockStatus, SupplyStatus, published_availability, stock_at)
from processors.inventory.supply import incoming_total
from tests.unit.processors.factories import FactBook, only, run

EAST = "WH-EAST"


def published_total(state) -> int:  # type: ignore[no-untyped-def]
    return published_availability(state, InventoryPolicy())[1]


def test_a_receipt_raises_on_hand_and_lowers_the_po_lines_incoming() -> None:
    book = FactBook()

    state, _ = run([book.supply(EAST, "PO-1/1", 10), book.receipt(EAST, 4, po_line_id="PO-1/1")])

    assert stock_at(state, EAST).on_hand == 4
    assert incoming_total(stock_at(state, EAST).incoming) == 6


def test_a_receipt_beyond_the_po_line_floors_incoming_at_zero() -> None:
    book = FactBook()

    state, _ = run([book.supply(EAST, "PO-1/1", 3), book.receipt(EAST, 5, po_line_id="PO-1/1")])

    assert incoming_total(stock_at(state, EAST).incoming) == 0


def test_supply_updates_are_absolute_so_repeats_change_nothing() -> None:
    book = FactBook()

    state, _ = run([book.supply(EAST, "PO-1/1", 10), book.supply(EAST, "PO-1/1", 10),
                    book.supply(EAST, "PO-1/2", 5), book.supply(EAST, "PO-1/2", 0, SupplyStatus.CANCELLED)])

    assert incoming_total(stock_at(state, EAST).incoming) == 10


def test_an_erp_supply_figure_older_than_a_receipt_is_reduced_by_it() -> None:
    book = FactBook()
    receipt = book.receipt(EAST, 4, po_line_id="PO-1/1")
    figure_before_the_receipt = book.supply(EAST, "PO-1/1", 10, at=receipt.occurred_at - 1)

    state, _ = run([receipt, figure_before_the_receipt])

    assert incoming_total(stock_at(state, EAST).incoming) == 6


def test_a_stale_supply_figure_is_ignored() -> None:
    book = FactBook()
    newer = book.supply(EAST, "PO-1/1", 2)
    older = book.supply(EAST, "PO-1/1", 10, at=newer.occurred_at - 5)

    state, decisions = run([newer, older])

    assert incoming_total(stock_at(state, EAST).incoming) == 2
    assert len(only(StaleFactIgnored, decisions)) == 1


def test_incoming_is_never_available_to_promise() -> None:
    book = FactBook()

    state, _ = run([book.supply(EAST, "PO-1/1", 10)])

    assert published_total(state) == 0


def test_damaged_units_stay_on_hand_but_are_not_sold() -> None:
    book = FactBook()

    state, _ = run([book.receipt(EAST, 5), book.status_move(EAST, 2, StockStatus.AVAILABLE, StockStatus.DAMAGED)])

    assert (stock_at(state, EAST).on_hand, stock_at(state, EAST).damaged, published_total(state)) == (5, 2, 3)


def test_a_status_move_never_takes_more_than_the_status_holds() -> None:
    book = FactBook()

    state, _ = run([book.receipt(EAST, 5), book.status_move(EAST, 1, StockStatus.AVAILABLE, StockStatus.HOLD),
                    book.status_move(EAST, 4, StockStatus.HOLD, StockStatus.QUALITY_CONTROL)])

    assert (stock_at(state, EAST).hold, stock_at(state, EAST).quality_control) == (0, 1)


def test_returns_arrive_into_quality_control_and_are_not_sold_until_restocked() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 1), book.return_received(EAST, 2)])
    assert (stock_at(state, EAST).on_hand, published_total(state)) == (3, 1)

    state, _ = run([book.disposition(EAST, 2, Disposition.RESTOCK)], state=state)

    assert (stock_at(state, EAST).quality_control, published_total(state)) == (0, 3)


def test_scrap_never_raises_availability() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 1), book.return_received(EAST, 2)])

    scrapped, _ = run([book.disposition(EAST, 2, Disposition.SCRAP)], state=state)
    scrapped_beyond_qc, _ = run([book.disposition(EAST, 3, Disposition.SCRAP)], state=state)

    assert published_total(scrapped) == published_total(state) == 1
    assert published_total(scrapped_beyond_qc) == 0
    assert stock_at(scrapped, EAST).on_hand == 1


def test_an_adjustment_moves_on_hand_by_its_delta() -> None:
    book = FactBook()

    state, _ = run([book.receipt(EAST, 5), book.adjustment(EAST, -2, "shrinkage")])

    assert stock_at(state, EAST).on_hand == 3
