from processors.inventory import DriftDetected, InventoryPolicy, StaleFactIgnored, stock_at
from tests.unit.processors.factories import FactBook, only, run

EAST = "WH-EAST"


def test_snapshot_that_agrees_with_wms_deltas_changes_nothing() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 10)])
    as_of = book.now
    state, _ = run([book.shipment("O-x", EAST, 3), book.receipt(EAST, 1)], state=state)

    state, decisions = run([book.snapshot(EAST, 10, as_of=as_of)], state=state)

    assert stock_at(state, EAST).on_hand == 8
    assert not only(DriftDetected, decisions)


def test_snapshot_that_disagrees_with_wms_deltas_raises_drift() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 10)])
    as_of = book.now
    state, _ = run([book.adjustment(EAST, -3)], state=state)

    state, decisions = run([book.snapshot(EAST, 7, as_of=as_of)], state=state)

    (drift,) = only(DriftDetected, decisions)
    assert (drift.previous_on_hand, drift.reconciled_on_hand, drift.difference) == (7, 4, -3)
    assert stock_at(state, EAST).on_hand == 4


def test_drift_within_tolerance_is_corrected_silently() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 10)])

    state, decisions = run([book.snapshot(EAST, 9, as_of=book.now)], InventoryPolicy(drift_tolerance=1), state)

    assert not only(DriftDetected, decisions)
    assert stock_at(state, EAST).on_hand == 9


def test_a_movement_older_than_the_snapshot_is_assumed_included() -> None:
    book = FactBook()
    state, _ = run([book.receipt(EAST, 10)])
    late_shipment = book.shipment("O-x", EAST, 2)
    state, _ = run([book.snapshot(EAST, 8, as_of=late_shipment.occurred_at + 1)], state=state)

    state, _ = run([late_shipment], state=state)

    assert stock_at(state, EAST).on_hand == 8


def test_a_snapshot_older_than_the_last_count_is_ignored() -> None:
    book = FactBook()
    old_as_of = book.now
    state, _ = run([book.receipt(EAST, 10), book.count(EAST, 9)])

    state, decisions = run([book.snapshot(EAST, 50, as_of=old_as_of)], state=state)

    assert stock_at(state, EAST).on_hand == 9
    assert len(only(StaleFactIgnored, decisions)) == 1


def test_a_snapshot_beyond_the_remembered_movements_is_ignored() -> None:
    book = FactBook()
    as_of = book.now
    policy = InventoryPolicy(max_recent_movements=2)
    state, _ = run([book.receipt(EAST, 1), book.receipt(EAST, 1), book.receipt(EAST, 1)], policy)

    state, decisions = run([book.snapshot(EAST, 50, as_of=as_of)], policy, state)

    assert stock_at(state, EAST).on_hand == 3
    assert "forgotten" in only(StaleFactIgnored, decisions)[0].reason


def test_a_late_count_is_rebased_with_the_movements_after_it() -> None:
    book = FactBook()
    count_time = book.now + 1500  # between the two receipts
    state, _ = run([book.receipt(EAST, 10), book.receipt(EAST, 5)])

    state, _ = run([book.count(EAST, 7, at=count_time)], state=state)

    assert stock_at(state, EAST).on_hand == 12


def test_the_first_figure_for_a_new_location_is_an_opening_balance_not_drift() -> None:
    book = FactBook()

    state, decisions = run([book.snapshot(EAST, 40, as_of=book.now)])

    assert not only(DriftDetected, decisions)
    assert stock_at(state, EAST).on_hand == 40
    state, decisions = run([book.snapshot(EAST, 35, as_of=book.now + 1)], state=state)
    assert only(DriftDetected, decisions)  # the second figure that disagrees is drift again
