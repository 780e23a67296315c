"""Order ⇄ plain builtins (str, int, bool, None, list, dict): JSON-compatible, for the changelog codec.

The layout follows the dataclasses: a dict per value with the fields that differ from their defaults, a list per
tuple, a [location, quantity] pair per LocationQuantity, the value of an enum. Held facts carry their class name
under "type". `format` versions the layout: a change bumps it and teaches from_record the old one.

The converters are generated once per class from its fields' type hints (straight-line code, as values.evolve
does): an order is written and read on every batch that touches it, and walking it generically (a type test per
value, a cached lookup per field) was most of the order owner's state cost.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

from processors.inventory.dedupe import KeyChunk, RecentKeys
from processors.orders.facts import FACT_TYPES, OrderFact
from processors.orders.state import Order

RECORD_FORMAT = 1
Record = dict[str, Any]
_FACTS_BY_NAME = {cls.__name__: cls for cls in FACT_TYPES}


def to_record(order: Order) -> Record:
    return {"format": RECORD_FORMAT, **_encoder(Order)(order)}


def from_record(record: Record) -> Order:
    if record.get("format") != RECORD_FORMAT:
        raise ValueError(f"unknown order record format {record.get('format')!r} (expected {RECORD_FORMAT})")
    return _decoder(Order)(record)  # type: ignore[no-any-return]


def fact_to_record(fact: OrderFact) -> Record:
    return _encoder(type(fact))(fact)


def fact_from_record(record: Record) -> OrderFact:
    cls = _FACTS_BY_NAME.get(record.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown order fact type {record.get('type')!r}")
    return _decoder(cls)(record)  # type: ignore[no-any-return]


# -- generated converters ----------------------------------------------------------------------------------------
_ENCODERS: dict[type, Callable[[Any], Record]] = {}
_DECODERS: dict[type, Callable[[Record], Any]] = {}
_PLAIN = (str, int, bool)


def _encoder(cls: type) -> Callable[[Any], Record]:
    found = _ENCODERS.get(cls)
    if found is None:
        found = _ENCODERS[cls] = _build(cls, _encoder_source)
    return found


def _decoder(cls: type) -> Callable[[Record], Any]:
    found = _DECODERS.get(cls)
    if found is None:
        found = _DECODERS[cls] = _build(cls, _decoder_source)
    return found


def _build(cls: type, source: Callable[[type, dict[str, Any]], list[str]]) -> Callable[[Any], Any]:
    scope: dict[str, Any] = {}
    exec("\n".join(source(cls, scope)), scope)  # noqa: S102 (generated from the class's own fields and hints)
    return scope["convert"]  # type: ignore[no-any-return]


def _fields(cls: type) -> list[tuple[str, Any, dataclasses.Field[Any]]]:
    hints = typing.get_type_hints(cls)
    return [(field.name, hints[field.name], field) for field in dataclasses.fields(cls)]


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def _optional(hint: Any) -> Any | None:
    """T of `T | None`, else None."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return None


