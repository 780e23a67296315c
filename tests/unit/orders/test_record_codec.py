"""The generated record converters write exactly the layout a plain walk over the dataclasses writes (format 1),
so records already in a changelog read back, and the order table's codec reads what json.dumps wrote."""
from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

from processors.inventory.dedupe import RecentKeys
from processors.orders import Order, OrderFact, PlacedLine, apply, fact_to_record, from_record, new_order, to_record
from processors.orders.records import _keys_record
from streams.agents.orders import order_table_codec
from tests.unit.orders.factories import POLICY, OrderBook
from tests.unit.orders.measure_cost import life_of
from tests.unit.orders.test_records import busy_order


def walked(value: Any) -> Any:
    """The layout by definition: fields that differ from their defaults, lists for tuples, enum values."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return [walked(item) for item in value]
    if isinstance(value, RecentKeys):
        return _keys_record(value)
    record: dict[str, Any] = {"type": type(value).__name__} if isinstance(value, OrderFact) else {}
    for field in dataclasses.fields(value):
        default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        item = getattr(value, field.name)
        if default is dataclasses.MISSING or item != default:
            record[field.name] = walked(item)
    return record


def orders_along_a_life_cycle() -> list[Order]:
    order, seen = new_order("O-7"), [busy_order()]
    for fact in life_of("O-7"):
        order, _ = apply(order, fact, POLICY)
        seen.append(order)
        assert fact_to_record(fact) == walked(fact)
    return seen


def test_every_state_of_an_order_is_written_as_the_plain_walk_writes_it_and_reads_back_equal() -> None:
    for order in orders_along_a_life_cycle():
        record = to_record(order)
        assert json.dumps(record) == json.dumps({"format": 1, **walked(order)})  # same keys, same order
        assert from_record(json.loads(json.dumps(record))) == order


def test_the_table_codec_reads_a_record_json_dumps_wrote_with_escaped_non_ascii() -> None:
    book = OrderBook("O-ü")
    order, _ = apply(new_order("O-ü"), book.placed(PlacedLine("1", "KÄSE-BRETT", 2)), POLICY)
    old_bytes = json.dumps(to_record(order), separators=(",", ":")).encode()  # ensure_ascii: \u00fc
    codec = order_table_codec()

    assert b"\\u00fc" in old_bytes
    assert codec.loads(old_bytes) == order
    assert codec.loads(codec.dumps(order)) == order
