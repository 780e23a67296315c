"""Interop with confluent-kafka's own AvroSerializer/AvroDeserializer through a Schema Registry client.

`mock://` is confluent-kafka's in-process registry; the code path is the one used with a real registry URL.
"""
from __future__ import annotations

import uuid

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from streams.schema_registry import RegistrySchemaIds
from streams.settings import Settings
from tests.integration import events
from topics.codec import AvroCodec, FileSchemaIds, build_codec
from topics.schemas import SchemaStore

TOPIC = "wms.inventory-movements"
NAME = "wms/inventory_movement"


def registry() -> SchemaRegistryClient:
    return SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})


def context() -> SerializationContext:
    return SerializationContext(TOPIC, MessageField.VALUE)


def test_a_record_from_confluents_serializer_is_decoded_by_the_pipeline() -> None:
    client, store = registry(), SchemaStore()
    serializer = AvroSerializer(client, store.current(NAME).text())
    record = events.movement("SKU-42", "EAST", "RECEIVED", 7)

    value = serializer(record, context())
    decoded = AvroCodec(store, RegistrySchemaIds(client, store)).decode(value, NAME)

    assert decoded["sku"] == "SKU-42" and decoded["quantity"] == 7
    assert decoded["envelope"]["occurred_at"] == record["envelope"]["occurred_at"]  # type: ignore[index]


def test_the_pipelines_output_is_decoded_by_confluents_deserializer() -> None:
    client, store = registry(), SchemaStore()
    record = events.movement("SKU-43", "WEST", "ADJUSTED", -2)

    value = AvroCodec(store, RegistrySchemaIds(client, store)).encode(TOPIC, NAME, record)
    decoded = AvroDeserializer(client)(value, context())

    assert decoded["sku"] == "SKU-43" and decoded["quantity"] == -2
    assert client.get_latest_version(f"{TOPIC}-value").schema_id == int.from_bytes(value[1:5], "big")


def test_file_mode_framing_is_byte_identical_to_confluents_but_for_the_id_value() -> None:
    client, store = registry(), SchemaStore()
    record = events.movement("SKU-44", "EAST", "COUNTED", 12)

    ours = AvroCodec(store, FileSchemaIds(store)).encode(TOPIC, NAME, record)
    theirs = AvroSerializer(client, store.current(NAME).text())(record, context())

    assert ours[0] == theirs[0] == 0
    assert int.from_bytes(ours[1:5], "big") == store.current(NAME).schema_id
    assert ours[5:] == theirs[5:]


def test_the_settings_pick_the_registry_when_a_url_is_set() -> None:
    codec = build_codec(Settings(schema_registry_url=f"mock://{uuid.uuid4().hex}"))

    assert isinstance(codec.ids, RegistrySchemaIds)