def _is_named_tuple(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields")


def _encoder_source(cls: type, scope: dict[str, Any]) -> list[str]:
    scope["MISSING"] = dataclasses.MISSING
    body = ["def convert(value):",
            f"    record = {{'type': {cls.__name__!r}}}" if issubclass(cls, OrderFact) else "    record = {}"]
    for index, (name, hint, field) in enumerate(_fields(cls)):
        default = _default(field)
        expression = _encode_expression(hint, "item", scope, 0)
        body.append(f"    item = value.{name}")
        if default is dataclasses.MISSING:
            body.append(f"    record[{name!r}] = {expression}")
        else:
            scope[f"default{index}"] = default
            body.append(f"    if item != default{index}:")
            body.append(f"        record[{name!r}] = {expression}")
    body.append("    return record")
    return body


def _encode_expression(hint: Any, var: str, scope: dict[str, Any], depth: int) -> str:
    inner = _optional(hint)
    if inner is not None:
        return f"(None if {var} is None else {_encode_expression(inner, var, scope, depth)})"
    if hint in _PLAIN:
        return var
    if isinstance(hint, type) and issubclass(hint, Enum):
        return f"{var}.value"
    if typing.get_origin(hint) is tuple:
        each = f"each{depth}"
        item = _encode_expression(typing.get_args(hint)[0], each, scope, depth + 1)
        return f"list({var})" if item == each else f"[{item} for {each} in {var}]"
    if _is_named_tuple(hint):
        if all(field_hint in _PLAIN for field_hint in typing.get_type_hints(hint).values()):
            return f"list({var})"
        raise TypeError(f"no record encoder for {hint!r}")
    if hint is RecentKeys:
        scope["keys_record"] = _keys_record
        return f"keys_record({var})"
    if hint is OrderFact:
        scope["fact_to_record"] = fact_to_record
        return f"fact_to_record({var})"
    if dataclasses.is_dataclass(hint):
        scope[f"encode_{hint.__name__}"] = _Lazy(_encoder, hint, scope, f"encode_{hint.__name__}")
        return f"encode_{hint.__name__}({var})"
    raise TypeError(f"no record encoder for {hint!r}")


def _decoder_source(cls: type, scope: dict[str, Any]) -> list[str]:
    scope["cls"], scope["ABSENT"] = cls, _ABSENT
    body = ["def convert(record):", "    get = record.get"]
    names = []
    for index, (name, hint, field) in enumerate(_fields(cls)):
        expression = _decode_expression(hint, "item", scope, 0)
        names.append(name)
        if field.default_factory is not dataclasses.MISSING:
            scope[f"factory{index}"] = field.default_factory
            fallback = f"factory{index}()"
        elif field.default is not dataclasses.MISSING:
            scope[f"default{index}"] = field.default
            fallback = f"default{index}"
        else:  # required: a missing one is a KeyError, as before
            body.append(f"    item = record[{name!r}]")
            body.append(f"    value{index} = {expression}")
            continue
        body.append(f"    item = get({name!r}, ABSENT)")
        body.append(f"    value{index} = {fallback} if item is ABSENT else {expression}")
    if hasattr(cls, "__post_init__") or not hasattr(cls, "__slots__"):  # its constructor validates: call it
        body.append("    return cls(" + ", ".join(f"{name}=value{index}" for index, name in enumerate(names)) + ")")
        return body
    # a plain value class: every field is given, so write the slots directly (as values.evolve does), skipping
    # __init__'s frozen __setattr__ per field
    scope["new"] = object.__new__
    body.append("    built = new(cls)")
    for index, name in enumerate(names):
        scope[f"set{index}"] = getattr(cls, name).__set__
        body.append(f"    set{index}(built, value{index})")
    body.append("    return built")
    return body


def _decode_expression(hint: Any, var: str, scope: dict[str, Any], depth: int) -> str:
    inner = _optional(hint)
    if inner is not None:
        return f"(None if {var} is None else {_decode_expression(inner, var, scope, depth)})"
    if hint in _PLAIN:
        return var
    if isinstance(hint, type) and issubclass(hint, Enum):
        name = f"enum_{hint.__name__}"
        scope[name], scope[f"members_{hint.__name__}"] = hint, {member.value: member for member in hint}
        return f"(members_{hint.__name__}.get({var}) or {name}({var}))"
    if typing.get_origin(hint) is tuple:
        each = f"each{depth}"
        item = _decode_expression(typing.get_args(hint)[0], each, scope, depth + 1)
        return f"tuple({var})" if item == each else f"tuple([{item} for {each} in {var}])"
    if _is_named_tuple(hint):
        if all(field_hint in _PLAIN for field_hint in typing.get_type_hints(hint).values()):
            scope[f"tuple_{hint.__name__}"] = hint
            return f"tuple_{hint.__name__}(*{var})"
        raise TypeError(f"no record decoder for {hint!r}")
    if hint is RecentKeys:
        scope["keys"] = _keys
        return f"keys({var})"
    if hint is OrderFact:
        scope["fact_from_record"] = fact_from_record
        return f"fact_from_record({var})"
    if dataclasses.is_dataclass(hint):
        scope[f"decode_{hint.__name__}"] = _Lazy(_decoder, hint, scope, f"decode_{hint.__name__}")
        return f"decode_{hint.__name__}({var})"
    raise TypeError(f"no record decoder for {hint!r}")


_ABSENT = object()


class _Lazy:
    """A nested class's converter, built on its first use (held facts nest facts in orders), which then replaces
    this placeholder in the generated function's globals."""

    __slots__ = ("make", "cls", "scope", "name")

    def __init__(self, make: Callable[[type], Callable[[Any], Any]], cls: type, scope: dict[str, Any],
                 name: str) -> None:
        self.make, self.cls, self.scope, self.name = make, cls, scope, name

    def __call__(self, value: Any) -> Any:
        convert = self.scope[self.name] = self.make(self.cls)
        return convert(value)


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
