from processors.inventory import (
    AvailabilityChanged, InventoryPolicy, LocationQuantity, ShortfallDetected, StockStatus, apply_facts,
    empty_inventory, published_availability)
from tests.unit.processors.factories import FactBook, only, run

EAST, WEST = "WH-EAST", "WH-WEST"


def test_available_to_promise_subtracts_claims_unavailable_and_safety_stock() -> None:
    book = FactBook()
    policy = InventoryPolicy(default_safety_stock=1)
    facts = [book.receipt(EAST, 10), book.order("O-1", 2), book.order("O-2", 3), book.allocation("O-2"),
             book.status_move(EAST, 1, StockStatus.AVAILABLE, StockStatus.HOLD)]

    state, _ = run(facts, policy)

    assert published_availability(state, policy) == ((LocationQuantity(EAST, 3),), 3)


def test_published_availability_is_floored_at_zero_per_location_before_the_total() -> None:
    book = FactBook()
    policy = InventoryPolicy(safety_stock_by_location={EAST: 5})

    state, _ = run([book.receipt(EAST, 2), book.receipt(WEST, 4)], policy)

    assert published_availability(state, policy) == ((LocationQuantity(EAST, 0), LocationQuantity(WEST, 4)), 4)


def test_availability_changed_carries_every_figure_and_the_version() -> None:
    book = FactBook()

    state, decisions = run([book.receipt(EAST, 2), book.receipt(WEST, 1)])

    latest = only(AvailabilityChanged, decisions)[-1]
    assert (latest.locations, latest.total, latest.version) == (
        (LocationQuantity(EAST, 2), LocationQuantity(WEST, 1)), 3, state.version)


def test_availability_changed_is_not_emitted_when_no_published_figure_moves() -> None:
    book = FactBook()
    policy = InventoryPolicy(default_safety_stock=5)

    _, decisions = run([book.receipt(EAST, 2), book.supply(EAST, "PO-1", 4), book.order("O-1", 1)], policy)

    assert only(AvailabilityChanged, decisions) == []


def test_a_batch_emits_one_availability_change_for_its_net_effect() -> None:
    book = FactBook()
    facts = [book.receipt(EAST, 5), book.order("O-1", 2), book.receipt(WEST, 1), book.order("O-2", 1)]

    state, decisions = apply_facts(empty_inventory(book.sku), facts, InventoryPolicy())

    (changed,) = only(AvailabilityChanged, decisions)
    assert (changed.total, changed.version) == (3, state.version)
    assert len(decisions) == 3


def test_a_batch_that_ends_where_it_started_emits_no_availability_change() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 5)])

    _, decisions = apply_facts(state, [book.order("O-1", 2), book.release("O-1")], InventoryPolicy())

    assert only(AvailabilityChanged, decisions) == []


def test_shortfall_is_raised_once_when_claims_come_to_exceed_sellable_stock() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 3), book.order("O-1", 3), book.allocation("O-1")])

    _, decisions = run([book.adjustment(EAST, -1, "shrinkage"), book.adjustment(EAST, -1, "shrinkage"),
                        book.adjustment(EAST, 2, "found"), book.adjustment(EAST, -1, "shrinkage")], state=state)

    shortfalls = only(ShortfallDetected, decisions)
    assert [(s.sellable, s.claimed, s.shortfall) for s in shortfalls] == [(2, 3, 1), (2, 3, 1)]
    assert [s.caused_by for s in shortfalls] == [book.sku + "-e4", book.sku + "-e7"]


def test_dipping_into_safety_stock_publishes_zero_but_is_not_a_shortfall() -> None:
    book = FactBook()
    policy = InventoryPolicy(default_safety_stock=2)

    state, decisions = run([book.receipt(EAST, 1)], policy)

    assert published_availability(state, policy)[1] == 0
    assert only(ShortfallDetected, decisions) == []
