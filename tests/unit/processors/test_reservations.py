from processors.inventory import (
    InventoryPolicy, LocationQuantity, ReservationAnswered, ReservationStatus, SkuInventory, apply_fact,
    empty_inventory, is_known, stock_at)
from tests.unit.processors.factories import FactBook, only, run

EAST, WEST, STORE = "WH-EAST", "WH-WEST", "STORE-1"


def answers(decisions: list) -> list[ReservationAnswered]:
    return only(ReservationAnswered, decisions)


def test_two_orders_for_the_last_unit_one_is_backordered() -> None:
    book = FactBook()

    _, decisions = run([book.receipt(EAST, 1), book.order("O-1", 1), book.order("O-2", 1)])

    first, second = answers(decisions)
    assert (first.status, first.reserved) == (ReservationStatus.RESERVED, (LocationQuantity(EAST, 1),))
    assert (second.status, second.reserved, second.backordered) == (ReservationStatus.BACKORDERED, (), 1)


def test_a_short_line_is_partly_reserved_and_partly_backordered() -> None:
    book = FactBook()

    state, decisions = run([book.receipt(EAST, 3), book.order("O-1", 5)])

    (answer,) = answers(decisions)
    assert (answer.status, answer.reserved, answer.backordered) == (
        ReservationStatus.PARTIAL, (LocationQuantity(EAST, 3),), 2)
    assert [(entry.order_id, entry.outstanding) for entry in state.backorders] == [("O-1", 2)]


def test_preferred_locations_are_used_first_then_the_most_available() -> None:
    book = FactBook()
    stock = [book.receipt(EAST, 2), book.receipt(WEST, 10), book.receipt(STORE, 5)]

    _, decisions = run([*stock, book.order("O-1", 9, preferred=(STORE,), max_locations=3)])

    assert answers(decisions)[0].reserved == (LocationQuantity(STORE, 5), LocationQuantity(WEST, 4))


def test_a_line_never_uses_more_locations_than_allowed() -> None:
    book = FactBook()
    stock = [book.receipt(EAST, 2), book.receipt(WEST, 2), book.receipt(STORE, 2)]

    _, decisions = run([*stock, book.order("O-1", 6, max_locations=2)])

    (answer,) = answers(decisions)
    assert len(answer.reserved) == 2
    assert answer.backordered == 2


def test_safety_stock_is_never_reserved() -> None:
    book = FactBook()
    policy = InventoryPolicy(default_safety_stock=1, safety_stock_by_location={WEST: 0})

    _, decisions = run([book.receipt(EAST, 3), book.receipt(WEST, 1), book.order("O-1", 4, max_locations=2)],
                       policy)

    (answer,) = answers(decisions)
    assert answer.reserved == (LocationQuantity(EAST, 2), LocationQuantity(WEST, 1))
    assert answer.backordered == 1


def test_a_repeated_request_changes_nothing_and_gets_the_same_answer() -> None:
    book = FactBook()
    state, first = run([book.receipt(EAST, 1), book.order("O-1", 2)])
    repeat = book.order("O-1", 2)

    again, decisions = apply_fact(state, repeat, InventoryPolicy())

    assert (again.locations, again.claims, again.backorders) == (state.locations, state.claims, state.backorders)
    assert answers(decisions)[0].status == answers(first)[0].status == ReservationStatus.PARTIAL
    assert answers(decisions)[0].reserved == answers(first)[0].reserved


def test_release_returns_exactly_what_was_reserved() -> None:
    book = FactBook()
    before, _ = run([book.receipt(EAST, 3), book.receipt(WEST, 1)])
    held, _ = run([book.order("O-1", 5, max_locations=2), book.order("O-2", 1)], state=before)

    released, decisions = run([book.release("O-1")], state=held)

    (answer,) = answers(decisions)
    assert answer.status == ReservationStatus.RELEASED
    assert answer.released == (LocationQuantity(EAST, 3), LocationQuantity(WEST, 1))
    assert [entry.order_id for entry in released.backorders] == []
    assert [claim.order_id for claim in released.claims] == ["O-2"]
    assert stock_at(released, EAST).reserved == 1 and stock_at(released, WEST).reserved == 0


def test_release_leaves_the_allocated_part_for_the_warehouse_to_cancel() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 2), book.receipt(WEST, 2), book.order("O-1", 4, max_locations=2),
                    book.allocation("O-1", location=EAST)])

    state, decisions = run([book.release("O-1")], state=state)

    (answer,) = answers(decisions)
    assert answer.released == (LocationQuantity(WEST, 2),)
    assert answer.allocated == (LocationQuantity(EAST, 2),)
    assert stock_at(state, EAST).allocated == 2 and stock_at(state, WEST).reserved == 0


def test_a_release_seen_before_its_request_keeps_the_late_request_from_reserving() -> None:
    book = FactBook()
    release, request = book.release("O-1"), book.order("O-1", 1)

    state, decisions = run([book.receipt(EAST, 5), release, request])

    assert [answer.status for answer in answers(decisions)] == [ReservationStatus.RELEASED, ReservationStatus.CLOSED]
    assert stock_at(state, EAST).reserved == 0


def test_a_request_for_a_sku_never_seen_is_backordered_and_the_caller_can_tell() -> None:
    book = FactBook(sku="NEW-SKU")
    assert not is_known(empty_inventory("NEW-SKU"))

    state, decisions = run([book.order("O-1", 1)])

    assert answers(decisions)[0].status == ReservationStatus.BACKORDERED
    assert not is_known(state)


def test_any_fact_at_a_new_location_creates_its_position() -> None:
    book = FactBook()

    state, _ = run([book.adjustment(STORE, 0)])

    assert is_known(state)
    assert isinstance(state, SkuInventory) and state.locations[0].location == STORE
