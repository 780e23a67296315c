"""Interop with confluent-kafka's own AvroSerializer/AvroDeserializer through a Schema Registry client.

`mock://` is confluent-kafka's in-process registry, built by the same `SchemaRegistryClient.new_client` call a real
URL takes; no network is used.
"""
from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from pydantic import SecretStr

from streams.schema_registry import RegistrySchemaIds, SchemaRegistryUnavailable
from streams.settings import Settings
from tests.unit.topics import records
from topics.codec import AvroCodec, FileSchemaIds, SchemaIds, build_codec
from topics.schemas import SchemaStore
from topics.wire import DecodeError, frame

TOPIC = "wms.inventory-movements"
NAME = "wms/inventory_movement"
STORE = SchemaStore()


def registry() -> SchemaRegistryClient:
    return SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})


def context() -> SerializationContext:
    return SerializationContext(TOPIC, MessageField.VALUE)


def confluent_serializer(client: SchemaRegistryClient, version: int | None = None) -> AvroSerializer:
    schema = STORE.versions(NAME)[version - 1] if version else STORE.current(NAME)
    return AvroSerializer(client, schema.text())


def test_a_record_from_confluents_serializer_is_decoded_by_the_pipeline() -> None:
    client = registry()
    record = records.inventory_movement(sku="SKU-42", quantity=7)

    value = confluent_serializer(client)(record, context())
    decoded = AvroCodec(STORE, RegistrySchemaIds(client, STORE)).decode(value, NAME)

    assert decoded == record


def test_an_older_version_from_confluents_serializer_is_read_as_the_current_one() -> None:
    client = registry()
    record = records.inventory_movement()
    del record["reference"]

    value = confluent_serializer(client, version=1)(record, context())
    decoded = AvroCodec(STORE, RegistrySchemaIds(client, STORE)).decode(value, NAME)

    assert decoded == record | {"reference": None}


def test_the_pipelines_output_is_decoded_by_confluents_deserializer() -> None:
    client = registry()
    record = records.inventory_movement(sku="SKU-43", location="WEST", movement_type="ADJUSTED", quantity=-2)

    value = AvroCodec(STORE, RegistrySchemaIds(client, STORE)).encode(TOPIC, NAME, record)
    decoded = AvroDeserializer(client)(value, context())

    occurred_at = dt.datetime.fromtimestamp(records.OCCURRED_AT / 1000, dt.timezone.utc)
    assert decoded == record | {"envelope": record["envelope"] | {"occurred_at": occurred_at,
                                                                 "produced_at": occurred_at + dt.timedelta(
                                                                     milliseconds=5)}}
    assert client.get_latest_version(f"{TOPIC}-value").schema_id == int.from_bytes(value[1:5], "big")


def test_file_mode_framing_is_byte_identical_to_confluents_but_for_the_id_value() -> None:
    record = records.inventory_movement(movement_type="COUNTED", quantity=12)

    ours = AvroCodec(STORE, FileSchemaIds(STORE)).encode(TOPIC, NAME, record)
    theirs = confluent_serializer(registry())(record, context())

    assert ours[0] == theirs[0] == 0
    assert int.from_bytes(ours[1:5], "big") == STORE.current(NAME).schema_id
    assert ours[5:] == theirs[5:]


def test_values_framed_in_file_mode_stay_readable_once_a_registry_is_used() -> None:
    value = AvroCodec(STORE, FileSchemaIds(STORE)).encode(TOPIC, NAME, records.inventory_movement())

    decoded = AvroCodec(STORE, RegistrySchemaIds(registry(), STORE)).decode(value, NAME)

    assert decoded == records.inventory_movement()


def test_an_id_neither_the_registry_nor_the_files_know_is_an_unknown_schema_id() -> None:
    codec = AvroCodec(STORE, RegistrySchemaIds(registry(), STORE))

    with pytest.raises(DecodeError) as raised:
        codec.decode(frame(4242, b"\x02"), NAME)

    assert raised.value.reason_code == "unknown_schema_id"


def test_a_json_schema_id_is_an_unexpected_schema() -> None:
    client = registry()
    schema_id = client.register_schema("other-value", Schema('{"type": "object"}', "JSON"))

    with pytest.raises(DecodeError) as raised:
        AvroCodec(STORE, RegistrySchemaIds(client, STORE)).decode(frame(schema_id, b"{}"), NAME)

    assert raised.value.reason_code == "unexpected_schema"
    assert "JSON schema, expected AVRO" in raised.value.reason


class UnreachableRegistry:
    def get_schema(self, schema_id: int) -> Any:
        raise ConnectionError("[Errno 111] Connection refused")

    def register_schema(self, subject: str, schema: Schema) -> int:
        raise ConnectionError("[Errno 111] Connection refused")


def test_a_registry_that_does_not_answer_stops_the_batch_instead_of_dead_lettering() -> None:
    codec = AvroCodec(STORE, RegistrySchemaIds(UnreachableRegistry(), STORE))  # type: ignore[arg-type]

    with pytest.raises(SchemaRegistryUnavailable, match="Connection refused"):
        codec.decode_many([frame(4242, b"\x02")], NAME)
    with pytest.raises(SchemaRegistryUnavailable, match="registering wms.inventory-movements-value"):
        codec.encode(TOPIC, NAME, records.inventory_movement())


# -- the same behaviour from both SchemaIds implementations ------------------------------------------------------------
@pytest.fixture(params=["files", "registry"])
def ids(request: pytest.FixtureRequest) -> SchemaIds:
    return FileSchemaIds(STORE) if request.param == "files" else RegistrySchemaIds(registry(), STORE)


def test_a_record_round_trips_whatever_the_ids(ids: SchemaIds) -> None:
    codec = AvroCodec(STORE, ids)
    record = records.inventory_movement()

    assert codec.decode(codec.encode(TOPIC, NAME, record), NAME) == record


def test_an_older_version_is_resolved_whatever_the_ids(ids: SchemaIds) -> None:
    v1 = STORE.versions(NAME)[0]
    record = records.inventory_movement()
    del record["reference"]
    body = io.BytesIO()
    fastavro.schemaless_writer(body, v1.parsed, record)

    decoded = AvroCodec(STORE, ids).decode(frame(v1.schema_id, body.getvalue()), NAME)

    assert decoded["reference"] is None


def test_another_records_value_is_refused_whatever_the_ids(ids: SchemaIds) -> None:
    codec = AvroCodec(STORE, ids)
    value = codec.encode("erp.on-hand-snapshots", "erp/on_hand_snapshot", records.on_hand_snapshot())

    [error] = codec.decode_many([value], NAME)

    assert isinstance(error, DecodeError) and error.reason_code == "unexpected_schema"


# -- settings --------------------------------------------------------------------------------------------------------
def test_the_settings_pick_the_registry_when_a_url_is_set() -> None:
    settings = Settings(schema_registry_url=f"mock://{uuid.uuid4().hex}",
                        schema_registry_basic_auth=SecretStr("distflow:secret"))

    codec = build_codec(settings)

    assert isinstance(codec.ids, RegistrySchemaIds)
    assert codec.decode(codec.encode(TOPIC, NAME, records.inventory_movement()), NAME) == records.inventory_movement()


def test_the_settings_pick_the_files_without_a_url() -> None:
    assert isinstance(build_codec(Settings(schema_registry_url=None)).ids, FileSchemaIds)
