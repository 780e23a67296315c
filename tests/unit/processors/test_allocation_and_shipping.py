from processors.inventory import (
    AllocationReleased, ClaimMismatch, LineAllocated, LocationQuantity, ReservationAnswered, ReservationStatus,
    ShortPickRecorded, stock_at)
from tests.unit.processors.factories import FactBook, only, run

EAST, WEST = "WH-EAST", "WH-WEST"


def test_allocation_moves_the_reservation_to_a_hard_claim() -> None:
    book = FactBook()

    state, decisions = run([book.receipt(EAST, 5), book.order("O-1", 3), book.allocation("O-1")])

    (allocated,) = only(LineAllocated, decisions)
    assert (allocated.allocated, allocated.still_reserved) == ((LocationQuantity(EAST, 3),), ())
    assert (stock_at(state, EAST).reserved, stock_at(state, EAST).allocated) == (0, 3)


def test_allocation_at_one_location_leaves_the_others_reserved() -> None:
    book = FactBook()
    facts = [book.receipt(EAST, 1), book.receipt(WEST, 1), book.order("O-1", 2, max_locations=2),
             book.allocation("O-1", location=WEST)]

    _, decisions = run(facts)

    (allocated,) = only(LineAllocated, decisions)
    assert (allocated.allocated, allocated.still_reserved) == (
        (LocationQuantity(WEST, 1),), (LocationQuantity(EAST, 1),))


def test_shipping_takes_units_off_hand_and_closes_the_line() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 5), book.order("O-1", 3), book.allocation("O-1")])

    state, decisions = run([book.shipment("O-1", EAST, 3)], state=state)

    assert (stock_at(state, EAST).on_hand, stock_at(state, EAST).allocated) == (2, 0)
    assert state.claims == () and not only(ClaimMismatch, decisions)
    _, repeat = run([book.order("O-1", 3)], state=state)
    assert only(ReservationAnswered, repeat)[0].status == ReservationStatus.CLOSED


def test_a_shipment_seen_before_its_allocation_consumes_the_reservation_once() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 5), book.order("O-1", 2)])

    state, decisions = run([book.shipment("O-1", EAST, 2), book.allocation("O-1")], state=state)

    assert (stock_at(state, EAST).on_hand, stock_at(state, EAST).reserved, stock_at(state, EAST).allocated) == (
        3, 0, 0)
    assert only(LineAllocated, decisions)[0].allocated == ()


def test_a_shipment_beyond_the_claim_still_leaves_on_hand_and_is_reported() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 5), book.order("O-1", 1), book.allocation("O-1")])

    state, decisions = run([book.shipment("O-1", EAST, 3)], state=state)

    (mismatch,) = only(ClaimMismatch, decisions)
    assert mismatch.unmatched == 2
    assert stock_at(state, EAST).on_hand == 2


def test_short_pick_takes_the_missing_units_off_hand_and_off_the_allocation() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 3), book.order("O-1", 3), book.allocation("O-1")])

    state, decisions = run([book.short_pick("O-1", EAST, 1)], state=state)

    assert only(ShortPickRecorded, decisions)[0].short_quantity == 1
    assert (stock_at(state, EAST).on_hand, stock_at(state, EAST).allocated) == (2, 2)
    assert state.claims[0].allocated == (LocationQuantity(EAST, 2),)


def test_a_cancelled_allocation_returns_to_available() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 3), book.order("O-1", 2), book.allocation("O-1")])

    state, decisions = run([book.allocation_cancelled("O-1", EAST)], state=state)

    assert only(AllocationReleased, decisions)[0].quantity == 2
    assert (stock_at(state, EAST).allocated, stock_at(state, EAST).sellable) == (0, 3)
    assert state.claims == ()


def test_cancelling_an_allocation_that_is_not_there_releases_nothing() -> None:
    book = FactBook()

    state, decisions = run([book.receipt(EAST, 3), book.allocation_cancelled("O-9", EAST)])

    assert only(AllocationReleased, decisions)[0].quantity == 0
    assert stock_at(state, EAST).sellable == 3
