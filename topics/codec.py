"""Encode and decode records of the catalog's schemas, with ids from files or from a Schema Registry.

Decoding resolves an older writer version to the current reader schema (schema evolution) and turns every
failure into a DecodeError with a reason the person on call can act on.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import fastavro
from fastavro.read import SchemaResolutionError

from topics.schemas import SchemaStore, SchemaVersion
from topics.wire import DecodeError, frame, unframe

if TYPE_CHECKING:
    from streams.settings import Settings


class SchemaIds(Protocol):
    """Where schema ids come from: the project's files, or a Confluent-compatible registry."""

    def id_for(self, topic: str, version: SchemaVersion) -> int: ...

    def writer_for(self, schema_id: int) -> SchemaVersion | None: ...


class FileSchemaIds:
    def __init__(self, store: SchemaStore) -> None:
        self.store = store

    def id_for(self, topic: str, version: SchemaVersion) -> int:
        return version.schema_id

    def writer_for(self, schema_id: int) -> SchemaVersion | None:
        return self.store.by_id(schema_id)


class AvroCodec:
    def __init__(self, store: SchemaStore, ids: SchemaIds) -> None:
        self.store, self.ids = store, ids
        self._encode_ids: dict[tuple[str, str], int] = {}
        self._readers: dict[tuple[int, str], tuple[Any, Any | None]] = {}

    def current_schema(self, schema_name: str) -> dict[str, Any]:
        return self.store.current(schema_name).schema

    # -- encode ----------------------------------------------------------------------------------------------------------
    def encode(self, topic: str, schema_name: str, record: dict[str, Any]) -> bytes:
        version = self.store.current(schema_name)
        key = (topic, schema_name)
        schema_id = self._encode_ids.get(key)
        if schema_id is None:
            schema_id = self._encode_ids[key] = self.ids.id_for(topic, version)
        body = io.BytesIO()
        fastavro.schemaless_writer(body, version.parsed, record)
        return frame(schema_id, body.getvalue())

    # -- decode ----------------------------------------------------------------------------------------------------------
    def decode(self, value: bytes | None, schema_name: str) -> dict[str, Any]:
        schema_id, body = unframe(value)
        writer, reader = self._reader(schema_id, schema_name)
        stream = io.BytesIO(body)
        try:
            record = fastavro.schemaless_reader(stream, writer, reader)
        except SchemaResolutionError as error:
            raise DecodeError("missing_required_field",
                              f"the writer's schema (id {schema_id}) cannot be read as {schema_name}: {error}") from None
        except (EOFError, StopIteration, IndexError):
            raise DecodeError("truncated", f"the body ended early for schema id {schema_id} ({schema_name}): the "
                                           f"record was cut, or written with another schema than its id says") from None
        except (ValueError, TypeError, UnicodeDecodeError, OverflowError, KeyError) as error:
            raise DecodeError("body_does_not_match_schema",
                              f"the body is not a {schema_name} record as schema id {schema_id} says "
                              f"({type(error).__name__}: {error})") from None
        if stream.tell() != len(body):
            raise DecodeError("body_does_not_match_schema",
                              f"{len(body) - stream.tell()} bytes left after a complete {schema_name} record: the "
                              f"producer wrote with another schema than id {schema_id}")
        return record  # type: ignore[no-any-return]

    def decode_many(self, values: Sequence[bytes | None], schema_name: str) -> list[dict[str, Any] | DecodeError]:
        decoded: list[dict[str, Any] | DecodeError] = []
        for value in values:
            try:
                decoded.append(self.decode(value, schema_name))
            except DecodeError as error:
                decoded.append(error)
        return decoded

    def _reader(self, schema_id: int, schema_name: str) -> tuple[Any, Any | None]:
        cached = self._readers.get((schema_id, schema_name))
        if cached is not None:
            return cached
        writer = self.ids.writer_for(schema_id)
        if writer is None:
            raise DecodeError("unknown_schema_id", f"schema id {schema_id} is not known here (expected a version of "
                                                   f"{schema_name}): was the producer's schema registered?")
        current = self.store.current(schema_name)
        if writer.full_name != current.full_name:
            raise DecodeError("unexpected_schema", f"schema id {schema_id} is {writer.full_name}, this topic carries "
                                                   f"{current.full_name}: wrong topic or wrong serializer config")
        pair = (writer.parsed, None if writer.canonical == current.canonical else current.parsed)
        self._readers[(schema_id, schema_name)] = pair
        return pair


def build_codec(settings: Settings) -> AvroCodec:
    store = SchemaStore()
    if settings.schema_registry_url:
        from streams.schema_registry import RegistrySchemaIds

        return AvroCodec(store, RegistrySchemaIds.from_settings(settings, store))
    return AvroCodec(store, FileSchemaIds(store))
