import json

import pytest

from tests.integration import events
from topics.codec import AvroCodec, FileSchemaIds
from topics.schemas import SchemaStore, SchemaVersion
from topics.wire import DecodeError, frame, unframe

NAME = "wms/inventory_movement"


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    store = SchemaStore()
    return AvroCodec(store, FileSchemaIds(store))


def test_a_record_round_trips_through_the_wire_format(codec: AvroCodec) -> None:
    record = events.movement("SKU-1", "EAST", "RECEIVED", 3)

    assert codec.decode(codec.encode("t", NAME, record), NAME) == record


@pytest.mark.parametrize("value, code", [
    (None, "empty_value"), (b"", "empty_value"), (b"\x00\x01", "truncated"),
    (b'{"sku": 1}', "wrong_magic_byte"), (frame(123, b"\x02"), "unknown_schema_id")])
def test_broken_framing_gives_a_reason(codec: AvroCodec, value: bytes | None, code: str) -> None:
    with pytest.raises(DecodeError) as raised:
        codec.decode(value, NAME)
    assert raised.value.reason_code == code
    assert raised.value.reason


def test_a_truncated_body_and_trailing_bytes_are_caught(codec: AvroCodec) -> None:
    value = codec.encode("t", NAME, events.movement("SKU-1", "EAST", "RECEIVED", 3))

    with pytest.raises(DecodeError) as truncated:
        codec.decode(value[:-6], NAME)
    with pytest.raises(DecodeError) as trailing:
        codec.decode(value + b"\x00\x00", NAME)

    assert truncated.value.reason_code in ("truncated", "body_does_not_match_schema")
    assert trailing.value.reason_code == "body_does_not_match_schema"


def test_a_record_of_another_schema_is_refused(codec: AvroCodec) -> None:
    value = codec.encode("t", "erp/on_hand_snapshot", events.on_hand_snapshot("SKU-1", "EAST", 1))

    with pytest.raises(DecodeError) as raised:
        codec.decode(value, NAME)
    assert raised.value.reason_code == "unexpected_schema"


def test_data_written_with_an_older_version_is_read_with_the_current_one(codec: AvroCodec) -> None:
    old: SchemaVersion = SchemaStore().versions(NAME)[0]
    record = events.movement("SKU-1", "EAST", "RECEIVED", 3)
    del record["reference"]
    import io

    import fastavro
    body = io.BytesIO()
    fastavro.schemaless_writer(body, old.parsed, record)

    decoded = codec.decode(frame(old.schema_id, body.getvalue()), NAME)

    assert decoded["reference"] is None and decoded["quantity"] == 3


def test_unframe_reads_the_schema_id() -> None:
    assert unframe(frame(77, b"body")) == (77, b"body")


def test_every_schema_is_self_contained_json() -> None:
    for version in SchemaStore().all_versions():
        assert "distflow.Envelope" not in json.dumps(version.schema["fields"][0]["type"])
