"""Avro's schema resolution rules, as `distflow schemas check` applies them to an old writer and a new reader."""
from typing import Any

import pytest

from topics.compat import reading_problems

STATUS = {"type": "enum", "name": "StockStatus", "namespace": "distflow.wms", "symbols": ["AVAILABLE", "HOLD"]}


def movement(*fields: dict[str, Any], name: str = "InventoryMovement") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "distflow.wms",
            "fields": [{"name": "sku", "type": "string"}, *fields]}


def field(name: str, kind: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, **extra}


@pytest.mark.parametrize("old, new", [
    (movement(), movement(field("reference", ["null", "string"], default=None))),
    (movement(field("reason", "string")), movement()),
    (movement(field("quantity", "int")), movement(field("quantity", "long"))),
    (movement(field("quantity", "int")), movement(field("quantity", "double"))),
    (movement(field("note", "string")), movement(field("note", "bytes"))),
    (movement(field("quantity", "int")), movement(field("quantity", ["null", "int"], default=None))),
    (movement(field("status", STATUS)), movement(field("status", STATUS | {"symbols": ["AVAILABLE", "HOLD", "QC"]}))),
    (movement(field("at", "long")), movement(field("at", {"type": "long", "logicalType": "timestamp-millis"}))),
    (movement(field("qty", "int")), movement(field("quantity", "int", aliases=["qty"]))),
    (movement(field("lines", {"type": "array", "items": movement(name="Line")})),
     movement(field("lines", {"type": "array", "items": movement(field("x", "int", default=0), name="Line")}))),
], ids=["optional field added", "field removed", "int to long", "int to double", "string to bytes",
        "made nullable", "enum symbol added", "logical type added", "field renamed with alias",
        "defaulted field in array items"])
def test_a_compatible_change_has_no_problem(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert reading_problems(old, new) == []


@pytest.mark.parametrize("old, new, words", [
    (movement(), movement(field("bin", "string")), "InventoryMovement.bin is new and has no default"),
    (movement(field("quantity", "int")), movement(field("quantity", "string")),
     "InventoryMovement.quantity changed from int to string"),
    (movement(field("quantity", "long")), movement(field("quantity", "int")), "changed from long to int"),
    (movement(field("status", STATUS)), movement(field("status", STATUS | {"symbols": ["AVAILABLE"]})),
     "lost symbol(s) ['HOLD']"),
    (movement(field("note", ["null", "string", "int"])), movement(field("note", ["null", "string"])),
     "the old type int is not among the new union's branches"),
    (movement(), movement(name="StockMovement"), "record InventoryMovement was renamed to StockMovement"),
    (movement(field("lines", {"type": "array", "items": movement(name="Line")})),
     movement(field("lines", {"type": "array", "items": movement(field("x", "int"), name="Line")})),
     "Line.x is new and has no default"),
    (movement(field("status", STATUS), field("was", "distflow.wms.StockStatus")),
     movement(field("status", STATUS), field("was", "string")), "InventoryMovement.was changed from enum StockStatus"),
], ids=["required field added", "int to string", "long to int", "enum symbol removed", "union branch removed",
        "record renamed", "required field in array items", "named reference changed"])
def test_an_incompatible_change_is_named_in_a_sentence(old: dict[str, Any], new: dict[str, Any], words: str) -> None:
    problems = reading_problems(old, new)

    assert len(problems) == 1
    assert words in problems[0]


def test_a_removed_enum_symbol_is_fine_when_the_enum_has_a_default() -> None:
    new = STATUS | {"symbols": ["AVAILABLE", "UNKNOWN"], "default": "UNKNOWN"}

    assert reading_problems(movement(field("status", STATUS)), movement(field("status", new))) == []
