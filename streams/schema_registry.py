"""Schema ids from a Confluent-compatible Schema Registry (DISTFLOW_SCHEMA_REGISTRY_URL).

Subjects follow the default TopicNameStrategy (``<topic>-value``), so Kafka Connect, kcat and Confluent's own
serializers agree with us. ``mock://`` URLs give confluent-kafka's in-process registry; the code path is the same.

Failure modes, deliberately different:
- an id the registry does not have (HTTP 404) is looked up in the schema files (values framed in file mode before
  the registry was switched on stay readable), then reported as unknown: the codec dead-letters the record;
- a registry that does not answer raises SchemaRegistryUnavailable: the record is fine, so it must not be
  dead-lettered; the worker stops and resumes from its committed offsets once the registry is back.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from topics.schemas import SchemaStore, SchemaVersion, full_name
from topics.wire import DecodeError

if TYPE_CHECKING:
    from streams.settings import Settings

UNKNOWN_ID_RECHECK_S = 30.0  # an unknown id is asked again after this long (it may be registered meanwhile)


class SchemaRegistryProblem(RuntimeError):
    """The registry failed us; never the record's fault, so never a dead letter."""


class SchemaRegistrationRefused(SchemaRegistryProblem):
    """The registry refused to register our current schema (incompatible with the subject, or not authorised)."""


class SchemaRegistryUnavailable(SchemaRegistryProblem):
    """The registry did not answer. Operator action: check DISTFLOW_SCHEMA_REGISTRY_URL, its credentials and the
    registry's health; the worker resumes from its committed offsets, nothing is dead-lettered for this."""


class RegistrySchemaIds:
    def __init__(self, client: SchemaRegistryClient, store: SchemaStore,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client, self.store, self.clock = client, store, clock
        self._ids: dict[tuple[str, str], int] = {}
        self._writers: dict[int, SchemaVersion] = {}
        self._unknown_until: dict[int, float] = {}

    @classmethod
    def from_settings(cls, settings: Settings, store: SchemaStore) -> RegistrySchemaIds:
        config: dict[str, Any] = {"url": settings.schema_registry_url or ""}
        if settings.schema_registry_basic_auth is not None:
            config["basic.auth.user.info"] = settings.schema_registry_basic_auth.get_secret_value()
        return cls(SchemaRegistryClient.new_client(config), store)

    def id_for(self, topic: str, version: SchemaVersion) -> int:
        """Registers the version under ``<topic>-value`` on first use (idempotent: same schema, same id)."""
        key = (topic, version.canonical)
        if key not in self._ids:
            subject = f"{topic}-value"
            try:
                self._ids[key] = self.client.register_schema(subject, Schema(version.text(), "AVRO"))
            except SchemaRegistryError as error:
                if not 400 <= error.http_status_code < 500:
                    raise _unavailable(f"registering {subject}", error) from None
                raise SchemaRegistrationRefused(
                    f"the registry refused {version.name} v{version.version} under subject {subject} "
                    f"({error}): if it is a compatibility error, the subject holds a schema this version cannot "
                    f"evolve from; otherwise check the registry's credentials") from None
            except Exception as error:  # noqa: BLE001 - the HTTP client's own errors (connect, timeout, TLS)
                raise _unavailable(f"registering {subject}", error) from None
        return self._ids[key]

    def writer_for(self, schema_id: int) -> SchemaVersion | None:
        writer = self._writers.get(schema_id)
        if writer is not None:
            return writer
        if self._unknown_until.get(schema_id, 0.0) > self.clock():
            return self.store.by_id(schema_id)
        writer = self._fetch(schema_id)
        if writer is None:
            self._unknown_until[schema_id] = self.clock() + UNKNOWN_ID_RECHECK_S
            return self.store.by_id(schema_id)
        self._writers[schema_id] = writer
        return writer

    def _fetch(self, schema_id: int) -> SchemaVersion | None:
        try:
            registered = self.client.get_schema(schema_id)
        except SchemaRegistryError as error:
            if error.http_status_code == 404:
                return None
            raise _unavailable(f"fetching schema id {schema_id}", error) from None
        except Exception as error:  # noqa: BLE001 - the HTTP client's own errors (connect, timeout, TLS)
            raise _unavailable(f"fetching schema id {schema_id}", error) from None
        if (registered.schema_type or "AVRO") != "AVRO":
            raise DecodeError("unexpected_schema", f"schema id {schema_id} is a {registered.schema_type} schema, "
                                                   f"expected AVRO: the producer uses another serializer")
        schema = json.loads(registered.schema_str or "{}")
        if not isinstance(schema, dict) or "name" not in schema:
            raise DecodeError("unexpected_schema", f"schema id {schema_id} is not a named Avro record")
        writer = SchemaVersion(self.store.name_for(full_name(schema)) or "", 0, schema)
        try:
            writer.parsed  # noqa: B018 - parse now: a schema with references we cannot resolve fails here
        except Exception as error:  # noqa: BLE001 - fastavro raises several types
            raise DecodeError("unknown_schema_id", f"schema id {schema_id} ({full_name(schema)}) cannot be parsed "
                                                   f"on its own ({error}): schema references are not supported; "
                                                   f"register the schema self-contained") from None
        return writer


def _unavailable(doing: str, error: Exception) -> SchemaRegistryUnavailable:
    return SchemaRegistryUnavailable(f"the Schema Registry failed while {doing} ({type(error).__name__}: {error}); "
                                     f"check DISTFLOW_SCHEMA_REGISTRY_URL, its credentials and the registry's health")
