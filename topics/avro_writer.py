"""Straight-line Avro writers, generated once per schema: the hot path of AvroCodec.encode, with fastavro as the
reference it falls back to.

fastavro's (Cython) writer walks the parsed schema for every record — a dict lookup and a type dispatch per value —
and was the largest single item in both workers' profiles (encode 12-18 % of the samples). This writes Python
source per record schema, one line per field in field order (as LinkedIn's avro-fastserde does for Java), and
compiles it: about twice as fast on the availability record, more on longer arrays (docs/performance.md).

A generated writer handles exactly the values the pipeline's own records carry — str, int within 64 bits, bool,
bytes, None, dict, list and tuple, enum symbols — and raises `NotOnFastPath` at anything else (a float for a long,
a bool in a [null, long] union, a missing field with no default). The codec then encodes that record with
fastavro, so every record gets fastavro's bytes or fastavro's error; tests/unit/topics/test_avro_writer.py holds
the two byte-for-byte equal over every catalog schema. Schemas with a construct not written here (float, double,
fixed, logical types, unions other than [null, X]) get no writer: fastavro encodes them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

Writer = Callable[[dict[str, Any]], bytes]

_PRIMITIVES = {"null", "boolean", "int", "long", "string", "bytes"}
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
_SMALL = [bytes([((n << 1) ^ (n >> 63)) & 0xFF]) for n in range(-64, 64)]  # zigzag of -64..63: one byte
_LOW_GROUPS = [bytes((n & 0x7F | 0x80, n >> 7 & 0x7F | 0x80)) for n in range(0x4000)]  # 14 bits, more to come
_HIGH_GROUPS: dict[int, bytes] = {}  # the varint of n >> 14, for the n written lately
_HIGH_GROUPS_MAX = 4096


class NotOnFastPath(Exception):
    """A value the generated writer does not take: the codec encodes the record with fastavro instead."""


class _Unsupported(Exception):
    """A schema construct the generator does not write."""


def compile_writer(parsed: dict[str, Any]) -> Writer | None:
    """A writer for records of this parsed (fastavro.parse_schema) record schema; None if it uses a construct
    only fastavro writes."""
    try:
        return _Generator(parsed.get("__named_schemas", {})).writer(parsed)
    except _Unsupported:
        return None


def long_bytes(value: Any) -> bytes:
    """The zigzag varint of a 64-bit int; NotOnFastPath for anything else (fastavro decides what it makes of it).

    Past two bytes, the low 14 bits come from a table and the rest from a small cache: the values this writes
    most (epoch milliseconds, versions, offsets) share their high bits with the values written just before."""
    if type(value) is not int or not _LONG_MIN <= value <= _LONG_MAX:
        raise NotOnFastPath(value)
    n = (value << 1) ^ (value >> 63)
    if n < 0x80:
        return _SMALL[value + 64]
    if n < 0x4000:
        return bytes((n & 0x7F | 0x80, n >> 7))
    high = n >> 14
    tail = _HIGH_GROUPS.get(high)
    if tail is None:
        if len(_HIGH_GROUPS) >= _HIGH_GROUPS_MAX:
            _HIGH_GROUPS.clear()
        tail = _HIGH_GROUPS[high] = _varint(high)
    return _LOW_GROUPS[n & 0x3FFF] + tail


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _not_on_fast_path(value: Any) -> Any:
    raise NotOnFastPath(value)


class _Generator:
    def __init__(self, named: dict[str, Any]) -> None:
        self.named = named
        self.functions: dict[str, str] = {}  # record full name -> its function's name
        self.sources: list[str] = []
        self.scope: dict[str, Any] = {"long_bytes": long_bytes, "SMALL": _SMALL, "fallback": _not_on_fast_path}
        self.counter = 0

    def writer(self, schema: dict[str, Any]) -> Writer:
        if schema.get("type") != "record":
            raise _Unsupported("top level is not a record")
        root = self.record_function(schema)
        self.sources.append(f"def encode(r):\n    parts = []\n    {root}(r, parts.append)\n"
                            f"    return b''.join(parts)")
        exec("\n\n".join(self.sources), self.scope)  # noqa: S102 (generated from the project's own schemas)
        return self.scope["encode"]  # type: ignore[no-any-return]

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def record_function(self, schema: dict[str, Any]) -> str:
        full_name = schema["name"]
        if full_name in self.functions:
            return self.functions[full_name]
        function = self.functions[full_name] = self.name("write_record")
        body = []
        for field in schema["fields"]:
            default = self.name("default")
            self.scope[default] = field.get("default")
            value = self.name("v")
            body.append(f"{value} = r.get({field['name']!r}, {default})")
            body.extend(self.value_lines(field["type"], value))
        self.sources.append("\n".join([f"def {function}(r, out):", *("    " + line for line in body or ["pass"])]))
        return function

    def value_lines(self, schema: Any, value: str) -> list[str]:
        """Lines appending the encoding of `value` (a local name) to `out`."""
        if isinstance(schema, list):
            return self.union_lines(schema, value)
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return self.primitive_lines(schema, value)
            if schema in self.named:
                return self.value_lines(self.named[schema], value)
            raise _Unsupported(schema)
        kind = schema.get("type")
        if "logicalType" in schema:
            raise _Unsupported(schema["logicalType"])
        if kind == "record":
            return [f"{self.record_function(schema)}({value}, out)"]
        if kind == "enum":
            return self.enum_lines(schema, value)
        if kind == "array":
            return self.block_lines(value, "(list, tuple)", schema["items"], keys=False)
        if kind == "map":
            return self.block_lines(value, "(dict,)", schema["values"], keys=True)
        if kind in _PRIMITIVES:
            return self.primitive_lines(kind, value)
        raise _Unsupported(kind)

    def primitive_lines(self, kind: str, value: str) -> list[str]:
        if kind == "null":
            return [f"if {value} is not None: fallback({value})"]
        if kind == "boolean":
            return [f"out(b'\\x01' if {value} is True else b'\\x00' if {value} is False else fallback({value}))"]
        if kind in ("int", "long"):
            return [f"out(SMALL[{value} + 64] if type({value}) is int and -64 <= {value} < 64 "
                    f"else long_bytes({value}))"]
        encoded = self.name("b")
        if kind == "string":
            lines = [f"{encoded} = {value}.encode()"]
        else:  # bytes
            lines = [f"if type({value}) is not bytes: fallback({value})", f"{encoded} = {value}"]
        return lines + [f"out(SMALL[len({encoded}) + 64] if len({encoded}) < 64 else long_bytes(len({encoded})))",
                        f"out({encoded})"]

    def enum_lines(self, schema: dict[str, Any], value: str) -> list[str]:
        symbols = self.name("symbols")
        self.scope[symbols] = {symbol: long_bytes(index) for index, symbol in enumerate(schema["symbols"])}
        return [f"out({symbols}[{value}])"]  # KeyError (an unknown symbol): fastavro's turn

    def block_lines(self, value: str, types: str, items: Any, keys: bool) -> list[str]:
        """An array or map: one block with its count (none if empty), then the 0 that ends it, as fastavro writes."""
        item = self.name("item")
        key = self.name("k")
        loop = f"for {key}, {item} in {value}.items():" if keys else f"for {item} in {value}:"
        inner = self.primitive_lines("string", key) if keys else []
        inner += self.value_lines(items, item)
        return [f"if type({value}) not in {types}: fallback({value})",
                f"if {value}:",
                f"    out(long_bytes(len({value})))",
                f"    {loop}",
                *(f"        {line}" for line in inner),
                "out(b'\\x00')"]

    def union_lines(self, schema: list[Any], value: str) -> list[str]:
        """[null, X] or [X, null]. X's own lines take only values of X's exact types (a bool is not a long), as
        fastavro's choice of branch needs; a list, not a tuple, for an array."""
        if len(schema) != 2 or "null" not in schema:
            raise _Unsupported("union other than [null, X]")
        null_index = schema.index("null")
        other = schema[1 - null_index]
        branch = _SMALL[(1 - null_index) + 64]
        lines = [f"if {value} is None:", f"    out({_SMALL[null_index + 64]!r})", "else:",
                 f"    out({branch!r})"]
        if isinstance(other, dict) and other.get("type") == "array":  # a tuple in a union is fastavro's tuple notation
            lines.append(f"    if type({value}) is not list: fallback({value})")
        lines.extend("    " + line for line in self.value_lines(other, value))
        return lines
