"""Schema ids from a Confluent-compatible Schema Registry (DISTFLOW_SCHEMA_REGISTRY_URL).

Subjects follow the default TopicNameStrategy (``<topic>-value``), so Kafka Connect, kcat and Confluent's own
serializers agree with us. ``mock://`` URLs give confluent-kafka's in-process registry; the code path is the same.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from topics.schemas import SchemaStore, SchemaVersion, full_name

if TYPE_CHECKING:
    from streams.settings import Settings


class RegistrySchemaIds:
    def __init__(self, client: SchemaRegistryClient, store: SchemaStore) -> None:
        self.client, self.store = client, store
        self._ids: dict[tuple[str, str], int] = {}
        self._writers: dict[int, SchemaVersion | None] = {}

    @classmethod
    def from_settings(cls, settings: Settings, store: SchemaStore) -> "RegistrySchemaIds":
        config: dict[str, str] = {"url": settings.schema_registry_url or ""}
        if settings.schema_registry_basic_auth is not None:
            config["basic.auth.user.info"] = settings.schema_registry_basic_auth.get_secret_value()
        return cls(SchemaRegistryClient.new_client(config), store)

    def id_for(self, topic: str, version: SchemaVersion) -> int:
        key = (topic, version.canonical)
        if key not in self._ids:
            self._ids[key] = self.client.register_schema(f"{topic}-value", Schema(version.text(), "AVRO"))
        return self._ids[key]

    def writer_for(self, schema_id: int) -> SchemaVersion | None:
        if schema_id not in self._writers:
            self._writers[schema_id] = self._fetch(schema_id)
        return self._writers[schema_id]

    def _fetch(self, schema_id: int) -> SchemaVersion | None:
        try:
            registered = self.client.get_schema(schema_id)
        except Exception:  # noqa: BLE001 - unknown id (or registry error): the codec reports unknown_schema_id
            return None
        schema = json.loads(registered.schema_str)
        name = next((n for n in self.store.names() if self.store.current(n).full_name == full_name(schema)), "")
        return SchemaVersion(name, 0, schema)
