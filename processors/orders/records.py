"""Order ⇄ plain builtins (str, int, bool, None, list, dict): JSON-compatible, for the changelog codec.

The layout follows the dataclasses: a dict per value with the fields that differ from their defaults, a list per
tuple, a [location, quantity] pair per LocationQuantity, the value of an enum. Held facts carry their class name
under "type". `format` versions the layout: a change bumps it and teaches from_record the old one.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from enum import Enum
from functools import cache
from typing import Any

from processors.inventory.dedupe import KeyChunk, RecentKeys
from processors.orders.facts import FACT_TYPES, OrderFact
from processors.orders.state import Order

RECORD_FORMAT = 1
Record = dict[str, Any]
_FACTS_BY_NAME = {cls.__name__: cls for cls in FACT_TYPES}


def to_record(order: Order) -> Record:
    return {"format": RECORD_FORMAT, **_encode(order)}


def from_record(record: Record) -> Order:
    if record.get("format") != RECORD_FORMAT:
        raise ValueError(f"unknown order record format {record.get('format')!r} (expected {RECORD_FORMAT})")
    return _decoder(Order)(record)  # type: ignore[no-any-return]


def fact_to_record(fact: OrderFact) -> Record:
    return _encode(fact)  # type: ignore[no-any-return]


def fact_from_record(record: Record) -> OrderFact:
    cls = _FACTS_BY_NAME.get(record.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown order fact type {record.get('type')!r}")
    return _decoder(cls)(record)  # type: ignore[no-any-return]


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, RecentKeys):
        return _keys_record(value)
    record: Record = {"type": type(value).__name__} if isinstance(value, OrderFact) else {}
    for name, default in _defaults(type(value)):
        item = getattr(value, name)
        if default is dataclasses.MISSING or item != default:
            record[name] = _encode(item)
    return record


@cache
def _defaults(cls: type) -> tuple[tuple[str, Any], ...]:
    def default(field: dataclasses.Field[Any]) -> Any:
        if field.default_factory is not dataclasses.MISSING:
            return field.default_factory()
        return field.default

    return tuple((field.name, default(field)) for field in dataclasses.fields(cls))


@cache
def _decoder(hint: Any) -> Callable[[Any], Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = _decoder(next(arg for arg in args if arg is not type(None)))
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        item = _decoder(args[0])
        return lambda value: tuple(item(each) for each in value)
    if hint in (str, int, bool):
        return lambda value: value
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if hint is RecentKeys:
        return _keys
    if hint is OrderFact:
        return fact_from_record
    if isinstance(hint, type) and issubclass(hint, tuple):  # a NamedTuple, stored as a list
        fields = [_decoder(field_hint) for field_hint in typing.get_type_hints(hint).values()]
        return lambda value: hint(*(decode(each) for decode, each in zip(fields, value)))
    if dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)  # type: ignore[arg-type]
    raise TypeError(f"no record decoder for {hint!r}")


def _dataclass_decoder(cls: type) -> Callable[[Record], Any]:
    hints = typing.get_type_hints(cls)
    names = [field.name for field in dataclasses.fields(cls)]

    def decode(record: Record) -> Any:
        return cls(**{name: _decoder(hints[name])(record[name]) for name in names if name in record})

    return decode


def _keys_record(window: RecentKeys) -> Record:
    record: Record = {}
    if window.sealed:
        record["sealed"] = [[chunk.newest_at, sorted(chunk.keys)] for chunk in window.sealed]
    if window.filling:
        record["filling"] = list(window.filling)
    if window.filling_since is not None:
        record["filling_since"] = window.filling_since
    if window.filling_newest_at is not None:
        record["filling_newest_at"] = window.filling_newest_at
    return record


def _keys(record: Record) -> RecentKeys:
    sealed = tuple(KeyChunk(frozenset(keys), newest_at) for newest_at, keys in record.get("sealed", ()))
    return RecentKeys(sealed, tuple(record.get("filling", ())), record.get("filling_since"),
                      record.get("filling_newest_at"))
