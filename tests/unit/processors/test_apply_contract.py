import pytest

from processors.inventory import (
    AvailabilityChanged, DuplicateIgnored, InventoryPolicy, ReceiptConfirmed, ReservationRequested, apply_facts,
    empty_inventory)
from tests.unit.processors.factories import FactBook, only, run


def test_a_fact_for_another_sku_is_a_programming_error() -> None:
    fact = FactBook(sku="MINIMALIST-SPOON").receipt("WH-EAST", 1)

    with pytest.raises(ValueError, match="MINIMALIST-SPOON"):
        run([fact], state=empty_inventory("RETRO-CLOCK"))


@pytest.mark.parametrize("build", [
    lambda: ReceiptConfirmed("e1", 0, "RETRO-CLOCK", "WH-EAST", 0),
    lambda: ReservationRequested("e1", 0, "RETRO-CLOCK", "O-1", "1", -2, 0),
    lambda: ReservationRequested("e1", 0, "RETRO-CLOCK", "O-1", "1", 2, 0, (), 0),
])
def test_impossible_quantities_are_refused_when_the_fact_is_built(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        build()


def test_duplicates_inside_a_batch_are_ignored_and_reported() -> None:
    book = FactBook()
    receipt = book.receipt("WH-EAST", 2)

    state, decisions = apply_facts(empty_inventory(book.sku), [receipt, receipt], InventoryPolicy())

    assert state.version == 1
    assert only(DuplicateIgnored, decisions) == [DuplicateIgnored(book.sku, receipt.event_id)]
    assert only(AvailabilityChanged, decisions)[0].total == 2


def test_an_empty_batch_changes_nothing() -> None:
    state = empty_inventory("RETRO-CLOCK")

    assert apply_facts(state, [], InventoryPolicy()) == (state, ())
