"""The generated Avro writers against fastavro, over every schema of the catalog: the same bytes for every record
the pipeline can write, and for anything else fastavro's outcome (its bytes or its error), through the codec."""
from __future__ import annotations

import io
from enum import StrEnum
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topics.avro_writer import NotOnFastPath, compile_writer, long_bytes
from topics.codec import AvroCodec, EncodeError, FileSchemaIds
from topics.schemas import SchemaStore

STORE = SchemaStore()
NAMES = STORE.names()
FAST = AvroCodec(STORE, FileSchemaIds(STORE))
REFERENCE = AvroCodec(STORE, FileSchemaIds(STORE), fast_writers=False)
LONG_EDGES = [0, -1, 63, 64, -64, -65, 2**31 - 1, 2**31, -2**31 - 1, 2**63 - 1, -2**63]


class Status(StrEnum):  # the pipeline's enums are StrEnums: a member is written as its value
    ON_HAND = "ON_HAND"


def records_of(schema: Any, named: dict[str, Any], off_path: bool) -> st.SearchStrategy[Any]:
    """Values of `schema`; with off_path, also values fastavro may take or refuse that the writer leaves to it."""
    valid = _valid(schema, named, off_path)
    if not off_path:
        return valid
    return st.one_of(valid, st.sampled_from([None, True, 1.5, "x", b"x", 2**63, -2**63 - 1, [], {}]))


def _valid(schema: Any, named: dict[str, Any], off_path: bool) -> st.SearchStrategy[Any]:
    of = lambda inner: records_of(inner, named, off_path)  # noqa: E731
    if isinstance(schema, list):
        branches = st.one_of(*(of(branch) for branch in schema))
        # a tuple in a union is fastavro's tuple notation, not an array: off the fast path, fastavro's to judge
        return branches if off_path else branches.filter(lambda value: type(value) is not tuple)
    if isinstance(schema, str):
        if schema in named:
            return st.deferred(lambda: _valid(named[schema], named, off_path))
        return _primitive(schema)
    kind = schema["type"]
    if kind == "record":
        fields = {field["name"]: of(field["type"]) for field in schema["fields"]}
        whole = st.fixed_dictionaries(fields)
        if not off_path:
            return whole
        return whole.flatmap(lambda record: st.sets(st.sampled_from(sorted(record) or [""])).map(
            lambda left_out: {k: v for k, v in record.items() if k not in left_out}))
    if kind == "enum":
        symbols, members = st.sampled_from(schema["symbols"]), StrEnum("Symbols", [(s, s) for s in schema["symbols"]])  # type: ignore[misc]
        return st.one_of(symbols, symbols.map(lambda symbol: members[symbol]))
    if kind == "array":
        items = st.lists(of(schema["items"]), max_size=3)
        return st.one_of(items, items.map(tuple))
    if kind == "map":
        return st.dictionaries(st.text(max_size=5), of(schema["values"]), max_size=3)
    return _primitive(kind)


def _primitive(kind: str) -> st.SearchStrategy[Any]:
    return {
        "null": st.none(),
        "boolean": st.booleans(),
        "int": st.one_of(st.integers(-2**31, 2**31 - 1), st.sampled_from(LONG_EDGES[:7])),
        "long": st.one_of(st.integers(-2**63, 2**63 - 1), st.sampled_from(LONG_EDGES)),
        "string": st.one_of(st.text(max_size=80), st.just(Status.ON_HAND), st.text(min_size=60, max_size=70)),
        "bytes": st.binary(max_size=80),
    }[kind]


def fastavro_bytes(name: str, record: Any) -> bytes:
    body = io.BytesIO()
    fastavro.schemaless_writer(body, STORE.current(name).parsed, record)
    return body.getvalue()


def test_every_catalog_schema_has_a_writer() -> None:
    assert all(compile_writer(STORE.current(name).parsed) is not None for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_writer_writes_what_fastavro_writes(name: str, data: st.DataObject) -> None:
    parsed = STORE.current(name).parsed
    record = data.draw(records_of(parsed, parsed.get("__named_schemas", {}), off_path=False))
    assert compile_writer(parsed)(record) == fastavro_bytes(name, record)  # type: ignore[misc]


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_codec_gives_fastavros_outcome_for_anything(name: str, data: st.DataObject) -> None:
    parsed = STORE.current(name).parsed
    record = data.draw(records_of(parsed, parsed.get("__named_schemas", {}), off_path=True))
    assert _outcome(FAST, name, record) == _outcome(REFERENCE, name, record)


def _outcome(codec: AvroCodec, name: str, record: Any) -> bytes | str:
    try:
        return codec.encode("a-topic", name, record)
    except EncodeError:
        return "EncodeError"


@pytest.mark.parametrize("value", LONG_EDGES + [1764300000123, -1764300000123])
def test_long_bytes_is_avros_zigzag_varint(value: int) -> None:
    assert long_bytes(value) == fastavro_long(value)


@given(st.lists(st.integers(-2**63, 2**63 - 1) | st.integers(1_700_000_000_000, 1_800_000_000_000), max_size=50))
def test_long_bytes_agrees_with_fastavro_whatever_was_written_before(values: list[int]) -> None:
    """The high groups' cache must never give one value another's bytes (nor stop working once full)."""
    assert [long_bytes(value) for value in values] == [fastavro_long(value) for value in values]


def test_long_bytes_past_a_full_cache() -> None:
    values = [(high << 13) + 5 for high in range(1, 10_000)]  # more distinct high groups than the cache holds
    assert [long_bytes(v) for v in values] == [long_bytes(v) for v in values] == [fastavro_long(v) for v in values]


LONG_RECORD = fastavro.parse_schema({"type": "record", "name": "R", "fields": [{"name": "n", "type": "long"}]})


def fastavro_long(value: int) -> bytes:
    body = io.BytesIO()
    fastavro.schemaless_writer(body, LONG_RECORD, {"n": value})
    return body.getvalue()


@pytest.mark.parametrize("value", [True, 1.0, "1", 2**63, -2**63 - 1, None])
def test_long_bytes_leaves_anything_but_a_64_bit_int_to_fastavro(value: Any) -> None:
    with pytest.raises(NotOnFastPath):
        long_bytes(value)


def test_a_bool_in_a_nullable_long_goes_to_fastavro_which_refuses_it() -> None:
    parsed = fastavro.parse_schema({"type": "record", "name": "R", "fields": [{"name": "n", "type": ["null", "long"]}]})
    writer = compile_writer(parsed)
    assert writer is not None
    with pytest.raises(NotOnFastPath):
        writer({"n": True})


def test_a_tuple_in_a_nullable_array_goes_to_fastavro_which_reads_it_as_tuple_notation() -> None:
    schema = {"type": "record", "name": "R",
              "fields": [{"name": "skus", "type": ["null", {"type": "array", "items": "string"}]}]}
    writer = compile_writer(fastavro.parse_schema(schema))
    assert writer is not None and writer({"skus": ["SKU-1"]}) == b"\x02\x02\x0aSKU-1\x00"
    with pytest.raises(NotOnFastPath):
        writer({"skus": ("SKU-1",)})


def test_schemas_it_does_not_write_are_left_to_fastavro() -> None:
    for field_type in ("double", {"type": "long", "logicalType": "timestamp-millis"}, ["null", "long", "string"],
                       {"type": "fixed", "name": "F", "size": 2}):
        schema = {"type": "record", "name": "R", "fields": [{"name": "x", "type": field_type}]}
        assert compile_writer(fastavro.parse_schema(schema)) is None
