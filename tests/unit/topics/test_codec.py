import io
import random
from typing import Any

import fastavro
import pytest
from fastavro.utils import generate_many

from tests.unit.topics import records
from topics.codec import AvroCodec, EncodeError, FileSchemaIds
from topics.schemas import SchemaStore, SchemaVersion, without_logical_types
from topics.wire import DecodeError, frame

STORE = SchemaStore()
MOVEMENTS = "wms/inventory_movement"
TOPIC = "wms.inventory-movements"


class CountingIds(FileSchemaIds):
    """File ids, plus writer versions a test adds (as a registry would hold them), counting lookups."""

    def __init__(self, store: SchemaStore, *extra: SchemaVersion) -> None:
        super().__init__(store)
        self.extra = {version.schema_id: version for version in extra}
        self.id_lookups = self.writer_lookups = 0

    def id_for(self, topic: str, version: SchemaVersion) -> int:
        self.id_lookups += 1
        return super().id_for(topic, version)

    def writer_for(self, schema_id: int) -> SchemaVersion | None:
        self.writer_lookups += 1
        return self.extra.get(schema_id) or super().writer_for(schema_id)


@pytest.fixture
def codec() -> AvroCodec:
    return AvroCodec(STORE, FileSchemaIds(STORE))


def test_a_movement_round_trips_with_timestamps_as_epoch_milliseconds(codec: AvroCodec) -> None:
    record = records.inventory_movement()

    decoded = codec.decode(codec.encode(TOPIC, MOVEMENTS, record), MOVEMENTS)

    assert decoded == record
    assert decoded["envelope"]["occurred_at"] == records.OCCURRED_AT


def test_the_value_is_framed_with_the_current_versions_file_id(codec: AvroCodec) -> None:
    value = codec.encode(TOPIC, MOVEMENTS, records.inventory_movement())

    assert value[0] == 0
    assert int.from_bytes(value[1:5], "big") == STORE.current(MOVEMENTS).schema_id


@pytest.mark.parametrize("name", STORE.names())
def test_every_schema_round_trips_generated_records(codec: AvroCodec, name: str) -> None:
    random.seed(name)
    for record in generate_many(without_logical_types(STORE.current(name).schema), 5):
        assert codec.decode(codec.encode("any-topic", name, record), name) == record


def test_data_written_with_an_older_version_is_read_as_the_current_one(codec: AvroCodec) -> None:
    v1 = STORE.versions(MOVEMENTS)[0]
    record = records.inventory_movement()
    del record["reference"]  # v1 had no document reference

    decoded = codec.decode(frame(v1.schema_id, _body(v1, record)), MOVEMENTS)

    assert decoded == record | {"reference": None}


def test_ids_and_parsed_schemas_are_looked_up_once() -> None:
    ids = CountingIds(STORE)
    codec = AvroCodec(STORE, ids)

    values = [codec.encode(TOPIC, MOVEMENTS, records.inventory_movement(quantity=n)) for n in range(3)]
    decoded = codec.decode_many(values, MOVEMENTS)

    assert [r["quantity"] for r in decoded] == [0, 1, 2]  # type: ignore[index]
    assert (ids.id_lookups, ids.writer_lookups) == (1, 1)


def test_decode_many_keeps_the_order_and_puts_errors_in_place(codec: AvroCodec) -> None:
    good = codec.encode(TOPIC, MOVEMENTS, records.inventory_movement())

    results = codec.decode_many([good, b'{"json": true}', None, good], MOVEMENTS)

    assert [r.reason_code if isinstance(r, DecodeError) else "record" for r in results] == \
        ["record", "wrong_magic_byte", "empty_value", "record"]


def test_an_unknown_schema_id_is_reported_with_the_record_expected(codec: AvroCodec) -> None:
    error = _decode_error(codec, frame(123, b"\x02"))

    assert error.reason_code == "unknown_schema_id"
    assert "schema id 123" in error.reason and "distflow.wms.InventoryMovement" in error.reason


