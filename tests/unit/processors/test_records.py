import json

import pytest

from processors.inventory import (
    Disposition, InventoryPolicy, SkuInventory, StockStatus, empty_inventory, from_record, to_record)
from tests.unit.processors.factories import FactBook, run

EAST, WEST = "WH-EAST", "WH-WEST"


def busy_inventory() -> SkuInventory:
    book = FactBook()
    at_start = book.now
    facts = [
        book.supply(EAST, "PO-1/1", 10), book.receipt(EAST, 4, po_line_id="PO-1/1"), book.receipt(WEST, 2),
        book.status_move(EAST, 1, StockStatus.AVAILABLE, StockStatus.DAMAGED), book.order("O-1", 3, max_locations=2),
        book.order("O-2", 5, preferred=(WEST,)), book.allocation("O-1", location=EAST), book.release("O-9"),
        book.return_received(WEST, 1), book.disposition(WEST, 1, Disposition.SCRAP), book.count(WEST, 0),
        book.snapshot(EAST, 4, as_of=at_start), book.shipment("O-1", EAST, 1), book.short_pick("O-1", EAST, 1)]
    state, _ = run(facts, InventoryPolicy(dedupe_window_size=8, max_recent_movements=2))
    return state


def test_an_empty_inventory_survives_the_round_trip() -> None:
    assert from_record(to_record(empty_inventory("RETRO-CLOCK"))) == empty_inventory("RETRO-CLOCK")


def test_a_busy_inventory_survives_the_round_trip_through_json() -> None:
    state = busy_inventory()

    restored = from_record(json.loads(json.dumps(to_record(state))))

    assert restored == state
    assert to_record(restored) == to_record(state)


def test_event_time_zero_is_kept_apart_from_unset() -> None:
    book = FactBook(start=-1000)

    state, _ = run([book.receipt(EAST, 1)])

    assert state.as_of == 0
    assert from_record(to_record(state)).as_of == 0


def test_an_unknown_record_format_is_refused() -> None:
    record = to_record(busy_inventory()) | {"format": 99}

    with pytest.raises(ValueError, match="format 99"):
        from_record(record)