def test_a_record_of_another_schema_is_refused(codec: AvroCodec) -> None:
    value = codec.encode("erp.on-hand-snapshots", "erp/on_hand_snapshot", records.on_hand_snapshot())

    error = _decode_error(codec, value)

    assert error.reason_code == "unexpected_schema"
    assert "distflow.erp.OnHandSnapshot, expected distflow.wms.InventoryMovement" in error.reason


def test_a_cut_body_is_truncated(codec: AvroCodec) -> None:
    value = codec.encode(TOPIC, MOVEMENTS, records.inventory_movement())

    error = _decode_error(codec, value[:-4])

    assert error.reason_code == "truncated"


def test_bytes_after_a_complete_record_are_refused(codec: AvroCodec) -> None:
    value = codec.encode(TOPIC, MOVEMENTS, records.inventory_movement())

    error = _decode_error(codec, value + b"\x00\x00")

    assert error.reason_code == "body_does_not_match_schema"
    assert "2 byte(s) left" in error.reason


def test_a_body_written_with_another_schema_than_its_id_does_not_match(codec: AvroCodec) -> None:
    v2 = STORE.current(MOVEMENTS)
    body = bytearray(_body(v2, records.inventory_movement(location="EAST")))
    body[body.index(b"\x08EAST") + 5] = 0x7E  # movement_type: symbol 63 of 4

    error = _decode_error(codec, frame(v2.schema_id, bytes(body)))

    assert error.reason_code == "body_does_not_match_schema"


def test_a_writer_without_a_field_the_reader_requires_is_missing_a_required_field() -> None:
    writer = _changed_movements(lambda fields: [f for f in fields if f["name"] != "location"])
    codec = AvroCodec(STORE, CountingIds(STORE, writer))
    record = records.inventory_movement()
    del record["location"]

    error = _decode_error(codec, frame(writer.schema_id, _body(writer, record)))

    assert error.reason_code == "missing_required_field"
    assert "InventoryMovement.location is new and has no default" in error.reason


def test_a_writer_with_a_changed_type_is_an_incompatible_schema() -> None:
    writer = _changed_movements(lambda fields: [f | {"type": "string"} if f["name"] == "quantity" else f
                                                for f in fields])
    codec = AvroCodec(STORE, CountingIds(STORE, writer))

    error = _decode_error(codec, frame(writer.schema_id, _body(writer, records.inventory_movement(quantity="3"))))

    assert error.reason_code == "incompatible_schema"
    assert "InventoryMovement.quantity changed from string to int" in error.reason


def test_a_record_that_does_not_fit_its_schema_cannot_be_encoded(codec: AvroCodec) -> None:
    record = records.inventory_movement(quantity="three")

    with pytest.raises(EncodeError, match=r"wms/inventory_movement v2.*quantity"):
        codec.encode(TOPIC, MOVEMENTS, record)


def test_a_value_the_validator_itself_falls_over_is_still_an_encode_error(codec: AvroCodec) -> None:
    """A tuple in a [null, array] field is fastavro's tuple notation (type name, value) to both its writer and its
    validator: the codec says which record did not fit instead of letting the validator's ValueError out."""
    record = records.inventory_movement()
    name = "erp/customer_account_changed"
    account = {"envelope": record["envelope"], "customer_id": "C-1", "account_status": "ACTIVE",
               "credit_hold": False, "credit_limit": None, "credit_exposure": None, "currency": None,
               "price_list_id": "P", "customer_group": None, "channels": [], "allowed_skus": (),
               "allowed_categories": None}

    with pytest.raises(EncodeError, match=r"erp/customer_account_changed v\d+: ValueError"):
        codec.encode("erp.customer-accounts", name, account)
    assert codec.encode("erp.customer-accounts", name, account | {"allowed_skus": []})


def _decode_error(codec: AvroCodec, value: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as raised:
        codec.decode(value, MOVEMENTS)
    assert raised.value.reason
    return raised.value


def _body(version: SchemaVersion, record: dict[str, Any]) -> bytes:
    body = io.BytesIO()
    fastavro.schemaless_writer(body, version.parsed, record)
    return body.getvalue()


def _changed_movements(change: Any) -> SchemaVersion:
    schema = STORE.current(MOVEMENTS).schema
    return SchemaVersion(MOVEMENTS, 0, schema | {"fields": change(schema["fields"])})
